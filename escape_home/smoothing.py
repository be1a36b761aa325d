"""Signal smoothers for the exercise engine: swappable, time-aware, gap-aware.

Every smoother takes the sample time as well as the value, so the same settings work at
10 fps and at 60 fps. A ``None`` sample (unmeasurable this frame) passes through as
``None``: the engine never invents a value, and a long gap restarts the filter so a
stale state is not blended into new data.
"""

from __future__ import annotations

import math
from typing import Protocol


class Smoother(Protocol):
    """What the engine needs from a smoother."""

    def update(self, value: float | None, t: float) -> float | None:
        """Feed one sample at time `t` (seconds); return the smoothed value or None."""

    def reset(self) -> None:
        """Forget all history."""


class NoSmoother:
    """Pass values through unchanged (for tests and for already-clean tracks)."""

    def update(self, value: float | None, t: float) -> float | None:
        return value

    def reset(self) -> None:
        return None


class EMASmoother:
    """Exponential moving average with a time constant, plus a 3-sample median.

    The median removes single-frame spikes (a landmark jumping for one frame), which
    an average alone would only spread out.

    Args:
        tau_s: Time constant in seconds; 0 disables the average.
        max_gap_s: A gap in the input longer than this restarts the filter.
        median3: Apply a 3-sample median before the average.
        median_max_dt_s: Skip the median when frames are further apart than this
            (below ~20 fps one frame is a real part of a fast movement, not a spike).
    """

    def __init__(
        self,
        tau_s: float = 0.08,
        max_gap_s: float = 0.5,
        median3: bool = True,
        median_max_dt_s: float = 0.06,
    ):
        if tau_s < 0:
            raise ValueError("tau_s must be >= 0")
        self.tau_s = tau_s
        self.max_gap_s = max_gap_s
        self.median3 = median3
        self.median_max_dt_s = median_max_dt_s
        self.reset()

    def reset(self) -> None:
        self._y: float | None = None
        self._t: float | None = None
        self._hist: list[tuple[float, float]] = []

    def update(self, value: float | None, t: float) -> float | None:
        if value is None:
            if self._t is not None and t - self._t > self.max_gap_s:
                self.reset()
            return None
        if self._t is not None and t - self._t > self.max_gap_s:
            self.reset()
        x = value
        if self.median3:
            self._hist.append((t, value))
            if len(self._hist) > 3:
                del self._hist[0]
            # Only three close frames make a spike filter; from sparse frames the
            # middle one is real movement.
            if (
                len(self._hist) == 3
                and t - self._hist[0][0] <= 2 * self.median_max_dt_s
            ):
                a, b, c = (v for _, v in self._hist)
                x = max(min(a, b), min(max(a, b), c))
        if self._y is None or self._t is None or self.tau_s == 0:
            self._y = x
        else:
            dt = max(t - self._t, 0.0)
            alpha = 1.0 - math.exp(-dt / self.tau_s)
            self._y += alpha * (x - self._y)
        self._t = t
        return self._y


class OneEuroSmoother:
    """The 1-euro filter (Casiez et al. 2012): smooth when still, quick when moving.

    Args:
        min_cutoff: Cut-off frequency (Hz) when the signal is still.
        beta: How fast the cut-off rises with speed (signal units per second).
        d_cutoff: Cut-off frequency (Hz) for the speed estimate.
        max_gap_s: A gap longer than this restarts the filter.
    """

    def __init__(
        self,
        min_cutoff: float = 1.5,
        beta: float = 0.02,
        d_cutoff: float = 1.0,
        max_gap_s: float = 0.5,
    ):
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.max_gap_s = max_gap_s
        self.reset()

    def reset(self) -> None:
        self._x: float | None = None
        self._dx = 0.0
        self._t: float | None = None

    @staticmethod
    def _alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def update(self, value: float | None, t: float) -> float | None:
        if self._t is not None and t - self._t > self.max_gap_s:
            self.reset()
        if value is None:
            return None
        if self._x is None or self._t is None or t <= self._t:
            self._x, self._t = value, t
            return value
        dt = t - self._t
        dx = (value - self._x) / dt
        self._dx += self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * abs(self._dx)
        self._x += self._alpha(cutoff, dt) * (value - self._x)
        self._t = t
        return self._x


def make_smoother(kind: str, **params: float) -> Smoother:
    """Build a smoother by name ("ema", "one_euro" or "none") with its parameters."""
    if kind == "ema":
        return EMASmoother(**params)  # type: ignore[arg-type]
    if kind == "one_euro":
        return OneEuroSmoother(**params)
    if kind == "none":
        return NoSmoother()
    raise ValueError(f"Unknown smoother {kind!r}: use 'ema', 'one_euro' or 'none'")
