// Charts on the participant page. Data comes from data.json (same origin, no inline
// script, so the Content-Security-Policy needs no 'unsafe-inline').
"use strict";

(function () {
  const PALETTE = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490",
                   "#a16207", "#be185d", "#4d7c0f", "#1e40af", "#9a3412"];
  const label = (s) => s.replace(/_/g, " ");
  const some = (values) => values.some((v) => v !== null && v !== undefined);

  // An empty chart is an empty grid that says nothing: put a sentence in its place.
  function noData(id, sentence) {
    const el = document.getElementById(id);
    if (!el) return;
    const p = document.createElement("p");
    p.className = "empty chart-empty";
    p.id = id;
    p.textContent = sentence;
    el.replaceWith(p);
  }

  function line(id, labels, series, yTitle, yMax) {
    const el = document.getElementById(id);
    if (!el) return;
    new Chart(el, {
      type: "line",
      data: {
        labels,
        datasets: Object.entries(series).map(([name, values], i) => ({
          label: label(name), data: values, spanGaps: true,
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length], tension: 0.2,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, max: yMax, title: { display: true, text: yTitle } } },
      },
    });
  }

  function faults(data) {
    const el = document.getElementById("chart-faults");
    const exercises = Object.keys(data.faults);
    const keys = [...new Set(exercises.flatMap((e) => Object.keys(data.faults[e])))];
    new Chart(el, {
      type: "bar",
      data: {
        labels: exercises.map(label),
        datasets: keys.map((k, i) => ({
          label: label(k), data: exercises.map((e) => data.faults[e][k] || 0),
          backgroundColor: PALETTE[i % PALETTE.length],
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true,
                  title: { display: true, text: "reps with the fault" } } },
      },
    });
  }

  function tests(data) {
    // One test kind per chart (reps and seconds do not share an axis): the 30 s
    // chair stand if there is one. The norm band is a floating bar behind the result.
    const el = document.getElementById("chart-tests");
    const kind = data.tests.some((x) => x.kind === "chair_stand_30s")
      ? "chair_stand_30s" : (data.tests[0] || {}).kind;
    const t = data.tests.filter((x) => x.kind === kind);
    const title = document.getElementById("chart-tests-title");
    if (title && kind) {
      title.textContent = (kind === "chair_stand_30s" ? "30-second chair stand"
        : "Five times sit to stand") + " against the normal range";
    }
    new Chart(el, {
      data: {
        labels: t.map((x) => x.taken_at),
        datasets: [
          { type: "line", label: "result", data: t.map((x) => x.result),
            borderColor: "#1f5fa8", backgroundColor: "#1f5fa8", pointRadius: 6, order: 1 },
          { type: "bar", label: "normal range for age and sex",
            data: t.map((x) => (x.low === null ? null : [x.low, x.high])),
            backgroundColor: "rgba(34, 197, 94, 0.25)", borderColor: "#15803d",
            borderWidth: 1, order: 2, barPercentage: 0.5 },
        ],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, title: { display: true,
                   text: t.length ? t[0].unit : "" } } } },
    });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const box = document.getElementById("charts");
    if (!box || typeof Chart === "undefined") return;
    const response = await fetch(box.dataset.src, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    const none = "the chart appears after the first session is uploaded.";
    const pain = { before: data.pain.before, after: data.pain.after,
                   "next day": data.pain.next_day };
    if (Object.values(pain).some(some)) {
      line("chart-pain", data.labels, pain, "pain (0–10)", 10);
    } else {
      noData("chart-pain", "No data yet: no pain scores; " + none);
    }
    if (Object.values(data.reps).some(some)) line("chart-reps", data.labels, data.reps, "reps");
    else noData("chart-reps", "No data yet: no repetitions; " + none);
    if (Object.values(data.rom).some(some)) line("chart-rom", data.labels, data.rom, "degrees");
    else noData("chart-rom", "No data yet: no range of motion; " + none);
    if (Object.keys(data.faults).length) faults(data);
    else if (data.labels.length) noData("chart-faults", "No form faults seen yet.");
    else noData("chart-faults", "No data yet: " + none);
    if (data.tests.length) tests(data);
    else noData("chart-tests", "No data yet: no chair-stand or sit-to-stand test uploaded.");
    box.dataset.ready = "1";
  });
})();
