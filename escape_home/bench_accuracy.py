"""`escape-home bench accuracy`: rep counts against hand counts, and a generalisation
harness, because a dozen clips are too few to trust one number.

1. **Shared items**: every labelled entry of ``../shared/data/clips/labels.json``;
   videos end to end (decode, the real pose model, the engine), landmark tracks
   replayed through the engine. Balance entries are judged on the number of holds.
2. **Baseline**: a plain *offline* peak detector on the same counted signal (median
   filter, then peaks whose prominence is at least 40 % of the person's own range,
   at least 0.3 s apart). It needs the whole recording, so it could not run live;
   it is the row the engine must beat.
3. **Derived cases with known answers**, made from each item's poses: a crop that
   starts exactly at the second rep's start (n - 1), one that ends in the middle of
   the last rep (that rep must not count: n - 1), one that starts in the rest
   between the first two reps (n - 1), the item joined to itself (2n), replayed at
   0.6x and 1.5x speed (n), mirrored (n) and with landmark jitter plus dropped
   frames (n). Rep boundaries come from the labels' ``rep_times_s``; for tracks
   without them, from the engine's own rep events on the uncut track, used only
   when that count equals the label. Crops at rep boundaries are made only where
   reps last at least 1 s (the labels' times are +-0.3 s). Where a file holds fewer
   complete movements than its label (`IN_FILE`, checked by hand), the derived
   cases expect what the file holds.
4. **Wrong-exercise pairs**: every item analysed as each exercise of a clearly
   different kind (seated vs standing, one leg vs both, hips still vs moving);
   squat vs lunge and squat vs sit to stand are left out (a split squat is a squat,
   and without a chair in view a deep squat and sitting down look alike). Reported:
   false reps per true rep, and whether the warning appeared whenever the counter
   saw a rep-like cycle and refused it.

The counting and movement numbers in the catalogue are hand-set from anatomy (with
margins) and checked on these items, not fitted by any procedure, so there is no
leave-one-source-out table for them; the form thresholds that were fitted have one
(`escape-home bench form`). Targets: shared items exact >= 95 %, within one 100 %,
normalised MAE <= 0.02; derived cases exact >= 95 %; wrong-exercise pairs 0 false
reps and a warning on every refused cycle. Never timed; printed and kept in
docs/benchmarks.md under "## Accuracy".
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from escape_home.errors import EscapeHomeError
from escape_home.landmarks import Pose

CLIPS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "clips"
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
TARGET_EXACT, TARGET_OBO, TARGET_MAE = 0.95, 1.0, 0.02
TARGET_DERIVED = 0.95

#: Exercises a clip of each kind is clearly not (see the module docs).
WRONG: dict[str, tuple[str, ...]] = {
    "sit_to_stand": (
        "knee_extension",
        "leg_press",
        "marching",
        "step_up",
        "heel_raise",
        "hip_abduction",
        "hamstring_curl",
    ),
    "knee_extension": (
        "sit_to_stand",
        "squat",
        "lunge",
        "marching",
        "step_up",
        "heel_raise",
        "hip_abduction",
        "hamstring_curl",
    ),
    "squat": (
        "knee_extension",
        "leg_press",
        "marching",
        "step_up",
        "heel_raise",
        "hip_abduction",
        "hamstring_curl",
    ),
    "lunge": (
        "knee_extension",
        "leg_press",
        "sit_to_stand",
        "marching",
        "step_up",
        "heel_raise",
        "hip_abduction",
        "hamstring_curl",
    ),
    "marching": (
        "sit_to_stand",
        "squat",
        "lunge",
        "knee_extension",
        "leg_press",
        "step_up",
        "heel_raise",
        "hip_abduction",
        "hamstring_curl",
    ),
    "step_up": (
        "knee_extension",
        "leg_press",
        "squat",
        "sit_to_stand",
        "heel_raise",
        "marching",
        "hamstring_curl",
    ),
    "heel_raise": (
        "squat",
        "sit_to_stand",
        "lunge",
        "knee_extension",
        "marching",
        "step_up",
    ),
    "balance": ("squat", "marching", "knee_extension", "sit_to_stand", "lunge"),
}

#: Items whose file holds fewer complete movements than the label (checked by hand):
#: the shared-items table keeps the label; derived cases expect what the file holds.
IN_FILE = {"lunge__uiprmdinc_s02__1.csv": 9}  # the tenth lunge starts at the last frame

#: Why a known miss happens (checked by hand); printed beside it in the tables.
EXPLAINED: dict[tuple[str, str], str] = {
    ("lunge__uiprmdinc_s02__1.csv", "item"): "the track holds nine lunges: the "
    "tenth episode starts on its last frame (the file, not the engine)",
    ("squat__sagor__1.mp4", "joined to itself"): "the join puts the walk-off "
    "after the last jump next to the first clip's start at the bottom: across the "
    "cut that is a full top-bottom-top cycle",
    ("marching__venkat__1.mp4", "joined to itself"): "the first clip's lift that "
    "is already at its top on frame 0 is not counted; after the join it is a "
    "whole lift",
    ("lunge__uiprmdinc_s01__1.csv", "1.5x speed"): "one quick lunge becomes "
    "0.56 s, faster than the 0.6 s a lunge can take",
    ("squat__sagor__1.mp4", "0.6x speed"): "the shallow dip after the last jump "
    "(about 105 degrees, labelled not a rep) counts when slowed down",
    ("squat__yuyoujiang__1.mp4", "heel_raise"): "a still moment between squats, "
    "knees straight and the heel signal noisy in the back-lit picture",
}

#: MediaPipe landmark index of the other side's twin (for mirroring).
_TWIN = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19]
_TWIN += [22, 21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31]


@dataclass
class Item:
    """One labelled entry with its poses (from the model, or the track)."""

    file: str
    exercise: str
    kind: str
    true: int
    poses: list[Pose]
    rep_times: list[tuple[float, float]] | None
    posed: str


def _truth(entry: dict[str, Any]) -> int:
    return int(entry["holds"]) if entry["exercise"] == "balance" else int(entry["reps"])


def _counted(exercise: str, result: dict[str, Any]) -> int:
    if exercise == "balance":
        return len(result.get("holds", []))
    return int(result["reps"])


def video_poses(path: Path, model: str) -> list[Pose]:
    """Every frame's pose of a video, through the real pose model."""
    from escape_home.pose import PoseEstimator
    from escape_home.sources import VideoFileSource

    with VideoFileSource(path) as src, PoseEstimator(model) as est:
        return [est.process(f.image, f.timestamp_s, f.index) for f in src]


