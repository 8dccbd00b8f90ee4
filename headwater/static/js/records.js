// Company, person and deal forms: two live fills, both of which give way to a choice the user made by hand.
//
// 1. The source pre-fill (the seed's automatic transfer). A create form marked data-prefill-source copies the
//    source of the chosen person, else of the chosen company, into the source picker, read from the picked
//    option's data-source attribute, until the user chooses a source by hand; from then on (source_touched = 1)
//    a hand-made choice is never overwritten. The sentence under the source ([data-source-note]) says which
//    contact it came from, or whose archived source was not copied.
// 2. The company from the person. A deal form marked data-person-fills-company fills in the person's company
//    (data-company on the person's option) when the company field is empty. A company filled this way follows
//    later person changes; one the user chose (or the form came with) is never overwritten.
//
// 3. Fields that belong to some statuses only (data-shown-for="won lost" on their wrapper: "Closed on", "Lost
//    reason") are shown and hidden as the status changes; the server renders them hidden for an open deal.
// 4. A disclosure: a hidden button [data-discloses] shows itself and folds the panel it controls
//    ([data-disclosed], the deal page's "Mark as lost" form), which without JavaScript is simply shown.
(function () {
  "use strict";

  function showForStatus(form, status) {
    var wrappers = form.querySelectorAll("[data-shown-for]");
    for (var i = 0; i < wrappers.length; i++) {
      var statuses = wrappers[i].dataset.shownFor.split(" ");
      wrappers[i].hidden = statuses.indexOf(status) < 0 && !wrappers[i].classList.contains("field--error");
    }
  }

  function setupDisclosure(button) {
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) return;
    function toggle(open, focus) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      panel.hidden = !open;
      if (open && focus) {
        var field = panel.querySelector("input:not([type=hidden]), textarea, select");
        if (field) field.focus();
      }
    }
    button.hidden = false;
    toggle(panel.hasAttribute("data-open"), false);
    button.addEventListener("click", function () {
      toggle(button.getAttribute("aria-expanded") !== "true", true);
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        toggle(false, false);
        button.focus();
      }
    });
  }

  var disclosures = document.querySelectorAll("[data-discloses]");
  for (var d = 0; d < disclosures.length; d++) setupDisclosure(disclosures[d]);

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
        company.dispatchEvent(new CustomEvent("combobox:sync"));
      }
      return;
    }
    if (!hasOption(company, companyId)) {
      // The picker renders a bounded list; the person's company may not be in it yet.
      var option = new Option(person.dataset.companyLabel || companyId, companyId);
      option.dataset.name = person.dataset.companyLabel || "";
      if (person.dataset.companySource) option.dataset.source = person.dataset.companySource;
      if (person.dataset.companySourceArchived) option.dataset.sourceArchived = person.dataset.companySourceArchived;
      company.add(option);
    }
    company.value = companyId;
    company.dataset.filledFromPerson = "true";
    company.dispatchEvent(new CustomEvent("combobox:sync"));
  }

  // The sentence under the source: where the pre-filled source came from, or why nothing was filled in. The
  // server renders the sentences in the page's language with %(name)s and %(source)s to fill in (data-*).
  function explainSource(form) {
    var note = form.querySelector("[data-source-note]");
    if (!note) return;
    var contacts = [["person", pickedOption(form, "person")], ["company", pickedOption(form, "company")]];
    var text = "";
    var i;
    for (i = 0; i < contacts.length && !text; i++) {
      var option = contacts[i][1];
      if (option && option.value && option.dataset.source) {
        text = fill(note.dataset[contacts[i][0] === "person" ? "fromPerson" : "fromCompany"], option, "");
      }
    }
    for (i = 0; i < contacts.length && !text; i++) {
      var skipped = contacts[i][1];
      if (skipped && skipped.value && skipped.dataset.sourceArchived) {
        var key = contacts[i][0] === "person" ? "archivedPerson" : "archivedCompany";
        text = fill(note.dataset[key], skipped, skipped.dataset.sourceArchived);
      }
    }
    note.textContent = text;
  }

  function fill(template, option, source) {
    var values = { name: option.dataset.name || option.textContent.trim(), source: source };
    return (template || "").replace(/%\((name|source)\)s/g, function (match, key) {
      return values[key];
    });
  }

  function prefillSource(form) {
    var source = picker(form, "source");
    var touched = form.querySelector('input[name="source_touched"]');
    if (!source || !touched || touched.value === "True") return;
    var value = pickedSource(form, "person") || pickedSource(form, "company");
    source.value = value && hasOption(source, value) ? value : "";
    explainSource(form);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLSelectElement)) return;
    var form = target.closest("form");
    if (!form) return;
    if (target.name === "status") {
      showForStatus(form, target.value);
      return;
    }
    if (target.name === "source" && form.hasAttribute("data-prefill-source")) {
      var touched = form.querySelector('input[name="source_touched"]');
      if (touched) touched.value = "True";
      var note = form.querySelector("[data-source-note]");
      if (note) note.textContent = ""; // chosen by hand: no longer filled in from anyone
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
