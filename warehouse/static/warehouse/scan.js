// A new stock document (warehouse/staff/documents/new.html): a barcode reader types a
// serial and Enter into the focused scanner field (#scan), as at the approval station.
// The serial is taken and the field cleared at once, so the next one can be read while the
// server answers with its row (the product and where it is, red when it cannot go); rows
// come in the order scanned. The same serial twice is refused on the spot. Enter never
// sends the form — a reader ends every code with it —: "Post" (#post-document) does.
// Each row keeps what is sent in its hidden "line" input (JSON); the row's inputs marked
// data-field are written into it. In a file: the Content-Security-Policy runs no inline
// script.
(function () {
  "use strict";
  var form = document.getElementById("document-form");
  var scan = document.getElementById("scan");
  var body = document.getElementById("lines-body");
  var feedback = document.getElementById("scan-feedback");
  if (!form || !scan || !body) return;
  var kind = form.dataset.kind;
  var pending = {};
  var queue = Promise.resolve();

  function text(name, value) {
    return (form.dataset["text" + name] || "%s").replace("%s", value || "");
  }

  function say(message, ok) {
    feedback.textContent = message;
    feedback.className = "small " + (ok ? "text-success" : "text-danger");
  }

  function value(name) {
    var field = form.elements.namedItem(name);
    return field && field.value ? field.value : "";
  }

  // As the server reads a serial (warehouse.services.serial_clean): no spaces, upper-case.
  function canonical(code) {
    return String(code || "").replace(/\s+/g, "").toUpperCase();
  }

  function rows() {
    return Array.prototype.slice.call(body.querySelectorAll("tr.line"));
  }

  function sync(row) {
    var hidden = row.querySelector("input[name=line]");
    if (!hidden) return;
    var data = {};
    try { data = JSON.parse(hidden.value) || {}; } catch (error) { data = {}; }
    row.querySelectorAll("[data-field]").forEach(function (input) {
      var typed = input.type === "checkbox" ? (input.checked ? "1" : "") : input.value.trim();
      if (typed) { data[input.dataset.field] = typed; } else { delete data[input.dataset.field]; }
    });
    hidden.value = JSON.stringify(data);
  }

  function renumber() {
    var all = rows();
    all.forEach(function (row, index) {
      var cell = row.querySelector(".line-number");
      if (cell) cell.textContent = String(index + 1);
    });
    var count = document.getElementById("lines-count");
    if (count) count.textContent = (count.dataset.text || "%s").replace("%s", String(all.length));
  }

  function flash(row) {
    row.classList.add("table-info");
    row.scrollIntoView({block: "nearest"});
    window.setTimeout(function () { row.classList.remove("table-info"); }, 1200);
  }

  function rowWith(attribute, wanted) {
    return rows().filter(function (row) { return row.dataset[attribute] === wanted; })[0];
  }

  // The row for `values` from the server, appended; `key` is pending until it is in.
  function fetchRow(values, key) {
    return fetch(form.dataset.lineUrl + "?" + values.toString(), {
      credentials: "same-origin", headers: {"X-Requested-With": "XMLHttpRequest"}
    }).then(function (response) {
      return response.text().then(function (answer) {
        if (!response.ok) { say(answer || response.statusText, false); return; }
        body.insertAdjacentHTML("beforeend", answer);
        renumber();
        var row = body.lastElementChild;
        var problem = row && row.querySelector(".line-problem");
        if (problem) { say(problem.textContent, false); } else { say(text("Added", key), true); }
        if (row) flash(row);
      });
    }).catch(function () {
      say(text("Failed"), false);
    }).then(function () {
      delete pending[key];
    });
  }

  function params(extra) {
    var values = new URLSearchParams(extra);
    values.set("kind", kind);
    ["warehouse", "customer"].forEach(function (name) {
      if (value(name)) values.set(name, value(name));
    });
    var state = document.getElementById("scan-state");
    if (state) values.set("state", state.value);
    var scrap = document.getElementById("scan-scrap");
    if (scrap && scrap.checked) values.set("scrap", "1");
    return values;
  }

  function addSerial(code) {
    var serial = canonical(code);
    if (!serial) return;
    var twin = rowWith("serial", serial);
    if (twin || pending[serial]) {
      say(text("Twice", serial), false);
      if (twin) flash(twin);
      return;
    }
    pending[serial] = true;
    var values = params({serial: serial});
    var product = document.getElementById("scan-product");
    if (product) values.set("product", product.value);
    queue = queue.then(function () { return fetchRow(values, serial); });
  }

  function addCounted() {
    var product = document.getElementById("counted-product");
    var quantity = document.getElementById("counted-quantity");
    if (!product.value) { say(text("Product"), false); product.focus(); return; }
    var key = "product:" + product.value;
    var twin = rowWith("counted", product.value);
    if (twin || pending[key]) {
      say(text("Twice", product.selectedOptions[0].textContent), false);
      if (twin) flash(twin);
      return;
    }
    pending[key] = true;
    var values = params({product: product.value, quantity: quantity.value.trim()});
    quantity.value = "";
    queue = queue.then(function () { return fetchRow(values, key); });
    scan.focus();
  }

  // Every row again for the warehouse or the customer just chosen (red or not).
  function refresh() {
    queue = queue.then(function () {
      rows().forEach(sync);
      return fetch(form.dataset.linesUrl, {method: "POST", body: new FormData(form),
                                           credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (answer) {
          if (answer !== null) { body.innerHTML = answer; renumber(); }
        }).catch(function () { say(text("Failed"), false); });
    });
  }

  function settlementShown() {
    var settlement = form.elements.namedItem("settlement");
    if (!settlement) return;
    form.querySelectorAll("[data-settlement-only]").forEach(function (part) {
      part.classList.toggle("d-none", part.dataset.settlementOnly !== settlement.value);
    });
  }

  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    event.preventDefault();
    if (event.target === scan) {
      var code = scan.value;
      scan.value = "";
      addSerial(code);
    } else if (event.target.id === "counted-quantity") {
      addCounted();
      return;
    } else if (event.target.id === "customer-q") {
      return;
    }
    scan.focus();
  });

  form.addEventListener("input", function (event) {
    var row = event.target.closest("tr.line");
    if (row) sync(row);
  });

  form.addEventListener("change", function (event) {
    var row = event.target.closest("tr.line");
    if (row) { sync(row); return; }
    if (event.target.matches("[data-lines-refresh]")) refresh();
    if (event.target.name === "settlement") settlementShown();
  });

  form.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-line-remove]");
    if (remove) {
      remove.closest("tr").remove();
      renumber();
      scan.focus();
      return;
    }
    if (event.target.closest("#counted-add")) { addCounted(); return; }
    var give = event.target.closest("[data-scan-value]");
    if (give) { addSerial(give.dataset.scanValue); scan.focus(); return; }
    var pick = event.target.closest("[data-customer-pick]");
    if (pick) {
      form.elements.namedItem("customer").value = pick.dataset.customerPick;
      var chosen = document.getElementById("customer-chosen");
      var link = document.createElement("a");
      link.href = pick.dataset.customerUrl;
      link.textContent = pick.dataset.customerLabel;
      chosen.replaceChildren(link);
      document.getElementById("customer-results").replaceChildren();
      document.getElementById("customer-q").value = "";
      document.body.dispatchEvent(new Event("customer-picked"));
      refresh();
      scan.focus();
    }
  });

  form.addEventListener("submit", function (event) {
    if (scan.value.trim()) {
      // A serial typed but not yet entered: a line first, the document when asked again.
      event.preventDefault();
      var code = scan.value;
      scan.value = "";
      addSerial(code);
      scan.focus();
      return;
    }
    rows().forEach(sync);
    var button = document.getElementById("post-document");
    if (button) window.setTimeout(function () { button.disabled = true; }, 0);
  });

  window.addEventListener("focus", function () {
    if (document.activeElement === document.body) scan.focus();
  });
  settlementShown();
  // Focused only now, not by an autofocus attribute: a reader typing before this script
  // ran would send the form the plain way (the page adds that serial as a line then).
  scan.focus();
})();
