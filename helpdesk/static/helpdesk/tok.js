// TOK pages: the entry form shows the chosen topic's script and the routing rule that
// applies; the script editor's small toolbar wraps the selection in a tag. A file, not
// inline: the Content-Security-Policy allows scripts from this origin only.
(function () {
  "use strict";

  function load(url, target) {
    if (window.htmx && url && document.querySelector(target)) {
      window.htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
    }
  }

  function topicChosen(form) {
    var select = form.querySelector("select[name=topic]");
    var topic = select ? select.value : "";
    var version = form.querySelector("input[name=script_version]");
    if (!topic) {
      if (version) version.value = "";
      return;
    }
    load(form.dataset.scriptUrl.replace(/\/0\/script\/$/, "/" + topic + "/script/"),
         "#tok-script");
    var preview = document.getElementById("routing-preview");
    var url = preview && preview.dataset.url;
    if (url) {
      var query = "topic=" + encodeURIComponent(topic);
      if (form.dataset.customer) query += "&customer=" + encodeURIComponent(form.dataset.customer);
      load(url + (url.indexOf("?") < 0 ? "?" : "&") + query, "#routing-preview");
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-tok-entry]");
    if (form && event.target.name === "topic") topicChosen(form);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tok-script-show]");
    if (button) {
      topicChosen(button.form || document.querySelector("form[data-tok-entry]"));
      var panel = document.getElementById("tok-script");
      if (panel) panel.scrollIntoView({ behavior: "smooth", block: "nearest" });
      return;
    }
    var wrap = event.target.closest("[data-tok-wrap]");
    if (!wrap) return;
    var area = wrap.closest("form").querySelector("textarea[data-tok-editor]");
    if (!area) return;
    var tag = wrap.dataset.tokWrap;
    var start = area.selectionStart, end = area.selectionEnd, text = area.value;
    var inner = text.slice(start, end);
    var wrapped = tag === "li" ? "<ul><li>" + inner + "</li></ul>" : "<" + tag + ">" + inner + "</" + tag + ">";
    area.value = text.slice(0, start) + wrapped + text.slice(end);
    area.focus();
  });

  // A form drawn again after an error keeps its topic: show its script at once.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-tok-entry]");
    if (form && form.querySelector("select[name=topic]").value) topicChosen(form);
  });
})();
