"""The typed pose record: the only pose type anything downstream of `pose.py` sees.

MediaPipe objects never leave `pose.py`; every other stage works with `Pose`, whose
landmarks are addressed by name through the `Landmark` enum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

NUM_LANDMARKS = 33

FloatArray = npt.NDArray[np.float32]


class Landmark(IntEnum):
    """MediaPipe Pose landmark indices (even = right side of the body, odd = left)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


L = Landmark

#: Skeleton edges used for drawing (pairs of landmarks).
SKELETON_EDGES: tuple[tuple[Landmark, Landmark], ...] = (
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_SHOULDER, L.LEFT_HIP),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_HIP, L.LEFT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.LEFT_ANKLE, L.LEFT_HEEL),
    (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.RIGHT_ANKLE, L.RIGHT_HEEL),
    (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
    (L.NOSE, L.LEFT_EYE),
    (L.NOSE, L.RIGHT_EYE),
)


def _check_shape(name: str, arr: FloatArray, shape: tuple[int, ...]) -> None:
    if arr.shape != shape:
        raise ValueError(f"Pose.{name}: expected shape {shape}, got {arr.shape}")


@dataclass(frozen=True, slots=True)
class Pose:
    """One person's pose in one frame.

    Attributes:
        timestamp_s: Time of the frame from the start of the source, in seconds.
        width: Frame width in pixels (0 if unknown).
        height: Frame height in pixels (0 if unknown).
        xy: (33, 2) positions normalised to the frame (0..1, y down); NaN if missing.
        z: (33,) MediaPipe relative depth; NaN if unknown.
        visibility: (33,) 0..1 likelihood the landmark is visible.
        presence: (33,) 0..1 likelihood the landmark is in the frame.
        world: (33, 3) metric landmarks (metres, hip-centred) or None.
        frame_index: Frame number in the source.
    """

    timestamp_s: float
    width: int
    height: int
    xy: FloatArray
    z: FloatArray
    visibility: FloatArray
    presence: FloatArray
    world: FloatArray | None = None
    frame_index: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_shape("xy", self.xy, (NUM_LANDMARKS, 2))
        _check_shape("z", self.z, (NUM_LANDMARKS,))
        _check_shape("visibility", self.visibility, (NUM_LANDMARKS,))
        _check_shape("presence", self.presence, (NUM_LANDMARKS,))
        if self.world is not None:
            _check_shape("world", self.world, (NUM_LANDMARKS, 3))

    @classmethod
    def empty(
        cls, timestamp_s: float, width: int = 0, height: int = 0, frame_index: int = 0
    ) -> Pose:
        """Return the record for a frame in which nobody was found."""
        nan2 = np.full((NUM_LANDMARKS, 2), np.nan, dtype=np.float32)
        nan1 = np.full((NUM_LANDMARKS,), np.nan, dtype=np.float32)
        zero = np.zeros((NUM_LANDMARKS,), dtype=np.float32)
        return cls(
            timestamp_s=timestamp_s,
            width=width,
            height=height,
            xy=nan2,
            z=nan1,
            visibility=zero,
            presence=zero.copy(),
            world=None,
            frame_index=frame_index,
        )

    @property
    def is_empty(self) -> bool:
        """True when no person was found in the frame."""
        return not bool(np.any(self.visibility > 0))

    @property
    def aspect(self) -> float:
        """Width / height of the frame (1.0 if unknown)."""
        if self.width > 0 and self.height > 0:
            return self.width / self.height
        return 1.0

    def point(self, lm: Landmark) -> FloatArray:
        """Position of a landmark in aspect-corrected units (x scaled by width/height).

        Angles computed from these points are true image-plane angles, which the
        normalised 0..1 coordinates are not when the frame is not square.
        """
        p = self.xy[int(lm)]
        return np.array([p[0] * self.aspect, p[1]], dtype=np.float32)

    def pixel(self, lm: Landmark) -> tuple[float, float]:
        """Position of a landmark in pixels."""
        p = self.xy[int(lm)]
        return float(p[0] * self.width), float(p[1] * self.height)

    def visible(self, lm: Landmark, threshold: float = 0.5) -> bool:
        """True when the landmark is known and at least `threshold` visible."""
        return bool(
            self.visibility[int(lm)] >= threshold and not np.isnan(self.xy[int(lm), 0])
        )
