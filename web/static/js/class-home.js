/* Home's class card (issue 12 item 4): asks the app every 2 s whether the
   instructor's class is on, and shows "Your class is on now. Class with Alice: 7
   others here." with "Join the class" (or "Go back to the class" once joined).
   No class on, or the app has lost touch with it: no card. */
"use strict";
(function () {
  const card = document.getElementById("class-live");
  if (!card) { return; }
  const line = document.getElementById("class-live-line");
  const link = document.getElementById("class-join");
  const LIVE = ["gathering", "station", "rest"];
  function update(got) {
    const c = got && got.class;
    const on = Boolean(c && got.fresh && LIVE.indexOf(c.phase) >= 0);
    card.classList.toggle("hidden", !on);
    if (!on) { return; }
    if (line.textContent !== got.line) { line.textContent = got.line; }
    const href = got.session ? "/session/" + encodeURIComponent(got.session) + "/play"
      : "/safety?class=" + encodeURIComponent(c.class_id);
    const label = got.session ? "Go back to the class" : "Join the class";
    if (link.getAttribute("href") !== href) { link.setAttribute("href", href); }
    if (link.textContent !== label) { link.textContent = label; }
  }
  function poll() {
    fetch("/api/class", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(update)
      .finally(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
