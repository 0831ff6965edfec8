// The invoice and correction forms (finance/ledger/_lines.html): "Add a line", the price
// not typed (gross from net or net from gross), each line's net value and the totals per
// VAT rate while typing. A preview only: the server recomputes on posting with
// finance.money, and this script does the same arithmetic — whole grosz in BigInt, half-up,
// VAT once per rate on that rate's net total — so the preview is what will be issued.
(function () {
  "use strict";

  var table = document.getElementById("lines");
  if (!table) return;
  var form = table.closest("form");
  var prefix = table.dataset.linesPrefix;
  var rates = JSON.parse(table.dataset.rates);  // [["23", 23], ["8", 8], ...] in order
  var percent = {};
  rates.forEach(function (pair) { percent[pair[0]] = BigInt(pair[1]); });
  var decimal = table.dataset.decimal || ".";
  var thousand = table.dataset.thousand || "";

  // "1 234,56" → 123456n (places = 2); null when it is not a number with at most `places`
  // decimals (the server refuses it too).
  function parse(text, places) {
    var clean = String(text || "").replace(/[\s\u00a0]/g, "").replace(",", ".");
    var match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(clean);
    if (!match || (match[2] === "" && !match[3])) return null;
    var fraction = match[3] || "";
    if (fraction.length > places) return null;
    while (fraction.length < places) fraction += "0";
    var value = BigInt((match[2] || "0") + fraction);
    return match[1] ? -value : value;
  }

  // n / d rounded half-up (away from zero at the half), as finance.money.round_grosz.
  function divide(n, d) {
    if (n < 0n) return -divide(-n, d);
    var q = n / d;
    return (n % d) * 2n >= d ? q + 1n : q;
  }

  function format(grosz, grouping) {
    var sign = grosz < 0n ? "-" : "";
    var digits = (grosz < 0n ? -grosz : grosz).toString();
    while (digits.length < 3) digits = "0" + digits;
    var whole = digits.slice(0, -2);
    if (grouping && thousand) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, thousand);
    return sign + whole + decimal + digits.slice(-2);
  }

  function entry() {
    var checked = form.querySelector("input[name=entry]:checked");
    return checked ? checked.value : "net";
  }

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.className = className || "";
    td.textContent = text;
    return td;
  }

  function recompute() {
    var typed = entry();
    var nets = {};
    table.querySelectorAll("tbody tr.line-row").forEach(function (row) {
      var net = field(row, "net_unit_price");
      var gross = field(row, "gross_unit_price");
      var other = typed === "gross" ? net : gross;
      (typed === "gross" ? gross : net).readOnly = false;
      other.readOnly = true;
      var output = row.querySelector("[data-line-net]");
      output.textContent = "";
      var rate = field(row, "vat_rate").value;
      var price = parse((typed === "gross" ? gross : net).value, 2);
      if (price === null || !(rate in percent)) {
        other.value = "";
        return;
      }
      var p = percent[rate];
      var netPrice = typed === "gross" ? divide(price * 100n, 100n + p) : price;
      other.value = format(typed === "gross" ? netPrice : divide(price * (100n + p), 100n),
                           false);
      var deleted = field(row, "DELETE");
      var quantity = parse(field(row, "quantity").value, 3);
      if (quantity === null || (deleted && deleted.checked)) return;
      var lineNet = divide(quantity * netPrice, 1000n);
      output.textContent = format(lineNet, true);
      nets[rate] = (nets[rate] || 0n) + lineNet;
    });
    var totals = document.getElementById("invoice-totals");
    var body = totals.querySelector("tbody");
    body.replaceChildren();
    var all = {net: 0n, vat: 0n};
    rates.forEach(function (pair) {
      var rate = pair[0];
      if (!(rate in nets)) return;
      var vat = divide(nets[rate] * percent[rate], 100n);
      var tr = document.createElement("tr");
      tr.dataset.rate = rate;
      tr.append(cell(/^\d/.test(rate) ? rate + " %" : rate),
                cell(format(nets[rate], true), "text-end text-nowrap"),
                cell(format(vat, true), "text-end text-nowrap"),
                cell(format(nets[rate] + vat, true), "text-end text-nowrap"));
      body.append(tr);
      all.net += nets[rate];
      all.vat += vat;
    });
    document.getElementById("total-net").textContent = format(all.net, true);
    document.getElementById("total-vat").textContent = format(all.vat, true);
    var grossTotal = document.getElementById("total-gross");
    var sample = grossTotal.dataset.sample;  // the money format: "0,00 zł" / "PLN 0.00"
    grossTotal.textContent = sample
      ? sample.replace(format(0n, true), format(all.net + all.vat, true))
      : format(all.net + all.vat, true);
  }

  // "Add a line": one more row from the formset's empty form, instead of posting the form
  // for "More lines" as happens without this script.
  document.getElementById("lines-add").addEventListener("click", function (event) {
    event.preventDefault();
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var index = parseInt(total.value, 10);
    var html = document.getElementById("line-template").innerHTML
      .replace(/__prefix__/g, String(index));
    table.querySelector("tbody").insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    var rows = table.querySelectorAll("tbody tr.line-row");
    rows[rows.length - 1].querySelector("input").focus();
    recompute();
  });

  form.addEventListener("input", recompute);
  form.addEventListener("change", recompute);
  recompute();
})();
