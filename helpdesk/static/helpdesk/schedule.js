/* The scheduler ("Terminarz"): event types' colours and drag to move on the calendar.

   Each event block carries data-color (its type's colour); an open one the user may
   change is draggable, with data-move-url and data-start ("HH:MM", the wall-clock time).
   Dropped on a day cell (data-drop-date) it keeps its time of day; on an hour of the day
   view (data-drop-hour) it keeps its minutes. The move is POSTed to helpdesk:event_move
   with the CSRF token of the page's #calendar-csrf form; the page is then reloaded, or
   the refusal shown. Without JavaScript the event's edit form moves it. */
(function () {
  "use strict";

  var HEX = /^#[0-9a-fA-F]{6}$/;

  function paint(root) {
    root.querySelectorAll(".hd-event[data-color]").forEach(function (el) {
      var colour = el.getAttribute("data-color");
      if (HEX.test(colour)) { el.style.borderLeftColor = colour; }
    });
    root.querySelectorAll(".hd-legend[data-color]").forEach(function (el) {
      var colour = el.getAttribute("data-color");
      if (HEX.test(colour)) { el.style.borderLeftColor = colour; }
    });
  }

  function csrfToken() {
    var input = document.querySelector("#calendar-csrf input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function showError(text) {
    var box = document.getElementById("calendar-error");
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.classList.remove("d-none");
  }

  function newStart(block, cell) {
    var date = cell.getAttribute("data-drop-date");
    var time = (block.getAttribute("data-start") || "09:00").split(":");
    var hour = cell.getAttribute("data-drop-hour");
    if (hour !== null) { time[0] = pad(parseInt(hour, 10)); }
    return date + "T" + time[0] + ":" + time[1];
  }

  function move(block, cell) {
    var body = new FormData();
    body.append("starts_at", newStart(block, cell));
    fetch(block.getAttribute("data-move-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (result.ok && result.data.ok) {
        cell.appendChild(block);
        window.location.reload();
        return;
      }
      var errors = (result.data && result.data.errors) || {};
      var texts = [];
      Object.keys(errors).forEach(function (key) { texts = texts.concat(errors[key]); });
      showError(texts.join(" ") || "Error");
    }).catch(function () { showError("Error"); });
  }

  function wireDrag() {
    var dragged = null;
    document.querySelectorAll(".hd-event[draggable=true]").forEach(function (block) {
      block.addEventListener("dragstart", function (e) {
        dragged = block;
        block.classList.add("hd-dragging");
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", block.getAttribute("data-event-id"));
      });
      block.addEventListener("dragend", function () {
        block.classList.remove("hd-dragging");
      });
    });
    document.querySelectorAll(".hd-drop").forEach(function (cell) {
      cell.addEventListener("dragover", function (e) {
        if (!dragged) { return; }
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        cell.classList.add("hd-over");
      });
      cell.addEventListener("dragleave", function () { cell.classList.remove("hd-over"); });
      cell.addEventListener("drop", function (e) {
        e.preventDefault();
        cell.classList.remove("hd-over");
        if (dragged && dragged.parentNode !== cell) { move(dragged, cell); }
        dragged = null;
      });
    });
  }

  function init() {
    paint(document);
    wireDrag();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
