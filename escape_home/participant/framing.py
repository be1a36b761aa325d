"""Camera-check feedback: can the camera see the whole person well enough?

Pure functions of a `Pose` and a little image statistics, so they are easy to test.
Every message is a short plain sentence for the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from escape_home import signals as sg
from escape_home.landmarks import Landmark as L
from escape_home.landmarks import Pose

#: Landmarks that must be seen for whole-body tracking: the head and at least one
#: whole leg (side-on, the far leg is hidden behind the near one, which is fine).
HEAD = (L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
LEGS = (
    (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
)
#: Visibility a landmark needs (escape-pain.md 4.2 suggests 0.5-0.6).
VISIBLE = 0.5
#: Body height (nose to lowest ankle) as a share of the frame height.
TOO_CLOSE = 0.95
TOO_FAR = 0.35
DARK = 45.0
BRIGHT = 225.0


@dataclass
class Framing:
    """The verdict for one frame."""

    person: bool = False
    whole_body: bool = False
    size_ok: bool = False
    #: The camera view ("front", "oblique" or "side"; None when it cannot be told),
    #: by the engine's own classifier, `signals.view_of`.
    facing: sg.View | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when tracking can work (light and facing are advice only)."""
        return self.person and self.whole_body and self.size_ok


def assess(pose: Pose, brightness: float, want_view: str | None = None) -> Framing:
    """Judge one frame and say, in plain words, what to change.

    Args:
        pose: The pose found in the frame (may be empty).
        brightness: Mean grey level of the frame, 0-255.
        want_view: "side" or "front" for the next exercise, or None.
    """
    f = Framing()
    if brightness < DARK:
        f.messages.append("The room looks dark. Turn on a light or open the curtains.")
    elif brightness > BRIGHT:
        f.messages.append("The picture is very bright. Close the curtains behind you.")
    if pose.is_empty:
        f.messages.append(
            "I can't see you yet. Stand back so the camera can see you from head "
            "to feet."
        )
        return f
    f.person = True
    head = any(pose.visible(lm, VISIBLE) for lm in HEAD)
    legs = [leg for leg in LEGS if all(pose.visible(lm, VISIBLE) for lm in leg)]
    seen = [int(lm) for lm in (*HEAD, *LEGS[0], *LEGS[1]) if pose.visible(lm, VISIBLE)]
    xy = pose.xy[seen]
    off_edge = bool(np.any((xy < 0.0) | (xy > 1.0)))
    if not legs:
        f.messages.append("I can't see your feet. Move the camera or step back.")
    elif not head:
        f.messages.append("I can't see your head. Tilt the camera up or step back.")
    elif off_edge:
        f.messages.append("Please stand so the camera sees all of you.")
    else:
        f.whole_body = True
    ankles_y = [pose.xy[int(a), 1] for a in (L.LEFT_ANKLE, L.RIGHT_ANKLE)]
    known = [y for y in ankles_y if np.isfinite(y)]
    height = float(max(known) - pose.xy[int(L.NOSE), 1]) if known else 0.0
    if not np.isfinite(height):
        height = 0.0
    if height > TOO_CLOSE or (not f.whole_body and height > 0.75):
        f.messages.append("You are too close. Take a step back.")
    elif f.whole_body and height < TOO_FAR:
        f.messages.append("You are quite far away. Take a step closer.")
    else:
        f.size_ok = f.whole_body
    # The engine's classifier, so the check never asks for a turn to a view the
    # engine would already accept (an oblique view asks for nothing).
    f.facing = sg.view_of(sg.Body(pose))
    if want_view == "side" and f.facing == "front":
        f.messages.append("For the next exercise, turn so your side faces the camera.")
    elif want_view == "front" and f.facing == "side":
        f.messages.append("For the next exercise, turn to face the camera.")
    if f.ok and not f.messages:
        f.messages.append("I can see you well. Good.")
    return f
