/* Progress charts (Chart.js): large fonts, thick lines, plain labels. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("progress-data").textContent);
  if (!window.Chart) { return; }
  Chart.defaults.font.size = 18;
  Chart.defaults.color = "#111";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  Chart.defaults.plugins.legend.labels.usePointStyle = true;
  const BLUE = "#0b4f8a", ORANGE = "#b34700", GREEN = "#0a6b2d";

  function axis(titleText, extra) {
    return Object.assign({ beginAtZero: true, ticks: { precision: 0 },
                           title: { display: true, text: titleText } }, extra || {});
  }

  const weeks = document.getElementById("chart-weeks");
  if (weeks) {
    new Chart(weeks, {
      type: "bar",
      data: { labels: data.weeks.map(function (w) { return w.label; }),
              datasets: [{ label: "Sessions done", data: data.weeks.map(function (w) { return w.count; }), backgroundColor: BLUE },
                         { type: "line", label: "Aim: 2 a week", data: data.weeks.map(function () { return 2; }), borderColor: GREEN, borderDash: [8, 6], borderWidth: 3, pointRadius: 0 }] },
      options: { scales: { y: axis("Sessions", { suggestedMax: 3, ticks: { stepSize: 1 } }) } },
    });
  }

  const pain = document.getElementById("chart-pain");
  if (pain) {
    new Chart(pain, {
      type: "line",
      data: { labels: data.pain.map(function (p) { return p.label; }),
              datasets: [{ label: "Before", data: data.pain.map(function (p) { return p.before; }), borderColor: BLUE, backgroundColor: BLUE, borderWidth: 4, pointRadius: 6 },
                         { label: "After", data: data.pain.map(function (p) { return p.after; }), borderColor: ORANGE, backgroundColor: ORANGE, borderWidth: 4, pointRadius: 6, pointStyle: "rectRot", borderDash: [10, 5] }] },
      options: { scales: { y: axis("Pain (0 to 10)", { min: 0, max: 10 }) } },
    });
  }

  document.querySelectorAll("canvas.chart-ex").forEach(function (c) {
    const ex = data.exercises[c.dataset.key];
    const sets = [{ type: "bar", label: "Repetitions", data: ex.reps, backgroundColor: BLUE, yAxisID: "y" }];
    const scales = { y: axis("Repetitions") };
    if (ex.rom.some(function (v) { return v !== null; })) {
      const unit = ex.rom_unit ? " (" + ex.rom_unit + ")" : "";
      sets.push({ type: "line", label: "Range of movement" + unit, data: ex.rom, borderColor: ORANGE, backgroundColor: ORANGE, borderWidth: 4, pointRadius: 6, yAxisID: "y1" });
      scales.y1 = axis(ex.rom_unit ? "Degrees" : "Range of movement", { position: "right", grid: { drawOnChartArea: false } });
    }
    new Chart(c, { data: { labels: ex.labels, datasets: sets }, options: { scales: scales } });
  });

  document.querySelectorAll("canvas.chart-test").forEach(function (c) {
    const t = data.tests[c.dataset.key];
    const sets = [{ label: "Your result", data: t.results, borderColor: BLUE, backgroundColor: BLUE, borderWidth: 4, pointRadius: 7 }];
    if (t.low !== null && t.high !== null) {
      sets.push({ label: "Usual range: top", data: t.results.map(function () { return t.high; }), borderColor: GREEN, borderDash: [8, 6], borderWidth: 2, pointRadius: 0, fill: "+1", backgroundColor: "rgba(10,107,45,0.15)" });
      sets.push({ label: "Usual range: bottom", data: t.results.map(function () { return t.low; }), borderColor: GREEN, borderDash: [8, 6], borderWidth: 2, pointRadius: 0 });
    } else if (t.high !== null) {
      sets.push({ label: "Average cut-off", data: t.results.map(function () { return t.high; }), borderColor: GREEN, borderDash: [8, 6], borderWidth: 2, pointRadius: 0 });
    }
    new Chart(c, { type: "line", data: { labels: t.labels, datasets: sets },
                   options: { scales: { y: axis(t.unit === "reps" ? "Stands" : "Seconds") } } });
  });
})();
