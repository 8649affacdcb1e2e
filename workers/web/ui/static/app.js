// pgwarden's own script: optional. Pages are complete without it; it replaces the server-drawn
// charts with uPlot ones and adds a "select all" to the errors list. The live feed is htmx's SSE.
(function () {
  "use strict";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // <figure class="chart"><svg>...</svg><script type="application/json">{"x": [unix s], "y": [...], "label": "..."}</script>
  function enhanceChart(figure) {
    var data;
    try {
      data = JSON.parse(figure.querySelector("script[type='application/json']").textContent);
    } catch (e) {
      return;
    }
    if (!window.uPlot || !data.x || data.x.length === 0) return;
    var holder = document.createElement("div");
    figure.insertBefore(holder, figure.firstChild);
    var fg = css("--fg"), line = css("--line"), accent = css("--accent");
    var chart = new uPlot({
      width: Math.max(figure.clientWidth, 200), height: 180,
      legend: { show: true },
      axes: [{ stroke: fg, grid: { stroke: line } }, { stroke: fg, grid: { stroke: line } }],
      series: [{}, { label: data.label || "value", stroke: accent, fill: accent + "33", width: 2,
                     paths: data.bars ? uPlot.paths.bars({ size: [0.8] }) : undefined }],
    }, [data.x, data.y], holder);
    figure.classList.add("enhanced");
    window.addEventListener("resize", function () { chart.setSize({ width: Math.max(figure.clientWidth, 200), height: 180 }); });
  }

  function selectAll() {
    var all = document.querySelector("input[data-select-all]");
    if (!all) return;
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name='ids']").forEach(function (box) { box.checked = all.checked; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("figure.chart").forEach(enhanceChart);
    selectAll();
  });
})();
