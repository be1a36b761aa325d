/* A class led live (issue 12 item 4), in the session player. Loaded before
   player.js for a session joined to a class; player.js calls EHClass.start(api).

   Asks the app (GET /api/class) four times a second. Each new move of the
   instructor (seq): "station" k -> the current set ends (done if any repetition,
   else skipped) and the player goes to the first step of station k (the usual card
   and countdown); "rest" -> the set ends and "Rest. Next: ..." shows, with no
   countdown; "gathering" -> the person's own topic and warm-up, then a wait at the
   first exercise; "ended" -> the cool-down. A page loaded (late join, reload, back
   after a drop) goes at once to where the class is. Lost touch for 3 s: a plain line,
   and the session carries on alone; when touch returns, back to where the class is. */
"use strict";
window.EHClass = (function () {
  const root = document.getElementById("player");
  const classId = parseInt(root.dataset.classId, 10);
  const leader = root.dataset.leader || "Your instructor";
  const $ = function (id) { return document.getElementById(id); };
  const lineEl = $("class-line"), shownEl = $("class-shown"), lostEl = $("class-lost");
  const LIVE = ["gathering", "station", "rest"];
  const POLL_MS = 250, LOST_MS = 3000;
  const ENDED = "The class has ended. Well done.";
  const LOST = "Lost touch with the class. Carry on at your own pace; the app keeps trying.";

  let api = null;
  let msg = null;          // the latest message of this class
  let applied = null;      // the move last followed (class run, seq, phase)
  let lastFresh = Date.now();
  let lost = false;
  let over = false;        // ended (or gone): the session goes on alone

  function ours(c) { return Boolean(c) && c.class_id === classId; }
  function following() { return !lost && !over && ours(msg) && LIVE.indexOf(msg.phase) >= 0; }
  function key(c) { return c.class_id + ":" + c.seq + ":" + c.phase; }

  function text(el, value) {
    el.classList.toggle("hidden", !value);
    if (el.textContent !== value) { el.textContent = value; }
  }

  function firstOf(k) {
    return api.plan.findIndex(function (s) { return s.kind === "exercise" && s.station === k; });
  }
  function lastOf(k) {
    let found = -1;
    api.plan.forEach(function (s, i) { if (s.kind === "exercise" && s.station === k) { found = i; } });
    return found;
  }
  function afterCircuit() {
    let last = -1;
    api.plan.forEach(function (s, i) { if (s.kind === "exercise") { last = i; } });
    return last + 1;
  }
  function nameOf(k) {
    const i = firstOf(k);
    return i >= 0 ? api.plan[i].name : null;
  }

  /* The hooks player.js asks. */
  function holdAt(step) {
    if (!following() || step.kind !== "exercise") { return null; }
    if (msg.phase === "gathering") { return "Waiting for " + leader + " to start the first station."; }
    if (msg.phase === "rest") { return "Waiting for " + leader + " to start the next station."; }
    return null;
  }
  function afterSet(step, nextStep) {
    if (!following()) { return null; }
    /* More sets of this station (the instructor's plan): the person's own rest. */
    if (nextStep && nextStep.kind === "exercise" && nextStep.station === step.station) { return null; }
    /* This station is done: a reload while waiting does not do it again. */
    if (msg.phase === "station" && msg.station === step.station) { remember(DONE, key(msg)); }
    return waitLine();
  }
  const DONE = "eh-class-done";
  function waitLine() { return leader + " will move the class on."; }
  function remember(name, value) { try { sessionStorage.setItem(name, value); } catch (e) { /* private mode */ } }
  function recalled(name) { try { return sessionStorage.getItem(name); } catch (e) { return null; } }

  function restScreen(c) {
    const k = c.station;
    const next = k === null ? null : nameOf(k + 1);
    const lines = (next ? ["Next: " + next + "."] : []).concat([waitLine()]);
    /* A station not in this plan: rest where the session is (not at its first step). */
    const at = k === null || lastOf(k) < 0 ? api.index() : lastOf(k);
    api.wait(at, "Rest", lines);
  }

  /* Go where the class is; false when the session is already there (nothing done). */
  function follow(c) {
    const cur = api.plan[api.index()];
    const phase = api.phase();
    const onIt = ["intro", "countdown", "work", "rest", null].indexOf(phase) >= 0;
    if (c.phase === "gathering") {
      if (api.held() || !(cur && cur.kind === "exercise" && phase === "intro")) { return false; }
      api.goTo(api.index());  /* now it waits for the first station */
      return true;
    }
    if (c.phase === "station") {
      const k = c.station;
      if (cur && cur.kind === "exercise" && cur.station === k && onIt && !api.held()) { return false; }
      const i = firstOf(k);
      if (recalled(DONE) === key(c)) {  /* done already (the page was reloaded) */
        api.wait(Math.max(lastOf(k), 0), "Well done", [waitLine()]);
        return true;
      }
      api.stopSet().then(function () {
        if (i >= 0) { api.goTo(i); return; }
        api.wait(Math.max(lastOf(k - 1), api.index()), "Rest",
          ["This station is not in your session: rest until the next one.", waitLine()]);
      });
      return true;
    }
    if (c.phase === "rest") {
      api.stopSet().then(function () { restScreen(c); });
      return true;
    }
    if (c.phase === "ended") {
      over = true;
      const end = afterCircuit();
      if (api.index() < end) {
        api.stopSet().then(function () { api.goTo(end, ENDED); });
        return true;
      }
      EH.say(ENDED);
      release();  /* a wait (a station not in this plan) goes on alone */
      return false;
    }
    return false;
  }

  /* Alone again (lost touch, or the class is gone): a wait goes on by itself. */
  function release() {
    if (api.held()) { api.goTo(api.index()); }
    else if (api.phase() === "wait") { api.goTo(api.index() + 1); }
  }

  function showLine(got, c) {
    if (!ours(c) || (!LIVE.includes(c.phase) && c.phase !== "ended")) { text(lineEl, ""); text(shownEl, ""); return; }
    text(lineEl, c.phase === "ended" ? ENDED : got.line || "");
    const shown = c.phase === "ended" ? [] : (c.shown || []).map(function (s) { return s.nickname + " has done " + s.reps; });
    /* "Also here: Bob has done 8; Sue has done 5." (a nickname may hold a comma) */
    text(shownEl, shown.length ? "Also here: " + shown.join("; ") + "." : "");
  }

  function answer(got) {
    const now = Date.now();
    const c = got ? got.class : null;
    const fresh = Boolean(got && got.fresh);
    if (fresh && ours(c)) { msg = c; }
    if (fresh) { lastFresh = now; }
    if (got) { showLine(got, ours(c) ? c : msg); }
    if (over) { return; }
    if (fresh && !(ours(c) && (LIVE.indexOf(c.phase) >= 0 || c.phase === "ended"))) {
      /* No class on now, or another one: this session goes on alone. */
      if (msg !== null && applied !== null) { over = true; text(lostEl, ""); release(); }
      msg = null;
      return;
    }
    if (!fresh) {
      if (!lost && now - lastFresh >= LOST_MS && msg !== null) {
        lost = true;
        text(lostEl, LOST);
        EH.say(LOST);
        release();
      }
      return;
    }
    if (lost) { lost = false; text(lostEl, ""); applied = null; }  /* back: where is the class? */
    if (applied !== key(c)) {
      applied = key(c);
      follow(c);
    }
  }

  function ask() {
    return fetch("/api/class", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  function poll() {
    ask().then(answer).finally(function () { setTimeout(poll, POLL_MS); });
  }

  /* The page opens where the class is: wait for a first fresh answer (at most a
     few seconds), then either go there or show the session's own step. */
  function start(playerApi) {
    api = playerApi;
    const until = Date.now() + LOST_MS;
    function first() {
      ask().then(function (got) {
        const c = got ? got.class : null;
        if (got && got.fresh && ours(c)) {
          msg = c;
          lastFresh = Date.now();
          showLine(got, c);
          if (LIVE.indexOf(c.phase) >= 0 || c.phase === "ended") {
            applied = key(c);
            if (c.phase === "ended") { over = true; }
            const end = afterCircuit();
            if (c.phase === "ended" && api.index() < end) { api.goTo(end, ENDED); }
            else if (c.phase === "station" || c.phase === "rest") {
              if (!follow(c)) { api.show(); }
            } else { api.show(); }
            setTimeout(poll, POLL_MS);
            return;
          }
        }
        if (Date.now() < until && !(got && got.fresh)) { setTimeout(first, POLL_MS); return; }
        if (!(got && got.fresh)) { lost = true; text(lostEl, LOST); }
        api.show();
        setTimeout(poll, POLL_MS);
      });
    }
    first();
  }

  return { start: start, holdAt: holdAt, afterSet: afterSet };
})();
