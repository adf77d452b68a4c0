// Updraft dashboard: draws the charts (uPlot) from the JSON blocks the server renders beside them.
// Everything else works without this script; htmx (loaded beside it) refreshes live parts.
(function () {
  'use strict';

  function readData(fig) {
    var block = fig.querySelector('script[type="application/json"]');
    return block ? JSON.parse(block.textContent) : null;
  }

  function width(fig) {
    return Math.max(280, Math.min(fig.clientWidth || 600, 1100));
  }

  var charts = {
    fleet: function (fig, d) {
      var xs = d.labels.map(function (_, i) { return i; });
      var bars = uPlot.paths.bars;
      var label = function (v) { return Number.isInteger(v) && d.labels[v] ? d.labels[v] : ''; };
      return new uPlot({
        width: width(fig), height: 300,
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, xs.length - 0.5)] } },
        axes: [
          { splits: function () { return xs; }, values: function (_u, vals) { return vals.map(label); }, rotate: -45, size: 90, gap: 4, grid: { show: false } },
          { label: 'devices' },
        ],
        series: [
          { label: 'version', value: function (_u, v) { return v == null ? '' : label(v); } },
          { label: 'on latest', fill: 'rgba(30,130,76,0.85)', stroke: 'rgb(30,130,76)', paths: bars({ size: [0.4, 48], align: -1 }), points: { show: false } },
          { label: 'behind or unknown', fill: 'rgba(205,120,20,0.85)', stroke: 'rgb(205,120,20)', paths: bars({ size: [0.4, 48], align: 1 }), points: { show: false } },
        ],
      }, [xs, d.onLatest, d.behind], fig);
    },
    progress: function (fig, d) {
      return new uPlot({
        width: width(fig), height: 260,
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
        scales: { y: { range: [0, 100] } },
        axes: [{}, { label: '% done', values: function (_u, v) { return v.map(function (x) { return x + ' %'; }); } }],
        series: [
          {},
          { label: 'done', stroke: 'rgb(30,100,200)', fill: 'rgba(30,100,200,0.15)', width: 2, paths: uPlot.paths.stepped({ align: 1 }), value: function (_u, v) { return v == null ? '' : v + ' %'; } },
        ],
      }, [d.t, d.percent], fig);
    },
  };

  function draw(root) {
    if (typeof uPlot === 'undefined') return;
    var figs = (root || document).querySelectorAll('[data-chart]');
    figs.forEach(function (fig) {
      var make = charts[fig.getAttribute('data-chart')];
      var d = readData(fig);
      if (!make || !d) return;
      if (fig._plot) fig._plot.destroy();
      fig._plot = make(fig, d);
      fig.classList.add('drawn');
    });
  }

  document.addEventListener('DOMContentLoaded', function () { draw(document); });
  document.addEventListener('htmx:afterSettle', function (e) { draw(e.target); });
  var resizing;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      document.querySelectorAll('[data-chart]').forEach(function (fig) {
        if (fig._plot) fig._plot.setSize({ width: width(fig), height: fig._plot.height });
      });
    }, 150);
  });
})();
