/* Progress charts (Chart.js): large fonts, thick lines, plain labels.

   Reference lines (the aim, a usual range, an average cut-off) are drawn across
   the whole chart by a small plugin, so they show even when there is only one
   session or one result (a line dataset needs two points to draw anything), and
   the legend names exactly what is drawn. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("progress-data").textContent);
  if (!window.Chart) { return; }
  Chart.defaults.font.size = 18;
  Chart.defaults.color = "#111";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  Chart.defaults.plugins.legend.labels.usePointStyle = true;
  /* Clicking the legend would hide a line: confusing, and not needed here. */
  Chart.defaults.plugins.legend.onClick = function () {};
  const BLUE = "#0b4f8a", ORANGE = "#b34700", GREEN = "#0a6b2d", PURPLE = "#6b2c91";
  const BAND = "rgba(10,107,45,0.15)";
  /* Points sit in the middle of their session, not on the chart's edge. */
  const CENTRED = { offset: true };

  function axis(titleText, extra) {
    return Object.assign({ beginAtZero: true, ticks: { precision: 0 },
                           title: { display: true, text: titleText } }, extra || {});
  }

  /* refs: [{label, y, color}] lines across the chart; band: {low, high} shaded,
     with its edges drawn. One plugin per chart, holding its own lines. */
  function referenceLines(refs, band) {
    return { id: "referenceLines", afterDatasetsDraw: function (chart) {
      const area = chart.chartArea, y = chart.scales.y, ctx = chart.ctx;
      let lines = refs;
      ctx.save();
      if (band) {
        const top = y.getPixelForValue(band.high), bottom = y.getPixelForValue(band.low);
        ctx.fillStyle = BAND;
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        lines = lines.concat([{ y: band.high, color: GREEN }, { y: band.low, color: GREEN }]);
      }
      lines.forEach(function (r) {
        const py = y.getPixelForValue(r.y);
        ctx.strokeStyle = r.color;
        ctx.lineWidth = 3;
        ctx.setLineDash([10, 6]);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
      });
      ctx.restore();
    } };
  }

  /* The legend: the datasets, then one entry per reference line or band. */
  function legendWith(refs, band) {
    return { labels: { generateLabels: function (chart) {
      const items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
      if (band) {
        items.push({ text: band.label, fillStyle: BAND, strokeStyle: GREEN, lineWidth: 2,
                     pointStyle: "rect", hidden: false });
      }
      refs.forEach(function (r) {
        items.push({ text: r.label, fillStyle: r.color, strokeStyle: r.color, lineWidth: 3,
                     lineDash: [10, 6], pointStyle: "line", hidden: false });
      });
      return items;
    } } };
  }

  /* A chart with reference lines: the y axis reaches them too. */
  function chartWith(canvas, config, refs, band) {
    const top = Math.max.apply(null, refs.map(function (r) { return r.y; }).concat(band ? [band.high] : [0]));
    config.options.scales.y.suggestedMax = Math.max(config.options.scales.y.suggestedMax || 0, Math.ceil(top * 1.15));
    config.options.plugins = { legend: legendWith(refs, band) };
    config.plugins = [referenceLines(refs, band)];
    return new Chart(canvas, config);
  }

  const weeks = document.getElementById("chart-weeks");
  if (weeks) {
    chartWith(weeks, {
      type: "bar",
      data: { labels: data.weeks.map(function (w) { return w.label; }),
              datasets: [{ label: "Sessions done", data: data.weeks.map(function (w) { return w.count; }), backgroundColor: BLUE }] },
      options: { scales: { y: axis("Sessions", { suggestedMax: 3, ticks: { stepSize: 1 } }) } },
    }, [{ label: "Aim: 2 a week", y: 2, color: GREEN }], null);
  }

  const pain = document.getElementById("chart-pain");
  if (pain) {
    const sets = [{ label: "Before", data: data.pain.map(function (p) { return p.before; }), borderColor: BLUE, backgroundColor: BLUE, borderWidth: 4, pointRadius: 7 },
                  { label: "After", data: data.pain.map(function (p) { return p.after; }), borderColor: ORANGE, backgroundColor: ORANGE, borderWidth: 4, pointRadius: 7, pointStyle: "rectRot", borderDash: [10, 5] }];
    if (data.pain.some(function (p) { return p.next_day !== null; })) {
      sets.push({ label: "Next day", data: data.pain.map(function (p) { return p.next_day; }), borderColor: PURPLE, backgroundColor: PURPLE, borderWidth: 4, pointRadius: 12, pointStyle: "triangle", borderDash: [3, 4] });
      /* Drawn under the others but larger, so a next-day score equal to one of
         them still shows round it. */
    }
    new Chart(pain, {
      type: "line",
      data: { labels: data.pain.map(function (p) { return p.label; }), datasets: sets },
      options: { scales: { x: CENTRED, y: axis("Pain (0 to 10)", { min: 0, max: 10 }) } },
    });
  }

  document.querySelectorAll("canvas.chart-ex").forEach(function (c) {
    const ex = data.exercises[c.dataset.key];
    /* The line is drawn over the bars (a lower order is drawn later). */
    const sets = [{ type: "bar", label: "Repetitions", data: ex.reps, backgroundColor: BLUE, yAxisID: "y", order: 2 }];
    const scales = { y: axis("Repetitions") };
    if (ex.rom.some(function (v) { return v !== null; })) {
      const unit = ex.rom_unit ? " (" + ex.rom_unit + ")" : "";
      sets.push({ type: "line", label: "Range of movement" + unit, data: ex.rom, borderColor: ORANGE, backgroundColor: ORANGE, borderWidth: 4, pointRadius: 7, yAxisID: "y1", order: 1 });
      scales.y1 = axis(ex.rom_unit ? ex.rom_unit.charAt(0).toUpperCase() + ex.rom_unit.slice(1) : "Range of movement",
                       { position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 1 } });
    }
    new Chart(c, { data: { labels: ex.labels, datasets: sets }, options: { scales: scales } });
  });

  document.querySelectorAll("canvas.chart-test").forEach(function (c) {
    const t = data.tests[c.dataset.key];
    const sets = [{ label: "Your result", data: t.results, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 4, pointRadius: 7 }];
    const unit = t.unit === "reps" ? "stands" : "seconds";
    let refs = [], band = null;
    if (t.low !== null && t.high !== null) {
      band = { label: "Usual range for your age: " + t.low + " to " + t.high + " " + unit, low: t.low, high: t.high };
    } else if (t.high !== null) {
      refs = [{ label: "Average cut-off: " + t.high + " " + unit, y: t.high, color: GREEN }];
    }
    chartWith(c, { type: "line", data: { labels: t.labels, datasets: sets },
                   options: { scales: { x: CENTRED, y: axis(t.unit === "reps" ? "Stands" : "Seconds") } } }, refs, band);
  });
})();
