// The SMS counter of the card's "Wiadomości": characters and parts as the text is typed.
// The same rule as messaging/sms.py (GSM 03.38): a text of the GSM-7 default alphabet and
// its extension table (whose characters take two septets) goes as GSM-7, 160 in one part
// and 153 per part when longer; any other character sends the whole text as UCS-2, 70 and
// 67, a character outside the BMP taking two units. A file, not inline: the
// Content-Security-Policy allows scripts from this origin only.
//
// <textarea data-sms-counter="ID"> writes into the element ID, whose data-format holds
// the sentence with {units}, {parts}, {encoding} and {remaining}. The section is swapped
// in by htmx, which runs this file again: the listeners are added once.
(function () {
  "use strict";

  if (window.abonentSmsCounter) {
    window.abonentSmsCounter.refresh(document);
    return;
  }

  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function segments(text) {
    var chars = Array.from(text);  // code points: a character outside the BMP is one
    var gsm = chars.every(function (c) { return BASIC.indexOf(c) >= 0 || EXTENDED.indexOf(c) >= 0; });
    var units, single, multi;
    if (gsm) {
      units = chars.reduce(function (n, c) { return n + (EXTENDED.indexOf(c) >= 0 ? 2 : 1); }, 0);
      single = 160; multi = 153;
    } else {
      units = text.length;  // UTF-16 code units: two for a character outside the BMP
      single = 70; multi = 67;
    }
    var parts, remaining;
    if (units <= single) {
      parts = units ? 1 : 0; remaining = single - units;
    } else if (!gsm) {
      parts = Math.ceil(units / multi); remaining = parts * multi - units;
    } else {
      // An extension character is never split between two parts (as messaging/sms.py).
      var used = 0;
      parts = 1;
      chars.forEach(function (c) {
        var cost = EXTENDED.indexOf(c) >= 0 ? 2 : 1;
        if (used + cost > multi) { parts += 1; used = 0; }
        used += cost;
      });
      remaining = multi - used;
    }
    return {encoding: gsm ? "GSM-7" : "UCS-2", units: units, parts: parts,
            remaining: remaining};
  }

  function update(field) {
    var out = document.getElementById(field.dataset.smsCounter);
    if (!out) return;
    // The browser sends a line break as CR LF; the server counts it as LF, as here.
    var count = segments(field.value.replace(/\r\n/g, "\n"));
    var format = count.units ? out.dataset.format : (out.dataset.empty || out.dataset.format);
    out.textContent = format.replace(/\{(\w+)\}/g, function (all, name) {
      return name in count ? String(count[name]) : all;
    });
    out.dataset.encoding = count.encoding;
    out.dataset.parts = String(count.parts);
    out.dataset.units = String(count.units);
  }

  function refresh(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-sms-counter]"), update);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-sms-counter]")) update(event.target);
  });
  document.addEventListener("htmx:load", function (event) { refresh(event.target); });
  window.abonentSmsCounter = {segments: segments, refresh: refresh};
  refresh(document);
})();
