// The customer card's tabs: the card renders one section; a tab loads its section by htmx
// into #card-pane and puts its anchor in the address (#historia), so a reload, a shared
// link or the back button open the same tab. Without JavaScript the tabs are links to
// ?sekcja=…, which the server renders in place.
(function () {
  "use strict";

  var pane = document.getElementById("card-pane");
  if (!pane || pane.dataset.full) return;  // ?full=1: every section is on the page
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[data-card-tab]"));
  var active = tabs.filter(function (tab) { return tab.classList.contains("active"); });
  // A category's member shown lights its category's head too: the member is the one open.
  var initial = active.filter(function (tab) { return !tab.dataset.categoryHead; })[0] ||
    active[0];

  function tabFor(name) {
    if (name.indexOf("section-") === 0) name = name.slice("section-".length);
    // the hidden link of a category's member first: the head shares its first member's
    return tabs.filter(function (tab) {
      return (tab.dataset.cardTab === name || tab.dataset.sectionKey === name) &&
        !tab.dataset.categoryHead;
    })[0] || tabs.filter(function (tab) {
      return tab.dataset.cardTab === name || tab.dataset.sectionKey === name;
    })[0];
  }

  function unfold(id) {
    var target = id && document.getElementById(id);
    if (!target) return;
    if (target.tagName === "DETAILS") {
      target.open = true;
    } else if (target.classList.contains("collapse") && window.bootstrap) {
      window.bootstrap.Collapse.getOrCreateInstance(target).show();
    }
    target.scrollIntoView({block: "nearest"});
    var field = target.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus({preventScroll: true});
  }

  function open(tab, then) {
    // A section of a category ("Loginy/Hasła") lights its category's tab; its switch
    // inside the section is rendered with it.
    var category = tab.dataset.category;
    tabs.forEach(function (other) {
      var on = other === tab ||
        (category && other.dataset.categoryHead && other.dataset.category === category);
      other.classList.toggle("active", on);
      if (on) other.setAttribute("aria-current", "page");
      else other.removeAttribute("aria-current");
    });
    pane.dataset.active = tab.dataset.cardTab;
    var loading = window.htmx.ajax("GET", tab.dataset.url, {target: pane, swap: "innerHTML"});
    if (then && loading && loading.then) loading.then(then);
  }

  function remember(tab) {
    var hash = "#" + tab.dataset.cardTab;
    if (window.location.hash !== hash) window.history.pushState(null, "", hash);
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.altKey) return;  // a new tab or window: the plain link
    var tab = event.target.closest("[data-card-tab]");
    var action = event.target.closest("[data-card-open]");
    if (tab) {
      event.preventDefault();
      remember(tab);
      open(tab);
    } else if (action) {
      var target = tabFor(action.dataset.cardOpen);
      if (!target) return;
      event.preventDefault();
      remember(target);
      var opens = action.dataset.opens;
      if (target.classList.contains("active") && pane.querySelector("#section-" + target.dataset.sectionKey)) {
        unfold(opens);
      } else {
        open(target, function () { unfold(opens); });
      }
    }
  });

  // The tab the address names: on load (a deep link such as #historia, or the
  // #section-… a redirect after a change adds), and on back / forward.
  function fromAddress() {
    var name = decodeURIComponent(window.location.hash.slice(1));
    var tab = name ? tabFor(name) : initial;
    if (!tab || (tab.classList.contains("active") &&
                 pane.querySelector("#section-" + tab.dataset.sectionKey))) return;
    open(tab);
  }
  window.addEventListener("popstate", fromAddress);
  fromAddress();
})();
