/* Camera check: show what the app can see and enable Continue once it sees the person. */
"use strict";
(function () {
  const box = document.getElementById("camera-check");
  const list = document.getElementById("framing");
  const ready = document.getElementById("ready");
  const btn = document.getElementById("continue");
  const help = document.getElementById("continue-help");
  let wasReady = false;
  let lastText = "";

  EH.postJSON("/api/live/check", { view: box.dataset.view || null });
  btn.addEventListener("click", function () { window.location = box.dataset.next; });

  EH.liveState(function (st) {
    const f = st.framing || { messages: [] };
    const text = f.messages.join("|");
    if (text !== lastText) {
      lastText = text;
      list.replaceChildren();
      f.messages.forEach(function (m) { list.appendChild(EH.el("li", {}, m)); });
    }
    const isReady = Boolean(f.ready) && st.camera && st.camera.status === "ok";
    if (isReady && !wasReady) {
      /* Once seen properly, stay ready: a moment out of view should not undo it. */
      wasReady = true;
      btn.disabled = false;
      ready.textContent = EH.autoStart()
        ? "I can see you well. The session starts in a moment."
        : "I can see you well. Press Continue when you are ready.";
      ready.classList.remove("hidden");
      help.classList.add("hidden");
      EH.say(ready.textContent);
      btn.focus();
      if (EH.autoStart()) {
        /* Hands-free: go on once that has been said, and a moment more. */
        const wait = setInterval(function () {
          if (EH.quiet()) { clearInterval(wait); setTimeout(function () { window.location = box.dataset.next; }, 2000); }
        }, 200);
      }
    }
  });
})();
