"""Timed holds (single-leg balance): when a foot leaves the floor and when it returns.

A hold starts when one ankle has been clearly above the other for a short dwell and ends
when the feet are level again (or the person is lost from view for too long). Holds
shorter than a minimum are dropped as stumbles or weight shifts.
"""

from __future__ import annotations

from escape_home import measures as ms
from escape_home.events import Hold
from escape_home.exercises import HoldConfig
from escape_home.form import FormTracker
from escape_home.signals import Body, joint
from escape_home.smoothing import Smoother


class HoldTracker:
    """Detect single-leg holds from the foot-lift signal."""

    def __init__(
        self, config: HoldConfig, smoother: Smoother, form: FormTracker | None = None
    ) -> None:
        self.config = config
        self.smoother = smoother
        self.form = form
        self.holds: list[Hold] = []
        self.value: float | None = None
        self._on = False
        self._start = 0.0
        self._pending_t: float | None = None
        self._last_valid: float | None = None
        self._side_votes = 0.0

    @property
    def phase(self) -> str:
        """ "hold" while a foot is up, else "idle"."""
        return "hold" if self._on else "idle"

    def current_s(self, t: float) -> float:
        """Duration of the hold in progress (0 when none)."""
        return max(0.0, t - self._start) if self._on else 0.0

    def update(self, body: Body | None, ctx: ms.Context, t: float) -> Hold | None:
        """Feed one frame; return a hold that ended on it, if any."""
        cfg = self.config
        raw = ms.foot_lift(body, ctx) if body is not None else None
        self.value = self.smoother.update(raw, t)
        if self.value is None:
            if self._on and self._last_valid is not None:
                if t - self._last_valid > cfg.max_gap_s:
                    return self._end(self._last_valid)
            return None
        self._last_valid = t
        if self._on and body is not None:
            if self.form is not None:
                self.form.frame(body, ctx)
            la, ra = joint("left", "ankle"), joint("right", "ankle")
            # The standing leg is the lower ankle (larger image y).
            self._side_votes += body.p(la)[1] - body.p(ra)[1]
        want_on = (
            self.value >= cfg.lift_on if not self._on else self.value > cfg.lift_off
        )
        if want_on == self._on:
            self._pending_t = None
            return None
        if self._pending_t is None:
            self._pending_t = t
        if t - self._pending_t < cfg.min_dwell_s:
            return None
        edge, self._pending_t = self._pending_t, None
        if want_on:
            self._on, self._start, self._side_votes = True, edge, 0.0
            if self.form is not None:
                self.form.start_rep()
            return None
        return self._end(edge)

    def _end(self, t: float) -> Hold | None:
        self._on = False
        if t - self._start < self.config.min_hold_s:
            return None
        side = (
            "left"
            if self._side_votes > 0
            else "right"
            if self._side_votes < 0
            else "both"
        )
        faults = self.form.finish_rep({}) if self.form is not None else ()
        hold = Hold(side, self._start, t, faults)  # type: ignore[arg-type]
        self.holds.append(hold)
        return hold

    def all_holds(self, t_end: float) -> list[Hold]:
        """Finished holds, plus the one in progress (ended at `t_end`), if long."""
        out = list(self.holds)
        if self._on and self._last_valid is not None:
            end = min(t_end, self._last_valid)
            if end - self._start >= self.config.min_hold_s:
                side = "left" if self._side_votes > 0 else "right"
                out.append(Hold(side, self._start, end))  # type: ignore[arg-type]
        return out
