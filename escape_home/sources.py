"""Frame sources: one interface over a camera, a video file and (in `track.py`) a
recorded landmark track.

A source yields `Frame`s with timestamps from the source itself (the file's own
presentation times, or a monotonic clock for a camera), never from when we happened to
read them. Frames are streamed one at a time: a video is never loaded whole.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import cv2
import numpy as np
import numpy.typing as npt

from escape_home.errors import CameraUnavailable, SourceError

Image = npt.NDArray[np.uint8]

#: Consecutive failed reads after which a camera counts as gone.
CAMERA_MAX_FAILED_READS = 30


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: a BGR image with its time from the start of the source."""

    image: Image
    timestamp_s: float
    index: int


class FrameSource(Protocol):
    """What every image source offers."""

    fps: float
    width: int
    height: int
    frame_count: int | None

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def _read(cap: cv2.VideoCapture) -> Image | None:
    """Decode the next frame, or None at the end (or on a damaged frame)."""
    ok, image = cap.read()
    return cast(Image, image) if ok and image is not None else None


def _fps_or_default(value: float, default: float = 30.0) -> float:
    # Some containers (and GIFs) report 0 or absurd rates; fall back to a sane value.
    return float(value) if 1.0 <= value <= 240.0 else default


class VideoFileSource:
    """Frames from a video file, in any container OpenCV reads (GIF included).

    Rotation metadata from phones is honoured (OpenCV's FFmpeg backend applies it,
    and `width`/`height` are reported after rotation).

    Args:
        path: The video file.
        realtime: Play at the file's own speed (for the live app): wait until each
            frame is due, and skip frames that are already late instead of queueing
            them, so a slow consumer never builds up lag.
    """

    def __init__(self, path: str | os.PathLike[str], realtime: bool = False) -> None:
        self.path = Path(path)
        self.realtime = realtime
        if not self.path.exists():
            raise SourceError(f"No such file: {self.path}")
        if self.path.is_dir():
            raise SourceError(f"{self.path} is a folder, not a video file")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path} is empty (0 bytes), not a video")
        self._cap = cv2.VideoCapture(str(self.path))
        self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        if not self._cap.isOpened():
            raise SourceError(f"{self.path} could not be opened as a video")
        first = _read(self._cap)
        if first is None:
            self._cap.release()
            raise SourceError(f"{self.path} has no readable video frames")
        self._first: Image | None = first
        self._first_pos_ms = float(self._cap.get(cv2.CAP_PROP_POS_MSEC))
        self.fps = _fps_or_default(self._cap.get(cv2.CAP_PROP_FPS))
        self.height, self.width = int(first.shape[0]), int(first.shape[1])
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count: int | None = count if count > 0 else None

    def __iter__(self) -> Iterator[Frame]:
        cap = self._cap
        index = 0
        last_ts = -1.0
        start_wall = time.monotonic()
        image = self._first
        self._first = None
        if image is None:  # iterated a second time: start again from the top
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            image = _read(cap)
        pos_ms = self._first_pos_ms
        while image is not None:
            ts = self._timestamp(pos_ms, index, last_ts)
            last_ts = ts
            if self.realtime:
                lag = time.monotonic() - start_wall - ts
                if lag < 0:
                    time.sleep(-lag)
                elif lag > 1.5 / self.fps:
                    # Late: skip decoding this frame rather than queue it.
                    index += 1
                    if not cap.grab():
                        return
                    pos_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
                    ok, late = cap.retrieve()
                    image = cast(Image, late) if ok else None
                    continue
            yield Frame(image=image, timestamp_s=ts, index=index)
            index += 1
            image = _read(cap)
            pos_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))

    def _timestamp(self, pos_ms: float, index: int, last_ts: float) -> float:
        """Time of the frame just read: the container's timestamp when it is usable.

        OpenCV reports the position *after* the frame in some backends and 0 for
        GIFs; when the value does not move forward we derive it from the frame rate.
        """
        nominal = index / self.fps
        ts = pos_ms / 1000.0
        if ts <= last_ts or (index > 0 and ts == 0.0) or abs(ts - nominal) > 5.0:
            ts = max(nominal, last_ts + 1e-3)
        return ts

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> VideoFileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CameraSource:
    """Frames from a camera, timestamped with a monotonic clock.

    Raises `CameraUnavailable` (a plain sentence) when the camera cannot be opened or
    stops delivering frames; callers may `reopen()` to try again.
    """

    def __init__(self, index: int = 0, width: int = 640, height: int = 480) -> None:
        self.index = index
        self._want = (width, height)
        self.fps = 30.0
        self.width, self.height = width, height
        self.frame_count: int | None = None
        self._cap: cv2.VideoCapture | None = None
        self._t0 = time.monotonic()
        self.reopen()

    def reopen(self) -> None:
        """(Re)open the camera; raise CameraUnavailable if it is not there."""
        if self._cap is not None:
            self._cap.release()
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(
                f"Camera {self.index} could not be opened. Check it is plugged in "
                "and not being used by another program."
            )
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._want[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._want[1])
        self.fps = _fps_or_default(cap.get(cv2.CAP_PROP_FPS))
        self._cap = cap

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        failed = 0
        while True:
            cap = self._cap
            if cap is None:
                return
            image = _read(cap)
            if image is None:
                failed += 1
                if failed >= CAMERA_MAX_FAILED_READS:
                    raise CameraUnavailable(
                        "The camera stopped sending pictures. Check the cable, or "
                        "close other programs that use the camera."
                    )
                time.sleep(0.01)
                continue
            failed = 0
            self.height, self.width = int(image.shape[0]), int(image.shape[1])
            yield Frame(image, time.monotonic() - self._t0, index)
            index += 1

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def open_source(spec: str | os.PathLike[str], realtime: bool = False) -> FrameSource:
    """Open a camera (an integer index like "0") or a video file."""
    text = str(spec)
    if text.isdigit():
        return CameraSource(int(text))
    return VideoFileSource(text, realtime=realtime)
