"""`escape-home analyse`: count reps and check form in a video or landmark track.

The pipeline is the same one the live app runs, fed from a file:
source -> pose -> exercise engine -> summary (+ optional overlay video and track).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from escape_home.errors import EscapeHomeError, SourceError
from escape_home.landmarks import Pose
from escape_home.sources import VideoFileSource
from escape_home.track import TrackSource, TrackWriter

TRACK_SUFFIXES = {".csv"}


class _OverlayWriter:
    """Writes the annotated video to a temporary file, moved into place on success."""

    def __init__(self, path: str, fps: float, width: int, height: int) -> None:
        import cv2

        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise SourceError(f"Cannot write {self.path}: no such folder {parent}")
        fd, tmp = tempfile.mkstemp(prefix=".overlay-", suffix=".mp4", dir=parent)
        os.close(fd)
        self._tmp = Path(tmp)
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        self._writer = cv2.VideoWriter(str(self._tmp), fourcc, fps, (width, height))
        if not self._writer.isOpened():
            self._tmp.unlink(missing_ok=True)
            raise SourceError(f"Cannot write a video to {self.path}")

    def write(self, image: Any) -> None:
        self._writer.write(image)

    def close(self) -> None:
        self._writer.release()
        os.replace(self._tmp, self.path)

    def discard(self) -> None:
        self._writer.release()
        self._tmp.unlink(missing_ok=True)


def load_overrides(path: str | None, exercise_id: str) -> dict[str, Any] | None:
    """Read threshold overrides from a TOML file (a table named after the exercise,
    or top-level keys)."""
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise EscapeHomeError(f"No such config file: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise EscapeHomeError(f"{path} is not valid TOML: {exc}") from exc
    table = data.get(exercise_id, data)
    return dict(table) if isinstance(table, Mapping) else None


def run_analysis(
    source_path: str | os.PathLike[str],
    exercise_id: str,
    model: str = "full",
    progress: bool = False,
    overlay: str | None = None,
    save_track: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    test: str | None = None,
    age: int | None = None,
    sex: str | None = None,
) -> dict[str, Any]:
    """Analyse one video or track and return the JSON-ready result.

    Raises:
        EscapeHomeError: with a plain sentence, for any bad input.
    """
    from escape_home.engine import ExerciseTracker
    from escape_home.exercises import get_exercise

    get_exercise(exercise_id)  # unknown IDs fail before any work is done
    path = Path(source_path)
    is_track = path.suffix.lower() in TRACK_SUFFIXES
    if is_track and overlay:
        raise EscapeHomeError("--overlay needs a video source, not a landmark track")
    tracker = ExerciseTracker(exercise_id, overrides=overrides)
    poses_for_test: list[Pose] = []
    frames = with_pose = 0
    last_ts = 0.0
    overlay_writer: _OverlayWriter | None = None
    track_writer: TrackWriter | None = None
    t0 = time.perf_counter()
    try:
        if is_track:
            tsrc = TrackSource(path)
            stream: Iterator[tuple[Any, Pose]] = ((None, p) for p in tsrc)
            fps, width, height, total = tsrc.fps, tsrc.width, tsrc.height, None
        else:
            vsrc = VideoFileSource(path)
            fps, width, height = vsrc.fps, vsrc.width, vsrc.height
            total = vsrc.frame_count
            stream = _pose_stream(vsrc, model)
        if overlay:
            overlay_writer = _OverlayWriter(overlay, fps, width, height)
        if save_track:
            track_writer = TrackWriter(save_track, width, height, fps, str(path.name))
        annotator = None
        if overlay_writer is not None:
            from escape_home.annotate import Annotator

            annotator = Annotator()
        bar = _progress(total, progress)
        for image, pose in stream:
            frames += 1
            if not pose.is_empty:
                with_pose += 1
            last_ts = pose.timestamp_s
            update = tracker.update(pose)
            if test:
                poses_for_test.append(pose)
            if track_writer is not None:
                track_writer.write(pose)
            if overlay_writer is not None and annotator is not None:
                overlay_writer.write(
                    annotator.annotate(image, pose, update, exercise_id)
                )
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        if frames == 0:
            raise SourceError(f"{path} has no frames to analyse")
        if with_pose == 0:
            raise SourceError(f"Nobody was found in {path}: no person is in view")
        if total and frames < 0.9 * total and not is_track:
            raise SourceError(
                f"{path} is truncated or damaged: only {frames} of {total} frames "
                "could be read"
            )
    except BaseException:
        if overlay_writer is not None:
            overlay_writer.discard()
        if track_writer is not None:
            track_writer.discard()
        raise
    if overlay_writer is not None:
        overlay_writer.close()
    if track_writer is not None:
        track_writer.close()
    elapsed = time.perf_counter() - t0
    result: dict[str, Any] = dict(tracker.summary())
    result.update(
        exercise=exercise_id,
        source=str(path),
        model=None if is_track else model,
        duration_s=round(last_ts + 1.0 / fps, 3),
        frames=frames,
        frames_with_pose=with_pose,
        fps_processed=round(frames / elapsed, 1) if elapsed > 0 else None,
    )
    if test:
        from escape_home.standard_tests import run_test

        result["test"] = run_test(test, poses_for_test, age=age, sex=sex)
    return result


def _pose_stream(src: VideoFileSource, model: str) -> Iterator[tuple[Any, Pose]]:
    from escape_home.pose import PoseEstimator

    with PoseEstimator(model) as estimator:
        try:
            for frame in src:
                yield (
                    frame.image,
                    estimator.process(frame.image, frame.timestamp_s, frame.index),
                )
        finally:
            src.close()


def _progress(total: int | None, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="frame", desc="Analysing", file=sys.stderr)


def _print_summary(result: Mapping[str, Any]) -> None:
    print(f"Exercise: {result['exercise']}")
    if result.get("holds"):
        for i, hold in enumerate(result["holds"], 1):
            print(
                f"Hold {i}: {hold['duration_s']:.1f} s "
                f"({hold['start_s']:.1f}-{hold['end_s']:.1f} s, {hold['side']})"
            )
    else:
        sides = ", ".join(f"{k} {v}" for k, v in result.get("reps_by_side", {}).items())
        print(f"Reps: {result['reps']}" + (f" ({sides})" if sides else ""))
    for rep in result.get("reps_detail", []):
        faults = "; ".join(f["cue"] for f in rep.get("faults", []))
        print(
            f"  rep {rep['index']}: {rep['start_s']:.1f}-{rep['end_s']:.1f} s"
            + (f"  - {faults}" if faults else "")
        )
    for warning in result.get("warnings", []):
        print(f"Note: {warning}")
    if "test" in result:
        print(f"Test: {json.dumps(result['test'])}")
    print(
        f"{result['frames']} frames, person seen in {result['frames_with_pose']}, "
        f"{result['duration_s']:.1f} s of video, {result['fps_processed']} frames/s"
    )


def main(args: argparse.Namespace) -> int:
    """Run `escape-home analyse` from parsed arguments."""
    overrides = load_overrides(args.config, args.exercise)
    result = run_analysis(
        args.source,
        args.exercise,
        model=args.model,
        progress=not args.no_progress,
        overlay=args.overlay,
        save_track=args.save_track,
        overrides=overrides,
        test=args.test,
        age=args.age,
        sex=args.sex,
    )
    if args.json:
        json.dump(result, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        _print_summary(result)
    return 0
