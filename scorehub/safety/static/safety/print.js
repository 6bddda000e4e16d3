// Print buttons (no inline handlers under the content security policy).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest(".js-print") : null;
    if (el) { window.print(); }
  });
})();
