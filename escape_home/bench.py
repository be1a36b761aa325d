"""`escape-home bench WHICH`: run a benchmark, print its markdown table, record it.

`speed` lives here. The others are found by name: `bench accuracy` runs
`escape_home.bench_accuracy.main(args)`, likewise `form`, `live`, `load` and
`class`; each returns an exit code and prints its own table.

The speed benchmark runs every shared video clip through, side by side:

- decode only (`VideoFileSource`),
- decode + pose with one person looked for (`PoseEstimator(num_poses=1)`: the bare
  MediaPipe cost),
- decode + pose as the app runs it (person selection, see `escape_home/pose.py`),
- the whole `analyse` path (`analyse.run_analysis`: decode, pose, exercise engine,
  JSON summary),

for each pose model that is built, and reports ms per frame over all clips together.
The ratio analyse / (decode + pose) shows what the engine and bookkeeping add on top
of pose estimation (target: at most 1.25 with the full model).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escape_home.errors import EscapeHomeError
from escape_home.modelbuild import VARIANTS, model_path

if TYPE_CHECKING:
    from escape_home.pose import PoseEstimator
    from escape_home.sources import Frame

CLIPS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "clips"
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
STAGES = ("decode", "pose1", "pose", "analyse")


def main(args: argparse.Namespace) -> int:
    """Dispatch `escape-home bench WHICH`."""
    if args.which == "speed":
        table = speed_table(run_speed())
        print(table)
        write_section(DOC, "Speed", table)
        if args.out:
            Path(args.out).write_text(table + "\n", encoding="utf-8")
        return 0
    try:
        module = importlib.import_module(f"escape_home.bench_{args.which}")
    except ModuleNotFoundError as exc:
        if exc.name != f"escape_home.bench_{args.which}":
            raise
        raise EscapeHomeError(
            f"The {args.which} benchmark is not part of this version."
        ) from exc
    runner: Callable[[argparse.Namespace], int] | None = getattr(module, "main", None)
    if runner is None:
        raise EscapeHomeError(f"The {args.which} benchmark has no main(args).")
    return int(runner(args))


@dataclass
class _Totals:
    """Seconds per stage, wall clock and CPU (all threads of this process)."""

    frames: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, key: str, wall: float, cpu: float) -> None:
        self.seconds[key] = self.seconds.get(key, 0.0) + wall
        self.seconds[key + "_cpu"] = self.seconds.get(key + "_cpu", 0.0) + cpu

    def ms(self) -> dict[str, float]:
        return {k: 1000.0 * v / max(self.frames, 1) for k, v in self.seconds.items()}


class _Clock:
    """Measure wall and process CPU time of a block."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _clips(clips_dir: Path) -> list[tuple[Path, str]]:
    """The shared video clips with their exercise IDs (landmark tracks excluded)."""
    labels = json.loads((clips_dir / "labels.json").read_text(encoding="utf-8"))
    return [
        (clips_dir / item["file"], item["exercise"])
        for item in labels
        if item.get("kind") == "video" and (clips_dir / item["file"]).is_file()
    ]


def _time_loop(
    path: Path, process: Callable[[Frame], object] | None
) -> tuple[int, _Clock]:
    from escape_home.sources import VideoFileSource

    frames = 0
    with _Clock() as clock, VideoFileSource(path) as src:
        for frame in src:
            if process is not None:
                process(frame)
            frames += 1
    return frames, clock


def run_speed(
    clips_dir: Path = CLIPS_DIR, models: tuple[str, ...] = VARIANTS
) -> dict[str, Any]:
    """Measure every stage on every clip for every built model.

    Returns:
        {"models": {name: {"frames", "ms": {stage: ms per frame}}},
         "clips": {file: {model: {stage: ms}}}, "annotate_ms", "machine"}.
    """
    from escape_home.pose import PoseEstimator

    clips = _clips(clips_dir)
    if not clips:
        raise EscapeHomeError(f"No video clips found in {clips_dir}")
    built = [m for m in models if model_path(m).is_file()]
    if not built:
        raise EscapeHomeError("No pose model is built: run `escape-home models`.")
    analyse = _analyse_fn()
    totals = {m: _Totals() for m in built}
    per_clip: dict[str, dict[str, dict[str, float]]] = {}
    for path, exercise in clips:
        # Stages of one clip run back to back, so machine load hits them alike.
        for name in built:
            row = _Totals()
            row.frames, clock = _time_loop(path, None)
            row.add("decode", clock.wall, clock.cpu)
            for stage, est in (
                ("pose1", PoseEstimator(name, num_poses=1)),
                ("pose", PoseEstimator(name)),
            ):
                with est:
                    _, clock = _time_loop(path, _pose_step(est))
                row.add(stage, clock.wall, clock.cpu)
            if analyse is not None:
                with _Clock() as clock:
                    analyse(path, exercise, model=name, progress=False)
                row.add("analyse", clock.wall, clock.cpu)
            else:
                row.add("analyse", float("nan"), float("nan"))
            totals[name].frames += row.frames
            for key, value in row.seconds.items():
                totals[name].seconds[key] = totals[name].seconds.get(key, 0.0) + value
            per_clip.setdefault(path.name, {})[name] = row.ms() | {
                "frames": float(row.frames)
            }
    return {
        "models": {m: {"frames": t.frames, "ms": t.ms()} for m, t in totals.items()},
        "clips": per_clip,
        "annotate_ms": _annotate_ms(clips[0][0], built[0]),
        "machine": _machine(),
    }


