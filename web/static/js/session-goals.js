/* Goals on the session's education card: the goal-setting session offers to write
   one down; the last session looks back at the goals written. EHGoals.education(card)
   adds the lines and returns them, so the voice says what the screen shows. */
"use strict";
window.EHGoals = (function () {
  const node = document.getElementById("goal-info");
  const info = node ? JSON.parse(node.textContent) : null;

  function para(card, text, attrs) {
    const p = document.createElement("p");
    Object.keys(attrs || {}).forEach(function (k) { p.setAttribute(k, attrs[k]); });
    p.textContent = text;
    card.appendChild(p);
    return p;
  }

  function link(card, text) {
    const p = document.createElement("p");
    const a = document.createElement("a");
    a.className = "btn secondary";
    a.id = "goal-link";
    a.href = info.url;
    a.textContent = text;
    p.appendChild(a);
    card.appendChild(p);
  }

  function education(card) {
    if (!info) { return []; }
    const said = [];
    if (info.session === info.ask) {
      const line = info.goals.length
        ? "You have written a goal down already. You can add another."
        : "Write your goal down in the app, so you can tick it off when you have done it.";
      para(card, line, { "class": "lead", id: "goal-prompt" });
      link(card, "Write down my goal");
      said.push(line);
    } else if (info.session === info.last) {
      const box = document.createElement("div");
      box.className = "card";
      box.id = "goal-look-back";
      const h = document.createElement("h2");
      h.textContent = "Look back at your goal";
      box.appendChild(h);
      said.push("Look back at your goal");
      if (info.goals.length) {
        const ul = document.createElement("ul");
        info.goals.forEach(function (g) {
          const text = g.text + (g.done_at ? " (done)" : "");
          const li = document.createElement("li");
          li.textContent = text;
          ul.appendChild(li);
          said.push(text);
        });
        box.appendChild(ul);
        const ask = "Have you done it? You can tick it off after the session.";
        para(box, ask);
        said.push(ask);
      } else {
        const none = "You did not write a goal down. You can still write one after the session.";
        para(box, none);
        said.push(none);
      }
      card.appendChild(box);
    }
    return said;
  }

  return { education: education };
})();
