// The only script senforms writes itself (no inline script is allowed by the page's policy):
// "Tick all" and "Untick all" for the pupils table. Without it the boxes still work one by one.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".select-buttons").forEach(function (holder) {
    holder.hidden = false;
    holder.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-select]");
      if (!button) { return; }
      var on = button.dataset.select === "all";
      button.closest("form").querySelectorAll("input[type=checkbox][name=upn]").forEach(function (box) { box.checked = on; });
    });
  });
});

// Evidence for an EHC request pack: files dropped on the box (or chosen) go up one at a time, so each
// is checked as it arrives and the checklist (swapped in by htmx) changes with each. Without script the
// form posts every chosen file at once and the whole page comes back.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.evidence-upload").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector(".drop-zone");
    var queue = [];
    var busy = false;

    function sendNext() {
      if (!queue.length) { busy = false; input.value = ""; zone.classList.remove("drop-busy"); return; }
      busy = true;
      zone.classList.add("drop-busy");
      var one = new DataTransfer();
      one.items.add(queue.shift());
      input.files = one.files;
      htmx.trigger(form, "one-file");
    }

    // htmx sends the form on "one-file" (its hx-trigger), from the queue, never on submit itself.
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      queue = queue.concat(Array.prototype.slice.call(input.files));
      if (!busy) { sendNext(); }
    });
    form.addEventListener("htmx:afterRequest", function () { sendNext(); });
    zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.classList.add("drop-over"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("drop-over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("drop-over");
      queue = queue.concat(Array.prototype.slice.call(event.dataTransfer.files));
      if (!busy) { sendNext(); }
    });
  });
});