def load_item(entry: dict[str, Any], clips_dir: Path, model: str) -> Item:
    """One labels.json entry with its poses."""
    path = clips_dir / entry["file"]
    if entry.get("kind") == "track":
        from escape_home.track import read_track

        _, poses = read_track(path)
        posed = "track"
    else:
        poses = video_poses(path, model)
        posed = f"{sum(not p.is_empty for p in poses)}/{len(poses)}"
    times = entry.get("rep_times_s")
    return Item(
        file=entry["file"],
        exercise=entry["exercise"],
        kind=entry.get("kind", "video"),
        true=_truth(entry),
        poses=poses,
        rep_times=[(float(a), float(b)) for a, b in times] if times else None,
        posed=posed,
    )


def analyse(exercise: str, poses: Sequence[Pose]) -> dict[str, Any]:
    """The engine's summary of a pose sequence (what `analyse` reports)."""
    from escape_home.engine import analyse_poses

    return analyse_poses(exercise, poses)


# ----------------------------------------------------------------- baseline
def _median(v: np.ndarray, k: int = 5) -> np.ndarray:
    if len(v) < k:
        return v
    pad = np.pad(v, (k // 2, k // 2), mode="edge")
    out: np.ndarray = np.median(
        np.lib.stride_tricks.sliding_window_view(pad, k), axis=1
    )
    return out


def count_peaks(t: np.ndarray, y: np.ndarray, frac: float = 0.4) -> int:
    """Peaks of `y` with prominence >= `frac` of its 5-95 % range, >= 0.3 s apart."""
    if len(y) < 5:
        return 0
    y = _median(y)
    lo, hi = np.percentile(y, [5, 95])
    need = frac * (hi - lo)
    if need <= 0:
        return 0
    peaks: list[int] = []
    for i in range(1, len(y) - 1):
        if not (y[i] > y[i - 1] and y[i] >= y[i + 1]):
            continue
        left = y[: i + 1][::-1]
        right = y[i:]
        lb = _base(left, y[i])
        rb = _base(right, y[i])
        if y[i] - max(lb, rb) >= need and (not peaks or t[i] - t[peaks[-1]] >= 0.3):
            peaks.append(i)
    return len(peaks)


def _base(side: np.ndarray, top: float) -> float:
    """Lowest value before the signal climbs above `top` again (prominence base)."""
    above = np.nonzero(side[1:] > top)[0]
    stop = above[0] + 1 if len(above) else len(side)
    return float(side[:stop].min())


def baseline(exercise: str, poses: Sequence[Pose]) -> int:
    """The offline peak detector's count on the exercise's counted signal."""
    from escape_home.engine import ExerciseTracker

    tracker = ExerciseTracker(exercise)
    if tracker.spec.mode == "hold":
        return len(tracker.summary().get("holds", []))
    series: list[list[tuple[float, float]]] = [[] for _ in tracker.raw_signals]
    for p in poses:
        tracker.update(p)
        for s, v in zip(series, tracker.raw_signals, strict=True):
            if v is not None:
                s.append((p.timestamp_s, v))
    d = tracker.spec.counter.direction
    total = 0
    for s in series:
        if s:
            arr = np.asarray(s)
            total += count_peaks(arr[:, 0], d * arr[:, 1])
    return total


# ---------------------------------------------------------------- derived
def shifted(poses: Sequence[Pose], t0: float, scale: float = 1.0) -> list[Pose]:
    """Poses with times moved to start at `t0` and stretched by `scale`."""
    start = poses[0].timestamp_s if poses else 0.0
    return [replace(p, timestamp_s=t0 + (p.timestamp_s - start) * scale) for p in poses]


def crop(poses: Sequence[Pose], t0: float, t1: float = float("inf")) -> list[Pose]:
    """The poses in [t0, t1), restarted at time 0."""
    return shifted([p for p in poses if t0 <= p.timestamp_s < t1], 0.0)


def mirrored(poses: Sequence[Pose]) -> list[Pose]:
    """The recording flipped left to right (so the body's sides swap too)."""
    out = []
    for p in poses:
        xy = p.xy[_TWIN].copy()
        xy[:, 0] = 1.0 - xy[:, 0]
        out.append(
            replace(
                p,
                xy=xy,
                z=p.z[_TWIN].copy(),
                visibility=p.visibility[_TWIN].copy(),
                presence=p.presence[_TWIN].copy(),
                world=None,
            )
        )
    return out


def jittered(poses: Sequence[Pose], seed: int) -> list[Pose]:
    """Landmark jitter (SD 0.4 % of the frame) and 8 % of frames dropped."""
    rng = np.random.default_rng(seed)
    out = []
    for p in poses:
        if rng.random() < 0.08:
            out.append(Pose.empty(p.timestamp_s, p.width, p.height, p.frame_index))
            continue
        noise = rng.normal(0.0, 0.004, p.xy.shape).astype(p.xy.dtype)
        out.append(replace(p, xy=p.xy + noise, world=None))
    return out


def rep_bounds(item: Item) -> list[tuple[float, float]] | None:
    """Rep [start, end] times: the labels', or the engine's on the uncut track."""
    if item.rep_times:
        return item.rep_times
    if item.kind != "track" or item.exercise == "balance":
        return None
    result = analyse(item.exercise, item.poses)
    if result["reps"] != item.true:
        return None
    return [(r["start_s"], r["end_s"]) for r in result["reps_detail"]]


Case = tuple[str, Callable[[], list[Pose]], int]


def derived_cases(item: Item) -> list[Case]:
    """The derived cases of one item (see the module docs)."""
    if item.exercise == "balance" or not item.poses:
        return []
    n, poses = IN_FILE.get(item.file, item.true), item.poses
    end = poses[-1].timestamp_s
    fps_dt = (end - poses[0].timestamp_s) / max(len(poses) - 1, 1)
    cases: list[Case] = [
        ("joined to itself", lambda: poses + shifted(poses, end + fps_dt), 2 * n),
        ("0.6x speed", lambda: shifted(poses, 0.0, 1 / 0.6), n),
        ("1.5x speed", lambda: shifted(poses, 0.0, 1 / 1.5), n),
        ("mirrored", lambda: mirrored(poses), n),
        ("jitter + dropouts", lambda: jittered(poses, len(poses)), n),
    ]
    reps = rep_bounds(item)
    # Crops at rep boundaries need boundaries known better than a rep lasts: the
    # labels are +-0.3 s, so reps shorter than 1 s (a marching lift) are left out.
    if reps and len(reps) == n and n >= 2 and min(b - a for a, b in reps) >= 1.0:
        s2 = reps[1][0]
        mid_last = (reps[-1][0] + reps[-1][1]) / 2
        cases.append(("starts at rep 2", lambda: crop(poses, max(s2 - 0.05, 0)), n - 1))
        cases.append(("ends mid-rep", lambda: crop(poses, 0.0, mid_last), n - 1))
        gap0, gap1 = reps[0][1], reps[1][0]
        if gap1 - gap0 >= 0.4:
            mid = (gap0 + gap1) / 2
            cases.append(("starts mid-rest", lambda: crop(poses, mid), n - 1))
    return cases


# ------------------------------------------------------------------ stats
def evaluate(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Exact, off-by-one and normalised MAE per exercise and overall."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["exercise"]].append(r)
        groups["overall"].append(r)
    out = {}
    for name, rs in groups.items():
        errs = [abs(r["counted"] - r["true"]) for r in rs]
        norm = [
            e / r["true"] if r["true"] else float(e)
            for e, r in zip(errs, rs, strict=True)
        ]
        out[name] = {
            "n": len(rs),
            "exact": sum(e == 0 for e in errs) / len(rs),
            "obo": sum(e <= 1 for e in errs) / len(rs),
            "mae": sum(norm) / len(rs),
        }
    return out


def table(rows: list[dict[str, Any]], stats: dict[str, dict[str, float]]) -> str:
    """The shared-items report: per-item table, then per-exercise and overall."""
    base = any("baseline" in r for r in rows)
    head = "| file | exercise | true | counted | difference | frames with a pose |"
    lines = [
        "Rep counts (holds for balance) on every entry of "
        "`../shared/data/clips/labels.json`: videos through the real pose model "
        "(`full`), tracks replayed through the engine."
        + (
            " *Baseline*: the offline peak detector on the same signal." if base else ""
        ),
        "",
        head + (" baseline |" if base else ""),
        "|---|---|---:|---:|---:|---:|" + ("---:|" if base else ""),
    ]
    for r in rows:
        lines.append(
            f"| {r['file']} | {r['exercise']} | {r['true']} | {r['counted']} | "
            f"{r['counted'] - r['true']:+d} | {r['posed']} |"
            + (f" {r['baseline']} |" if base else "")
        )
    lines += ["", "| exercise | items | exact | within one | MAE (normalised) |"]
    lines.append("|---|---:|---:|---:|---:|")
    for name in sorted(stats, key=lambda k: (k == "overall", k)):
        s = stats[name]
        label = f"**{name}**" if name == "overall" else name
        lines.append(
            f"| {label} | {int(s['n'])} | {s['exact']:.0%} | {s['obo']:.0%} | "
            f"{s['mae']:.3f} |"
        )
    o = stats.get("overall", {"exact": 0.0, "obo": 0.0, "mae": 1.0})
    lines += [
        "",
        f"Target: exact >= {TARGET_EXACT:.0%}, within one {TARGET_OBO:.0%}, "
        f"normalised MAE <= {TARGET_MAE}: **{'met' if _met(o) else 'not met'}**.",
    ]
    return "\n".join(lines)


def _met(o: dict[str, float]) -> bool:
    return (
        o["exact"] >= TARGET_EXACT and o["obo"] >= TARGET_OBO and o["mae"] <= TARGET_MAE
    )


def _kind_stats(rows: list[dict[str, Any]], key: str) -> str:
    lines = [
        "| kind | items | engine exact | engine within one | baseline exact | "
        "baseline within one |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r[key]].append(r)
        groups["all"].append(r)
    for name in sorted(groups, key=lambda k: (k == "all", k)):
        rs = groups[name]
        e = [abs(r["counted"] - r["true"]) for r in rs]
        b = [abs(r["baseline"] - r["true"]) for r in rs]
        lines.append(
            f"| {'**all**' if name == 'all' else name} | {len(rs)} | "
            f"{sum(x == 0 for x in e) / len(rs):.0%} | "
            f"{sum(x <= 1 for x in e) / len(rs):.0%} | "
            f"{sum(x == 0 for x in b) / len(rs):.0%} | "
            f"{sum(x <= 1 for x in b) / len(rs):.0%} |"
        )
    return "\n".join(lines)


def derived_table(rows: list[dict[str, Any]]) -> str:
    """Derived cases: per case kind, and the misses listed."""
    lines = ["Derived cases (expected counts follow from the labels):", ""]
    lines.append(_kind_stats(rows, "case"))
    misses = [r for r in rows if r["counted"] != r["true"]]
    if misses:
        lines += ["", "Misses:", ""]
        lines += [
            f"- {r['file']}, {r['case']}: {r['counted']} counted, {r['true']} expected"
            + _why(r["file"], r["case"])
            for r in misses
        ]
    exact = sum(r["counted"] == r["true"] for r in rows) / max(len(rows), 1)
    lines += [
        "",
        f"Target: exact >= {TARGET_DERIVED:.0%}: "
        f"**{'met' if exact >= TARGET_DERIVED else 'not met'}** ({exact:.0%} of "
        f"{len(rows)}).",
    ]
    return "\n".join(lines)


def wrong_table(rows: list[dict[str, Any]]) -> str:
    """Wrong-exercise pairs, per exercise asked for."""
    lines = [
        "Wrong-exercise pairs (each item analysed as an exercise of a clearly "
        "different kind):",
        "",
        "| analysed as | pairs | false reps | per true rep | pairs with false reps "
        "| refused cycles | of those warned |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["as"]].append(r)
        groups["all"].append(r)
    for name in sorted(groups, key=lambda k: (k == "all", k)):
        rs = groups[name]
        false = sum(r["counted"] for r in rs)
        true = sum(r["true"] for r in rs)
        refused = [r for r in rs if r["refused"]]
        lines.append(
            f"| {'**all**' if name == 'all' else name} | {len(rs)} | {false} | "
            f"{false / max(true, 1):.3f} | {sum(r['counted'] > 0 for r in rs)} | "
            f"{len(refused)} | {sum(r['warned'] for r in refused)} |"
        )
    bad = [r for r in rows if r["counted"]]
    if bad:
        lines += ["", "Pairs with false reps:", ""]
        lines += [
            f"- {r['file']} as {r['as']}: {r['counted']}"
            + (" (warned)" if r["warned"] else "")
            + _why(r["file"], r["as"])
            for r in bad
        ]
    ok = not bad and all(r["warned"] for r in rows if r["refused"])
    lines += [
        "",
        "Target: 0 false reps, a warning on every refused cycle: "
        f"**{'met' if ok else 'not met'}**.",
    ]
    return "\n".join(lines)


def _why(file: str, case: str) -> str:
    why = EXPLAINED.get((file, case))
    return f". Why: {why}." if why else ""


def _misses(rows: list[dict[str, Any]]) -> str:
    bad = [r for r in rows if r["counted"] != r["true"]]
    if not bad:
        return ""
    return "\n".join(
        ["Shared items missed:", ""]
        + [
            f"- {r['file']}: {r['counted']} counted, {r['true']} labelled"
            + _why(r["file"], "item")
            for r in bad
        ]
    )


def _warned(result: dict[str, Any]) -> bool:
    return any("look like" in w or "looks like" in w for w in result["warnings"])


def _refused(result: dict[str, Any]) -> bool:
    return any(
        p["reason"].startswith("did not look like") for p in result["partial_reps"]
    )


# -------------------------------------------------------------------- run
def run(
    out: str | None = None, clips_dir: Path = CLIPS_DIR, model: str = "full"
) -> int:
    """Run the benchmark, print the tables, record them; 0 if every target is met."""
    labels_path = clips_dir / "labels.json"
    if not labels_path.is_file():
        raise EscapeHomeError(f"No labelled clips found: {labels_path} does not exist")
    entries = json.loads(labels_path.read_text(encoding="utf-8"))
    items: list[Item] = []
    rows: list[dict[str, Any]] = []
    for i, entry in enumerate(entries, 1):
        if not (clips_dir / entry["file"]).is_file():
            continue
        print(f"[{i}/{len(entries)}] {entry['file']}", file=sys.stderr, flush=True)
        item = load_item(entry, clips_dir, model)
        items.append(item)
        result = analyse(item.exercise, item.poses)
        rows.append(
            {
                "file": item.file,
                "exercise": item.exercise,
                "kind": item.kind,
                "true": item.true,
                "counted": _counted(item.exercise, result),
                "baseline": baseline(item.exercise, item.poses),
                "posed": item.posed,
            }
        )
    print("derived cases ...", file=sys.stderr, flush=True)
    derived = []
    for item in items:
        for case, make, expected in derived_cases(item):
            poses = make()
            result = analyse(item.exercise, poses)
            derived.append(
                {
                    "file": item.file,
                    "case": case,
                    "true": expected,
                    "counted": int(result["reps"]),
                    "baseline": baseline(item.exercise, poses),
                }
            )
    print("wrong-exercise pairs ...", file=sys.stderr, flush=True)
    wrong = []
    for item in items:
        for other in WRONG.get(item.exercise, ()):
            result = analyse(other, item.poses)
            wrong.append(
                {
                    "file": item.file,
                    "as": other,
                    "true": item.true,
                    "counted": int(result["reps"]),
                    "refused": _refused(result),
                    "warned": _warned(result),
                }
            )
    stats = evaluate(rows)
    parts = [
        table(rows, stats),
        _misses(rows),
        "Engine and baseline by kind of item (the engine must beat the baseline "
        "on every kind):",
        _kind_stats(rows, "kind"),
        derived_table(derived),
        wrong_table(wrong),
        "The counting and movement numbers are hand-set, not fitted (see the "
        "module docs of `escape_home/bench_accuracy.py`). "
        f"Run on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
        f"Python {platform.python_version()}) with `escape-home bench accuracy`. "
        '"Frames with a pose" is how many frames the pose stage reported a person '
        "in: frames without one cannot be counted on, whatever the engine does.",
    ]
    text = "\n\n".join(p for p in parts if p)
    print(text)
    from escape_home.bench import write_section

    write_section(DOC, "Accuracy", text)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    derived_ok = sum(
        r["counted"] == r["true"] for r in derived
    ) >= TARGET_DERIVED * len(derived)
    wrong_ok = not any(r["counted"] for r in wrong)
    return 0 if _met(stats["overall"]) and derived_ok and wrong_ok else 1


def main(args: argparse.Namespace) -> int:
    """Entry point for `escape-home bench accuracy [--out FILE]`."""
    return run(getattr(args, "out", None))
