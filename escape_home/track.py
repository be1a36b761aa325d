"""Landmark tracks: the pose of one person over time, without the video.

Format (docs in ../shared/docs/landmark-track.md): UTF-8 CSV, header
``frame,t_s,landmark,x,y,z,visibility``, one row per landmark per frame, optional
``# key: value`` comment lines first (width, height, fps, source).
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from escape_home.errors import SourceError
from escape_home.landmarks import NUM_LANDMARKS, FloatArray, Pose

HEADER = ["frame", "t_s", "landmark", "x", "y", "z", "visibility"]


@dataclass(slots=True)
class TrackInfo:
    """Metadata from a track's comment lines."""

    width: int = 0
    height: int = 0
    fps: float = 0.0
    meta: dict[str, str] = field(default_factory=dict)


def _float(text: str) -> float:
    return float(text) if text.strip() else math.nan


class TrackSource:
    """Replays a landmark track as a stream of `Pose` records.

    Frames with no rows (nobody in view) between recorded frames are not invented;
    the consumer sees the time gap. Reading is streamed, row by row.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"No such track file: {self.path}")
        self.info = TrackInfo()
        try:
            with self.path.open(encoding="utf-8", newline="") as fh:
                self._read_header(fh)
        except UnicodeDecodeError as exc:
            raise SourceError(f"{self.path} is not a UTF-8 landmark track") from exc
        self.fps = self.info.fps or 30.0
        self.width, self.height = self.info.width, self.info.height
        self.frame_count: int | None = None

    def _read_header(self, fh: TextIO) -> list[str]:
        for line in fh:
            if line.startswith("#"):
                key, sep, value = line[1:].partition(":")
                if sep:
                    self.info.meta[key.strip()] = value.strip()
                continue
            header = [h.strip() for h in line.strip().split(",")]
            if header[: len(HEADER)] != HEADER:
                raise SourceError(
                    f"{self.path} is not a landmark track: expected the header "
                    f"{','.join(HEADER)}"
                )
            meta = self.info.meta
            try:
                self.info.width = int(float(meta.get("width", 0)))
                self.info.height = int(float(meta.get("height", 0)))
                self.info.fps = float(meta.get("fps", 0))
            except ValueError as exc:
                raise SourceError(f"{self.path}: bad width/height/fps comment") from exc
            return header
        raise SourceError(f"{self.path} is empty: no landmark track header")

    def __iter__(self) -> Iterator[Pose]:
        try:
            yield from self._iter()
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise SourceError(f"{self.path} has a malformed row: {exc}") from exc

    def _iter(self) -> Iterator[Pose]:
        with self.path.open(encoding="utf-8", newline="") as fh:
            self._read_header(fh)
            rows = csv.reader(fh)
            cur: int | None = None
            t = 0.0
            xy = z = vis = np.empty(0, dtype=np.float32)
            last_t = -math.inf
            for row in rows:
                if not row:
                    continue
                frame = int(row[0])
                if frame != cur:
                    if cur is not None:
                        yield self._pose(cur, t, xy, z, vis)
                    cur, t = frame, float(row[1])
                    if t <= last_t:
                        raise ValueError(f"frame {frame}: time does not increase")
                    last_t = t
                    xy = np.full((NUM_LANDMARKS, 2), np.nan, dtype=np.float32)
                    z = np.full(NUM_LANDMARKS, np.nan, dtype=np.float32)
                    vis = np.zeros(NUM_LANDMARKS, dtype=np.float32)
                lm = int(row[2])
                if not 0 <= lm < NUM_LANDMARKS:
                    raise ValueError(f"landmark index {lm} is not 0..32")
                x, y = _float(row[3]), _float(row[4])
                xy[lm] = (x, y)
                z[lm] = _float(row[5]) if len(row) > 5 else math.nan
                v = _float(row[6]) if len(row) > 6 else 0.0
                vis[lm] = 0.0 if math.isnan(v) or math.isnan(x) else v
            if cur is not None:
                yield self._pose(cur, t, xy, z, vis)

    def _pose(
        self,
        frame: int,
        t: float,
        xy: FloatArray,
        z: FloatArray,
        vis: FloatArray,
    ) -> Pose:
        return Pose(
            timestamp_s=t,
            width=self.width,
            height=self.height,
            xy=xy,
            z=z,
            visibility=vis,
            presence=vis.copy(),
            frame_index=frame,
        )

    def close(self) -> None:
        """Nothing to release: the file is opened per iteration."""


def read_track(path: str | os.PathLike[str]) -> tuple[TrackInfo, list[Pose]]:
    """Read a whole track (small files only; use `TrackSource` to stream)."""
    src = TrackSource(path)
    return src.info, list(src)


class TrackWriter:
    """Writes a track atomically: to a temporary file, renamed on `close()`.

    If the writer is abandoned (an exception, `discard()`), nothing is left behind.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float,
        source: str = "",
    ) -> None:
        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise SourceError(f"Cannot write {self.path}: no such folder {parent}")
        fd, tmp = tempfile.mkstemp(prefix=".track-", suffix=".csv", dir=parent)
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        for key, value in (
            ("width", width),
            ("height", height),
            ("fps", f"{fps:.4f}"),
            ("source", source),
        ):
            self._fh.write(f"# {key}: {value}\n")
        self._csv = csv.writer(self._fh, lineterminator="\n")
        self._csv.writerow(HEADER)

    def write(self, pose: Pose) -> None:
        """Append one frame (an empty pose writes no rows, per the format)."""
        if pose.is_empty:
            return
        for lm in range(NUM_LANDMARKS):
            x, y = pose.xy[lm]
            if math.isnan(float(x)):
                continue
            zval = float(pose.z[lm])
            self._csv.writerow(
                [
                    pose.frame_index,
                    f"{pose.timestamp_s:.4f}",
                    lm,
                    f"{x:.5f}",
                    f"{y:.5f}",
                    "" if math.isnan(zval) else f"{zval:.5f}",
                    f"{pose.visibility[lm]:.4f}",
                ]
            )

    def close(self) -> None:
        """Finish the file and move it into place."""
        self._fh.close()
        os.replace(self._tmp, self.path)

    def discard(self) -> None:
        """Abandon the file: nothing is left behind."""
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
