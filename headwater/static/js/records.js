// Company, person and deal forms: two live fills, both of which give way to a choice the user made by hand.
//
// 1. The source pre-fill (the seed's automatic transfer). A create form marked data-prefill-source copies the
//    source of the chosen person, else of the chosen company, into the source picker, read from the picked
//    option's data-source attribute, until the user chooses a source by hand; from then on (source_touched = 1)
//    a hand-made choice is never overwritten.
// 2. The company from the person. A deal form marked data-person-fills-company fills in the person's company
//    (data-company on the person's option) when the company field is empty. A company filled this way follows
//    later person changes; one the user chose (or the form came with) is never overwritten.
(function () {
  "use strict";

  function picker(form, name) {
    return form.querySelector('select[name="' + name + '"]');
  }

  function pickedOption(form, name) {
    var select = picker(form, name);
    if (!select || select.selectedIndex < 0) return null;
    return select.options[select.selectedIndex] || null;
  }

  function pickedSource(form, name) {
    var option = pickedOption(form, name);
    return (option && option.dataset.source) || "";
  }

  function hasOption(select, value) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) return true;
    }
    return false;
  }

  function fillCompanyFromPerson(form) {
    var company = picker(form, "company");
    var person = pickedOption(form, "person");
    if (!company) return;
    var filled = company.dataset.filledFromPerson === "true";
    if (company.value && !filled) return;
    var companyId = (person && person.dataset.company) || "";
    if (!companyId) {
      if (filled) {
        company.value = "";
        delete company.dataset.filledFromPerson;
      }
      return;
    }
    if (!hasOption(company, companyId)) {
      // The picker renders a bounded list; the person's company may not be in it yet.
      var option = new Option(person.dataset.companyLabel || companyId, companyId);
      if (person.dataset.companySource) option.dataset.source = person.dataset.companySource;
      company.add(option);
    }
    company.value = companyId;
    company.dataset.filledFromPerson = "true";
  }

  function prefillSource(form) {
    var source = picker(form, "source");
    var touched = form.querySelector('input[name="source_touched"]');
    if (!source || !touched || touched.value === "True") return;
    var value = pickedSource(form, "person") || pickedSource(form, "company");
    source.value = value && hasOption(source, value) ? value : "";
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) return;
    var form = target.closest("form");
    if (!form) return;
    if (target.name === "source" && form.hasAttribute("data-prefill-source")) {
      var touched = form.querySelector('input[name="source_touched"]');
      if (touched) touched.value = "True";
      return;
    }
    if (target.name !== "company" && target.name !== "person") return;
    if (form.hasAttribute("data-person-fills-company")) {
      if (target.name === "company") {
        delete target.dataset.filledFromPerson;
      } else {
        fillCompanyFromPerson(form);
      }
    }
    if (form.hasAttribute("data-prefill-source")) prefillSource(form);
  });
})();
