// Koers pages: draw the Plotly figures the server rendered, and submit a
// filter as soon as it changes (the Apply button stays for keyboards).
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll(".plot[data-figure]").forEach(function (el) {
      var fig = JSON.parse(el.getAttribute("data-figure"));
      Plotly.newPlot(el, fig.data, fig.layout, {
        responsive: true,
        displaylogo: false,
        // nothing that sends a chart off this machine
        showLink: false, showSendToCloud: false, showEditInChartStudio: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud"],
        toImageButtonOptions: { format: "png", filename: "koers-" + (el.dataset.name || "chart"), scale: 2 }
      });
    });
  }
  function autosubmit() {
    document.querySelectorAll("form.filters select, [data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }
  // On a phone the filters fold away behind their summary line.
  function foldFilters() {
    var box = document.querySelector("details.filterbox");
    if (box && window.matchMedia("(max-width: 640px)").matches) { box.open = false; }
  }
  // Paper is not a screen: each chart is drawn at the width of the text of
  // an A4 page across (koers.css) while it prints, then back at its box's.
  var PRINT_WIDTH = 1000;
  function printable() {
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
    if (!window.Plotly) { return; }
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll(".plot.js-plotly-plot").forEach(function (el) {
        Plotly.relayout(el, { width: PRINT_WIDTH });
      });
    });
    window.addEventListener("afterprint", function () {
      document.querySelectorAll(".plot.js-plotly-plot").forEach(function (el) {
        Plotly.relayout(el, { width: null, autosize: true }).then(function () { Plotly.Plots.resize(el); });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    foldFilters();
    if (window.Plotly) { draw(); }
    autosubmit();
    printable();
  });
})();
