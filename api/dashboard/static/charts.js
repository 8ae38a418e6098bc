// Draws each chart of the page with uPlot from the JSON next to it (the table beside the
// chart holds the same figures for screen readers). No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  var COLOURS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce"];

  function bars(u, seriesIdx, idx0, idx1) {
    // uPlot's bar path builder, one bar per x.
    return uPlot.paths.bars({ size: [0.6, 80] })(u, seriesIdx, idx0, idx1);
  }

  function options(spec, width) {
    var isBars = spec.kind === "bars";
    var series = [{ label: isBars ? "" : "week" }];
    spec.series.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: COLOURS[i % COLOURS.length],
        fill: isBars ? COLOURS[i % COLOURS.length] + "cc" : undefined,
        width: 2,
        paths: isBars ? bars : undefined,
        points: { show: !isBars },
        spanGaps: true,
      });
    });
    var x = isBars
      ? { values: function (u, ticks) { return ticks.map(function (t) { return spec.labels[t] || ""; }); },
          splits: function () { return spec.labels.map(function (_, i) { return i; }); } }
      : {};
    return {
      width: width,
      height: 240,
      series: series,
      legend: { show: !isBars },
      scales: { x: isBars ? { time: false, range: [-0.5, spec.labels.length - 0.5] } : { time: true },
                y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      axes: [x, {}],
    };
  }

  function draw(el) {
    var spec = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    var width = Math.max(280, el.clientWidth || 480);
    el.textContent = "";
    new uPlot(options(spec, width), spec.data, el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(draw);
  });
})();
