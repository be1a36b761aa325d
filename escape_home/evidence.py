"""What the tracker notes during one rep besides its signal: which leg worked, whether
the person bent over (a pick-up, not a rep), and how deep each knee went.

One `CycleEvidence` per counted signal, cleared when a cycle starts.
"""

from __future__ import annotations

from escape_home import measures as ms
from escape_home.signals import SIDES, Body, joint, knee_angle, trunk_flexion

BENT_S = 0.4  # bent past the exercise's max_trunk_flexion this long: a pick-up


class CycleEvidence:
    """Evidence gathered over one cycle (see the module docs)."""

    def __init__(self) -> None:
        self.start(0.0)

    def start(self, t: float) -> None:
        """Forget the previous cycle."""
        self.votes = 0.0
        self.seen: dict[str, int] = {}
        self.bent_s = 0.0
        self.knee_min: dict[str, float] = {}
        self._last_t = t

    # ----------------------------------------------------------------- sides
    def vote(self, kind: str, body: Body, ctx: ms.Context, phase: str) -> None:
        """Accumulate evidence of the working leg during an alternating rep.

        Works with one leg seen (side-on, the far leg is often not visible): then
        the seen leg's position says whether it leads or trails.
        """
        if kind == "higher_ankle":
            # Step-up: the lead foot is on the step while the other is on the floor.
            h = {}
            for s in SIDES:
                a = joint(s, "ankle")
                v = ctx.norm(ctx.floor.value - body.p(a)[1]) if body.ok(a) else None
                if v is not None:
                    h[s] = v
            if len(h) == 2:
                self.votes += h["left"] - h["right"]
            elif len(h) == 1:
                s, v = next(iter(h.items()))
                self.seen[s] = self.seen.get(s, 0) + 1
                if v < 0.15:  # this foot is still on the floor: the other leg leads
                    self.votes += -0.5 if s == "left" else 0.5
        elif kind == "front_leg" and phase == "deep":
            # Lunge: at the bottom the front thigh is near horizontal (small drop
            # from hip to knee), the back thigh near vertical.
            drop = {}
            for s in SIDES:
                hp, k = joint(s, "hip"), joint(s, "knee")
                v = ctx.norm(body.p(k)[1] - body.p(hp)[1]) if body.ok(hp, k) else None
                if v is not None:
                    drop[s] = v
            if len(drop) == 2:
                self.votes += drop["right"] - drop["left"]
            elif len(drop) == 1:
                s, v = next(iter(drop.items()))
                self.votes += (0.5 - v) * (1.0 if s == "left" else -1.0)

    def side(self) -> str:
        """The working leg the evidence points to ("both" when it cannot tell)."""
        if self.votes > 0.05:
            return "left"
        if self.votes < -0.05:
            return "right"
        if len(self.seen) == 1:
            return next(iter(self.seen))
        return "both"

    # -------------------------------------------------------------- pick-ups
    def bend(self, body: Body, ctx: ms.Context, t: float, limit: float) -> None:
        """Time the cycle spends bent forward past `limit` degrees (0: not checked).

        Only judged side-on or at an angle (from the front a forward bend shows as a
        shorter trunk, not an angle), and only sustained bending counts: a frame or
        two of a garbled torso from the pose model must not veto a rep.
        """
        dt, self._last_t = t - self._last_t, t
        if not limit or ctx.view not in ("side", "oblique"):
            return
        tf = trunk_flexion(body)
        if tf is not None and tf > limit:
            self.bent_s += min(max(dt, 0.0), 0.2)

    @property
    def bent_over(self) -> bool:
        """True when the cycle was a sustained forward bend (picking something up)."""
        return self.bent_s >= BENT_S

    # ------------------------------------------------------------- symmetry
    def knees(self, body: Body, ctx: ms.Context) -> None:
        """Deepest knee angle of each leg, on frames where both legs are seen."""
        if ctx.view == "side":
            return  # side-on, the far knee is a guess
        left, right = knee_angle(body, "left"), knee_angle(body, "right")
        if left is None or right is None:
            return
        self.knee_min["left"] = min(self.knee_min.get("left", 180.0), left)
        self.knee_min["right"] = min(self.knee_min.get("right", 180.0), right)

    def symmetry(self) -> float | None:
        """Knee-bend asymmetry index |L - R| / mean (0 is even), or None."""
        if len(self.knee_min) != 2:
            return None
        bl, br = (180.0 - self.knee_min[s] for s in SIDES)
        if bl + br <= 20.0:
            return None
        return abs(bl - br) / ((bl + br) / 2)
