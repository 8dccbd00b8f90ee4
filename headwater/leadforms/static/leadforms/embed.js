/* Headwater lead capture: add to every page of your site.
 *   <script src="https://YOUR-HEADWATER/f/embed.js" defer></script>
 * It keeps the visit that brought the visitor (UTM values, click ids, the landing page, an outside referrer) in this
 * site's localStorage, and draws or enhances the forms marked data-headwater-form="KEY", sending them with the visit.
 * With data-consent="required" nothing is stored until the site calls Headwater.consent().
 * No third-party requests, no eval, no inline styles: it runs under a strict Content-Security-Policy. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.Headwater) { return; }
  var base = new URL(script.src).origin;
  var KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "gclid", "fbclid", "msclkid", "li_fat_id"];
  var STORE = "headwater.visit";
  var CONSENT = "headwater.consent";
  var needsConsent = script.getAttribute("data-consent") === "required";
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en")
    .slice(0, 2).toLowerCase();

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function allowed() {
    var s = storage();
    return !!s && (!needsConsent || s.getItem(CONSENT) === "1");
  }
  function read() {
    var s = storage();
    if (!s || !allowed()) { return null; }
    try { return JSON.parse(s.getItem(STORE) || "null"); } catch (e) { return null; }
  }
  function write(visit) {
    var s = storage();
    if (s && allowed()) {
      try { s.setItem(STORE, JSON.stringify(visit)); } catch (e) { /* full or blocked: the page keeps it */ }
    }
  }
  function campaign(url) {
    var found = {};
    var any = false;
    try {
      var params = new URL(url).searchParams;
      KEYS.forEach(function (key) {
        var value = params.get(key);
        if (value) { found[key] = value.slice(0, 200); any = true; }
      });
    } catch (e) { /* not a URL */ }
    return any ? found : null;
  }
  function host(url) {
    try { return new URL(url).hostname; } catch (e) { return ""; }
  }

  // This page's visit: a new one when it carries a campaign or comes from another site; otherwise the stored one.
  var referrer = document.referrer || "";
  var external = referrer && host(referrer) !== location.hostname ? referrer : "";
  var here = campaign(location.href);
  var visit = null;
  if (here || external) {
    visit = { landing_url: location.href, referrer: external, at: Date.now() };
    Object.keys(here || {}).forEach(function (key) { visit[key] = here[key]; });
    write(visit);
  } else {
    visit = read();
    if (!visit) {
      // Nothing stored (no consent yet on the landing page): the previous page of this site may be the landing.
      var previous = referrer ? campaign(referrer) : null;
      visit = { landing_url: previous ? referrer : location.href, referrer: "", at: Date.now() };
      Object.keys(previous || {}).forEach(function (key) { visit[key] = previous[key]; });
      write(visit);
    }
  }

  function facts() {
    var out = { landing_url: visit.landing_url || "", referrer: visit.referrer || "" };
    KEYS.forEach(function (key) { out[key] = visit[key] || ""; });
    return out;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function showErrors(form, errors, general) {
    form.querySelectorAll(".hw-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
    var box = form.querySelector(".hw-general");
    box.textContent = "";
    box.hidden = true;
    var first = null;
    Object.keys(errors || {}).forEach(function (name) {
      var field = name === "__all__" ? null : form.querySelector("[name='" + name.replace(/[^a-z_]/g, "") + "']");
      var message = errors[name].join(" ");
      if (!field) { general = general ? general + " " + message : message; return; }
      var id = "hw-error-" + form.getAttribute("data-hw-id") + "-" + name;
      var p = el("p", { id: id, "class": "hw-error field__error" }, message);
      (field.closest(".hw-field") || field.parentNode).appendChild(p);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", id);
      first = first || field;
    });
    if (general) {
      box.textContent = general;
      box.hidden = false;
    }
    (first || box).focus();
  }

  function send(form, info) {
    var body = facts();
    new FormData(form).forEach(function (value, key) { body[key] = value; });
    body.consent = !!(form.querySelector("[name=consent]") || {}).checked;
    body.hw_token = info.token;
    var button = form.querySelector("[type=submit]");
    var label = button ? button.textContent : "";
    if (button) { button.disabled = true; button.textContent = info.texts.sending; }
    fetch(info.submit_url + "?lang=" + lang, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (result.ok) {
        if (result.data.redirect) { window.location.assign(result.data.redirect); return; }
        var thanks = el("p", { role: "status", "class": "hw-thanks", tabindex: "-1" }, result.data.message);
        form.replaceWith(thanks);
        thanks.focus();
        return;
      }
      var error = result.data.error || {};
      showErrors(form, error.fields, error.fields && Object.keys(error.fields).length ? "" : error.message);
    }).catch(function () {
      showErrors(form, {}, info.texts.failed);
    }).then(function () {
      if (button) { button.disabled = false; button.textContent = label; }
    });
  }

  function field(spec, id) {
    var wrap = el("div", { "class": "hw-field field" });
    var label = el("label", { "for": id }, spec.label + (spec.required ? " *" : ""));
    var input = spec.type === "textarea" ? el("textarea", { rows: "4" }) : el("input", { type: spec.type });
    input.id = id;
    input.name = spec.name;
    if (spec.required) { input.required = true; }
    wrap.appendChild(label);
    wrap.appendChild(input);
    return wrap;
  }

  function draw(holder, info, n) {
    var form = el("form", { "class": "hw-form form", novalidate: "", "data-hw-id": String(n) });
    var general = el("p", { "class": "hw-general form__errors", role: "alert", tabindex: "-1" });
    general.hidden = true;
    form.appendChild(general);
    var trap = el("div", { "class": "hw-trap", "aria-hidden": "true" });
    trap.hidden = true;
    var bait = el("input", { type: "text", name: info.honeypot, tabindex: "-1", autocomplete: "off" });
    bait.setAttribute("aria-label", info.texts.honeypot);
    trap.appendChild(bait);
    form.appendChild(trap);
    info.fields.forEach(function (spec) { form.appendChild(field(spec, "hw-" + n + "-" + spec.name)); });
    if (info.how_heard) {
      var wrap = el("div", { "class": "hw-field field" });
      var id = "hw-" + n + "-how_heard";
      wrap.appendChild(el("label", { "for": id }, info.how_heard.label));
      var select = el("select", { id: id, name: "how_heard" });
      select.appendChild(el("option", { value: "" }, info.texts.choose));
      info.how_heard.answers.forEach(function (answer, index) {
        select.appendChild(el("option", { value: String(index) }, answer));
      });
      wrap.appendChild(select);
      form.appendChild(wrap);
    }
    if (info.consent_text) {
      var check = el("div", { "class": "hw-field field field--check" });
      var box = el("input", { type: "checkbox", id: "hw-" + n + "-consent", name: "consent", required: "" });
      check.appendChild(box);
      check.appendChild(el("label", { "for": box.id }, info.consent_text));
      form.appendChild(check);
    }
    form.appendChild(el("button", { type: "submit", "class": "hw-submit button button--primary" }, info.texts.send));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(form, info);
    });
    holder.textContent = "";
    holder.appendChild(form);
  }

  function start() {
    var holders = document.querySelectorAll("[data-headwater-form]");
    Array.prototype.forEach.call(holders, function (holder, n) {
      var key = encodeURIComponent(holder.getAttribute("data-headwater-form"));
      fetch(base + "/f/" + key + "/form.json?lang=" + lang, { mode: "cors", credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (info) {
          if (!info) { return; }
          if (holder.tagName === "FORM") {
            // The site's own markup: send it with the visit, show the errors beside its fields.
            holder.setAttribute("data-hw-id", String(n));
            if (!holder.querySelector(".hw-general")) {
              var general = el("p", { "class": "hw-general", role: "alert", tabindex: "-1" });
              general.hidden = true;
              holder.insertBefore(general, holder.firstChild);
            }
            holder.addEventListener("submit", function (event) {
              event.preventDefault();
              send(holder, info);
            });
          } else {
            draw(holder, info, n);
          }
        })
        .catch(function () { /* the holder keeps its link to the hosted page */ });
    });
  }

  window.Headwater = {
    consent: function () {
      var s = storage();
      if (!s) { return; }
      try { s.setItem(CONSENT, "1"); } catch (e) { return; }
      write(visit);
    },
    visit: function () { return facts(); }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
