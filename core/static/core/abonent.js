// Behaviour shared by the staff pages and the customer panel, driven by data attributes.
// In a file, not inline (<script>, onclick=, hx-on, trigger filters): the
// Content-Security-Policy allows scripts from this origin only and no eval.
(function () {
  "use strict";

  // <form data-confirm="Question?">: asks first; capturing on the document runs before htmx.
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <select data-autosubmit>: choosing sends its form.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      if (field.form.requestSubmit) { field.form.requestSubmit(); } else { field.form.submit(); }
    }
  });

  // <button data-copy-target="#id" data-copied-text="…">: "Copy data to the clipboard".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copyTarget);
    var done = function () { button.textContent = button.dataset.copiedText; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done);
    } else {
      source.classList.remove("d-none"); source.select(); document.execCommand("copy");
      source.classList.add("d-none"); done();
    }
  });

  // The value input of a new attribute follows the chosen attribute's type (the card).
  document.addEventListener("change", function (event) {
    if (!event.target.matches("select[data-attribute-type]")) return;
    var option = event.target.selectedOptions[0];
    var input = event.target.form.querySelector("input[name=value]");
    var type = option ? option.dataset.valueType : "text";
    input.type = type === "date" ? "date" : "text";
    input.inputMode = type === "number" ? "decimal" : "text";
    input.setAttribute("list", type === "choice" ? "attribute-choices-" + option.value : "");
  });

  // "Add a position": one more row of the formset, from its empty form; the management
  // form's TOTAL_FORMS counts it, so the server reads it like the rows it rendered.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) return;
    var prefix = button.dataset.formsetAdd;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var index = parseInt(total.value, 10);
    var html = document.getElementById(button.dataset.template).innerHTML
      .replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var rows = document.querySelector(button.dataset.rows);
    rows.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    var first = rows.lastElementChild.querySelector("input");
    if (first) first.focus();
  });

  // <tr data-row-click hx-trigger="row-click">: a click on the row, but not on a link or
  // a field in it (what an htmx trigger filter did, which needs eval).
  document.addEventListener("click", function (event) {
    var row = event.target.closest("[data-row-click]");
    if (!row || event.target.closest("a, input, label, button")) return;
    row.dispatchEvent(new CustomEvent("row-click", {bubbles: true}));
  });

  // <div class="progress-bar" data-progress="42">: its width, set from script (a style=""
  // attribute would be refused by the policy; CSSOM is not).
  function progress(root) {
    var bars = Array.prototype.slice.call(root.querySelectorAll("[data-progress]"));
    if (root.matches && root.matches("[data-progress]")) bars.push(root);
    bars.forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, parseFloat(bar.dataset.progress) || 0)) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { progress(document); });
  document.addEventListener("htmx:load", function (event) { progress(event.target); });
})();

// An htmx request answered with an error page (403, 404, 500, an expired form: core/errors.py)
// is not swapped in, so the click would seem to do nothing: show the page's message (what
// happened and what to do) above the content instead.
(function () {
  "use strict";
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var main = document.querySelector("main");
    if (!xhr || !main) return;
    var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var body = page.querySelector(".error-page .card-body");
    var box = document.getElementById("htmx-error") || document.createElement("div");
    box.id = "htmx-error";
    box.className = "alert alert-danger alert-dismissible mt-2";
    box.setAttribute("role", "alert");
    box.replaceChildren();
    if (body) {
      Array.prototype.forEach.call(body.childNodes, function (node) {
        box.appendChild(document.importNode(node, true));
      });
    } else {
      box.textContent = xhr.status + " " + (xhr.statusText || "");
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "×");
    box.appendChild(close);
    main.prepend(box);
    box.scrollIntoView({block: "nearest"});
  });
})();
