// SCORE training charts (ECharts), fed by json_script data: no inline scripts (strict CSP).
(function () {
  "use strict";
  function programmeChart() {
    var holder = document.getElementById("programme-chart");
    var source = document.getElementById("programme-chart-data");
    if (!holder || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    if (!data.months.length) { holder.classList.add("d-none"); return; }
    var targetLine = data.months.map(function (month) {
      for (var i = 0; i < data.targets.length; i++) {
        if (data.targets[i].month === month) { return data.targets[i].value; }
      }
      return null;
    });
    var chart = window.echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.enrolled, data.labels.target] },
      grid: { left: 48, right: 16, top: 36, bottom: 32 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: data.labels.enrolled, type: "line", step: "end", areaStyle: { opacity: 0.15 }, data: data.enrolled },
        { name: data.labels.target, type: "scatter", symbol: "diamond", symbolSize: 14, data: targetLine }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", programmeChart);
})();
