"""Names and short texts as they are stored: normalised on the way in, on every route.

A name typed into the app or a form can carry characters that change how the text
*around* it is shown: bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE turns
"Ann" on a class list into "nnA" and reverses what follows), invisible format
characters, and control characters or newlines that break a CSV row or a card.
`clean_name` removes the first two kinds and turns the third into spaces.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# Bidirectional embedding, override and isolate controls, and the directional marks.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Format characters kept: the zero-width (non-)joiners that emoji and some scripts
# need to be spelled right.
_KEEP_FORMAT = frozenset("\u200c\u200d")


def clean_name(value: str | None) -> str:
    """`value` in NFC, without bidi controls or other invisible format characters,
    with control characters, line breaks and runs of spaces made one space, and
    trimmed. Lone surrogates (not text at all) are dropped."""
    if not value:
        return ""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", value):
        cat = unicodedata.category(ch)
        if ch in BIDI_CONTROLS or cat == "Cs":
            continue
        if cat == "Cf" and ch not in _KEEP_FORMAT:
            continue
        if cat in ("Cc", "Zl", "Zp", "Zs"):
            ch = " "
        if ch == " " and (not out or out[-1] == " "):
            continue
        out.append(ch)
    return "".join(out).strip()


def clean_optional(value: str | None) -> str | None:
    """`clean_name` for WTForms fields: keeps None as None."""
    return None if value is None else clean_name(value)


def clean_log_text(log: dict[str, Any]) -> None:
    """Clean, in place, the participant's own words a validated log carries, which
    the instructor's pages show: goals, questions for class, pacing activities, the
    flare-up plan's notes, and the cue of a movement replay's fault. A goal or a
    question left with no text at all (it was only invisible characters) goes.
    """
    for field in ("goals", "class_questions"):
        if field in log:
            items = [{**g, "text": clean_name(g["text"])} for g in log[field]]
            log[field] = [g for g in items if g["text"]]
    for plan in log.get("pacing_plans", []):
        plan["activity"] = clean_name(plan["activity"])
    if log.get("flare_plan"):
        for key in ("do_less", "note"):
            log["flare_plan"][key] = clean_name(log["flare_plan"][key])
    for ses in log.get("sessions", []):
        for rp in ses.get("replays", []):
            if rp.get("fault"):
                rp["fault"] = {**rp["fault"], "cue": clean_name(rp["fault"]["cue"])}
