/* A standardised test: countdown, then count stands (30 s) or time five stands. */
"use strict";
(function () {
  const root = document.getElementById("test");
  const kind = root.dataset.kind;
  const limit = parseInt(root.dataset.limit, 10);
  let endSoon = null;
  const startBtn = document.getElementById("start");
  const cancelBtn = document.getElementById("cancel");
  const counter = document.getElementById("counter");
  const timerEl = document.getElementById("timer");
  const result = document.getElementById("result");
  let running = false, startT = 0, interval = null, finished = false;

  if (!startBtn) { return; }
  /* Reached from a hands-free session: say how, then start by itself. */
  const auto = new URLSearchParams(window.location.search).get("auto") === "1" &&
    Boolean(root.dataset.session) && EH.autoStart();

  function finish() {
    if (!running || finished) { return; }
    finished = true; running = false;
    clearInterval(interval);
    cancelBtn.classList.add("hidden");
    EH.postJSON("/api/test/" + kind + "/end", { session_id: root.dataset.session || null })
      .then(function (r) {
        result.textContent = r.text;
        result.classList.remove("hidden");
        /* The clock shows the scored time, so screen and result agree. */
        if (kind === "five_times_sts" && typeof r.result === "number") { timerEl.textContent = "Your time: " + r.result + " s"; }
        EH.say(r.text);
        document.getElementById("back").focus();
        if (auto) {
          /* Hands-free, inside a session: back to it once the result is said. */
          const wait = setInterval(function () {
            if (EH.quiet()) { clearInterval(wait); setTimeout(function () { window.location = root.dataset.back; }, 4000); }
          }, 200);
        }
      })
      .catch(stopped);
  }

  /* The app stopped (or refused) mid-check: say so plainly and offer the check again. */
  function stopped(e) {
    running = false; finished = false;
    clearInterval(interval);
    cancelBtn.classList.add("hidden");
    timerEl.textContent = "";
    result.textContent = e.message + " There is no score this time. When the app is running again, press Try again.";
    result.classList.remove("hidden");
    EH.say(result.textContent);
    startBtn.textContent = "Try again";
    startBtn.classList.remove("hidden");
    startBtn.focus();
  }

  startBtn.addEventListener("click", function () {
    startBtn.classList.add("hidden");
    result.classList.add("hidden");
    counter.textContent = "0";
    let n = 5;
    timerEl.textContent = String(n);
    EH.say(String(n));
    const cd = setInterval(function () {
      n -= 1;
      if (n > 0) { timerEl.textContent = String(n); EH.say(String(n)); return; }
      clearInterval(cd);
      timerEl.textContent = "Go!";
      EH.say("Go");
      EH.postJSON("/api/test/" + kind + "/start", {}).then(function () {
        running = true; startT = Date.now();
        cancelBtn.classList.remove("hidden");
        interval = setInterval(function () {
          const left = Math.max(0, limit - Math.floor((Date.now() - startT) / 1000));
          timerEl.textContent = kind === "chair_stand_30s" ? "Time left: " + left + " s" : "Time: " + Math.floor((Date.now() - startT) / 1000) + " s";
          if (left <= 0) { finish(); }
        }, 200);
      }).catch(stopped);
    }, 1000);
  });

  cancelBtn.addEventListener("click", finish);

  if (auto) {
    const steps = Array.prototype.map.call(document.querySelectorAll("#how li"), function (li) { return li.textContent.trim(); });
    EH.say([document.getElementById("title").textContent].concat(steps).join(". ").replace(/\.\./g, "."));
    const wait = setInterval(function () {
      if (EH.quiet()) { clearInterval(wait); if (!running && !finished) { startBtn.click(); } }
    }, 200);
  }

  EH.liveState(function (st) {
    if (!running || st.mode !== "test") { return; }
    if (counter.textContent !== String(st.reps)) {
      counter.textContent = String(st.reps);
      if (st.reps > 0) { EH.say(String(st.reps)); }
    }
    // The fifth cycle is counted on its way back; give the last stand a moment
    // to be seen in full before the check ends.
    if (kind === "five_times_sts" && st.reps >= 5 && !endSoon) {
      endSoon = setTimeout(finish, 1500);
    }
  });
})();
