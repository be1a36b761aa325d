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
    // The instructor sees everyone; this says whether the others in a class do.
    c.append(el("p", "share", p.share ? "Shown to the class" : "Not shown to the others"));
    return c;
  }

  // ---- "Lead the class" (issue 12 item 4): the same panel as _class_control.html,
  // rebuilt from live.json's `class` only when the class moves (a move, or another
  // tab's), so focus and typing are not disturbed between moves.
  const lead = { box: null, cls: null, confirming: false, number: null, leader: null,
                 movedAt: -1 };

  function hidden(name, value) {
    const input = el("input");
    input.type = "hidden";
    input.name = name;
    input.value = String(value);
    return input;
  }

  function postForm(fields, label, cls) {
    const form = el("form");
    form.method = "post";
    form.action = lead.box.dataset.action;
    form.append(hidden("csrf_token", lead.box.dataset.csrf));
    for (const [k, v] of Object.entries(fields)) form.append(hidden(k, v));
    const button = el("button", cls, label);
    button.type = "submit";
    if (fields.action) button.dataset.action = fields.action;
    form.append(button);
    return form;
  }

  function startForm(ended) {
    const nodes = [];
    if (ended) {
      const now = el("p", "class-now", "The class has ended.");
      now.id = "class-now";
      now.tabIndex = -1;
      nodes.push(now);
    }
    const intro = el("p", "", "At the class time, start the class here. Everyone who opens their app joins it and follows you from station to station, each with their own level and targets. Someone exercising alone is not affected.");
    intro.id = "lead-intro";
    nodes.push(intro);
    const form = postForm({ action: "start" }, "Start the class", "big");
    form.className = "start-class";
    const button = form.querySelector("button");
    const pNumber = el("p");
    const lNumber = el("label", "", "Session of the programme");
    lNumber.htmlFor = "class-number";
    const select = el("select");
    select.id = "class-number";
    select.name = "number";
    for (let n = 1; n <= Number(lead.box.dataset.sessions || 12); n++) {
      const option = el("option", "", `Session ${n}`);
      option.value = String(n);
      option.selected = n === Number(lead.number);
      select.append(option);
    }
    pNumber.append(lNumber, select);
    const pLeader = el("p");
    const lLeader = el("label", "", "Your name as participants see it");
    lLeader.htmlFor = "class-leader";
    const input = el("input");
    input.type = "text";
    input.id = "class-leader";
    input.name = "leader";
    input.value = lead.leader || "";
    input.maxLength = Number(lead.box.dataset.leaderMax || 80);
    input.autocomplete = "name";
    input.setAttribute("aria-describedby", "class-leader-hint");
    const hint = el("span", "hint", `They see “Class with ${lead.leader || "you"}”.`);
    hint.id = "class-leader-hint";
    pLeader.append(lLeader, input, hint);
    const pButton = el("p");
    pButton.append(button);
    form.append(pNumber, pLeader, pButton);
    nodes.push(form);
    return nodes;
  }

  function livePanel(cls) {
    const nodes = [];
    const now = el("p", "class-now", cls.text);
    now.id = "class-now";
    now.tabIndex = -1;
    nodes.push(now);
    const about = el("p", "meta", `Session ${cls.number}, led by ${cls.leader}. Each app follows with the same exercise and its own targets.`);
    about.id = "class-about";
    nodes.push(about);
    const list = el("ol", "stations");
    list.setAttribute("aria-label", "Stations");
    cls.station_names.forEach((name, i) => {
      const item = el("li", "", name);
      if (cls.phase === "station" && cls.station === i) {
        item.className = "now";
        item.setAttribute("aria-current", "step");
      } else if (cls.station !== null && i <= cls.station) {
        item.className = "done";
      }
      list.append(item);
    });
    nodes.push(list);
    const moves = el("div", "class-moves");
    if (lead.confirming) {
      const box = el("div", "confirm-end");
      box.id = "confirm-end";
      const q = el("p", "confirm-q", "End the class for everyone? Each app goes on to its own cool-down.");
      q.id = "confirm-q";
      const no = el("button", "big secondary", "No, carry on");
      no.type = "button";
      no.addEventListener("click", () => {
        lead.confirming = false;
        drawClass(lead.cls, { force: true });
        const end = lead.box.querySelector('button[data-action="end"]');
        if (end) end.focus();
      });
      moves.append(postForm({ action: "end", seq: cls.seq }, "Yes, end the class", "big danger"), no);
      box.append(q, moves);
      nodes.push(box);
      return nodes;
    }
    for (const b of cls.buttons) {
      if (b.action === "end") {
        const end = el("button", "big secondary", b.label);
        end.type = "button";
        end.dataset.action = "end";
        end.addEventListener("click", () => {
          lead.confirming = true;
          drawClass(lead.cls, { force: true });
          lead.box.querySelector('button[data-action="end"]').focus();
        });
        moves.append(end);
      } else {
        moves.append(postForm({ action: b.action, seq: cls.seq }, b.label, "big"));
      }
    }
    nodes.push(moves);
    return nodes;
  }

  function classKey(cls) {
    return cls && cls.live ? `${cls.class_id}:${cls.seq}` : "start";
  }

  function drawClass(cls, opts) {
    if (!lead.box) return;
    const options = opts || {};
    const key = classKey(cls);
    const ended = Boolean(cls && !cls.live);
    if (cls) lead.number = cls.live ? cls.number : Math.min(cls.number + 1, Number(lead.box.dataset.sessions || 12));
    lead.cls = cls;
    const body = document.getElementById("lead-body");
    if (!options.force && key === lead.box.dataset.key) {
      // Not moved: only the "has ended" line may come or go under the start form.
      if (key === "start") {
        const line = document.getElementById("class-now");
        if (line && !ended) line.remove();
      }
      return;
    }
    if (key !== lead.box.dataset.key) lead.confirming = false;
    lead.box.dataset.key = key;
    const nodes = cls && cls.live ? livePanel(cls) : startForm(ended);
    if (options.error) {
      const err = el("p", "flash error", options.error);
      err.id = "lead-error";
      err.tabIndex = -1;
      err.setAttribute("role", "alert");
      nodes.unshift(err);
    }
    const hadFocus = body.contains(document.activeElement);
    body.replaceChildren(...nodes);
    if (options.polled) {
      // Moved from another tab or computer: say so, and keep focus in the panel.
      document.getElementById("lead-status").textContent = cls ? cls.text : "No class is on.";
      if (hadFocus) options.focus = true;
    }
    if (options.focus) {
      const target = document.getElementById("class-now") || body.querySelector("button");
      if (target) target.focus();
    }
  }

  async function submitLead(form) {
    const status = document.getElementById("lead-status");
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    const leaderBox = form.querySelector('input[name="leader"]');
    if (leaderBox) lead.leader = leaderBox.value;
    let data = null;
    let r = null;
    try {
      r = await fetch(lead.box.dataset.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" }, cache: "no-store",
      });
      if ((r.headers.get("Content-Type") || "").includes("json")) data = await r.json();
    } catch (e) {
      data = null;
    }
    lead.movedAt = performance.now();  // a poll asked before this is out of date
    if (data && r && r.ok) {
      lead.confirming = false;
      drawClass(data.class, { force: true, focus: true });
      status.textContent = data.message;
      return;
    }
    const problem = data && data.error ? data.error
      : r ? "The page had expired or the server refused it: reload the page and try again."
      : "Could not reach the server. The panel shows where the class is as soon as it answers again.";
    lead.confirming = false;
    drawClass(data ? data.class : lead.cls, { force: true, error: problem });
    const err = document.getElementById("lead-error");
    if (err) err.focus();
  }

  async function poll(board, status) {
    const asked = performance.now();
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
      if (asked >= lead.movedAt) drawClass(data.class || null, { polled: true });
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
    lead.box = document.getElementById("lead");
    if (lead.box) {
      lead.number = lead.box.dataset.number;
      lead.leader = lead.box.dataset.leader;
      lead.cls = JSON.parse(lead.box.dataset.class || "null");
      lead.box.addEventListener("submit", (ev) => {
        const form = ev.target;
        if (form.method.toLowerCase() === "post") {
          ev.preventDefault();
          submitLead(form);
        } else if (form.classList.contains("end-form")) {
          ev.preventDefault();  // End asks to confirm, here without a reload
          lead.confirming = true;
          drawClass(lead.cls, { force: true });
          const yes = lead.box.querySelector('button[data-action="end"]');
          if (yes) yes.focus();
        }
      });
    }
    poll(board, document.getElementById("live-status"));
  });
})();
