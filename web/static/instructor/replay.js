// Movement replays: stick figures from landmark tracks, at real speed (issue 12).
// The data comes from the page's JSON endpoint; nothing here measures anything: the
// fault's value and threshold are the app's own, shown in the caption.
"use strict";
(function () {
  const root = document.getElementById("replays");
  if (!root) return;
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const FAULT = "#b3261e", BODY = "#1f3b57", GOOD = "#1b6e3a";

  function point(r, f, name, box) {
    const k = r.joints.indexOf(name);
    if (k < 0) return null;
    const x = f[1 + 2 * k], y = f[2 + 2 * k];
    if (x < 0 || y < 0) return null;
    return [box.ox + (x * r.aspect - box.x0) * box.s, box.oy + (y - box.y0) * box.s];
  }

  function fit(r, size) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const f of r.frames) {
      for (let i = 1; i < f.length; i += 2) {
        if (f[i] < 0 || f[i + 1] < 0) continue;
        const x = f[i] * r.aspect, y = f[i + 1];
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
    if (!isFinite(x0)) return null;
    const pad = 0.1 * size, s = (size - 2 * pad) / Math.max(x1 - x0, y1 - y0, 1);
    return { x0, y0, s, ox: pad + (size - 2 * pad - (x1 - x0) * s) / 2, oy: pad + (size - 2 * pad - (y1 - y0) * s) / 2 };
  }

  function line(ctx, a, b, colour, width, dash) {
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.setLineDash(dash || []);
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
    ctx.setLineDash([]);
  }

  function drawFault(ctx, r, f, box) {
    const fault = r.fault;
    if (!fault || !fault.joints.length) return;
    const pts = fault.joints.map((j) => point(r, f, j, box));
    if (pts.some((p) => !p)) return;
    for (let i = 0; i + 1 < pts.length; i++) line(ctx, pts[i], pts[i + 1], FAULT, 7);
    const len = 40;
    if (fault.reference === "vertical" || fault.reference === "horizontal") {
      const [a, b] = pts;
      const ref = fault.reference === "vertical" ? [a[0], a[1] - len * 1.6] : [a[0] + len * 1.6 * Math.sign(b[0] - a[0] || 1), a[1]];
      line(ctx, a, ref, FAULT, 2, [6, 5]);
      arc(ctx, a, ref, b, len);
    } else if (fault.reference === "joint" && pts.length === 3) {
      arc(ctx, pts[1], pts[0], pts[2], 28);
    }
  }

  function arc(ctx, at, p1, p2, radius) {
    const a1 = Math.atan2(p1[1] - at[1], p1[0] - at[0]);
    const a2 = Math.atan2(p2[1] - at[1], p2[0] - at[0]);
    let d = a2 - a1;
    while (d > Math.PI) d -= 2 * Math.PI;
    while (d < -Math.PI) d += 2 * Math.PI;
    ctx.strokeStyle = FAULT; ctx.lineWidth = 3;
    ctx.beginPath(); ctx.arc(at[0], at[1], radius, a1, a1 + d, d < 0); ctx.stroke();
  }

  function draw(canvas, r, edges, box, i) {
    const ctx = canvas.getContext("2d");
    const f = r.frames[i];
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const colour = r.fault ? BODY : GOOD;
    for (const [a, b] of edges) {
      const p = point(r, f, a, box), q = point(r, f, b, box);
      if (p && q) line(ctx, p, q, colour, 4);
    }
    for (const name of r.joints) {
      const p = point(r, f, name, box);
      if (!p) continue;
      ctx.fillStyle = colour; ctx.beginPath(); ctx.arc(p[0], p[1], 4, 0, 2 * Math.PI); ctx.fill();
    }
    drawFault(ctx, r, f, box);
    canvas.dataset.frame = String(i);
  }

  function player(canvas, r, edges) {
    const box = fit(r, canvas.width);
    const button = canvas.parentElement.querySelector("button.play");
    if (!box) { canvas.dataset.frame = "none"; return; }
    const last = r.frames.length - 1, span = r.frames[last][0] + 800; // a pause at the end
    let playing = !still, start = performance.now(), shown = -1, held = 0;
    function frameAt(ms) {
      let i = 0;
      while (i < last && r.frames[i + 1][0] <= ms) i++;
      return i;
    }
    function tick(now) {
      if (playing) {
        const i = frameAt((now - start) % span);
        if (i !== shown) { draw(canvas, r, edges, box, i); shown = i; }
      }
      requestAnimationFrame(tick);
    }
    // Still (reduced motion or paused): the middle of the rep, where faults show.
    draw(canvas, r, edges, box, Math.floor(last / 2));
    if (button) {
      button.textContent = playing ? "Pause" : "Play";
      button.addEventListener("click", () => {
        playing = !playing;
        if (playing) start = performance.now() - held; else held = (performance.now() - start) % span;
        button.textContent = playing ? "Pause" : "Play";
      });
    }
    requestAnimationFrame(tick);
  }

  fetch(root.dataset.src, { credentials: "same-origin" })
    .then((res) => { if (!res.ok) throw new Error(res.status); return res.json(); })
    .then((data) => {
      const index = {};
      for (const s of data.sessions) for (const e of s.exercises) for (const kind of ["flagged", "good"]) {
        if (e[kind]) index[s.uuid + "/" + e.exercise + "/" + kind] = e[kind];
      }
      for (const canvas of root.querySelectorAll("canvas[data-session]")) {
        const r = index[canvas.dataset.session + "/" + canvas.dataset.exercise + "/" + canvas.dataset.kind];
        if (r) player(canvas, r, data.edges);
      }
      root.dataset.ready = "1";
    })
    .catch(() => {
      const p = document.createElement("p");
      p.className = "error"; p.setAttribute("role", "alert");
      p.textContent = "The replays could not be loaded. Reload the page to try again.";
      root.prepend(p);
    });
})();
