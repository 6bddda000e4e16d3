// SCORE Hub: a "Copy" button next to a text shown once (a password reset link).  No inline script: the
// content security policy forbids it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".js-copy") : null;
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) {
      return;
    }
    field.select();
    var done = function () {
      button.textContent = button.getAttribute("data-copied-label");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
