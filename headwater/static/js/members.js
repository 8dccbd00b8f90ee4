// Members page: copy the one-time invitation link. A static file because the CSP forbids inline scripts.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".js-copy") : null;
    if (!button) return;
    var input = document.getElementById(button.dataset.copyTarget);
    if (!input) return;
    input.select();
    var done = function () {
      button.textContent = button.dataset.copiedText || button.textContent;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else if (document.execCommand("copy")) {
      // Plain-HTTP development servers have no Clipboard API; the selection copy still works there.
      done();
    }
  });
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.classList.contains("js-select-on-focus")) el.select();
  });
})();
