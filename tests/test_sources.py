"""Frame sources and landmark tracks: real files, bad files, atomic writes."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from escape_home.errors import SourceError
from escape_home.landmarks import NUM_LANDMARKS, Landmark, Pose
from escape_home.sources import VideoFileSource, open_source
from escape_home.track import TrackSource, TrackWriter, read_track


def _write_video(path: Path, frames: int, size: tuple[int, int] = (64, 48)) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, size)
    for i in range(frames):
        img = np.full((size[1], size[0], 3), (i * 20) % 255, dtype=np.uint8)
        writer.write(img)
    writer.release()


def test_video_timestamps_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ten.avi"
    _write_video(path, 10)
    src = VideoFileSource(path)
    frames = list(src)
    assert len(frames) == 10, f"expected 10 frames, got {len(frames)}"
    ts = [f.timestamp_s for f in frames]
    assert all(b > a for a, b in itertools.pairwise(ts)), ts
    # 10 fps file: the last frame is at 0.9 s whatever the wall clock did.
    assert ts[-1] == pytest.approx(0.9, abs=0.02)
    assert (src.width, src.height) == (64, 48)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file"),
        (b"", "empty"),
        (b"this is not a video at all" * 100, "could not be opened"),
    ],
)
def test_bad_video_files_give_a_plain_error(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        VideoFileSource(path)


def test_a_folder_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="folder"):
        open_source(tmp_path)


def test_real_gif_clip_decodes_with_its_own_timing(clips_dir: Path) -> None:
    src = VideoFileSource(clips_dir / "sit_to_stand__stanford__1.gif")
    frames = list(src)
    assert len(frames) > 100
    # 40 ms per GIF frame: the clip lasts about 7 s.
    assert frames[-1].timestamp_s == pytest.approx(7.0, abs=0.3)


def _pose(t: float, frame: int) -> Pose:
    rng = np.random.default_rng(frame)
    xy = rng.random((NUM_LANDMARKS, 2)).astype(np.float32)
    vis = rng.random(NUM_LANDMARKS).astype(np.float32)
    xy[Landmark.LEFT_PINKY] = np.nan
    vis[Landmark.LEFT_PINKY] = 0.0
    z = np.zeros(NUM_LANDMARKS, dtype=np.float32)
    return Pose(t, 640, 480, xy, z, vis, vis.copy(), frame_index=frame)


def test_track_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    writer = TrackWriter(out, 640, 480, 30.0, "unit")
    originals = [_pose(i / 30, i) for i in range(5)]
    for pose in originals:
        writer.write(pose)
    writer.write(Pose.empty(5 / 30, 640, 480, 5))  # nobody: no rows
    writer.close()
    info, poses = read_track(out)
    assert (info.width, info.height, info.fps) == (640, 480, 30.0)
    assert len(poses) == 5
    for a, b in zip(originals, poses, strict=True):
        assert b.frame_index == a.frame_index
        np.testing.assert_allclose(b.xy, a.xy, atol=1e-4)
        assert math.isnan(float(b.xy[Landmark.LEFT_PINKY, 0]))


def test_discarded_track_leaves_nothing(tmp_path: Path) -> None:
    writer = TrackWriter(tmp_path / "t.csv", 640, 480, 30.0)
    writer.write(_pose(0.0, 0))
    writer.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a,b,c\n1,2,3\n", "not a landmark track"),
        ("frame,t_s,landmark,x,y,z,visibility\n0,0.0,99,0.5,0.5,,1\n", "0..32"),
        ("frame,t_s,landmark,x,y,z,visibility\n0,zero,1,0.5,0.5,,1\n", "malformed"),
        (
            "frame,t_s,landmark,x,y,z,visibility\n1,1.0,0,0.5,0.5,,1\n"
            "2,0.5,0,0.5,0.5,,1\n",
            "does not increase",
        ),
    ],
)
def test_bad_track_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SourceError, match=message):
        list(TrackSource(path))


def test_shared_tracks_read(clips_dir: Path) -> None:
    info, poses = read_track(clips_dir / "sit_to_stand__uiprmd_s01__1.csv")
    assert info.fps == pytest.approx(33.3333)
    assert len(poses) > 500
    hip = poses[0].xy[Landmark.LEFT_HIP]
    assert 0 < hip[1] < 1
