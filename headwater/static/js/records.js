// Company, person and deal forms: the live pre-fill of the acquisition source (the seed's automatic transfer).
// A create form marked data-prefill-source copies the source of the chosen person, else of the chosen company,
// into the source picker, read from the picked option's data-source attribute, until the user chooses a source
// by hand; from then on (source_touched = 1) a hand-made choice is never overwritten.
(function () {
  "use strict";

  function pickedSource(form, name) {
    var select = form.querySelector('select[name="' + name + '"]');
    if (!select || select.selectedIndex < 0) return "";
    var option = select.options[select.selectedIndex];
    return (option && option.dataset.source) || "";
  }

  function hasOption(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) return true;
    }
    return false;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) return;
    var form = target.closest("form[data-prefill-source]");
    if (!form) return;
    var source = form.querySelector('select[name="source"]');
    var touched = form.querySelector('input[name="source_touched"]');
    if (!source || !touched) return;
    if (target === source) {
      touched.value = "True";
      return;
    }
    if (target.name !== "company" && target.name !== "person") return;
    if (touched.value === "True") return;
    var value = pickedSource(form, "person") || pickedSource(form, "company");
    source.value = value && hasOption(source, value) ? value : "";
  });
})();
