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
