// Risk point form: show the LEC fields or the matrix fields, as the chosen method needs.
(function () {
  "use strict";
  var method = document.getElementById("id_method");
  if (!method) { return; }
  var groups = { lec: ["id_lec_l", "id_lec_e", "id_lec_c"], matrix: ["id_likelihood", "id_severity"] };
  function show() {
    Object.keys(groups).forEach(function (name) {
      groups[name].forEach(function (id) {
        var field = document.getElementById(id);
        if (field && field.closest(".mb-3")) { field.closest(".mb-3").classList.toggle("d-none", method.value !== name); }
      });
    });
  }
  method.addEventListener("change", show);
  show();
})();
