// Statistics page: the period picker and the charts. A static file, because the CSP forbids inline scripts.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "en";

  // --- Period picker: a preset fills in (and locks) its dates; typing dates switches to "Custom range". ----
  function setupPeriod() {
    var select = document.querySelector(".js-stats-period");
    if (!select || !select.form) return;
    var start = select.form.elements.namedItem("start");
    var end = select.form.elements.namedItem("end");
    if (!start || !end) return;

    function sync() {
      var option = select.options[select.selectedIndex];
      var custom = select.value === "custom";
      start.disabled = !custom;
      end.disabled = !custom;
      if (!custom) {
        // Disabled inputs are not submitted, so a bookmarked preset stays a rolling period.
        start.value = (option && option.dataset.start) || "";
        end.value = (option && option.dataset.end) || "";
      }
    }
    select.addEventListener("change", sync);
    [start, end].forEach(function (input) {
      input.addEventListener("change", function () {
        if (select.value !== "custom") select.value = "custom";
      });
    });
    sync();
  }

  // --- Printing ------------------------------------------------------------------------------------------
  function setupPrint() {
    document.querySelectorAll(".js-print").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  // --- Wide tables: say when a table scrolls sideways, and shade the edge that has more columns behind it. -----
  // Also the tables a drill-down loads when opened (below): each frame is set up once, when it appears.
  var frames = [];

  function updateFrame(frame) {
    var box = frame.querySelector(".stats-scroll");
    if (!box) return;
    var scrollable = box.scrollWidth > box.clientWidth + 1;
    frame.classList.toggle("is-scrollable", scrollable);
    frame.classList.toggle("is-at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
    var hint = document.getElementById(box.getAttribute("aria-describedby") || "");
    if (hint) hint.hidden = !scrollable;
  }

  function setupScrollingTables() {
    document.querySelectorAll(".js-stats-scroll").forEach(function (frame) {
      if (frame.dataset.scrollReady) return;
      frame.dataset.scrollReady = "true";
      frames.push(frame);
      var box = frame.querySelector(".stats-scroll");
      if (box) box.addEventListener("scroll", function () { updateFrame(frame); }, { passive: true });
      updateFrame(frame);
    });
  }

  // --- Parts that load when opened (stats/part_views.py): a source's campaigns, a trend chart's figures. -------
  // Each is a <details> whose htmx request, on its first opening, replaces the placeholder in it (.js-stats-part).
  function setupParts() {
    document.body.addEventListener("htmx:afterSettle", setupScrollingTables);
    function failed(event) {
      var details = event.target;
      var part = details && details.querySelector && details.querySelector(".js-stats-part");
      if (!part || part.querySelector(".stats-part__failed")) return;
      // The placeholder stays, with its link to the part on a page of its own; say why the table is not there.
      var message = document.createElement("p");
      message.className = "message message--error stats-part__failed";
      message.setAttribute("role", "alert");
      message.textContent = part.dataset.failed || "";
      part.insertBefore(message, part.firstChild);
    }
    document.body.addEventListener("htmx:responseError", failed);
    document.body.addEventListener("htmx:sendError", failed);
    // A block opened before htmx was ready (the scripts are deferred) missed its toggle: load it now.
    if (window.htmx) {
      document.querySelectorAll("details[open] > .js-stats-part").forEach(function (part) {
        window.htmx.trigger(part.parentElement, "toggle");
      });
    }
    // "2 campaigns" in the "Spend and return" table points into a closed drill-down: open it (which loads it), in
    // browsers that do not open a <details> for a link into it.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".stats-campaigns__link");
      if (!link) return;
      var target = document.getElementById((link.getAttribute("href") || "").slice(1));
      var details = target && target.closest("details");
      if (details && !details.open) details.open = true;
    });
  }

  // --- Charts --------------------------------------------------------------------------------------------
  var PALETTE = ["#0b6bcb", "#1a7f37", "#9a6700", "#c62828", "#6f42c1", "#0a7a87", "#b35900", "#5d6878"];

  function numbers(values) {
    // The figures arrive as exact decimal strings; a chart only needs them approximately.
    return values.map(function (v) { return Number(v); });
  }

  function formatter(digits) {
    var format = new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    return function (value) { return format.format(value); };
  }

  function sizeFor(canvas, rows, perRow) {
    // Horizontal bars need height per source; CSSOM style changes are allowed by the CSP (attributes are not).
    var box = canvas.parentElement;
    if (box) box.style.height = Math.max(180, 70 + rows * perRow) + "px";
  }

  function barChart(id, labels, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return null;
    sizeFor(canvas, labels.length, datasets.length > 1 ? 34 : 26);
    var fmt = formatter(options.digits);
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) { return ctx.dataset.label + ": " + fmt(ctx.parsed.x) + (options.suffix || ""); },
            },
          },
        },
        scales: {
          x: {
            beginAtZero: true,
            max: options.max,
            ticks: { callback: function (value) { return fmt(value) + (options.suffix || ""); } },
          },
        },
      },
    });
    canvas.dataset.ready = "true";
    return chart;
  }

  function setupCharts() {
    var script = document.getElementById("stats-chart-data");
    if (!script) return;
    var data = JSON.parse(script.textContent);
    var contacts = data.contacts;
    barChart(
      "chart-contacts",
      contacts.labels,
      [
        { label: contacts.companies_label, data: numbers(contacts.companies), backgroundColor: PALETTE[0] },
        { label: contacts.persons_label, data: numbers(contacts.persons), backgroundColor: PALETTE[1] },
      ],
      { digits: 1, suffix: "%", max: 100 }
    );
    barChart(
      "chart-won-value",
      data.won_value.labels,
      [{ label: data.won_value.label, data: numbers(data.won_value.values), backgroundColor: PALETTE[1] }],
      { digits: 0, suffix: " " + data.currency }
    );
    barChart(
      "chart-win-rate",
      data.win_rate.labels,
      [{ label: data.win_rate.label, data: numbers(data.win_rate.values), backgroundColor: PALETTE[0] }],
      { digits: 1, suffix: "%", max: 100 }
    );
  }

  // Spend and return (stats/returns_page.py): spend against won value, and the ROI, per source.
  function setupReturnCharts() {
    var script = document.getElementById("stats-chart-data");
    if (!script) return;
    var data = JSON.parse(script.textContent).returns;
    if (!data) return;
    barChart(
      "chart-spend-won",
      data.labels,
      [
        { label: data.spend_label, data: numbers(data.spend), backgroundColor: PALETTE[0] },
        { label: data.won_label, data: numbers(data.won), backgroundColor: PALETTE[1] },
      ],
      { digits: 0, suffix: "" }
    );
    barChart(
      "chart-roi",
      data.roi_labels,
      [{ label: data.roi_label, data: numbers(data.roi), backgroundColor: PALETTE[0] }],
      { digits: 1, suffix: "%" }
    );
  }

  // The funnel (stats/funnel_page.py): new contacts, with a deal, with a won deal, per source.
  function setupFunnelChart() {
    var script = document.getElementById("stats-chart-data");
    if (!script) return;
    var data = JSON.parse(script.textContent).funnel;
    if (!data) return;
    barChart(
      "chart-funnel",
      data.labels,
      [
        { label: data.contacts_label, data: numbers(data.contacts), backgroundColor: PALETTE[0] },
        { label: data.with_deal_label, data: numbers(data.with_deal), backgroundColor: PALETTE[2] },
        { label: data.won_label, data: numbers(data.won), backgroundColor: PALETTE[1] },
      ],
      { digits: 0, suffix: "" }
    );
  }

  // The trend (stats/trend_page.py): new contacts and won value per month, stacked by source or channel.
  function stackedChart(id, months, datasets, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return null;
    var fmt = formatter(options.digits);
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: { labels: months, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: true, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) { return ctx.dataset.label + ": " + fmt(ctx.parsed.y); },
            },
          },
        },
        scales: {
          x: { stacked: true },
          y: {
            stacked: true,
            beginAtZero: true,
            ticks: { precision: options.digits, callback: function (value) { return fmt(value); } },
          },
        },
      },
    });
    canvas.dataset.ready = "true";
    return chart;
  }

  function setupTrendCharts() {
    var script = document.getElementById("stats-chart-data");
    if (!script) return;
    var data = JSON.parse(script.textContent).trend;
    if (!data || !data.months.length) return;
    function sets(figure) {
      return data.series.map(function (s, i) {
        return { label: s.label, data: numbers(s[figure]), backgroundColor: PALETTE[i % PALETTE.length] };
      });
    }
    stackedChart("chart-trend-contacts", data.months, sets("contacts"), { digits: 0 });
    stackedChart("chart-trend-won", data.months, sets("won"), { digits: 0 });
  }

  function init() {
    setupPeriod();
    setupPrint();
    setupScrollingTables();
    window.addEventListener("resize", function () { frames.forEach(updateFrame); });
    setupParts();
    setupCharts();
    setupReturnCharts();
    setupFunnelChart();
    setupTrendCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
