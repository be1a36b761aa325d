/* A lesson (issue 14): one screen at a time, read aloud sentence by sentence with
   the sentence being said highlighted, then "true or not?" questions, each with a
   plain explanation once answered. Everything works with the keyboard alone; with
   no script the whole lesson shows as one page. */
"use strict";
(function () {
  const root = document.getElementById("lesson");
  if (!root) { return; }
  const screens = Array.prototype.slice.call(root.querySelectorAll(".lesson-screen"));
  const nav = document.getElementById("lesson-nav");
  const prevBtn = document.getElementById("lesson-prev");
  const nextBtn = document.getElementById("lesson-next");
  const readBtn = document.getElementById("lesson-read");
  const where = document.getElementById("lesson-where");
  const lessonName = where.textContent;
  let index = 0;
  let reading = null;   // {items, at, timer} while reading aloud
  let told = false;     // the app knows the last screen was reached

  /* Listening counts (issue 14 item 5): the app keeps which lessons were finished
     and the first answer to each question. A failed save is said, never hidden. */
  function record(url, body) {
    return EH.postJSON(url, body).catch(function (err) {
      const box = document.getElementById("lesson-save-error");
      box.textContent = "The app could not note this. " + err.message;
      box.classList.remove("hidden");
    });
  }

  root.classList.add("js-lesson");
  nav.classList.remove("hidden");

  function voice() { return !EH.muted() && Boolean(window.speechSynthesis); }

  /* Read `items` (sentence elements) one after another, highlighting each. */
  function stopReading() {
    if (!reading) { return; }
    clearTimeout(reading.timer);
    reading.items.forEach(function (s) { s.classList.remove("reading"); });
    reading = null;
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    readBtn.textContent = "Read this to me";
    readBtn.setAttribute("aria-pressed", "false");
  }

  function readItems(items) {
    stopReading();
    if (!voice() || !items.length) { return; }
    EH.stopVoice();
    const me = { items: items, at: -1, timer: null };
    reading = me;
    readBtn.textContent = "Stop reading";
    readBtn.setAttribute("aria-pressed", "true");
    function step() {
      if (reading !== me) { return; }
      clearTimeout(me.timer);
      if (me.at >= 0) { items[me.at].classList.remove("reading"); }
      me.at += 1;
      if (me.at >= items.length) { reading = null; stopReadingLabel(); return; }
      const el = items[me.at];
      el.classList.add("reading");
      const u = new SpeechSynthesisUtterance(el.textContent);
      u.lang = "en-GB";
      u.rate = 0.9;
      u.onend = step;
      u.onerror = step;
      /* A voice that never says "end" must not stop the reading. */
      me.timer = setTimeout(step, 2000 + 120 * el.textContent.length);
      window.speechSynthesis.speak(u);
    }
    step();
  }

  function stopReadingLabel() {
    readBtn.textContent = "Read this to me";
    readBtn.setAttribute("aria-pressed", "false");
  }

  function readScreen() {
    const s = screens[index];
    const items = [s.querySelector("h2")].concat(
      Array.prototype.slice.call(s.querySelectorAll(".lesson-text .sentence, .quiz legend .sentence")));
    readItems(items);
  }

  function show(i, focus) {
    stopReading();
    index = Math.max(0, Math.min(i, screens.length - 1));
    screens.forEach(function (s, k) { s.classList.toggle("current", k === index); });
    const last = index === screens.length - 1;
    prevBtn.classList.toggle("hidden", index === 0);
    nextBtn.classList.toggle("hidden", last);
    where.textContent = lessonName + ". " + (last ? "Questions" : "Part " + (index + 1) + " of " + (screens.length - 1));
    if (focus) { screens[index].querySelector("h2").focus(); }
    if (last && !told) { told = true; record(root.dataset.finishedUrl); }
    readScreen();
  }

  prevBtn.addEventListener("click", function () { show(index - 1, true); });
  nextBtn.addEventListener("click", function () { show(index + 1, true); });
  readBtn.addEventListener("click", function () {
    if (reading) { stopReading(); } else { readScreen(); }
  });
  document.getElementById("mute").addEventListener("change", function (e) {
    if (e.target.checked) { stopReading(); }
  });

  /* The questions: say whether the answer was right, then why. */
  const quizzes = Array.prototype.slice.call(root.querySelectorAll(".quiz"));
  const end = root.querySelector(".lesson-end");
  quizzes.forEach(function (fs, k) {
    const verdict = fs.querySelector(".verdict"), because = fs.querySelector(".because");
    fs.querySelectorAll("button.answer").forEach(function (b) {
      b.addEventListener("click", function () {
        fs.querySelectorAll("button.answer").forEach(function (o) {
          o.setAttribute("aria-pressed", o === b ? "true" : "false");
        });
        const right = b.value === fs.dataset.answer;
        verdict.textContent = right ? "Well done, that's right." : "Good try, but not quite.";
        verdict.className = "verdict " + (right ? "right" : "wrong");
        because.classList.remove("hidden");
        because.classList.add("sentence");
        verdict.classList.add("sentence");
        readItems([verdict, because]);
        record(root.dataset.answerUrl, { question: k + 1, answer: b.value === "true" });
        if (quizzes.every(function (q) { return q.querySelector("[aria-pressed=true]"); })) {
          end.classList.add("shown");
        }
      });
    });
  });

  /* Left and right arrow keys turn the screens too (not while in a text field). */
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || /INPUT|TEXTAREA|SELECT/.test(e.target.tagName)) { return; }
    if (e.key === "ArrowRight" && index < screens.length - 1) { e.preventDefault(); show(index + 1, true); }
    if (e.key === "ArrowLeft" && index > 0) { e.preventDefault(); show(index - 1, true); }
  });

  show(0, false);
})();
