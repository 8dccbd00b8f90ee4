// Account settings > Acquisition sources: the dependent switch and drag-and-drop ordering.
// A static file (the CSP forbids inline scripts). Listeners are delegated to the document so they keep
// working after htmx swaps the catalogue. Without JavaScript the up/down buttons do the same job.
(function () {
  "use strict";

  // The second switch only means something while the first is on.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.name !== "enabled" || !el.form) return;
    var dependent = el.form.querySelector("input[name='default_from_contact']");
    if (dependent) dependent.disabled = !el.checked;
  });

  // Escape in the inline rename cancels it, like the Cancel button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !(event.target instanceof Element)) return;
    var form = event.target.closest("form.source-rename");
    var cancel = form ? form.querySelector("a[hx-get]") : null;
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  var dragged = null;
  var startOrder = "";

  function rowsOf(tbody) {
    return Array.prototype.slice.call(tbody.querySelectorAll("tr[data-source-id]"));
  }

  function orderOf(tbody) {
    return rowsOf(tbody).map(function (row) { return row.getAttribute("data-source-id"); });
  }

  document.addEventListener("dragstart", function (event) {
    var row = event.target instanceof Element ? event.target.closest("tr[draggable='true'][data-source-id]") : null;
    if (!row) return;
    dragged = row;
    startOrder = orderOf(row.parentNode).join(",");
    row.classList.add("is-dragging");
    if (event.dataTransfer) {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.getAttribute("data-source-id"));
    }
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var row = event.target instanceof Element ? event.target.closest("tr[data-source-id]") : null;
    if (!row || row === dragged || row.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "move";
    var box = row.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
  });

  document.addEventListener("drop", function (event) {
    if (dragged) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var tbody = dragged.parentNode;
    dragged.classList.remove("is-dragging");
    dragged = null;
    var ids = orderOf(tbody);
    if (ids.join(",") === startOrder) return;
    var catalogue = tbody.closest("#sources-catalogue");
    var form = catalogue ? catalogue.querySelector("form[data-source-order]") : null;
    if (!form) return;
    Array.prototype.slice.call(form.querySelectorAll("input[name='ordered_ids']")).forEach(function (input) {
      input.remove();
    });
    ids.forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "ordered_ids";
      input.value = id;
      form.appendChild(input);
    });
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
