// Small behaviours for every page; loaded as a static file so the CSP can forbid inline scripts.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLElement && el.classList.contains("js-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  // Confirmation for destructive buttons: <button data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset.confirm) || (event.target && event.target.dataset && event.target.dataset.confirm);
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
  // A thin progress bar during htmx requests.
  var bar = null;
  document.addEventListener("htmx:beforeRequest", function () {
    bar = bar || document.getElementById("progress");
    if (bar) bar.classList.add("is-active");
  });
  document.addEventListener("htmx:afterRequest", function () {
    if (bar) bar.classList.remove("is-active");
  });
})();
