// SCORE Hub: behaviour without inline scripts (the content security policy forbids them).
(function () {
  "use strict";
  // Language switcher and other selects marked js-autosubmit submit their form on change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.classList && el.classList.contains("js-autosubmit")) {
      el.form.submit();
    }
  });
  // Buttons with data-confirm ask before submitting.
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
