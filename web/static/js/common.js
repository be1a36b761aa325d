/* Shared helpers: CSRF-protected POSTs, the voice (with mute), the live state stream. */
"use strict";
window.EH = (function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    }).then(function (r) {
      if (!r.ok) { throw new Error("The app did not answer (" + r.status + ")."); }
      return r.json();
    });
  }

  function muted() { return localStorage.getItem("eh-mute") === "1"; }
  function setMuted(m) { localStorage.setItem("eh-mute", m ? "1" : "0"); if (m) { stopVoice(); } }
  function stopVoice() { if (window.speechSynthesis) { window.speechSynthesis.cancel(); } }

  function say(text) {
    if (!text || muted() || !window.speechSynthesis) { return; }
    const u = new SpeechSynthesisUtterance(text);
    u.lang = "en-GB";
    u.rate = 0.9;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(u);
  }

  /* Show camera faults and storage problems, in plain words, wherever the page has room. */
  function showProblems(st) {
    const cam = document.getElementById("camera-status");
    if (cam) {
      let msg = "";
      if (st.model_error) { msg = st.model_error; }
      else if (st.camera && st.camera.status !== "ok") { msg = st.camera.message; }
      if (cam.textContent !== msg) { cam.textContent = msg; }
    }
    const store = document.getElementById("storage-error");
    if (store) {
      const m = st.storage_error || "";
      if (store.textContent !== m) { store.textContent = m; }
      store.classList.toggle("hidden", !m);
    }
  }

  /* Call onState(state) on every change of the live state (server-sent events). */
  function liveState(onState) {
    const es = new EventSource("/live/events");
    es.onmessage = function (ev) {
      const st = JSON.parse(ev.data);
      showProblems(st);
      onState(st);
    };
    return es;
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  /* Any page with a "Turn the voice off" box keeps it in step with the setting. */
  const muteBox = document.getElementById("mute");
  if (muteBox) {
    muteBox.checked = muted();
    muteBox.addEventListener("change", function () { setMuted(muteBox.checked); });
  }

  return { postJSON: postJSON, say: say, muted: muted, setMuted: setMuted,
           stopVoice: stopVoice, liveState: liveState, el: el };
})();
