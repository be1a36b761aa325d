/* Shared helpers: CSRF-protected POSTs, the voice (with mute), the live state stream. */
"use strict";
window.EH = (function () {
  const token = document.querySelector('meta[name="csrf-token"]').content;

  /* The app itself stopped (closed or crashed): say so in plain words, never
     the browser's "Failed to fetch". */
  const GONE = "The app stopped answering. It may have closed. Start it again; what you have done is saved.";
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {}),
    }).catch(function () { throw new Error(GONE); }).then(function (r) {
      if (!r.ok) { throw new Error("The app did not answer (" + r.status + ")."); }
      return r.json();
    });
  }

  function muted() { return localStorage.getItem("eh-mute") === "1"; }
  function setMuted(m) { localStorage.setItem("eh-mute", m ? "1" : "0"); if (m) { stopVoice(); } }
  /* Hands-free: each part starts by itself after a spoken countdown (default on). */
  function autoStart() { return localStorage.getItem("eh-autostart") !== "0"; }
  function setAutoStart(on) { localStorage.setItem("eh-autostart", on ? "1" : "0"); }

  /* The voice: utterances wait their turn, one is never cut off by the next. A
     newer utterance of the same kind (a count, a warning) replaces one of that
     kind still waiting, so the voice never lags behind the screen. */
  const queue = [];
  let speaking = null, guard = null;
  function pump() {
    if (speaking || !queue.length) { return; }
    if (muted() || !window.speechSynthesis) { queue.length = 0; return; }
    const item = queue.shift();
    const u = new SpeechSynthesisUtterance(item.text);
    u.lang = "en-GB";
    u.rate = 0.9;
    speaking = u;
    function done() {
      if (speaking !== u) { return; }
      speaking = null;
      clearTimeout(guard);
      pump();
    }
    u.onend = done;
    u.onerror = done;
    guard = setTimeout(done, 2000 + 120 * item.text.length);  // a voice that never says "end"
    window.speechSynthesis.speak(u);
  }
  function say(text, kind) {
    if (!text || muted() || !window.speechSynthesis) { return; }
    if (kind) {
      for (let i = queue.length - 1; i >= 0; i -= 1) { if (queue[i].kind === kind) { queue.splice(i, 1); } }
    }
    queue.push({ text: text, kind: kind || null });
    pump();
  }
  /* True when nothing is being said or waiting to be said. */
  function quiet() { return speaking === null && queue.length === 0; }
  function stopVoice() {
    queue.length = 0;
    speaking = null;
    clearTimeout(guard);
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
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

  /* Any page with a "Start each part by itself" box keeps it in step too. */
  const autoBox = document.getElementById("autostart");
  if (autoBox) {
    autoBox.checked = autoStart();
    autoBox.addEventListener("change", function () { setAutoStart(autoBox.checked); });
  }

  return { postJSON: postJSON, say: say, quiet: quiet, muted: muted, setMuted: setMuted,
           autoStart: autoStart, stopVoice: stopVoice, liveState: liveState, el: el };
})();
