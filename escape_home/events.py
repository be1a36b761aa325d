"""Events the exercise engine emits: what the log, the overlay and the page react to.

These are plain data; nothing here knows about MediaPipe, OpenCV, Flask or SQLite.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Side = Literal["left", "right", "both"]


@dataclass(frozen=True, slots=True)
class Fault:
    """A form fault measured on one rep (or hold).

    Attributes:
        key: Stable identifier, e.g. ``"trunk_flexion"``.
        cue: Plain-English cue for the person, e.g. "Stand up tall at the top".
        value: The measured quantity.
        threshold: The threshold it crossed.
        unit: Unit of value and threshold ("deg", "s", "ratio", ...).
        priority: Higher is more important (used to pick the one live cue).
    """

    key: str
    cue: str
    value: float
    threshold: float
    unit: str = ""
    priority: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Rep:
    """One completed repetition.

    Attributes:
        index: 1-based rep number within the set.
        side: Working side ("left", "right" or "both" for bilateral exercises).
        start_s: Time the rep started.
        end_s: Time the rep completed.
        metrics: Per-rep metrics (e.g. ``peak_angle``, ``trough_angle``, ``rom``,
            ``time_up_s``, ``time_down_s``, ``hold_s``).
        faults: Faults found on this rep.
    """

    index: int
    side: Side
    start_s: float
    end_s: float
    metrics: dict[str, float] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "side": self.side,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "metrics": {k: round(v, 2) for k, v in self.metrics.items()},
            "faults": [f.to_dict() for f in self.faults],
        }


@dataclass(frozen=True, slots=True)
class Hold:
    """One balance hold (single-leg stance)."""

    side: Side
    start_s: float
    end_s: float
    faults: tuple[Fault, ...] = ()

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "duration_s": round(self.duration_s, 3),
            "faults": [f.to_dict() for f in self.faults],
        }


@dataclass(frozen=True, slots=True)
class Cue:
    """One live coaching cue (at most one is shown at a time)."""

    key: str
    text: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class FrameUpdate:
    """What the engine reports after each frame.

    Attributes:
        timestamp_s: Frame time.
        reps: Total completed reps so far (both sides).
        reps_by_side: Completed reps per side.
        phase: Current phase name (e.g. "up", "down", "hold", "idle").
        signal: The primary tracked signal this frame (e.g. knee angle), or None
            when it could not be measured (never a stale value).
        rep: The rep completed on this frame, if any.
        hold: The hold completed on this frame, if any.
        hold_s: Duration of the hold in progress (balance), else 0.
        cue: The live cue to show now, if any (already rate-limited).
        warning: A framing / view warning to show now, if any.
    """

    timestamp_s: float
    reps: int
    reps_by_side: dict[str, int]
    phase: str
    signal: float | None
    rep: Rep | None = None
    hold: Hold | None = None
    hold_s: float = 0.0
    cue: Cue | None = None
    warning: str | None = None
