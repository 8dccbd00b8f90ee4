// Record lists: the bulk action bar. "Select every record on this page" ticks the rows' boxes; the status line says
// how many are chosen. Delegated on the document, so it keeps working after htmx swaps the table.
(function () {
  "use strict";

  function rows() {
    return document.querySelectorAll("input[data-bulk-row]");
  }

  function update() {
    var status = document.querySelector("[data-bulk-status]");
    if (!status) return;
    var all = document.querySelector("input[data-bulk-all]");
    var boxes = rows();
    var checked = 0;
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) checked++;
    var page = document.querySelector("input[data-select-page]");
    if (page) {
      page.checked = boxes.length > 0 && checked === boxes.length;
      page.indeterminate = checked > 0 && checked < boxes.length;
    }
    if (all && all.checked) {
      status.textContent = all.labels && all.labels[0] ? all.labels[0].textContent.trim() : "";
    } else {
      var template = status.dataset.template || "";
      status.textContent = checked ? template.replace("__COUNT__", String(checked)) : "";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.hasAttribute("data-select-page")) {
      var boxes = rows();
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = target.checked;
    }
    if (target.hasAttribute("data-bulk-row") || target.hasAttribute("data-select-page") || target.hasAttribute("data-bulk-all")) {
      update();
    }
  });
  document.addEventListener("htmx:afterSwap", update);
})();
