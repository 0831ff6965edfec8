// The approval station (documents/approve.html): a barcode reader types a code and Enter.
// The code is taken and the input cleared at once, so the next code can be typed while the
// answer to this one is on its way. In a file: the Content-Security-Policy runs no inline
// script.
(function () {
  "use strict";
  var form = document.getElementById("approve-form");
  var input = document.getElementById("approve-code");
  var results = document.getElementById("approve-results");
  if (!form || !input || !results) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    htmx.ajax("POST", form.action, {source: results, target: results, swap: "afterbegin",
                                    values: {code: code}});
  });
  document.body.addEventListener("htmx:afterRequest", function () { input.focus(); });
  window.addEventListener("focus", function () { input.focus(); });
  // Focused only now, not by an autofocus attribute: a reader typing before this script
  // ran would submit the form the plain way and the codes after the first would be lost.
  input.focus();
})();
