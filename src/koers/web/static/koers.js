// Koers pages: draw the Plotly figures the server rendered, and submit a
// filter as soon as it changes (the Apply button stays for keyboards).
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var fig = JSON.parse(el.getAttribute("data-figure"));
      Plotly.newPlot(el, fig.data, fig.layout, {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d"],
        toImageButtonOptions: { format: "png", filename: "koers-" + (el.dataset.name || "chart"), scale: 2 }
      });
    });
  }
  function autosubmit() {
    document.querySelectorAll("form.filters select, [data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (window.Plotly) { draw(); }
    autosubmit();
  });
})();
