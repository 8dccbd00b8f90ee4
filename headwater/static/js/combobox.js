// The company and person pickers as one typeahead field: the WAI-ARIA 1.2 combobox pattern with list
// autocomplete (an input role=combobox, aria-expanded, aria-controls, aria-activedescendant; a listbox of options).
//
// The server renders, inside [data-combobox], the field's <select> (a bounded set of options, each carrying the
// data attributes records.js reads) and a search-then-select fallback for browsers without JavaScript. This script
// removes the fallback, hides the select and puts a text input in its place, under the select's id, so the
// field's <label> names the input. The select stays the field's value: picking an option copies it (with its data
// attributes) into the select and fires "change" on it, so records.js (source pre-fill, company from person) and
// app.js (filter bars submit on change) work as they do with a plain select. Code that sets the select itself
// fires "combobox:sync" on it to update the text.
//
// Keys: typing searches (the lookup URL, scoped to the account); Down/Up open the list and move through it
// (Alt+Down opens it); Enter picks the highlighted option, or submits the form when the list is closed; Escape
// closes the list, then restores the text of the current choice; Tab leaves without picking. Emptying the text
// and leaving the field clears the choice. With [data-create-url], the last option is "Create company “X”":
// picking it creates the record through the same service as the full form and picks it.
(function () {
  "use strict";

  var counter = 0;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return key in values ? values[key] : match;
    });
  }

  function csrfToken(form) {
    var input = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function Combobox(root) {
    var select = root.querySelector("select");
    if (!select) return;
    counter += 1;
    this.root = root;
    this.select = select;
    this.form = select.form;
    this.lookupUrl = root.dataset.lookupUrl;
    this.searchParam = root.dataset.searchParam;
    this.createUrl = root.dataset.createUrl || "";
    this.createLabel = root.dataset.createLabel || "";
    this.timer = null;
    this.request = null;
    this.activeIndex = -1;

    var fallback = root.querySelector(".combobox__fallback");
    if (fallback) fallback.remove();

    var id = select.id || "combobox-" + counter;
    select.id = id + "_value";
    select.hidden = true;
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");

    var input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.className = "combobox__input";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    ["aria-describedby", "aria-invalid", "required", "autofocus"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });

    var listbox = document.createElement("ul");
    listbox.id = id + "_listbox";
    listbox.className = "combobox__listbox";
    listbox.setAttribute("role", "listbox");
    listbox.hidden = true;
    var label = document.querySelector('label[for="' + id + '"]');
    if (label) {
      if (!label.id) label.id = id + "_label";
      listbox.setAttribute("aria-labelledby", label.id);
    }
    input.setAttribute("aria-controls", listbox.id);

    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    var error = document.createElement("p");
    error.className = "field__error combobox__error";
    error.hidden = true;
    // Django names the server's errors of the field id_x_error (in aria-describedby); when the page shows them,
    // the typeahead's own message takes another id, so no id is doubled.
    error.id = document.getElementById(id + "_error") ? id + "_lookup_error" : id + "_error";

    root.insertBefore(input, select);
    root.insertBefore(listbox, select);
    root.appendChild(status);
    root.appendChild(error);
    this.input = input;
    this.listbox = listbox;
    this.status = status;
    this.error = error;
    this.syncText();

    var self = this;
    input.addEventListener("input", function () {
      self.showError("");
      self.scheduleSearch();
    });
    input.addEventListener("keydown", function (event) {
      self.onKey(event);
    });
    input.addEventListener("blur", function () {
      // A click on an option keeps the focus (mousedown is prevented), so a blur is the user leaving the field.
      self.close();
      self.commitText();
    });
    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    listbox.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) self.choose(option);
    });
    select.addEventListener("combobox:sync", function () {
      self.syncText();
    });
  }

  Combobox.prototype.options = function () {
    return this.listbox.querySelectorAll('[role="option"]');
  };

  Combobox.prototype.isOpen = function () {
    return this.input.getAttribute("aria-expanded") === "true";
  };

  Combobox.prototype.selectedOption = function () {
    var select = this.select;
    return select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
  };

  Combobox.prototype.syncText = function () {
    var option = this.selectedOption();
    this.input.value = option && option.value ? option.textContent.trim() : "";
  };

  Combobox.prototype.showError = function (message) {
    this.error.textContent = message;
    this.error.hidden = !message;
    var described = (this.input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
      return x && x !== this.error.id;
    }, this);
    if (message) described.push(this.error.id);
    if (described.length) this.input.setAttribute("aria-describedby", described.join(" "));
    else this.input.removeAttribute("aria-describedby");
    this.input.setAttribute("aria-invalid", message ? "true" : "false");
  };

  Combobox.prototype.scheduleSearch = function () {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () {
      self.search(true);
    }, 200);
  };

  Combobox.prototype.search = function (highlightFirst) {
    var self = this;
    var query = this.input.value.trim();
    var params = new URLSearchParams();
    params.set(this.searchParam, query);
    if (this.select.value) params.set(this.select.name, this.select.value);
    if (this.request) this.request.abort();
    var request = new AbortController();
    this.request = request;
    fetch(this.lookupUrl + "?" + params.toString(), {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
      signal: request.signal,
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        if (self.request !== request) return;
        self.render(html, query, highlightFirst);
      })
      .catch(function (reason) {
        if (reason && reason.name === "AbortError") return;
      });
  };

  Combobox.prototype.render = function (html, query, highlightFirst) {
    var template = document.createElement("template");
    template.innerHTML = html; // the server's escaped <li role="option"> items
    var listbox = this.listbox;
    listbox.textContent = "";
    var items = template.content.querySelectorAll('li[role="option"]');
    var exact = false;
    var folded = query.toLocaleLowerCase();
    for (var i = 0; i < items.length; i++) {
      var name = (items[i].dataset.name || items[i].textContent).trim().toLocaleLowerCase();
      if (name === folded) exact = true;
      listbox.appendChild(items[i]);
    }
    if (this.createUrl && query && !exact) {
      var create = document.createElement("li");
      create.setAttribute("role", "option");
      create.dataset.create = query;
      create.className = "combobox__create";
      create.textContent = format(this.createLabel, { name: query });
      listbox.appendChild(create);
    }
    var options = this.options();
    for (var j = 0; j < options.length; j++) {
      options[j].id = listbox.id + "_" + j;
      options[j].setAttribute("aria-selected", "false");
    }
    var count = listbox.querySelectorAll('[role="option"]:not([data-create])').length;
    this.status.textContent = count
      ? format(this.root.dataset.results, { count: String(count) })
      : this.root.dataset.noResults;
    this.open();
    this.highlight(highlightFirst && options.length ? 0 : -1);
  };

  Combobox.prototype.open = function () {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    clearTimeout(this.timer);
    if (this.request) this.request.abort();
    this.request = null;
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.highlight(-1);
  };

  Combobox.prototype.highlight = function (index) {
    var options = this.options();
    if (this.activeIndex >= 0 && options[this.activeIndex]) {
      options[this.activeIndex].setAttribute("aria-selected", "false");
      options[this.activeIndex].classList.remove("is-active");
    }
    this.activeIndex = index;
    if (index >= 0 && options[index]) {
      options[index].setAttribute("aria-selected", "true");
      options[index].classList.add("is-active");
      options[index].scrollIntoView({ block: "nearest" });
      this.input.setAttribute("aria-activedescendant", options[index].id);
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combobox.prototype.move = function (step) {
    var count = this.options().length;
    if (!count) return;
    var next = this.activeIndex + step;
    if (next >= count) next = 0;
    if (next < 0) next = count - 1;
    this.highlight(next);
  };

  Combobox.prototype.onKey = function (event) {
    var open = this.isOpen();
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!open) {
          this.search(!event.altKey);
        } else if (!event.altKey) {
          this.move(1);
        }
        break;
      case "ArrowUp":
        event.preventDefault();
        if (open) this.move(-1);
        break;
      case "Enter":
        if (open) {
          event.preventDefault();
          var active = this.options()[this.activeIndex];
          if (active) this.choose(active);
          else this.close();
        } else if (this.input.value.trim() && this.input.value !== this.currentText()) {
          // Typed but not picked yet (Enter came before the search): show the matches, never submit the form
          // with a choice the text no longer shows.
          event.preventDefault();
          this.search(true);
        } else {
          this.commitText(); // an emptied field clears the choice, then the form submits as usual
        }
        break;
      case "Escape":
        if (open) {
          event.preventDefault();
          this.close();
        } else if (this.input.value !== this.currentText()) {
          event.preventDefault();
          this.syncText();
          this.showError("");
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  Combobox.prototype.currentText = function () {
    var option = this.selectedOption();
    return option && option.value ? option.textContent.trim() : "";
  };

  Combobox.prototype.commitText = function () {
    // Typed text that picked nothing never changes the choice: an empty field clears it, anything else goes back
    // to the current choice's text.
    if (!this.input.value.trim()) {
      if (this.select.value) this.setValue(null);
    } else if (this.input.value !== this.currentText()) {
      this.syncText();
      this.showError("");
    }
  };

  Combobox.prototype.setValue = function (item) {
    var select = this.select;
    if (item === null) {
      select.value = "";
    } else {
      var value = item.dataset.value;
      var option = null;
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === value) option = select.options[i];
      }
      if (!option) {
        option = new Option("", value);
        select.add(option);
      }
      option.textContent = item.textContent.trim();
      Object.keys(option.dataset).forEach(function (key) {
        delete option.dataset[key];
      });
      Object.keys(item.dataset).forEach(function (key) {
        if (key !== "value") option.dataset[key] = item.dataset[key];
      });
      select.value = value;
    }
    this.syncText();
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };

  Combobox.prototype.choose = function (item) {
    this.close();
    if (item.dataset.create !== undefined) {
      this.create(item.dataset.create);
      return;
    }
    this.showError("");
    this.setValue(item);
  };

  Combobox.prototype.create = function (name) {
    var self = this;
    var body = new URLSearchParams();
    body.set("name", name);
    // A person created from a deal joins the company picked there (and takes its source, as the full form does).
    var company = this.form && this.select.name === "person" && this.form.querySelector('select[name="company"]');
    if (company && company.value) body.set("company", company.value);
    this.input.setAttribute("aria-busy", "true");
    fetch(this.createUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(this.form), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    })
      .then(function (response) {
        return response.text().then(function (text) {
          return { ok: response.ok, text: text };
        });
      })
      .then(function (answer) {
        self.input.removeAttribute("aria-busy");
        var template = document.createElement("template");
        template.innerHTML = answer.text; // the server's escaped option, or its error paragraph
        if (!answer.ok) {
          self.showError(template.content.textContent.trim());
          self.input.value = name;
          return;
        }
        var item = template.content.querySelector('li[role="option"]');
        if (!item) return;
        self.showError("");
        self.setValue(item);
        self.status.textContent = format(self.root.dataset.created, { name: item.textContent.trim() });
      })
      .catch(function () {
        self.input.removeAttribute("aria-busy");
      });
  };

  var roots = document.querySelectorAll("[data-combobox]");
  for (var i = 0; i < roots.length; i++) new Combobox(roots[i]);
})();
