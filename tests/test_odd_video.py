"""Odd videos (issue: reliability): rotated phone video, variable frame rate, 4K, 5 fps,
grayscale, a single frame, a very long file. Each gets a clear result or a clear
message, and memory stays bounded because frames are streamed.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from escape_home.sources import VideoFileSource

ffmpeg_mod = pytest.importorskip("imageio_ffmpeg")
FFMPEG = ffmpeg_mod.get_ffmpeg_exe()
SQUAT = "squat__yuyoujiang__1.mp4"


def ffmpeg(*args: str | Path) -> None:
    cmd = [FFMPEG, "-y", "-loglevel", "error", *map(str, args)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)


def analyse(path: Path, exercise: str = "squat") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escape_home.cli", "analyse", str(path),
         "--exercise", exercise, "--json", "--no-progress"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture
def squat(clips_dir: Path) -> Path:
    return clips_dir / SQUAT


def test_rotated_phone_video_is_turned_upright(tmp_path: Path, squat: Path) -> None:
    rotated = tmp_path / "rotated.mp4"
    # A phone stores the picture sideways plus a "display rotation" tag.
    ffmpeg("-display_rotation", "90", "-i", squat, "-t", "3", "-c", "copy", rotated)
    src = VideoFileSource(rotated)
    first = next(iter(src))
    assert (src.width, src.height) == (544, 960), "rotation metadata not honoured"
    assert first.image.shape[:2] == (960, 544)


def test_variable_frame_rate_keeps_the_files_timestamps(tmp_path: Path) -> None:
    # Frames shown for 0.1 s, 0.5 s, 0.1 s, 1.0 s, ...: VFR like a phone recording.
    durations = [0.1, 0.5, 0.1, 1.0, 0.2, 0.2]
    lst = tmp_path / "list.txt"
    lines = []
    for i, d in enumerate(durations):
        img = tmp_path / f"f{i}.png"
        ffmpeg("-f", "lavfi", "-i", f"color=c=0x{i * 30:02x}4060:s=64x48", "-frames:v",
               "1", img)  # fmt: skip
        lines += [f"file '{img.name}'", f"duration {d}"]
    lines.append(f"file 'f{len(durations) - 1}.png'")
    lst.write_text("\n".join(lines) + "\n")
    vfr = tmp_path / "vfr.mkv"
    ffmpeg("-f", "concat", "-i", lst, "-fps_mode", "vfr", "-c:v", "ffv1", vfr)
    ts = [f.timestamp_s for f in VideoFileSource(vfr)]
    # The truth is what ffmpeg itself reports as each frame's presentation time.
    info = subprocess.run(
        [FFMPEG, "-i", str(vfr), "-vf", "showinfo", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    pts = [float(m) for m in re.findall(r"pts_time:([0-9.]+)", info)]
    assert len(pts) == len(ts) >= len(durations)
    assert ts == pytest.approx(pts, abs=0.002), (ts, pts)
    gaps = [b - a for a, b in itertools.pairwise(ts)]
    assert max(gaps) > 5 * min(gaps), f"not variable frame rate: {gaps}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "filters"),
    [
        ("4k", ["-vf", "scale=3840:2160", "-t", "1"]),
        ("5fps", ["-vf", "fps=5"]),
        ("gray", ["-vf", "format=gray", "-t", "4"]),
    ],
)
def test_odd_formats_still_find_the_person(
    tmp_path: Path, squat: Path, name: str, filters: list[str], full_model: Path
) -> None:
    out = tmp_path / f"{name}.mp4"
    ffmpeg("-i", squat, *filters, "-an", out)
    proc = analyse(out)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # Grey, dark (back-lit) frames are harder for the model, but it must still see
    # the person in most of them.
    assert result["frames_with_pose"] >= 0.5 * result["frames"], result
    if name == "5fps":
        # Whole clip at 5 fps: the three squats are still seen.
        assert result["frames"] == pytest.approx(54, abs=2)
        assert abs(result["reps"] - 3) <= 1, result


def test_single_frame_video(tmp_path: Path, squat: Path, full_model: Path) -> None:
    one = tmp_path / "one.mp4"
    ffmpeg("-i", squat, "-frames:v", "1", one)
    proc = analyse(one)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["frames"], result["reps"]) == (1, 0)


def test_long_video_is_streamed_with_bounded_memory(tmp_path: Path) -> None:
    long = tmp_path / "long.mkv"
    # 20 minutes at 5 fps, tiny frames: 6000 frames.
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=5:duration=1200",
           "-c:v", "mjpeg", long)  # fmt: skip
    src = VideoFileSource(long)
    tracemalloc.start()
    count = 0
    peak_at_100 = 0
    for _frame in src:
        count += 1
        if count == 100:
            peak_at_100 = tracemalloc.get_traced_memory()[1]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 6000
    # Streaming: the peak after 6000 frames is no more than after 100 (+ slack).
    assert peak < peak_at_100 + 2_000_000, (peak_at_100, peak)
