// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Offer only the chosen mechanism's documents in the list's document filter.
  function narrowDocuments() {
    var mechanism = document.getElementById("f-mechanism");
    var docs = document.getElementById("f-document");
    if (!mechanism || !docs) {
      return;
    }
    function apply() {
      var chosen = mechanism.value;
      var groups = docs.querySelectorAll("optgroup[data-mechanism]");
      groups.forEach(function (group) {
        var show = !chosen || group.getAttribute("data-mechanism") === chosen;
        group.hidden = !show;
        group.disabled = !show;
      });
      var selected = docs.options[docs.selectedIndex];
      if (selected && selected.parentElement.disabled) {
        docs.value = "";
      }
    }
    mechanism.addEventListener("change", apply);
    apply();
  }

  // "Tick all" on the office's recommendation list ticks every box of the bulk form.
  function tickAll() {
    var all = document.getElementById("tick-all");
    if (!all) {
      return;
    }
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"][form="bulk-form"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", narrowDocuments);
  document.addEventListener("DOMContentLoaded", tickAll);
})();
