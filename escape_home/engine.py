"""The exercise tracker: poses in; reps, holds, form faults, cues and warnings out.

`ExerciseTracker` is fed every frame (including empty ones, when nobody is in view) by
the live app and by offline analysis alike. It is cheap per frame (tens of
microseconds): one unpacking of the pose to plain floats, a handful of measurements,
and a small state machine per signal.

Per frame, `update` returns a `FrameUpdate`: total reps and reps per side, the phase,
the counted signal (None when it cannot be measured this frame, never a stale value),
the rep or hold completed on this frame, the hold in progress, a cue (set only on the
frame it is issued: at most one, the most important, rate-limited) and a framing or
view warning (repeated on every frame while the problem lasts).

`summary()` is JSON-ready: ``exercise``, ``reps`` (both sides), ``reps_by_side``
(``{"left", "right"}`` for one-leg and alternating exercises, else ``{"both"}``),
``reps_detail`` (per rep: start_s, end_s, side, metrics, faults with value and
threshold), ``partial_reps`` (start_s, end_s, side, reason), ``faults`` (count and cue
per fault key), ``warnings`` (plain sentences), ``holds`` (balance) and ``symmetry``
(one-leg exercises: |L - R| / mean of the range of motion).
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from escape_home import measures as ms
from escape_home.counting import Cycle, RepCounter
from escape_home.events import Cue, FrameUpdate, Hold, Rep
from escape_home.evidence import CycleEvidence
from escape_home.exercises import ExerciseSpec, get_exercise
from escape_home.form import CueGate, FormTracker
from escape_home.holds import HoldTracker
from escape_home.landmarks import Pose
from escape_home.movement import MovementEvidence, mismatch
from escape_home.movement import warning as movement_warning
from escape_home.signals import SIDES, Body, joint
from escape_home.smoothing import Smoother, make_smoother

MIN_VISIBILITY = 0.5
WARN_AFTER_S = 1.0

_JOINT_ALIASES = {"foot_index": "toe"}
_VIEW_WARNING = {
    "side": "Turn side-on to the camera",
    "front": "Face the camera",
    "oblique": "Turn a little so the camera sees you at an angle",
}
_NOBODY = "I can't see you: step into the camera view"
_FAR_LEG = "If you are working the leg further from the camera, turn so it is nearest"
FAR_LEG_HINT_S = 8.0
SCALE_JUMP = 1.4  # the shank's picture length changing this much at once: a cut
WRONG_MOVE_S = 8.0  # a wrong-movement warning stays up this long (or until a rep)


def _framing_warning(missing: str) -> str:
    if missing in ("ankle", "heel", "toe", "foot_index"):
        return "Step back so your feet are in view"
    if missing in ("hip", "knee"):
        return "Step back so your legs are in view"
    return "Step back so your whole body is in view"


@dataclass
class _Channel:
    """One counted signal: the whole body, or one leg."""

    side: str
    smoother: Smoother
    counter: RepCounter
    form: FormTracker
    value: float | None = None
    raw: float | None = None
    evidence: CycleEvidence = field(default_factory=CycleEvidence)
    movement: MovementEvidence = field(default_factory=MovementEvidence)


class ExerciseTracker:
    """Count reps (or holds) and judge form for one exercise.

    Args:
        exercise_id: An ID from the catalogue (see `escape_home.exercises`).
        overrides: Settings to change, in the layout of the exercise's TOML table,
            e.g. ``{"counter": {"deep_margin": 30}}``.

    Raises:
        UnknownExercise: The ID is not in the catalogue.
    """

    def __init__(self, exercise_id: str, overrides: Mapping[str, Any] | None = None):
        self.spec: ExerciseSpec = get_exercise(exercise_id, overrides)
        spec = self.spec
        self.ctx = ms.Context()
        self._body_fn = ms.BODY_SIGNALS.get(spec.signal)
        self._side_fn = ms.SIDE_SIGNALS.get(spec.signal)
        if self._body_fn is None and self._side_fn is None:
            raise ValueError(f"Exercise {spec.id!r}: unknown signal {spec.signal!r}")
        sides = list(SIDES) if spec.mode == "per_side" else ["both"]
        self._channels = [
            _Channel(
                side=s,
                smoother=make_smoother(**spec.smoothing),
                counter=RepCounter(spec.counter),
                form=FormTracker(spec.form),
            )
            for s in sides
        ]
        self._holds = HoldTracker(
            spec.hold, make_smoother(**spec.smoothing), FormTracker(spec.form)
        )
        self._required = [_JOINT_ALIASES.get(j, j) for j in spec.required]
        self._cues = CueGate()
        self.reps: list[Rep] = []
        self.partials: list[dict[str, Any]] = []
        self._warnings: dict[str, None] = {}
        self._fault_counts: Counter[str] = Counter()
        self._fault_cues: dict[str, str] = {}
        self._problem: str | None = None
        self._problem_since = 0.0
        self._last_t = 0.0
        self._last_seen: tuple[float, float, float] | None = None
        self._scale: float | None = None  # shank length in the picture (smoothed)
        self._scale_jump = self._scale_n = 0
        self._hint_since: float | None = None
        self._wrong: tuple[str, float] | None = None  # (warning, when given)

    # ------------------------------------------------------------------ frames
    def update(self, pose: Pose) -> FrameUpdate:
        """Process one frame (an empty pose when nobody is in view)."""
        t = pose.timestamp_s
        self._last_t = t
        body: Body | None = None
        problem: str | None = None
        if pose.is_empty:
            problem = _NOBODY
        else:
            body = Body(pose, MIN_VISIBILITY)
            if self._jump_cut(body, t):
                self.ctx.reset_body()
                for ch in self._channels:
                    self._handle(ch, ch.counter.reset_tracking(t), t)
                    ch.smoother.reset()
            self.ctx.update(body, t)
            problem = self._framing_problem(body)
        warning = self._warning(problem, t)
        # A problem stops measuring once it has lasted as long as its warning takes
        # to appear: a moment of doubt about the view must not drop a rep.
        usable = body if problem is None or warning is None else None
        cue_candidates: list[Cue] = []
        rep: Rep | None = None
        if self.spec.mode == "hold":
            hold = self._holds.update(usable, self.ctx, t)
            if hold is not None:
                self._faults_of(hold.faults)
            return FrameUpdate(
                timestamp_s=t,
                reps=0,
                reps_by_side={},
                phase=self._holds.phase,
                signal=self._holds.value,
                hold=hold,
                hold_s=self._holds.current_s(t),
                cue=None,
                warning=warning,
            )
        for ch in self._channels:
            raw = self._measure(ch, usable)
            ch.raw = raw
            ch.value = ch.smoother.update(raw, t)
            was_in = ch.counter.in_cycle
            cyc = ch.counter.update(ch.value, t)
            if ch.counter.in_cycle and usable is not None:
                ev = ch.evidence
                if not was_in:
                    ch.form.start_rep()
                    ev.start(t)
                    ch.movement.start()
                ch.movement.frame(usable, self.ctx)
                ev.bend(usable, self.ctx, t, self.spec.max_trunk_flexion)
                if "symmetry" in self.spec.metrics:
                    ev.knees(usable, self.ctx)
                if self.spec.side_vote:
                    ev.vote(self.spec.side_vote, usable, self.ctx, ch.counter.phase)
                for r in ch.form.frame(usable, self.ctx, ch.counter.phase):
                    cue_candidates.append(Cue(r.key, r.cue, r.priority))
            done = self._handle(ch, cyc, t)
            if done is not None:
                rep = done
                cue_candidates += [Cue(f.key, f.cue, f.priority) for f in done.faults]
        cue = self._cues.offer(cue_candidates, t) if cue_candidates else None
        if warning is None and self._wrong is not None:
            if rep is not None or t - self._wrong[1] > WRONG_MOVE_S:
                self._wrong = None
            else:
                warning = self._wrong[0]
        if warning is None and self.spec.mode == "per_side":
            warning = self._far_leg_hint(t, rep is not None)
        main = self._main_channel()
        return FrameUpdate(
            timestamp_s=t,
            reps=len(self.reps),
            reps_by_side=self._by_side(),
            phase=main.counter.phase,
            signal=None if main.value is None else round(main.value, 3),
            rep=rep,
            cue=cue,
            warning=warning,
        )

    def _far_leg_hint(self, t: float, rep_done: bool) -> str | None:
        """Side-on, only one leg seen and nothing happening on it for a while: the
        person may be working the hidden leg, which cannot be counted."""
        seen = [ch for ch in self._channels if ch.raw is not None]
        idle = (
            self.ctx.view == "side"
            and len(seen) == 1
            and not seen[0].counter.in_cycle
            and not rep_done
        )
        if not idle:
            self._hint_since = None
            return None
        if self._hint_since is None:
            self._hint_since = t
        if t - self._hint_since < FAR_LEG_HINT_S:
            return None
        self._warnings.setdefault(_FAR_LEG, None)
        return _FAR_LEG

    def _measure(self, ch: _Channel, body: Body | None) -> float | None:
        if body is None:
            return None
        if self._side_fn is not None:
            side = "left" if ch.side == "left" else "right"
            return self._side_fn(body, self.ctx, side)  # type: ignore[arg-type]
        assert self._body_fn is not None  # one of the two is set (checked in __init__)
        return self._body_fn(body, self.ctx)

    def _framing_problem(self, body: Body) -> str | None:
        view = self.ctx.view
        if view is not None and view not in self.spec.views:
            return _VIEW_WARNING[self.spec.view]
        for name in self._required:
            if not any(body.ok(joint(s, name)) for s in SIDES):
                return _framing_warning(name)
        return None

    def _warning(self, problem: str | None, t: float) -> str | None:
        if problem != self._problem:
            self._problem, self._problem_since = problem, t
        if problem is not None and t - self._problem_since >= WARN_AFTER_S:
            self._warnings.setdefault(problem, None)
            return problem
        return None

    def _jump_cut(self, body: Body, t: float) -> bool:
        """True when the tracked body jumps (a camera cut, a zoom, another person).

        Real movement cannot move the hips by a third of the frame height in a
        quarter of a second, nor change the shank's length in the picture by 40 %
        from one frame to the next (the longer shank of the two hardly
        foreshortens; the torso does, wildly, in a deep squat seen from the
        front). A scale jump must last three frames, so one garbled frame from the
        pose model is not taken for a cut.
        """
        hip = body.mid(joint("left", "hip"), joint("right", "hip"))
        if hip is None:
            return False
        prev, self._last_seen = self._last_seen, (t, hip[0], hip[1])
        if prev is not None and t - prev[0] <= 0.25:
            if math.hypot(hip[0] - prev[1], hip[1] - prev[2]) > 0.33:
                self._scale = None
                return True
        shanks = [body.dist(joint(s, "knee"), joint(s, "ankle")) for s in SIDES]
        shank = max((x for x in shanks if x), default=None)
        if shank is None:
            return False
        if self._scale is None:
            self._scale, self._scale_jump, self._scale_n = shank, 0, 0
            return False
        ratio = shank / max(self._scale, 1e-6)
        if self._scale_n >= 10 and not 1 / SCALE_JUMP < ratio < SCALE_JUMP:
            self._scale_jump += 1
            if self._scale_jump >= 3:
                self._scale, self._scale_jump = shank, 0
                return True
            return False
        self._scale_jump = 0
        self._scale_n += 1
        self._scale += 0.2 * (shank - self._scale)
        return False

    def _handle(self, ch: _Channel, cyc: Cycle | None, t: float) -> Rep | None:
        if cyc is None:
            return None
        side = ch.side
        if self.spec.mode == "alternating":
            side = ch.evidence.side()
        if cyc.complete and ch.evidence.bent_over:
            cyc = replace(
                cyc, complete=False, reason="bent forward (picking something up?)"
            )
        duration = cyc.end_s - cyc.start_s
        fails = (
            mismatch(self.spec.movement, ch.movement, side, duration)
            if cyc.complete
            else []
        )
        if fails:
            text = movement_warning(self.spec.movement, ch.movement, self.spec.id)
            self._warnings.setdefault(text, None)
            self._wrong = (text, t)
            noun = self.spec.movement.noun
            cyc = replace(
                cyc,
                complete=False,
                reason=f"did not look like {noun} ({', '.join(fails)})",
            )
        if not cyc.complete:
            self.partials.append(
                {
                    "start_s": round(cyc.start_s, 3),
                    "end_s": round(cyc.end_s, 3),
                    "side": side,
                    "reason": cyc.reason,
                }
            )
            ch.form.start_rep()
            return None
        if self._mirrored(ch, cyc):
            ch.form.start_rep()
            return None
        metrics = self._metrics(ch, cyc)
        faults = ch.form.finish_rep(metrics)
        self._faults_of(faults)
        rep = Rep(len(self.reps) + 1, side, cyc.start_s, cyc.end_s, metrics, faults)  # type: ignore[arg-type]
        self.reps.append(rep)
        return rep

    def _mirrored(self, ch: _Channel, cyc: Cycle) -> bool:
        """Per-side exercises: drop a rep that copies one just counted on the other leg.

        Side-on, the pose model often guesses the hidden leg as a copy of the seen one;
        real alternating reps do not overlap in time.
        """
        if self.spec.mode != "per_side":
            return False
        dur = max(cyc.end_s - cyc.start_s, 1e-6)
        for other in self._channels:
            if other is ch:
                continue
            start = other.counter.cycle_start
            if start is not None and abs(start - cyc.start_s) < 0.35 * dur:
                other.counter.cancel_cycle()
        for r in reversed(self.reps[-4:]):
            if r.side == ch.side:
                continue
            overlap = min(r.end_s, cyc.end_s) - max(r.start_s, cyc.start_s)
            if overlap > 0.5 * dur:
                return True
        return False

    def _metrics(self, ch: _Channel, cyc: Cycle) -> dict[str, float]:
        angle = "peak_angle" in self.spec.metrics
        out_first = ch.counter.anchor != "deep"
        t_out, t_back = cyc.t_far - cyc.start_s, cyc.return_s
        if not out_first:
            t_out, t_back = t_back, t_out
        up_first = self.spec.out_phase == "up"
        m = {
            "peak_angle" if angle else "peak": cyc.peak,
            "trough_angle" if angle else "trough": cyc.trough,
            "rom": cyc.peak - cyc.trough,
            "time_up_s": t_out if up_first else t_back,
            "time_down_s": t_back if up_first else t_out,
            "hold_s": cyc.hold_s,
        }
        sym = ch.evidence.symmetry()
        if sym is not None:
            m["symmetry"] = sym
        return {k: v for k, v in m.items() if k in self.spec.metrics or k == "rom"}

    def _faults_of(self, faults: Iterable[Any]) -> None:
        for f in faults:
            self._fault_counts[f.key] += 1
            self._fault_cues[f.key] = f.cue

    def _by_side(self) -> dict[str, int]:
        if self.spec.mode == "bilateral":
            return {"both": len(self.reps)}
        c = Counter(r.side for r in self.reps)
        out = {"left": c["left"], "right": c["right"]}
        if c["both"]:
            out["both"] = c["both"]
        return out

    def _main_channel(self) -> _Channel:
        if len(self._channels) == 1:
            return self._channels[0]
        active = [c for c in self._channels if c.counter.in_cycle]
        if active:
            return active[0]
        seen = [c for c in self._channels if c.value is not None]
        return seen[0] if seen else self._channels[0]

    def finish(self) -> Rep | None:
        """End of a recording: count a rep whose return the last frames just showed.

        Call once after the last frame of a file (not in a live loop); `summary`
        does not call it, so it stays a pure read.
        """
        last: Rep | None = None
        for ch in self._channels:
            value = ch.raw if ch.raw is not None else ch.value
            last = (
                self._handle(ch, ch.counter.flush(value, self._last_t), self._last_t)
                or last
            )
        return last

    # ----------------------------------------------------------------- results
    @property
    def raw_signals(self) -> tuple[float | None, ...]:
        """This frame's counted signal per channel, before smoothing (None: unseen)."""
        return tuple(ch.raw for ch in self._channels)

    @property
    def count(self) -> int:
        """Completed reps so far (both sides)."""
        return len(self.reps)

    def summary(self) -> dict[str, Any]:
        """The set so far as JSON-ready data; a pure read (the tracker is unchanged).

        A rep whose return to the start position the last frames already show is
        included (as `finish` would count it), so a recording that ends just as the
        person gets back still counts its last rep.
        """
        snap = copy.deepcopy(self)
        snap.finish()
        return snap._summary()

    def _summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "exercise": self.spec.id,
            "reps": len(self.reps),
            "reps_by_side": self._by_side() if self.spec.mode != "hold" else {},
            "reps_detail": [r.to_dict() for r in self.reps],
            "partial_reps": list(self.partials),
            "faults": {
                k: {"count": n, "cue": self._fault_cues[k]}
                for k, n in self._fault_counts.most_common()
            },
            "warnings": list(self._warnings),
        }
        if self.spec.mode == "hold":
            holds: list[Hold] = self._holds.all_holds(self._last_t)
            out["holds"] = [h.to_dict() for h in holds]
        elif self.spec.mode == "per_side":
            out["symmetry"] = _symmetry(self.reps)
        return out


def _symmetry(reps: list[Rep]) -> float | None:
    """Asymmetry index |L - R| / mean of the mean range of motion per side."""
    by: dict[str, list[float]] = {"left": [], "right": []}
    for r in reps:
        if r.side in by and "rom" in r.metrics:
            by[r.side].append(r.metrics["rom"])
    if not by["left"] or not by["right"]:
        return None
    lm, rm = (sum(v) / len(v) for v in (by["left"], by["right"]))
    mean = (lm + rm) / 2
    return round(abs(lm - rm) / mean, 3) if mean > 0 else None


def analyse_poses(
    exercise_id: str, poses: Iterable[Pose], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Run a tracker over a sequence of poses and return its summary."""
    tracker = ExerciseTracker(exercise_id, overrides)
    for p in poses:
        tracker.update(p)
    return tracker.summary()
