/* The session player: plays the plan step by step (education, warm-up, exercises with
   live counting, rest, cool-down, relaxation). The page never blocks the camera:
   counting happens in the app; this script only shows it and says it. */
"use strict";
(function () {
  const root = document.getElementById("player");
  const plan = JSON.parse(document.getElementById("plan").textContent);
  const sid = root.dataset.session;
  const hasCamera = root.dataset.camera === "1";
  const $ = function (id) { return document.getElementById(id); };
  const title = $("title"), card = $("card"), where = $("where");
  const primary = $("primary"), pauseBtn = $("pause"), skipBtn = $("skip");
  const counter = $("counter"), countBox = $("count-box"), timerEl = $("timer");
  const cueEl = $("cue"), video = $("video"), warnEl = $("warning");
  /* After this long without a counted rep, offer "I've finished". */
  /* The set this step left unfinished (reload, Back, a closed window, a restart). */
  let resume = JSON.parse(($("resume") || { textContent: "null" }).textContent);
  const finishOfferMs = (parseFloat(root.dataset.finishOffer) || 20) * 1000;
  /* A warning that lasts is said again after this long. */
  const WARN_REPEAT_MS = 15000;

  let index = Math.min(parseInt(root.dataset.step, 10) || 0, plan.length);
  let phase = null;          // intro, countdown, work, rest, timed, idle
  let setId = null;          // the set being counted
  let target = null;         // target reps of the current set
  let ticker = null;
  let paused = false;
  let lastCueSeq = -1;
  let onPrimary = null;
  let watch = null;          // checks that something is being counted
  let waiter = null;         // waits for the voice to finish before going on
  let lastProgressT = 0;     // when the count (or hold) last moved
  let warnText = "";         // the warning on screen
  let warnSaidAt = {};       // warning text -> when it was last said
  let doneBefore = 0;        // reps of this set already logged (resumed after a restart)
  let held = false;          // a class led live holds this exercise until it starts
  /* A class led live (issue 12 item 4): class.js, loaded before this script for a
     class session, follows the class through the hooks below; alone, it is absent. */
  const cls = window.EHClass || null;


  /* A countdown that can pause: calls tick(secondsLeft) and done() at zero. */
  function Ticker(seconds, tick, done) {
    let left = seconds * 1000, last = Date.now();
    const id = setInterval(function () {
      const now = Date.now();
      if (!paused) { left -= now - last; }
      last = now;
      tick(Math.max(0, Math.ceil(left / 1000)));
      if (left <= 0) { clearInterval(id); done(); }
    }, 200);
    tick(seconds);
    return { stop: function () { clearInterval(id); } };
  }

  function stopTicker() { if (ticker) { ticker.stop(); ticker = null; } }
  function stopWatch() { if (watch) { clearInterval(watch); watch = null; } }
  function stopWaiter() { if (waiter) { clearInterval(waiter); waiter = null; } }

  /* Hands-free: once everything has been said (and not while paused), call fn. */
  function whenQuiet(fn) {
    stopWaiter();
    waiter = setInterval(function () {
      if (!paused && EH.quiet()) { stopWaiter(); fn(); }
    }, 200);
  }

  /* When auto-start is on: after the announcement, a spoken countdown, then fn.
     The primary button still lets the person go at once. */
  function autoGo(seconds, fn) {
    if (!EH.autoStart()) { return; }
    whenQuiet(function () {
      showTimer(true);
      let lastSaid = null;
      ticker = new Ticker(seconds, function (s) {
        setTimer("Starting in", String(s));
        if (s > 0 && s !== lastSaid) { lastSaid = s; EH.say(String(s), "count"); }
      }, function () { stopTicker(); showTimer(false); fn(); });
    });
  }

  /* Show the engine's framing, view or movement warning and say it when it appears
     (again if it lasts); an empty text clears it. */
  function showWarning(text) {
    text = text || "";
    if (text === warnText) {
      if (text && Date.now() - (warnSaidAt[text] || 0) > WARN_REPEAT_MS) {
        warnSaidAt[text] = Date.now();
        EH.say(text, "warning");
      }
      return;
    }
    warnText = text;
    warnEl.textContent = text;
    warnEl.classList.toggle("hidden", !text);
    if (text && Date.now() - (warnSaidAt[text] || 0) > WARN_REPEAT_MS) {
      warnSaidAt[text] = Date.now();
      EH.say(text, "warning");
    }
  }

  function offerFinished() {
    if (phase === "work" && primary.classList.contains("hidden")) {
      setPrimary("I've finished", function () { endSet("done"); });
    }
  }

  /* The main button; focus goes to it (or to Pause when there is none), not to the
     heading, so Enter or a switch presses what the person most likely wants. */
  function setPrimary(label, fn) {
    primary.textContent = label;
    primary.classList.toggle("hidden", !label);
    onPrimary = fn;
    if (!document.querySelector("dialog[open]")) { (label ? primary : pauseBtn).focus(); }
  }
  primary.addEventListener("click", function () { if (onPrimary) { onPrimary(); } });

  function showTimer(on) { timerEl.classList.toggle("hidden", !on); }
  function showCount(on) { countBox.classList.toggle("hidden", !on); }
  const layout = root.querySelector(".live");
  const dialog = $("stop-dialog");
  /* Two columns (picture | counter and buttons) only while the camera picture shows. */
  function showVideo(on) {
    if (video) { video.classList.toggle("hidden", !on); }
    layout.classList.toggle("solo", !(on && video));
    /* With the picture on (countdown and set), the page fills the window. */
    document.documentElement.classList.toggle("in-set", Boolean(on && video));
  }
  function fmt(s) { return s >= 60 ? Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") : String(s); }

  function heading(text) { title.textContent = text; }
  /* Timers say what they count: "Starting in", "Time left", "Rest". */
  function setTimer(label, value) {
    timerEl.replaceChildren(EH.el("small", { "class": "timer-label" }, label), EH.el("span", {}, value));
  }
  function paragraphs(lines) { lines.forEach(function (t) { card.appendChild(EH.el("p", { "class": "lead" }, t)); }); }

  function reset() {
    stopTicker();
    stopWatch();
    stopWaiter();
    showWarning("");
    held = false;
    card.replaceChildren();
    cueEl.textContent = "";
    cueEl.classList.remove("good");
    showTimer(false); showCount(false);
  }

  function next() {
    index += 1;
    show();
  }

  function show() {
    reset();
    EH.postJSON("/api/session/" + sid + "/step", { step: index }).catch(function () {});
    if (index >= plan.length) { window.location = root.dataset.after; return; }
    const step = plan[index];
    where.textContent = "Session step " + (index + 1) + " of " + plan.length;
    showVideo(false);
    const again = resume && step.kind === "exercise" ? resume : null;
    resume = null;
    if (again && again.live) { carryOnSet(step, again); return; }
    doneBefore = again && step.target_reps && again.reps < step.target_reps ? again.reps : 0;
    ({ education: education, move: timed, relax: timed, test: test, exercise: intro })[step.kind](step);
  }

  /* Say exactly what the screen shows: the heading and the given lines. */
  function announce(lines) { EH.say([title.textContent].concat(lines).join(". ").replace(/\.\./g, ".")); }

  function education(step) {
    heading("Today's topic: " + step.title);
    paragraphs(step.text);
    if (step.lesson) {  /* the full lesson, read aloud, with its questions (issue 14) */
      card.appendChild(EH.el("p", {}, "")).appendChild(EH.el("a", { "class": "btn secondary", id: "lesson-link",
        href: "/lessons/" + step.lesson + "?session=" + encodeURIComponent(sid) }, "Read or listen to the full lesson"));
    }
    /* Session 6 asks for a goal; the last session looks back at it (session-goals.js). */
    announce(step.text.concat(window.EHGoals ? EHGoals.education(card) : []));
    setPrimary("Next", next);
    autoGo(5, next);
  }

  function timed(step) {
    const label = step.part === "warm_up" ? "Warm-up: " : step.part === "cool_down" ? "Cool-down: " : "";
    const text = Array.isArray(step.text) ? step.text : [step.text];
    heading(label + (step.name || step.title));
    paragraphs(text);
    announce(text);
    function begin() {
      stopTicker(); stopWaiter();
      setPrimary(null, null);
      showTimer(true);
      ticker = new Ticker(step.seconds, function (s) { setTimer("Time left", fmt(s)); }, next);
    }
    setPrimary("Start", begin);
    autoGo(3, begin);
  }

  function test(step) {
    const names = { chair_stand_30s: "30-second chair stand", five_times_sts: "Five times sit to stand" };
    const text = ["At the first and last session we check your leg strength, so you can see your progress."];
    heading("Strength check: " + names[step.test]);
    paragraphs(text);
    announce(text);
    function go() {
      stopTicker(); stopWaiter();
      index += 1;
      EH.postJSON("/api/session/" + sid + "/step", { step: index }).finally(function () {
        window.location = root.dataset.testUrl.replace("KIND", step.test) + (EH.autoStart() ? "&auto=1" : "");
      });
    }
    setPrimary("Do the check", go);
    autoGo(5, go);
  }

  function intro(step) {
    phase = "intro";
    heading(step.name + (step.rounds > 1 ? " (round " + step.round + " of " + step.rounds + ")" : ""));
    const picture = EH.el("img", { "class": "picture", src: "/static/" + step.picture, alt: "Drawing of a person doing " + step.name.toLowerCase() });
    /* Show, don't describe: the moving demonstration (demo.js), the drawing if it cannot load. */
    card.appendChild(window.EHDemo ? EHDemo.figure(step.exercise, picture) : picture);
    const how = EH.el("ol");
    step.how.forEach(function (t) { how.appendChild(EH.el("li", {}, t)); });
    card.appendChild(how);
    card.appendChild(EH.el("p", {}, "Your level: " + step.level_name + ". " + step.level_text));
    const goal = step.target_reps ? "Aim for " + step.target_reps + " repetitions." : "Keep going for " + fmt(step.target_s) + " seconds.";
    card.appendChild(EH.el("p", { "class": "lead" }, goal));
    const said = [goal];
    planLines(step).forEach(function (t) { card.appendChild(EH.el("p", { "class": "plan-note" }, t)); said.push(t); });
    if (doneBefore) {
      const already = "You have done " + doneBefore + " already. Now the other " + (step.target_reps - doneBefore) + ".";
      card.appendChild(EH.el("p", { "class": "lead" }, already));
      said.push(already);
    }
    if (hasCamera) {
      const turn = step.view === "side" ? "Turn so your side faces the camera." : "Face the camera.";
      card.appendChild(EH.el("p", {}, turn));
      said.push(turn);
    }
    /* In a class led live, the instructor starts each station ("Waiting for Alice..."). */
    const hold = cls ? cls.holdAt(step) : null;
    if (hold) {
      held = true;
      card.prepend(EH.el("p", { "class": "status ok", id: "class-hold" }, hold));  /* first in view */
      said.push(hold);
      announce(said);
      setPrimary(null, null);
      return;
    }
    const how2 = EH.autoStart() ? "It starts by itself after a countdown. To wait, press Pause or the Space bar."
      : "Press Start when you are ready.";
    card.appendChild(EH.el("p", { "class": "lead" }, how2));
    if (!EH.autoStart()) { said.push(how2); }
    announce(said);
    setPrimary("Start", function () { stopWaiter(); countdown(step); });
    if (EH.autoStart()) { whenQuiet(function () { countdown(step); }); }
  }

  /* What the instructor's plan adds to the card (issue 12): the set of several,
     what it replaces, their note, and a level stepped back because of pain. */
  function planLines(step) {
    const lines = [];
    if (step.sets > 1) { lines.push("Set " + step.set + " of " + step.sets + "."); }
    if (step.note) { lines.push("A note from your instructor: " + step.note); }
    if (step.stepped_back_from) {
      lines.push("Your instructor's plan says level " + step.stepped_back_from + "; you stepped back to level " + step.level + " because of your pain.");
    }
    return lines;
  }

  function countdown(step) {
    phase = "countdown";
    setPrimary(null, null);
    card.replaceChildren(EH.el("p", { "class": "lead" }, step.target_reps
      ? "Aim for " + (step.target_reps - doneBefore) + " repetitions." : "Keep going for " + fmt(step.target_s) + " seconds."));
    showVideo(hasCamera);
    showTimer(true);
    let lastSaid = null;
    ticker = new Ticker(5, function (s) {
      setTimer("Starting in", s > 0 ? String(s) : "Go!");
      if (s !== lastSaid) { lastSaid = s; EH.say(s > 0 ? String(s) : "Go", "count"); }
    }, function () { work(step); });
  }

  /* The page was reloaded (or left and opened again) while the camera went on
     counting this set: straight back into it, with the reps so far. */
  function carryOnSet(step, again) {
    heading(step.name + (step.rounds > 1 ? " (round " + step.round + " of " + step.rounds + ")" : ""));
    doneBefore = 0;
    showVideo(hasCamera);
    work(step, again);
    counter.textContent = String(again.reps);
    cueEl.textContent = "Welcome back. Carry on: " + again.reps + " done so far.";
    EH.say(cueEl.textContent);
    pauseBtn.focus();
  }

  function work(step, again) {
    phase = "work";
    target = step.target_reps ? step.target_reps - doneBefore : null;
    counter.textContent = String(doneBefore);
    $("count-of").textContent = step.exercise === "balance" ? "seconds holding"
      : step.target_reps ? "of " + step.target_reps + " repetitions" : "repetitions";
    lastCueSeq = -1;
    trapBack();
    const body = { step: index };
    if (again) { body.resume = again.set_id; } else if (doneBefore) { body.done_before = doneBefore; }
    EH.postJSON("/api/session/" + sid + "/set/start", body).then(function (r) {
      setId = r.set_id;
      showCount(r.tracking);
      lastProgressT = Date.now();
      stopWatch();
      /* Nothing counted for a while (out of view, or a movement the app cannot
         count): let the person say they have finished. */
      watch = setInterval(function () {
        if (paused) { lastProgressT = Date.now(); return; }
        if (Date.now() - lastProgressT > finishOfferMs) { offerFinished(); }
      }, 500);
      if (!r.tracking) {
        cueEl.textContent = "I can't count this exercise. Do it at your own pace.";
        setPrimary("I've finished", function () { endSet("done"); });
      }
      if (step.target_s) {
        showTimer(true);
        ticker = new Ticker(step.target_s, function (s) { setTimer("Time left", fmt(s)); },
          function () { endSet("done"); });
      } else {
        showTimer(false);
      }
    }).catch(function (e) { cueEl.textContent = e.message; });
  }

  /* Back during a set asks first (the set is kept either way). */
  let trapped = false;
  function trapBack() {
    if (!trapped) { history.pushState({ ehSet: true }, ""); trapped = true; }
  }
  const leave = $("leave-dialog");
  window.addEventListener("popstate", function () {
    if (!trapped) { return; }
    trapped = false;
    if (phase === "work" || phase === "countdown") {
      trapBack();
      if (!leave.open) { $("leave-reps").textContent = leaveText(); leave.showModal(); }
    } else {
      history.back();
    }
  });
  function leaveText() {
    const n = parseInt(counter.textContent, 10) || 0;
    return n ? "Your " + n + (n === 1 ? " repetition is" : " repetitions are") + " saved." : "What you have done so far is saved.";
  }
  $("leave-no").addEventListener("click", function () { leave.close(); });
  $("leave-yes").addEventListener("click", function () {
    endSet("stopped").then(function () { window.location = root.dataset.home; });
  });

  /* `quiet`: the set ends without the rest that follows a set done (the class moved on). */
  function endSet(outcome, quiet) {
    if (phase !== "work") { return Promise.resolve(); }
    phase = "idle";
    stopTicker();
    stopWatch();
    showWarning("");
    const id = setId;
    setId = null;
    if (id === null) { return Promise.resolve(); }
    return EH.postJSON("/api/session/" + sid + "/set/" + id + "/end", { outcome: outcome })
      .catch(function () {})
      .then(function () { if (outcome === "done" && !quiet) { rest(); } });
  }

  function rest() {
    const step = plan[index];
    reset();
    phase = "rest";
    /* This exercise is done: a reload or a closed window during the rest comes
       back to what is next, not to this exercise again. */
    EH.postJSON("/api/session/" + sid + "/step", { step: index + 1 }).catch(function () {});
    showVideo(false);
    /* In a class led live, the instructor moves everyone on: no countdown. */
    const waitLine = cls ? cls.afterSet(step, plan[index + 1]) : null;
    if (waitLine) {
      heading("Well done");
      paragraphs([waitLine]);
      announce([waitLine]);
      setPrimary(null, null);
      phase = "wait";
      return;
    }
    if (!step.next) {
      /* The last exercise: praise, said in full, then the cool-down. */
      heading("Well done");
      setPrimary(null, null);
      announce([]);
      whenQuiet(next);
      return;
    }
    heading("Well done. Have a rest");
    const nextLine = "Next: " + step.next;
    card.appendChild(EH.el("p", { "class": "lead" }, nextLine));
    announce([nextLine]);
    showTimer(true);
    ticker = new Ticker(step.rest_s, function (s) { setTimer("Rest", fmt(s)); }, next);
    setPrimary("I'm ready", next);
  }

  /* One Pause for everything: timers, countdowns, auto-start, counting, voice. */
  const pausedEl = $("paused");
  function togglePause() {
    paused = !paused;
    pauseBtn.textContent = paused ? "Carry on" : "Pause";
    pauseBtn.setAttribute("aria-pressed", paused ? "true" : "false");
    pausedEl.classList.toggle("hidden", !paused);
    root.classList.toggle("is-paused", paused);
    /* While paused, Enter carries on (it must not press Start behind the notice). */
    if (!document.querySelector("dialog[open]")) {
      (paused || primary.classList.contains("hidden") ? pauseBtn : primary).focus();
    }
    if (paused) {
      EH.stopVoice();
      EH.say(pausedEl.textContent);
      showWarning("");
    }
    if (phase === "work") { EH.postJSON("/api/live/pause", { paused: paused }).catch(function () {}); }
  }
  pauseBtn.addEventListener("click", togglePause);
  /* The Space bar pauses and carries on from anywhere on the page (typing in a
     box and the Stop question excepted); Enter still presses the focused button. */
  function spaceIsPause(e) {
    const t = e.target;
    return (e.code === "Space" || e.key === " ") && !document.querySelector("dialog[open]") &&
      !(t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)));
  }
  document.addEventListener("keydown", function (e) {
    if (!spaceIsPause(e)) { return; }
    e.preventDefault();
    if (!e.repeat) { togglePause(); }
  });
  document.addEventListener("keyup", function (e) { if (spaceIsPause(e)) { e.preventDefault(); } });

  skipBtn.addEventListener("click", function () {
    if (phase === "work") { endSet("skipped").then(next); } else { next(); }
  });

  $("stop").addEventListener("click", function () { dialog.showModal(); });
  $("stop-no").addEventListener("click", function () { dialog.close(); });
  $("stop-yes").addEventListener("click", function () {
    endSet("stopped").then(function () { window.location = root.dataset.after + "?stopped=1"; });
  });

  if (hasCamera) {
    EH.liveState(function (st) {
      if (phase !== "work" || setId === null || st.set_id !== setId) { return; }
      /* Without a working camera nothing is counted: let the person say when done. */
      const cameraOk = st.camera && st.camera.status === "ok";
      if (!cameraOk) { offerFinished(); }
      /* While paused the engine sees nothing; its last warning is stale. */
      showWarning(paused || !cameraOk ? "" : st.warning);
      if (plan[index].exercise === "balance") {
        /* Balance is held, not repeated: show how long this hold has lasted. */
        const held = String(Math.floor(st.hold_s || 0));
        if (counter.textContent !== held) { counter.textContent = held; lastProgressT = Date.now(); }
      } else if (counter.textContent !== String(doneBefore + st.reps)) {
        /* After a restart the reps done before count too. */
        const shown = doneBefore + st.reps;
        counter.textContent = String(shown);
        lastProgressT = Date.now();
        /* Marching counts every step: say every fifth, not each one. */
        const every = plan[index].exercise === "marching" ? 5 : 1;
        if (st.reps > 0 && shown % every === 0) { EH.say(String(shown), "count"); }
      }
      /* A tip, or praise once a fault is put right or now and then for a good
         rep (it replaces the tip): the same words said and shown. */
      if (st.cue && st.cue_seq !== lastCueSeq) {
        lastCueSeq = st.cue_seq;
        cueEl.textContent = st.cue.text;
        cueEl.classList.toggle("good", Boolean(st.cue.good));
        EH.say(st.cue.text, "cue");
      }
      if (target && st.reps >= target) { endSet("done"); }
    });
  }

  /* What class.js may do: read where the session stands, end the set, go to a step,
     or wait (no countdown) until the instructor moves the class on. */
  const api = {
    plan: plan,
    index: function () { return index; },
    phase: function () { return phase; },
    held: function () { return held; },
    show: show,
    stopSet: function () {
      const reps = (parseInt(counter.textContent, 10) || 0) - doneBefore;
      return endSet(reps > 0 ? "done" : "skipped", true);
    },
    goTo: function (i, said) {
      EH.stopVoice();
      if (said) { EH.say(said); }
      index = Math.max(0, Math.min(i, plan.length));
      phase = null;
      show();
    },
    wait: function (i, head, lines) {
      reset();
      index = Math.max(0, Math.min(i, plan.length - 1));
      EH.stopVoice();
      EH.postJSON("/api/session/" + sid + "/step", { step: index + 1 }).catch(function () {});
      showVideo(false);
      phase = "wait";
      heading(head);
      paragraphs(lines);
      announce(lines);
      setPrimary(null, null);
    },
  };
  if (cls) { cls.start(api); } else { show(); }
})();
