/* Show, don't describe: the instruction card's animated demonstration.
   EHDemo.figure(exercise, fallback) returns a <figure> that fetches the exercise's
   track (/api/demo/<exercise>: the engine's own synthetic body doing one rep, from
   the camera view the exercise wants, at the demonstration tempo) and draws it as a
   stick figure in an SVG, looping. With prefers-reduced-motion it shows a still
   picture at the far point of the movement and a Play button. If the track cannot
   be fetched, the fallback (the drawing) is shown instead. */
"use strict";
window.EHDemo = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const cache = {};

  function svgEl(tag, attrs) {
    const e = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function load(exercise) {
    if (!cache[exercise]) {
      cache[exercise] = fetch("/api/demo/" + encodeURIComponent(exercise)).then(function (r) {
        if (!r.ok) { throw new Error("no demonstration"); }
        return r.json();
      });
      cache[exercise].catch(function () { delete cache[exercise]; });
    }
    return cache[exercise];
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  /* Build the drawing: props (chair, step), floor, far-side bones, near-side bones, head. */
  function Drawing(svg, t) {
    const box = t.box;
    svg.setAttribute("viewBox", box.join(" "));
    t.props.forEach(function (p) {
      svg.appendChild(svgEl("rect", { "class": "demo-prop " + p.kind, x: p.x, y: p.y, width: p.width, height: p.height, rx: 4 }));
    });
    svg.appendChild(svgEl("line", { "class": "demo-floor", x1: box[0], x2: box[0] + box[2], y1: t.floor, y2: t.floor }));
    const far = t.near === "left" ? "RIGHT_" : t.near === "right" ? "LEFT_" : null;
    const order = t.bones.map(function (b, i) { return i; }).sort(function (a, b) {
      /* Far-side bones first, so the near side is drawn over them. */
      const fa = far && t.points[t.bones[a][0]].indexOf(far) === 0 ? 0 : 1;
      const fb = far && t.points[t.bones[b][0]].indexOf(far) === 0 ? 0 : 1;
      return fa - fb;
    });
    const lines = order.map(function (i) {
      const name = t.points[t.bones[i][0]];
      const cls = far && name.indexOf(far) === 0 ? "demo-bone far" : "demo-bone";
      const l = svgEl("line", { "class": cls });
      svg.appendChild(l);
      return { line: l, a: t.bones[i][0], b: t.bones[i][1] };
    });
    const nose = t.points.indexOf("NOSE");
    const head = svgEl("circle", { "class": "demo-head", r: 0.045 * box[3] });
    svg.appendChild(head);
    function show(k) {
      const f = t.frames[Math.max(0, Math.min(t.frames.length - 1, k))];
      lines.forEach(function (s) {
        s.line.setAttribute("x1", f[2 * s.a]); s.line.setAttribute("y1", f[2 * s.a + 1]);
        s.line.setAttribute("x2", f[2 * s.b]); s.line.setAttribute("y2", f[2 * s.b + 1]);
      });
      head.setAttribute("cx", f[2 * nose]); head.setAttribute("cy", f[2 * nose + 1]);
      svg.setAttribute("data-frame", String(k));
    }
    return { show: show };
  }

  function figure(exercise, fallback) {
    const fig = document.createElement("figure");
    fig.className = "demo";
    fig.setAttribute("data-exercise", exercise);
    const svg = svgEl("svg", { role: "img", "class": "demo-svg" });
    const title = svgEl("title", {});
    svg.appendChild(title);
    const cap = document.createElement("figcaption");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "secondary small demo-play";
    fig.appendChild(svg);
    fig.appendChild(cap);
    let playing = false, raf = null, drawing = null, track = null, t0 = 0, frame0 = 0;

    function tick(now) {
      raf = null;
      if (!fig.isConnected || !playing) { return; }
      const k = frame0 + Math.floor((now - t0) / 1000 * track.fps);
      drawing.show(k % track.frames.length);
      raf = window.requestAnimationFrame(tick);
    }
    function setPlaying(on) {
      playing = on;
      btn.textContent = on ? "Pause the demonstration" : "Play the demonstration";
      fig.classList.toggle("playing", on);
      if (on && raf === null) {
        frame0 = parseInt(svg.getAttribute("data-frame") || "0", 10) || 0;
        t0 = performance.now();
        raf = window.requestAnimationFrame(tick);
      }
    }
    btn.addEventListener("click", function () { setPlaying(!playing); });

    load(exercise).then(function (t) {
      track = t;
      const view = t.view === "front" ? "from the front" : "from the side";
      title.textContent = "Moving figure showing " + t.name.toLowerCase() + ", seen " + view;
      cap.textContent = "How to do it, seen " + view + ", as the camera will see you.";
      cap.appendChild(document.createTextNode(" "));
      cap.appendChild(btn);
      drawing = new Drawing(svg, t);
      if (reducedMotion()) {
        drawing.show(t.far);  /* a still picture at the far point; Play to watch */
        setPlaying(false);
      } else {
        drawing.show(0);
        setPlaying(true);
      }
    }).catch(function () {
      if (fallback) { fig.replaceWith(fallback); }
    });
    return fig;
  }

  return { figure: figure, load: load };
})();
