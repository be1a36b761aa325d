// Live class board: polls live.json every second and redraws the cards. Built with
// DOM text nodes only (never innerHTML), so a hostile nickname or cue stays text.
"use strict";

(function () {
  const POLL_MS = 1000;
  let staleS = 15;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function ago(seconds) {
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
    return `${Math.round(seconds / 3600)} h`;
  }

  const BADGES = { paused: "Paused", resting: "Resting", finished: "Finished" };

  // Enrolled participants not in the current class: redrawn only when it changes.
  function drawWaiting(waiting) {
    const box = document.getElementById("waiting");
    if (!box) return;
    const key = JSON.stringify(waiting.map(w => [w.id, w.nickname, w.app_linked]));
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    const heading = box.querySelector("h2");
    if (!waiting.length) {
      box.replaceChildren(heading, el("p", "empty", "Everyone enrolled has joined."));
      return;
    }
    const list = el("ul");
    for (const w of waiting) {
      const item = el("li", w.app_linked ? "" : "no-app", w.nickname);
      item.dataset.participant = w.id;
      if (!w.app_linked) item.append(el("span", "hint", " (no app linked)"));
      list.append(item);
    }
    box.replaceChildren(heading, list);
  }

  function card(p) {
    // A finished session stays "finished" however long ago: not a lost connection.
    const stale = p.state !== "finished" && (p.seen_s_ago > staleS || p.state === "left");
    // Paused, resting and finished each look different from a dropped connection.
    const shown = stale ? "" : (BADGES[p.state] || "");
    const c = el("article", "live-card" + (stale ? " stale" : shown ? ` ${p.state}` : ""));
    c.dataset.participant = p.id;
    c.dataset.state = p.state;
    c.append(el("h2", "nick", p.nickname));
    if (shown) c.append(el("p", "badge", shown));
    const name = p.exercise ? p.exercise.replace(/_/g, " ") : "—";
    c.append(el("p", "exercise", name.charAt(0).toUpperCase() + name.slice(1)));
    const reps = el("p", "reps");
    reps.append(el("span", "n", p.reps), el("span", "unit", " reps"));
    c.append(reps);
    c.append(el("p", "cue", p.cue || ""));
    const seen = p.state === "left" ? "left the class"
      : stale ? `not seen for ${ago(p.seen_s_ago)}`
      : p.state.replace(/_/g, " ");
    c.append(el("p", "seen", seen));
    return c;
  }

  async function poll(board, status) {
    try {
      const r = await fetch(board.dataset.src, { credentials: "same-origin",
                                                 cache: "no-store" });
      if (r.status === 401 || r.redirected) {
        status.textContent = "Signed out: reload the page to sign in again.";
        return;
      }
      const data = await r.json();
      const cards = data.participants.map(card);
      board.replaceChildren(...(cards.length ? cards
        : [el("p", "empty", "Nobody has joined yet. Participants appear here when they start a session in their app.")]));
      const waiting = data.waiting || [];
      drawWaiting(waiting);
      status.textContent = `Updated ${new Date().toLocaleTimeString("en-GB")} · ${cards.length} joined · ${waiting.length} not here yet`;
      board.dataset.updates = String(Number(board.dataset.updates || 0) + 1);
    } catch (e) {
      status.textContent = "Connection lost, retrying…";
    }
    setTimeout(() => poll(board, status), POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const board = document.getElementById("board");
    if (!board) return;
    staleS = Number(board.dataset.staleS) || staleS;
    poll(board, document.getElementById("live-status"));
  });
})();
