"""`escape-home analyse` end to end: the real CLI, the real model, real clips."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from escape_home.errors import CameraUnavailable
from escape_home.sources import CameraSource

CLI = [sys.executable, "-m", "escape_home.cli"]


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=600
    )


def assert_one_clear_line(proc: subprocess.CompletedProcess[str], text: str) -> None:
    assert proc.returncode != 0, "expected a non-zero exit"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert text in lines[0], f"expected {text!r} in {lines[0]!r}"


def test_exercises_lists_all_eleven() -> None:
    proc = run_cli("exercises")
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    expected = {
        "sit_to_stand", "knee_extension", "squat", "step_up", "hip_abduction",
        "heel_raise", "marching", "balance", "hamstring_curl", "leg_press", "lunge",
    }  # fmt: skip
    assert set(ids) == expected, f"expected {sorted(expected)}, got {sorted(ids)}"


def _blank_video(path: Path, frames: int = 20) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (96, 96))
    for _ in range(frames):
        writer.write(np.full((96, 96, 3), 200, dtype=np.uint8))
    writer.release()


@pytest.mark.parametrize(
    ("setup", "exercise", "text"),
    [
        ("missing", "squat", "No such file"),
        ("text", "squat", "could not be opened"),
        ("empty", "squat", "empty"),
        ("blank", "squat", "Nobody was found"),
        ("blank", "jumping_jacks", "sit_to_stand"),  # lists the valid IDs
        ("badtrack", "squat", "not a landmark track"),
    ],
)
def test_bad_input_gets_one_clear_line(
    tmp_path: Path, setup: str, exercise: str, text: str
) -> None:
    source = tmp_path / ("clip.csv" if setup == "badtrack" else "clip.avi")
    if setup == "text":
        source.write_text("hello, I am not a video\n" * 50)
    elif setup == "empty":
        source.write_bytes(b"")
    elif setup == "blank":
        _blank_video(source)
    elif setup == "badtrack":
        source.write_text("time,x,y\n1,2,3\n")
    overlay = tmp_path / "out.mp4"
    proc = run_cli(
        "analyse", source, "--exercise", exercise, "--json", "--overlay", overlay,
        "--no-progress",
    )  # fmt: skip
    assert_one_clear_line(proc, text)
    assert proc.stdout == "", "nothing may be printed on stdout on failure"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != source.name]
    assert leftovers == [], f"half-written output left behind: {leftovers}"


def test_truncated_real_video(tmp_path: Path, clips_dir: Path) -> None:
    data = (clips_dir / "squat__yuyoujiang__1.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    proc = run_cli("analyse", cut, "--exercise", "squat", "--no-progress")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_camera_that_cannot_be_opened() -> None:
    with pytest.raises(CameraUnavailable, match="could not be opened"):
        CameraSource(97)


@pytest.mark.slow
def test_squat_clip_end_to_end(
    tmp_path: Path, clips_dir: Path, labels: dict, full_model: Path
) -> None:
    clip = "squat__yuyoujiang__1.mp4"
    track = tmp_path / "track.csv"
    overlay = tmp_path / "overlay.mp4"
    proc = run_cli(
        "analyse", clips_dir / clip, "--exercise", "squat", "--json",
        "--save-track", track, "--overlay", overlay,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["reps"] == labels[clip]["reps"], result
    for key in (
        "exercise", "reps_by_side", "duration_s", "frames", "frames_with_pose",
        "fps_processed", "reps_detail", "faults", "warnings",
    ):  # fmt: skip
        assert key in result, f"missing {key}"
    assert result["frames"] >= 300
    assert result["duration_s"] == pytest.approx(labels[clip]["duration_s"], abs=0.2)
    for rep in result["reps_detail"]:
        assert rep["end_s"] > rep["start_s"]
        assert "faults" in rep and rep["metrics"]
    # The overlay is a real, readable video with as many frames as the source.
    import cv2

    cap = cv2.VideoCapture(str(overlay))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == result["frames"]
    cap.release()
    # Replaying the saved track gives the same count without the model.
    proc2 = run_cli("analyse", track, "--exercise", "squat", "--json")
    assert proc2.returncode == 0, proc2.stderr
    replay = json.loads(proc2.stdout)
    assert replay["reps"] == result["reps"]
    assert replay["frames_with_pose"] == result["frames_with_pose"]


def test_overlay_folder_must_exist(tmp_path: Path, clips_dir: Path) -> None:
    src = tmp_path / "clip.gif"
    shutil.copy(clips_dir / "sit_to_stand__stanford__1.gif", src)
    proc = run_cli(
        "analyse", src, "--exercise", "sit_to_stand", "--overlay",
        tmp_path / "nope" / "out.mp4", "--no-progress",
    )  # fmt: skip
    assert_one_clear_line(proc, "no such folder")
