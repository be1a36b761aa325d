"""Rep counting on one scalar signal: causal excursion-and-return, levels learnt live.

The rule, in one paragraph. A rep is one excursion from the start ("anchor") position
out to a far point and back: the signal leaves the anchor level by a small step,
reaches a far extreme at least the required *depth* away from the anchor level, and
then comes back at least ``1 - RETURN_FRAC`` (65 %) of the way. The rep is counted at
the moment the return crosses that line, so it is confirmed a little before the body
is fully back, and the count never goes down. A rep must also have *started* near the
anchor (within ``START_FRAC`` of its own depth): a recording that begins part-way
through a rep does not count that rep. Back-to-back reps without a pause, or without a
full return to the start position, count because the return line and the start line
are fractions of each rep's own depth, not fixed zones.

The levels are the person's own, learnt as the set goes on, never fitted to a file:

* the anchor level is the median of the last three positions the person started
  a rep from (each the mean of the time spent there, so jitter does not bias it).
  Before any is seen it is the first position seen inside the catalogue's
  plausible ``home_min..home_max`` range, so a rep that starts in the first second
  counts; for someone never seen in that range (a split stance, knees that never
  straighten) it is the first turn back from their most start-ward position, and
  a movement already under way out on the very first frame counts once it comes
  back (a recording that starts as the person starts).
* the required depth is the largest of: the catalogue's ``deep_min`` (the smallest
  range that is ever a rep: a mini squat of 20-40 degrees is one), a multiple of the
  signal's measured jitter (capped by the person's own range, so a noisy, distant
  person cannot count jitter but still counts real reps), and ``adapt_frac`` of the
  person's typical depth over their last three reps (a wobble in a set of deep reps
  is not a rep, a tired, shallower last rep still is).

``anchor = "auto"`` (sit to stand) starts from the first settled posture: standing if
the signal is inside the plausible standing range, seated if it is clearly below it
(by ``deep_min``). A cycle that turns back before its depth is reported as a partial
("did not reach the full range"), as is one that was too quick, too slow, begun
part-way, or interrupted by losing the signal; partials never count.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

NOISE_DEEP = 6.0  # a rep must move at least this many jitter SDs from the anchor
NOISE_LEAVE = 4.0  # leaving the anchor needs this many jitter SDs
RETURN_FRAC = 0.35  # counted once back within this fraction of the depth
START_FRAC = 0.4  # a rep must start within this fraction of its depth of the anchor
LEAVE_FRAC = 0.3  # leaving the anchor: this fraction of the smallest depth
RETURN_TIME_FRAC = 0.6  # share of a smooth return's time spent reaching that line
HOLD_FRAC = 0.2  # "holding" the far position: within this fraction of the depth
Anchor = Literal["rest", "deep", "auto"]
Zone = Literal["rest", "deep"]


@dataclass(frozen=True, slots=True)
class CounterConfig:
    """Counting settings for one signal (all in the signal's own units).

    Attributes:
        direction: -1 when the rep moves the signal down (knee angle in a squat), +1
            when it moves it up (knee angle in a knee extension).
        home: Typical value at rest (the standing or start position); used for the
            displayed zones until the person's own level is known.
        home_min: Lowest plausible rest value (in the signal's units).
        home_max: Highest plausible rest value.
        rest_margin: Kept for configuration files written for the zone counter;
            the return line is now a fraction of each rep's depth.
        deep_margin: Typical depth of a rep, used for the displayed zones until the
            person's own depth is known.
        deep_min: Smallest depth that is ever a rep (a mini squat's range).
        adapt_frac: A rep must reach this fraction of the person's typical depth
            (the median of their last three reps).
        anchor: Which position a rep starts and ends in: "rest", "deep", or "auto"
            (the first settled posture, e.g. seated or standing).
        min_dwell_s: Kept for configuration files; spikes are rejected by the
            duration gate and the smoothing in front of the counter.
        min_rep_s: Shorter cycles are rejected (reported as partial).
        max_rep_s: Longer cycles are rejected (reported as partial).
        max_gap_s: Losing the signal for longer than this abandons the current cycle.
        window_s: Kept for configuration files (levels now come from the reps).
    """

    direction: int = -1
    home: float = 175.0
    home_min: float = 150.0
    home_max: float = 185.0
    rest_margin: float = 20.0
    deep_margin: float = 40.0
    deep_min: float = 25.0
    adapt_frac: float = 0.3
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
        start_s: When the signal left the anchor position.
        end_s: When the return was confirmed (or the cycle abandoned).
        complete: True for a counted rep.
        reason: Why a partial did not count ("" for a rep).
        peak: Highest raw value during the cycle.
        trough: Lowest raw value during the cycle.
        t_far: Time of the extreme value furthest from the anchor.
        hold_s: Time spent near the far position.
        return_s: Estimated time of the whole way back from the far point. The rep
            is confirmed part-way back, at the return line; for a smooth
            (cosine-shaped) return that line is passed after ``RETURN_TIME_FRAC``
            of the return time, so the time to it is scaled by that fraction.
    """

    start_s: float
    end_s: float
    complete: bool
    reason: str
    peak: float
    trough: float
    t_far: float
    hold_s: float
    return_s: float


class RepCounter:
    """Count reps of one signal (see the module docs). Feed it every frame."""

    # The cycle in progress, set by _reset_state() (all in "rep units" u).
    _state: str  # seek -> anchor -> out -> anchor ...
    _u_now: float | None
    _last_t: float | None
    _a_u: float  # most anchor-ward value at the start position
    _a_t: float
    _start_u: float
    _start_t: float
    _out_t: float
    _far_u: float
    _far_t: float
    _ret_u: float  # most anchor-ward value since the far point
    _rest_sum: float
    _rest_n: int
    _still_t: float  # last frame seen at the start position
    _open: bool  # the cycle began on the first frame, already moving out
    _trace: list[tuple[float, float]]

    def __init__(self, config: CounterConfig) -> None:
        if config.direction not in (-1, 1):
            raise ValueError("direction must be -1 or 1")
        self.config = config
        self._count = 0
        self._anchor: Zone | None = None if config.anchor == "auto" else config.anchor
        self._starts: deque[float] = deque(maxlen=3)  # recent start levels (u units)
        self._depths: deque[float] = deque(maxlen=3)  # recent counted depths
        self._fars: deque[float] = deque(maxlen=3)  # their far points (u units)
        self._dx: deque[float] = deque(maxlen=120)
        self._noise = 0.0
        self._noise_n = 0
        self._prev: tuple[float, float] | None = None
        self._level: float | None = None  # anchor level (u units), once known
        self._first_t: float | None = None
        self._bent: tuple[float, float] | None = None  # most bent, before an anchor
        self._reset_state()

    # ------------------------------------------------------------------ public
    @property
    def count(self) -> int:
        """Completed reps so far (read-only, never goes down)."""
        return self._count

    @property
    def phase(self) -> str:
        """Current phase: "idle" (no reference yet), "rest", "moving" or "deep".

        "rest" and "deep" name the two ends of the movement (standing and seated
        for a sit to stand), whichever one reps start from: the start position
        while there, the far one once a cycle is past its required depth and near
        its furthest point.
        """
        if self._level is None or self._anchor is None:
            return "idle"
        far: Zone = "deep" if self._anchor == "rest" else "rest"
        if self._state == "anchor":
            return self._anchor
        u = self._u_now
        if self._state != "out" or u is None or u - self._level < self._depth():
            return "moving"
        if self._far_u - u < self._leave():  # still on the way out
            rest_x, deep_x = self._zone_lines()
            line = deep_x if self._anchor == "rest" else -rest_x
            return far if u >= line else "moving"
        # On the way back: near the far point still counts as there.
        return far if self._far_u - u <= 0.3 * (self._far_u - self._level) else "moving"

    @property
    def noise(self) -> float:
        """Estimated jitter (SD) of the signal, in its own units (0 until known)."""
        return self._noise

    @property
    def anchor(self) -> Zone | None:
        """The position reps start and end in (None until known for "auto")."""
        return self._anchor

    @property
    def in_cycle(self) -> bool:
        """True while a cycle is in progress."""
        return self._state == "out"

    @property
    def cycle_start(self) -> float | None:
        """Start time of the cycle in progress, if any."""
        return self._start_t if self._state == "out" else None

    def thresholds(self) -> tuple[float, float]:
        """Current (rest, deep) zone lines in the signal's own units."""
        rest_x, deep_x = self._zone_lines()
        d = self.config.direction
        return rest_x * d, deep_x * d

    def reset_tracking(self, t: float) -> Cycle | None:
        """Abandon the cycle in progress (tracking jumped, e.g. a camera cut)."""
        ev = self._abandon(t, "tracking was lost during the rep")
        self._reset_state()
        for levels in (self._starts, self._depths, self._fars):
            levels.clear()  # another framing: the person's range is read anew
        self._level = None
        return ev

    def cancel_cycle(self) -> None:
        """Drop the cycle in progress without reporting it (a mirrored duplicate)."""
        if self._state == "out":
            self._to_seek()

    def flush(self, value: float | None, t: float) -> Cycle | None:
        """End of the stream: count a return that the very last frame shows.

        The return line is normally crossed while frames still come; this only
        matters when the last frame is the first one past it.
        """
        if value is None or self._state != "out":
            return None
        return self._step(self._u(value), t)

    def update(self, value: float | None, t: float) -> Cycle | None:
        """Feed one sample; return a finished cycle (rep or partial) if one ended."""
        cfg = self.config
        if value is None:
            if self._last_t is not None and t - self._last_t > cfg.max_gap_s:
                ev = self._abandon(self._last_t, "you went out of view during the rep")
                self._to_seek()
                self._last_t = None
                return ev
            return None
        x = cfg.direction * value
        if self._first_t is None:
            self._first_t = t
        self._measure_noise(x, t)
        self._last_t = t
        if self._anchor is None and not self._choose_anchor(x, t):
            return None
        return self._step(self._u(value), t)

    # ----------------------------------------------------------------- helpers
    def _reset_state(self) -> None:
        """Forget the cycle in progress (the learnt levels are kept)."""
        self._state = "seek"
        self._u_now = None
        self._last_t = None
        self._a_u = math.inf
        self._a_t = 0.0
        self._start_u = 0.0
        self._start_t = 0.0
        self._out_t = 0.0
        self._far_u = -math.inf
        self._far_t = 0.0
        self._ret_u = math.inf
        self._rest_sum, self._rest_n = 0.0, 0
        self._still_t = -math.inf
        self._open = False
        self._trace = []

    def _to_seek(self) -> None:
        """Wait for the start position again (after a lost or abandoned cycle)."""
        self._state = "seek"
        self._a_u = math.inf

    def _u(self, value: float) -> float:
        """The signal in 'rep units': grows from the anchor towards the far point."""
        x = self.config.direction * value
        return x if self._anchor != "deep" else -x

    def _x_of(self, u: float) -> float:
        return u if self._anchor != "deep" else -u

    def _measure_noise(self, x: float, t: float) -> None:
        if self._prev is not None and 0 < t - self._prev[1] <= 0.2:
            self._dx.append(abs(x - self._prev[0]))
            self._noise_n += 1
            if len(self._dx) >= 20 and self._noise_n % 8 == 0:
                # Jitter from frame-to-frame differences: for white noise of SD s,
                # the lower quartile of |dx| is 0.45 s (motion only adds to it).
                self._noise = sorted(self._dx)[len(self._dx) // 4] / 0.45
        self._prev = (x, t)

    def _rest_bounds(self) -> tuple[float, float]:
        cfg = self.config
        lo, hi = sorted((cfg.direction * cfg.home_min, cfg.direction * cfg.home_max))
        return lo, hi

    def _choose_anchor(self, x: float, t: float) -> bool:
        """auto: standing if inside the plausible rest range, seated if clearly not.

        A recording that starts bent but not clearly seated (a low reading of a
        seated knee) and then rises into the standing range started seated: the
        most bent position seen is the seat, and the rise is the first rep's way out.
        """
        lo, hi = self._rest_bounds()
        if x > hi + self.config.deep_min:
            self._anchor = "deep"
        elif lo <= x <= hi:
            if (
                self._bent is not None
                and self._bent[0] > hi + 0.5 * self.config.deep_min
            ):
                self._anchor = "deep"
                self._level = self._a_u = -self._bent[0]
                self._a_t = self._still_t = self._bent[1]
                self._state = "anchor"
            else:
                self._anchor = "rest"
        else:
            if self._bent is None or x > self._bent[0]:
                self._bent = (x, t)
            return False
        return True

    def _depth(self) -> float:
        """The depth a rep needs now (see the module docs)."""
        cfg = self.config
        need = cfg.deep_min
        typical = sorted(self._depths)[len(self._depths) // 2] if self._depths else 0.0
        if typical:
            need = max(need, cfg.adapt_frac * typical)
        cap = max(cfg.deep_margin, 0.6 * typical)
        return max(need, min(NOISE_DEEP * self._noise, cap))

    def _leave(self) -> float:
        """How far the signal must move to leave the start position (or turn)."""
        noisy = min(NOISE_LEAVE * self._noise, 0.5 * self._depth())
        return max(LEAVE_FRAC * self.config.deep_min, noisy)

    def _in_rest_range(self, u: float) -> bool:
        """Is `u` a plausible start position (standing, or for "deep", seated)?"""
        lo, hi = self._rest_bounds()
        if self._anchor == "deep":
            return -u > hi + 0.5 * self.config.deep_min  # clearly bent: seated
        return lo <= u <= hi

    def _step(self, u: float, t: float) -> Cycle | None:
        self._u_now = u
        if self._state == "seek":
            if self._level is None:
                if not self._in_rest_range(u):
                    # Never seen in the usual start range (a split stance, knees
                    # that never straighten): the first turn back from the most
                    # start-ward position sets the level.
                    if u <= self._a_u or t - self._a_t > 3.0:
                        self._a_u, self._a_t = u, t
                    if u - self._a_u < max(self._leave(), 0.5 * self.config.deep_min):
                        return None  # not yet a turn (jitter at the far point)
                    u = self._a_u
                    self._open = self._a_t == self._first_t
                self._level = u
            if u - self._level > START_FRAC * self._depth():
                return None  # still away from the start position
            self._state = "anchor"
            if u < self._a_u or self._a_u == math.inf:
                self._a_u, self._a_t = u, t
            return None
        if self._state == "anchor":
            # The start position just before the rep (its most anchor-ward value over
            # the last few seconds) is where the rep starts.
            if u <= self._a_u or t - self._a_t > 3.0:
                self._a_u, self._a_t = u, t
            if u - self._a_u >= self._leave():
                self._begin(t)
                self._out_t = t
                self._trace.append((t, u))
                self._far_u, self._far_t = u, t
            else:
                self._rest_sum += u
                self._rest_n += 1
                self._still_t = t
            return None
        # state == "out"
        if t - self._start_t > self.config.max_rep_s:
            ev = self._finish(t, False, "took too long to be one rep")
            self._to_seek()
            return ev
        self._trace.append((t, u))
        if u > self._far_u:
            self._far_u, self._far_t = u, t
            self._ret_u = u
        self._ret_u = min(self._ret_u, u)
        level = self._level if self._level is not None else self._start_u
        if self._open:
            # First seen already on the way out: the start position is learnt from
            # where the person comes back to.
            level = min(level, self._ret_u)
        depth = self._far_u - level
        if (
            not self._open
            and self._far_u - self._start_u < 0.5 * self._depth()
            and u - self._start_u <= 0.5 * self._leave()
        ):
            # A drift that never got anywhere and is back: still at the start.
            self._state = "anchor"
            self._a_u, self._a_t = min(u, self._start_u), t
            return None
        if u - level > RETURN_FRAC * max(depth, 0.0) or self._far_u - u < self._leave():
            if not (self._open and u - self._ret_u >= self._leave()):
                return None
        elif self._open and depth < self._depth() and u <= self._ret_u:
            return None  # still coming back: the depth may yet be enough
        return self._complete(t, level, depth)

    def _begin(self, t: float) -> None:
        self._state = "out"
        # The rep starts at the last frame seen at the start position.
        self._start_u, self._start_t = self._a_u, max(self._a_t, self._still_t)
        # The level is the mean of the time at the start position (robust to
        # jitter), not its extreme.
        rest = self._rest_sum / self._rest_n if self._rest_n else self._a_u
        self._starts.append(max(rest, self._a_u))
        self._rest_sum, self._rest_n = 0.0, 0
        self._level = sorted(self._starts)[len(self._starts) // 2]
        self._trace = [(self._a_t, self._a_u)]

    def _complete(self, t: float, level: float, depth: float) -> Cycle | None:
        cfg = self.config
        self._state = "anchor"
        if self._open:
            self._open = False
            self._level = level
            self._starts.clear()
        self._a_u, self._a_t = self._trace[-1][1], t
        need = self._depth()
        dur = t - self._start_t
        wobble = max(0.5 * need, min(NOISE_DEEP * self._noise, need))
        if depth < wobble or t - self._out_t < cfg.min_dwell_s:
            return None  # a wobble or a one-frame spike, not an attempt
        if depth < need:
            return self._finish(t, False, "did not reach the full range")
        if self._start_u - level > START_FRAC * depth and not self._open:
            return self._finish(t, False, "started part-way through")
        if dur < cfg.min_rep_s:
            return self._finish(t, False, "too quick to be a rep")
        if dur > cfg.max_rep_s:
            return self._finish(t, False, "took too long to be one rep")
        self._count += 1
        self._depths.append(depth)
        self._fars.append(self._far_u)
        return self._finish(t, True, "")

    def _finish(self, t: float, complete: bool, reason: str) -> Cycle:
        d = self.config.direction
        vals = [self._x_of(u) * d for _, u in self._trace]
        far, level = self._far_u, self._level if self._level is not None else 0.0
        band = HOLD_FRAC * max(far - level, 1e-9)
        hold = 0.0
        for (t0, u0), (t1, _) in itertools.pairwise(self._trace):
            if far - u0 <= band:
                hold += t1 - t0
        return Cycle(
            start_s=self._start_t,
            end_s=t,
            complete=complete,
            reason=reason,
            peak=max(vals),
            trough=min(vals),
            t_far=self._far_t,
            hold_s=hold,
            return_s=(t - self._far_t) / (RETURN_TIME_FRAC if complete else 1.0),
        )

    def _abandon(self, t: float, reason: str) -> Cycle | None:
        if self._state != "out" or not self._trace:
            return None
        level = self._level if self._level is not None else self._start_u
        if self._far_u - level < 0.5 * self._depth():
            return None
        return self._finish(t, complete=False, reason=reason)

    def _zone_lines(self) -> tuple[float, float]:
        """(rest, deep) lines in x units: a quarter of the way in from either end.

        The two ends are the person's own: the anchor level, and the median far
        point of their last reps (the catalogue's typical values until then).
        """
        cfg = self.config
        if self._level is None or self._anchor is None:
            rest = cfg.direction * cfg.home
            return rest + 0.25 * cfg.deep_margin, rest + 0.75 * cfg.deep_margin
        if self._fars:
            far = sorted(self._fars)[len(self._fars) // 2]
        elif self._anchor == "rest":
            far = self._level + cfg.deep_margin
        else:
            far = -(cfg.direction * cfg.home)  # standing, in u units
        span = far - self._level
        near_u, far_u = self._level + 0.25 * span, far - 0.25 * span
        if self._anchor == "rest":
            return near_u, far_u
        return -far_u, -near_u