def _pose_step(est: PoseEstimator) -> Callable[[Frame], object]:
    def step(frame: Frame) -> object:
        return est.process(frame.image, frame.timestamp_s, frame.index)

    return step


def _analyse_fn() -> Callable[..., dict[str, Any]] | None:
    """`analyse.run_analysis` if this version has it (it is measured as stage 4)."""
    try:
        module = importlib.import_module("escape_home.analyse")
    except ImportError:
        return None
    fn: Callable[..., dict[str, Any]] | None = getattr(module, "run_analysis", None)
    return fn


def _annotate_ms(path: Path, model: str) -> float:
    """Median time of one overlay drawing on real poses from a clip."""
    import statistics

    from escape_home.annotate import Annotator
    from escape_home.events import FrameUpdate
    from escape_home.pose import PoseEstimator
    from escape_home.sources import VideoFileSource

    annotator = Annotator()
    times: list[float] = []
    with PoseEstimator(model) as est, VideoFileSource(path) as src:
        for frame in src:
            pose = est.process(frame.image, frame.timestamp_s, frame.index)
            update = FrameUpdate(
                frame.timestamp_s, 3, {"left": 1, "right": 2}, "up", 95
            )
            start = time.perf_counter()
            annotator.annotate(frame.image, pose, update, "squat")
            times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times) if times else float("nan")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"mediapipe {version('mediapipe')}, "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )


def speed_table(res: dict[str, Any]) -> str:
    """Format `run_speed` results as markdown."""
    lines = [
        "Written by `escape-home bench speed`. Stages, run side by side on each clip: "
        "*decode* = reading frames only; *decode + pose, 1 person* = the bare "
        "MediaPipe loop looking for one person; *decode + pose (app)* = the "
        "estimator as the app runs it (up to 2 people with exerciser selection, "
        "then single-person once only one person has been seen for 3 s); "
        "*analyse* = `analyse.run_analysis` (decode, pose, exercise engine, JSON "
        "summary).",
        "",
        f"Machine: {res['machine']}. All shared video clips "
        f"({len(res['clips'])}), frames decoded from file as fast as possible; "
        "ms per frame over all clips together. Wall-clock times move with whatever "
        "else the machine is doing; the CPU times (this process, all threads) are "
        "steadier, so the ratio is given on both.",
        "",
        "| model | frames | decode | decode + pose, 1 person | decode + pose "
        "(app: person selection) | analyse (whole path) | analyse fps "
        "| analyse / (decode + pose), wall | same, CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in res["models"].items():
        ms = m["ms"]
        fps = 1000.0 / ms["analyse"] if ms["analyse"] > 0 else float("nan")
        lines.append(
            f"| {name} | {m['frames']} | {_pair(ms, 'decode')} | "
            f"{_pair(ms, 'pose1')} | {_pair(ms, 'pose')} | {_pair(ms, 'analyse')} | "
            f"{fps:.0f} | {ms['analyse'] / ms['pose']:.2f} | "
            f"{ms['analyse_cpu'] / ms['pose_cpu']:.2f} |"
        )
    lines += ["", "Cells: wall ms per frame (CPU ms per frame)."]
    lines += [
        "",
        "Per clip, full model (wall ms per frame, CPU ms in brackets):",
        "",
        "| clip | frames | decode | pose, 1 person | pose (app) | analyse |",
        "|---|---|---|---|---|---|",
    ]
    for clip, by_model in res["clips"].items():
        row = by_model.get("full") or next(iter(by_model.values()))
        lines.append(
            f"| {clip} | {row['frames']:.0f} | {_pair(row, 'decode')} | "
            f"{_pair(row, 'pose1')} | {_pair(row, 'pose')} | "
            f"{_pair(row, 'analyse')} |"
        )
    lines += [
        "",
        f"Overlay drawing (`Annotator.annotate`, skeleton + panel): "
        f"{res['annotate_ms']:.2f} ms per frame (median).",
    ]
    return "\n".join(lines)


def _pair(ms: dict[str, float], stage: str) -> str:
    return f"{ms[stage]:.1f} ({ms[stage + '_cpu']:.1f})"


def write_section(doc: Path, heading: str, body: str) -> None:
    """Replace (or add) the `## heading` section of a markdown file, keeping others."""
    text = doc.read_text(encoding="utf-8") if doc.is_file() else "# Benchmarks\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    tmp = doc.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, doc)
