/* The voice check (Home on the first run, and Settings): say a test sentence, ask
   "Did you hear that?". With no voice on this computer, or an answer of No, say so
   plainly and turn the app's voice off (the "Turn the voice off" setting), so
   nothing waits for speech and everything stays written on the screen. The answer
   is kept in localStorage ("eh-voice-check": heard, not-heard or no-voice). */
"use strict";
(function () {
  const box = document.getElementById("voice-check");
  if (!box) { return; }
  const KEY = "eh-voice-check";
  const SENTENCE = "Hello. This is the voice of ESCAPE at home. It will guide you through each session.";
  const $ = function (id) { return document.getElementById(id); };
  const ask = $("voice-ask"), result = $("voice-result"), testBtn = $("voice-test");
  const MESSAGES = {
    "heard": "Good. The app will speak to you during each session.",
    "not-heard": "The app will not speak for now. Everything it says is also written on the screen, " +
      "in large letters. Check that your sound is on and loud enough, then test the voice again in Settings.",
    "no-voice": "This computer has no voice the app can use, so it will not speak. That is fine: " +
      "everything it says is also written on the screen, in large letters.",
  };

  if (box.dataset.firstRun === "1" && !localStorage.getItem(KEY)) { box.classList.remove("hidden"); }

  function setVoiceOff(off) {
    localStorage.setItem("eh-mute", off ? "1" : "0");
    const mute = $("mute");
    if (mute) { mute.checked = off; }
  }

  function finish(outcome) {
    localStorage.setItem(KEY, outcome);
    setVoiceOff(outcome !== "heard");
    ask.classList.add("hidden");
    result.textContent = MESSAGES[outcome];
    box.setAttribute("data-outcome", outcome);
    testBtn.textContent = "Test the voice again";
    testBtn.focus();
  }

  /* Voices load late in some browsers: wait for them a little. */
  function voices() {
    const synth = window.speechSynthesis;
    return new Promise(function (resolve) {
      const now = synth.getVoices();
      if (now.length) { resolve(now); return; }
      let done = false;
      function finishWait() { if (!done) { done = true; resolve(synth.getVoices()); } }
      if (synth.addEventListener) { synth.addEventListener("voiceschanged", finishWait); }
      setTimeout(finishWait, 1500);
    });
  }

  testBtn.addEventListener("click", function () {
    result.textContent = "";
    ask.classList.add("hidden");
    const synth = window.speechSynthesis;
    if (!synth || !window.SpeechSynthesisUtterance) { finish("no-voice"); return; }
    testBtn.disabled = true;
    voices().then(function (list) {
      testBtn.disabled = false;
      if (!list.length) { finish("no-voice"); return; }
      synth.cancel();
      const u = new SpeechSynthesisUtterance(SENTENCE);
      u.lang = "en-GB";
      u.rate = 0.9;
      u.onerror = function () { finish("no-voice"); };
      synth.speak(u);
      ask.classList.remove("hidden");
      $("voice-yes").focus();
    });
  });
  $("voice-yes").addEventListener("click", function () { finish("heard"); });
  $("voice-no").addEventListener("click", function () { finish("not-heard"); });
})();
