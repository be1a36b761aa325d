"""RepCounter on hand-made signals: hysteresis, dwell, partials, duration, gaps."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import pytest

from escape_home.counting import CounterConfig, Cycle, RepCounter

# A squat-like knee angle: 175 at rest, down to `depth` and back.
CFG = CounterConfig(
    direction=-1,
    home=175,
    home_min=150,
    home_max=185,
    rest_margin=20,
    deep_margin=40,
    deep_min=25,
    min_dwell_s=0.1,
    min_rep_s=0.5,
    max_rep_s=10,
)


def wave(
    reps: int,
    depth: float = 90,
    period: float = 2.0,
    fps: float = 30,
    rest_s: float = 1.0,
    top: float = 175,
) -> list[tuple[float, float]]:
    """Samples of `reps` cosine dips from `top` to `depth`, with rests around them."""
    out, t = [], 0.0
    dt = 1 / fps

    def rest(d: float) -> None:
        nonlocal t
        for _ in range(int(d * fps)):
            out.append((t, top))
            t += dt

    rest(rest_s)
    for _ in range(reps):
        for i in range(int(period * fps)):
            u = i / (period * fps)
            out.append(
                (t, top - (top - depth) * (0.5 - 0.5 * math.cos(2 * math.pi * u)))
            )
            t += dt
        rest(rest_s)
    return out


def run(
    samples: Sequence[tuple[float, float | None]], cfg: CounterConfig = CFG
) -> tuple[RepCounter, list[Cycle]]:
    c = RepCounter(cfg)
    events = [e for t, v in samples if (e := c.update(v, t)) is not None]
    return c, events


@pytest.mark.parametrize("fps", [10, 30, 60])
@pytest.mark.parametrize("reps", [1, 3, 7])
def test_counts_full_cycles(fps: float, reps: int) -> None:
    c, events = run(wave(reps, fps=fps))
    assert c.count == reps
    assert all(e.complete for e in events)


def test_jitter_around_a_threshold_does_not_add_counts() -> None:
    # Hover around the deep threshold with +-3 deg jitter for 3 s: one rep only.
    samples = wave(0)
    t = samples[-1][0]
    for i in range(90):
        t += 1 / 30
        samples.append((t, 135 + (3 if i % 2 else -3)))
    for _ in range(30):
        t += 1 / 30
        samples.append((t, 175))
    c, _ = run(samples)
    assert c.count == 1


def test_single_frame_spikes_are_ignored_by_the_dwell() -> None:
    samples = wave(0, rest_s=3)
    spiked = [(t, 80.0 if i % 20 == 10 else v) for i, (t, v) in enumerate(samples)]
    c, events = run(spiked)
    assert c.count == 0 and events == []


def test_partial_rep_is_reported_not_counted() -> None:
    # Two full reps set the person's range (85 deg); then two dips of 20 deg (less
    # than the smallest rep and than 30 % of their own range) and a full rep.
    samples = wave(2) + [(6 + t, v) for t, v in wave(2, depth=155)]
    samples += [(12 + t, v) for t, v in wave(1)]
    c, events = run(samples)
    assert c.count == 3
    partials = [e for e in events if not e.complete]
    assert len(partials) == 2
    assert partials[0].reason == "did not reach the full range"
    assert partials[0].trough == pytest.approx(155, abs=1)


def test_back_to_back_reps_without_a_full_return_count() -> None:
    # Squats to 90 deg that come back only to 150 deg between reps (no pause, no
    # full stand), after a first rep from standing: every one counts.
    samples, t = [], 0.0
    for v in [175.0] * 30:
        samples.append((t, v))
        t += 1 / 30
    tops = [175.0, 150.0, 150.0, 150.0, 175.0]
    for top, nxt in itertools.pairwise(tops):
        for i in range(60):
            u = i / 60
            dip = 0.5 - 0.5 * math.cos(2 * math.pi * u)
            base = top if u < 0.5 else nxt
            samples.append((t, base - (base - 90) * dip))
            t += 1 / 30
    c, events = run(samples)
    assert c.count == 4
    assert all(e.complete for e in events)


def test_rep_starting_on_the_first_frame_counts() -> None:
    # The recording starts as the person begins the first rep.
    samples = wave(3, rest_s=0.0)
    assert run(samples)[0].count == 3


def test_shallow_reps_of_an_older_adult_count() -> None:
    # Mini squats of 28 deg (175 -> 147), slow (3 s), a knee that never fully
    # straightens (top 165), with 1 deg jitter.
    import random

    rng = random.Random(5)
    samples = [
        (t, v + rng.gauss(0, 1.0)) for t, v in wave(6, depth=137, top=165, period=3)
    ]
    assert run(samples)[0].count == 6


@pytest.mark.parametrize(
    ("period", "reason"),
    [(0.2, "too quick to be a rep"), (30.0, "took too long to be one rep")],
)
def test_duration_gates(period: float, reason: str) -> None:
    c, events = run(wave(1, period=period, fps=60))
    assert c.count == 0
    assert [e.reason for e in events] == [reason]


def test_start_mid_rep_waits_for_the_start_position() -> None:
    # Starts at the bottom, rises (half a rep), then two full reps.
    samples = [(i / 30, 90.0) for i in range(30)]
    samples += [(1 + i / 30, 90 + 85 * i / 30) for i in range(31)]
    samples += [(3 + t, v) for t, v in wave(2)]
    c, events = run(samples)
    assert c.count == 2
    assert len(events) == 2


def test_long_gap_abandons_the_rep_short_gap_does_not() -> None:
    full = wave(1, period=3.0)
    short = [(t, None if 2.0 < t < 2.5 else v) for t, v in full]
    assert run(short)[0].count == 1
    long_gap = [(t, None if 1.8 < t < 3.3 else v) for t, v in full]
    c, events = run(long_gap)
    assert c.count == 0
    assert events and events[0].reason.startswith("you went out of view")


def test_auto_anchor_counts_seated_start_cycles() -> None:
    cfg = CounterConfig(
        direction=-1,
        home=175,
        home_min=145,
        home_max=185,
        rest_margin=20,
        deep_margin=60,
        deep_min=40,
        anchor="auto",
        min_rep_s=0.5,
    )
    # Seated (95) -> stand (175) -> seated, three times.
    samples = [(t, 270 - v) for t, v in wave(3, depth=95 + 0.0, top=175)]
    c, events = run(samples, cfg)
    assert c.anchor == "deep"
    assert c.count == 3
    assert all(e.peak > 160 and e.trough < 100 for e in events)


def test_personal_range_lowers_the_depth_needed() -> None:
    # Someone who only bends to 140 deg, every time: counted after calibration.
    c, _ = run(wave(6, depth=142, period=2.0, rest_s=1.0))
    assert c.count >= 5
    rest, deep = c.thresholds()
    assert deep > 140 and rest > deep


def test_noise_alone_never_counts() -> None:
    import random

    rng = random.Random(1)
    samples = [(i / 30, 172 + rng.gauss(0, 4)) for i in range(30 * 60)]
    c, events = run(samples)
    assert c.count == 0 and events == []


def test_count_is_read_only_and_counted_on_the_return_not_before() -> None:
    c = RepCounter(CFG)
    with pytest.raises(AttributeError):
        c.count = 3  # type: ignore[misc]
    samples = wave(1)  # 175 -> 90 -> 175 between t = 1 and 3 s
    line = 90 + (1 - 0.35) * 85  # 65 % of the way back up
    idx = next(i for i, (t, v) in enumerate(samples) if t > 2.0 and v >= line)
    c, _ = run(samples[:idx])
    assert c.count == 0  # down, at the bottom and most of the way up: not yet
    t, v = samples[idx]
    ev = c.flush(v, t)
    assert ev is not None and ev.complete and c.count == 1


def test_reset_tracking_abandons_the_cycle() -> None:
    c = RepCounter(CFG)
    for t, v in wave(1)[:45]:
        c.update(v, t)
    assert c.in_cycle
    ev = c.reset_tracking(2.0)
    assert ev is not None and not ev.complete
    assert c.phase == "idle"


def test_bad_direction_is_refused() -> None:
    with pytest.raises(ValueError):
        RepCounter(CounterConfig(direction=0))


def test_heavy_jitter_raises_the_margins() -> None:
    import random

    rng = random.Random(3)
    # SD 8 deg jitter on the knee angle: 25 deg (the smallest personal range) is no
    # longer enough; real reps to 90 deg still count.
    samples = [(t, v + rng.gauss(0, 8)) for t, v in wave(4, period=2.5, rest_s=2.0)]
    c, _ = run(samples)
    assert c.count == 4
    assert 5 < c.noise < 12
    _, deep = c.thresholds()
    assert deep < 150  # a 25 deg bend (the smallest personal range) is not enough
    quiet, _ = run(wave(0, rest_s=20))
    assert quiet.noise < 0.5


def test_dropouts_do_not_shorten_a_rep_below_the_minimum() -> None:
    cfg = CounterConfig(
        direction=-1,
        home=175,
        home_min=150,
        home_max=185,
        rest_margin=20,
        deep_margin=40,
        min_dwell_s=0.0,
        min_rep_s=0.5,
    )
    samples = wave(3, period=0.8, fps=10, rest_s=1.0)
    # Drop the two frames at the start of each rep.
    holes = [(t, None if 0.0 < (t - 1.0) % 1.8 < 0.25 else v) for t, v in samples]
    c, _ = run(holes, cfg)
    assert c.count == 3
