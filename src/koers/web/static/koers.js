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
  document.addEventListener("DOMContentLoaded", function () {
    foldFilters();
    if (window.Plotly) { draw(); }
    autosubmit();
  });
})();
