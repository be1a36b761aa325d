"""Rep counting on one scalar signal: hysteresis, dwell, duration gates, partials.

A rep is one full cycle: the signal leaves its start ("anchor") zone, reaches the
opposite zone, and comes back. With two thresholds (rest and deep) and a minimum dwell,
jitter around either threshold cannot add counts. A cycle that leaves the anchor but
comes back without reaching the opposite zone is reported as a partial rep, never
counted. A clip that starts mid-rep is handled by waiting until the signal is first
seen in a zone before anything counts.

Thresholds are anatomical margins measured from the person's own "home" level, which
is calibrated from robust percentiles of the recent signal (and clamped to an
anatomical range), so a person who never fully straightens still counts, while an
absolute minimum excursion stops noise from ever counting. The margins also grow with
the signal's measured jitter (from frame-to-frame differences), so a small, distant or
badly lit person's noisy landmarks cannot count either.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

Zone = Literal["rest", "mid", "deep"]

NOISE_DEEP = 6.0  # a rep must move at least this many jitter SDs from home
NOISE_REST = 3.0  # and come back within this many
Anchor = Literal["rest", "deep", "auto"]


@dataclass(frozen=True, slots=True)
class CounterConfig:
    """Counting settings for one signal (all in the signal's own units).

    Attributes:
        direction: -1 when the rep moves the signal down (knee angle in a squat), +1
            when it moves it up (knee angle in a knee extension).
        home: Typical value at rest, used until the person's own level is known.
        home_min: Lowest plausible home value (in the signal's units).
        home_max: Highest plausible home value.
        rest_margin: Within this distance of home the body counts as back at rest.
        deep_margin: A rep must move this far from home to count.
        deep_min: Smallest deep margin ever used, even for a small personal range.
        adapt_frac: The deep margin drops to this fraction of the person's observed
            range when that range is smaller than ``deep_margin`` (not below
            ``deep_min``).
        anchor: Which zone a rep starts and ends in: "rest", "deep", or "auto" (the
            first zone the person is seen in, e.g. seated or standing).
        min_dwell_s: A zone change counts only after the signal stays there this long.
        min_rep_s: Shorter cycles are rejected (reported as partial).
        max_rep_s: Longer cycles are rejected (reported as partial).
        max_gap_s: Losing the signal for longer than this abandons the current cycle.
        window_s: Length of the history used to calibrate the home level and range.
    """

    direction: int = -1
    home: float = 175.0
    home_min: float = 150.0
    home_max: float = 185.0
    rest_margin: float = 20.0
    deep_margin: float = 40.0
    deep_min: float = 25.0
    adapt_frac: float = 0.6
    anchor: Anchor = "rest"
    min_dwell_s: float = 0.1
    min_rep_s: float = 0.5
    max_rep_s: float = 30.0
    max_gap_s: float = 1.0
    window_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Cycle:
    """A finished cycle: a counted rep (``complete``) or a partial one.

    Attributes:
        start_s: When the signal left the anchor zone.
        end_s: When it came back (or was abandoned).
        complete: True for a counted rep.
        reason: Why a partial did not count ("" for a rep).
        peak: Highest raw value during the cycle.
        trough: Lowest raw value during the cycle.
        t_far: Time of the extreme value furthest from the anchor.
        hold_s: Time spent in the zone opposite the anchor.
    """

    start_s: float
    end_s: float
    complete: bool
    reason: str
    peak: float
    trough: float
    t_far: float
    hold_s: float


class RepCounter:
    """Count full cycles of one signal. Feed it every frame with `update`."""

    # Cycle state, set by _reset_state().
    _zone: Zone | None
    _pending: Zone | None
    _last_t: float | None

    def __init__(self, config: CounterConfig) -> None:
        if config.direction not in (-1, 1):
            raise ValueError("direction must be -1 or 1")
        self.config = config
        self._count = 0
        self._anchor: Zone | None = None if config.anchor == "auto" else config.anchor
        self._hist: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []
        self._last_hist_t = -1e9
        self._home_x = config.direction * config.home
        self._range_x = 0.0
        self._last_cal_t = -1e9
        self._reset_state()
        self._anc_t = 0.0
        self._last_in_anchor = -1e9
        self._dx: deque[float] = deque(maxlen=120)
        self._prev_x = math.nan
        self._noise = 0.0
        self._cached = self._thresholds_x()

    # ------------------------------------------------------------------ public
    @property
    def count(self) -> int:
        """Completed reps so far (read-only)."""
        return self._count

    @property
    def phase(self) -> str:
        """Current phase: "idle" (no reference yet), "rest", "moving" or "deep"."""
        if self._state == "unknown":
            return "idle"
        if self._state == "away":
            return "moving"
        return (
            "deep"
            if self._zone == "deep"
            else ("rest" if self._zone == "rest" else "moving")
        )

    @property
    def noise(self) -> float:
        """Estimated jitter (SD) of the signal, in its own units (0 until known)."""
        return self._noise

    @property
    def anchor(self) -> Zone | None:
        """The zone reps start and end in (None until known for "auto")."""
        return self._anchor

    @property
    def in_cycle(self) -> bool:
        """True while a cycle is in progress."""
        return self._state in ("away", "opposite")

    @property
    def cycle_start(self) -> float | None:
        """Start time of the cycle in progress, if any."""
        return self._start_t if self.in_cycle else None

    def thresholds(self) -> tuple[float, float]:
        """Current (rest, deep) thresholds in the signal's own units."""
        rest_x, deep_x = self._cached
        d = self.config.direction
        return rest_x * d, deep_x * d

    def reset_tracking(self, t: float) -> Cycle | None:
        """Abandon the cycle in progress (tracking jumped, e.g. a camera cut)."""
        ev = self._abandon(t, "tracking was lost during the rep")
        self._reset_state()
        return ev

    def cancel_cycle(self) -> None:
        """Drop the cycle in progress without reporting it (a mirrored duplicate)."""
        if self.in_cycle:
            self._state = "cancelled"

    def flush(self, value: float | None, t: float) -> Cycle | None:
        """End of the stream: accept a return to the anchor zone seen at the very end.

        Smoothing and the dwell delay a zone change by a few frames; a clip that ends
        just as the person gets back to the start position should still count the rep.
        """
        if self._state != "opposite" or value is None:
            return None
        if self._classify(self.config.direction * value) != self._anchor:
            return None
        assert self._anchor is not None  # set whenever state is "opposite"
        return self._on_zone(
            self._anchor, self._pending_t if self._pending == self._anchor else t
        )

    def update(self, value: float | None, t: float) -> Cycle | None:
        """Feed one sample; return a finished cycle (rep or partial) if one ended."""
        cfg = self.config
        if value is None:
            if self._last_t is not None and t - self._last_t > cfg.max_gap_s:
                ev = self._abandon(self._last_t, "you went out of view during the rep")
                self._reset_state()
                return ev
            return None
        x = cfg.direction * value
        if (
            self._last_t is not None
            and t - self._last_t <= 0.2
            and self._prev_x == self._prev_x
        ):
            self._dx.append(abs(x - self._prev_x))
        self._prev_x = x
        self._last_t = t
        self._calibrate(x, t)
        zone = self._classify(x)
        # Dwell: a new zone is confirmed only after it has lasted min_dwell_s.
        if zone != self._pending:
            self._pending = zone
            self._pending_t = t
        confirmed = self._zone
        if (
            self._pending != self._zone
            and t - self._pending_t >= cfg.min_dwell_s - 1e-9
        ):
            confirmed = self._pending
        ev = self._track(x, t, zone)
        if confirmed is not None and confirmed != self._zone:
            ev = self._on_zone(confirmed, self._pending_t) or ev
            self._zone = confirmed
        if self._state in ("opposite",) and self._zone == self._opposite():
            self._hold_acc = t - self._opp_t
        return ev

    # ----------------------------------------------------------------- helpers
    def _reset_state(self) -> None:
        """Forget the cycle in progress (the calibration is kept)."""
        self._anc_x = math.nan
        self._state = "unknown"
        self._zone = None
        self._pending = None
        self._pending_t = 0.0
        self._start_t = 0.0
        self._opp_t = 0.0
        self._hold_acc = 0.0
        self._max_x = -1e18
        self._min_x = 1e18
        self._t_max = 0.0
        self._t_min = 0.0
        self._last_t = None

    def _thresholds_x(self) -> tuple[float, float]:
        cfg = self.config
        deep_m = cfg.deep_margin
        # The person's own (smaller) range is trusted only after a second of history.
        calibrated = len(self._hist) >= 10
        if calibrated and self._range_x * cfg.adapt_frac < deep_m:
            deep_m = max(cfg.deep_min, self._range_x * cfg.adapt_frac)
        # Noisy landmarks (a small or distant person) widen both margins so jitter
        # alone cannot cross them, but never beyond what the person's own range
        # allows.
        cap = max(cfg.deep_margin, 0.6 * self._range_x)
        deep_m = max(deep_m, min(NOISE_DEEP * self._noise, cap))
        # A person with a large range may come back less exactly to the start: the
        # rest zone widens with the range, but always stays well short of deep.
        rest_m = max(cfg.rest_margin, 0.25 * self._range_x, NOISE_REST * self._noise)
        rest_m = min(rest_m, 0.6 * deep_m)
        return self._home_x + rest_m, self._home_x + deep_m

    def _classify(self, x: float) -> Zone:
        rest_x, deep_x = self._cached
        if x <= rest_x:
            return "rest"
        if x >= deep_x:
            return "deep"
        return "mid"

    def _calibrate(self, x: float, t: float) -> None:
        cfg = self.config
        if t - self._last_hist_t >= 0.1:
            self._last_hist_t = t
            self._hist.append((t, x))
            bisect.insort(self._sorted, x)
            while self._hist and t - self._hist[0][0] > cfg.window_s:
                _, old = self._hist.popleft()
                del self._sorted[bisect.bisect_left(self._sorted, old)]
        if t - self._last_cal_t < 0.25 or len(self._sorted) < 5:
            return
        self._last_cal_t = t
        s = self._sorted
        n = len(s)
        lo, hi = s[int(0.1 * (n - 1))], s[int(0.95 * (n - 1))]
        bounds = sorted((cfg.direction * cfg.home_min, cfg.direction * cfg.home_max))
        if hi - lo < cfg.deep_min and not bounds[0] <= lo <= bounds[1]:
            # Not moved yet, and not at a plausible rest level (e.g. seated from
            # the start): keep the anatomical default until the person moves.
            self._home_x = cfg.direction * cfg.home
        else:
            self._home_x = min(max(lo, bounds[0]), bounds[1])
        self._range_x = max(0.0, hi - self._home_x)
        if len(self._dx) >= 20:
            # Jitter from frame-to-frame differences: for white noise of SD s,
            # the lower quartile of |dx| is 0.45 s (motion only adds to it).
            q = sorted(self._dx)[len(self._dx) // 4]
            self._noise = q / 0.45
        self._cached = self._thresholds_x()

    def _opposite(self) -> Zone:
        return "deep" if self._anchor == "rest" else "rest"

    def _track(self, x: float, t: float, zone: Zone) -> Cycle | None:
        if self._state in ("away", "opposite"):
            if x > self._max_x:
                self._max_x, self._t_max = x, t
            if x < self._min_x:
                self._min_x, self._t_min = x, t
        elif self._state == "anchor":
            if zone == self._anchor:
                self._last_in_anchor = t
            # The start position just before the rep (its extreme over the last
            # few seconds) belongs to the rep's range of motion.
            deeper = x > self._anc_x if self._anchor == "deep" else x < self._anc_x
            if self._anc_x != self._anc_x or deeper or t - self._anc_t > 3.0:
                self._anc_x, self._anc_t = x, t
        return None

    def _begin(self, t: float) -> None:
        self._state = "away"
        # The rep starts at the last frame seen in the start position: with frames
        # missing (dropouts, low fps) the first frame seen outside it comes late.
        last = self._last_in_anchor
        self._start_t = last if t - 1.0 <= last < t else t
        self._max_x, self._min_x = -1e18, 1e18
        if self._anc_x == self._anc_x:  # not NaN: a start position was seen
            self._max_x = self._min_x = self._anc_x
            self._t_max = self._t_min = self._anc_t
        self._anc_x = math.nan
        self._hold_acc = 0.0

    def _on_zone(self, zone: Zone, t: float) -> Cycle | None:
        if self._anchor is None:
            if zone in ("rest", "deep"):
                self._anchor = zone
            else:
                return None
        anchor, opposite = self._anchor, self._opposite()
        if self._state in ("unknown", "cancelled"):
            if zone == anchor:
                self._state = "anchor"
            return None
        if self._state == "anchor":
            if zone != anchor:
                self._begin(t)
                if zone == opposite:
                    self._state, self._opp_t = "opposite", t
            return None
        if self._state == "away":
            if zone == opposite:
                self._state, self._opp_t = "opposite", t
                return None
            if zone == anchor:
                self._state = "anchor"
                if not self._went_halfway():
                    return None  # a wobble near the threshold, not an attempt
                return self._finish(
                    t, complete=False, reason="did not reach the full range"
                )
            return None
        # state == "opposite": leaving the opposite zone back to the anchor completes.
        if zone == anchor:
            self._state = "anchor"
            dur = t - self._start_t
            if dur < self.config.min_rep_s:
                return self._finish(t, complete=False, reason="too quick to be a rep")
            if dur > self.config.max_rep_s:
                return self._finish(
                    t, complete=False, reason="took too long to be one rep"
                )
            self._count += 1
            return self._finish(t, complete=True, reason="")
        return None

    def _went_halfway(self) -> bool:
        rest_x, deep_x = self._thresholds_x()
        half = (rest_x + deep_x) / 2
        if self._anchor == "rest":
            return self._max_x >= half
        return self._min_x <= half

    def _finish(self, t: float, complete: bool, reason: str) -> Cycle:
        d = self.config.direction
        far_is_max = self._anchor == "rest"
        t_far = self._t_max if far_is_max else self._t_min
        vals = (self._max_x * d, self._min_x * d)
        return Cycle(
            start_s=self._start_t,
            end_s=t,
            complete=complete,
            reason=reason,
            peak=max(vals),
            trough=min(vals),
            t_far=t_far,
            hold_s=self._hold_acc,
        )

    def _abandon(self, t: float, reason: str) -> Cycle | None:
        if self._state not in ("away", "opposite") or self._max_x < -1e17:
            return None
        return self._finish(t, complete=False, reason=reason)
