/* The beliefs check (issue 14 item 4): the question is read aloud when its screen
   opens (unless the voice is off), and the answer buttons work with arrow keys as
   any radio group does. */
"use strict";
(function () {
  const q = document.getElementById("check-question");
  if (q) { EH.say(q.textContent); }
})();
