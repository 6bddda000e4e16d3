// SCORE Hub dashboards: ECharts fed from the page's JSON (json_script), no inline scripts.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#ffc107"];

  function init(el) {
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  function go(url) { if (url) { window.location.assign(url); } }

  var trendEl = document.querySelector('[data-chart="trend"]');
  if (trendEl && data.trend && data.trend.series.length) {
    init(trendEl).setOption({
      color: palette,
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: data.trend.months },
      yAxis: { type: "value", minInterval: 1 },
      series: data.trend.series.map(function (s) {
        return { name: s.name, type: "line", smooth: false, symbolSize: 6, data: s.data };
      })
    });
  }

  document.querySelectorAll('[data-chart="funnel"]').forEach(function (el) {
    var funnel = data.funnels[Number(el.getAttribute("data-index"))];
    if (!funnel) { return; }
    var max = Math.max.apply(null, funnel.stages.map(function (s) { return s.value || 0; }).concat([1]));
    init(el).setOption({
      color: palette,
      title: { text: funnel.label, left: "center", textStyle: { fontSize: 13 } },
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel", top: 36, bottom: 8, left: "8%", width: "84%", min: 0, max: max, sort: "none", gap: 2,
        label: { show: true, position: "inside", formatter: "{b}\n{c}" },
        data: funnel.stages.map(function (s) { return { name: s.name, value: s.value }; })
      }]
    });
  });

  var childEl = document.querySelector('[data-chart="children"]');
  if (childEl && data.children) {
    var chart = init(childEl);
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 24, bottom: 24, containLabel: true },
      title: { text: data.children.name, left: "center", textStyle: { fontSize: 12 } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.children.labels, inverse: true },
      series: [{ type: "bar", data: data.children.values, cursor: "pointer" }]
    });
    chart.on("click", function (params) { go(data.children.urls[params.dataIndex]); });
  }

  // Whole table rows drill down too (the first cell keeps a real link for keyboards and screen readers).
  document.addEventListener("click", function (event) {
    var row = event.target.closest ? event.target.closest(".js-row-link") : null;
    if (!row || event.target.closest("a")) { return; }
    go(row.getAttribute("data-href"));
  });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
