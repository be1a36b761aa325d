"""MediaPipe pose estimation: BGR frames in, one `Pose` (the exerciser's) out.

This is the only module that imports MediaPipe. It runs the Tasks API
`PoseLandmarker` in VIDEO mode (tracking between frames) and converts its result to
`landmarks.Pose`.

When several people are in view, it asks MediaPipe for up to `num_poses` people and
lets `people.PersonSelector` pick and keep the exerciser (the rule is in
`escape_home/people.py`). Looking for more than one person costs time: MediaPipe then
runs its person detector on every frame in which it tracks fewer than `num_poses`
people, and the landmark network once per person (measured with the full model: 17 ms
per frame for one person, 28 ms when it also looks for a second). So once only one
person has been seen for `single_after_s` seconds, the estimator switches to a
single-person landmarker, which keeps tracking that person cheaply and does not jump to
someone who walks in. If that landmarker loses the person, or reports someone other
than the chosen person, the estimator goes back to looking for several people
(re-running that frame).

**Second look.** MediaPipe's person detector misses people it would find on their own:
next to a large, near person it often finds only that one (a bystander in the
foreground hid the exerciser for the first 0.9 s of a real clip, which cost the first
rep). So while several people are looked for and fewer than `num_poses` were found,
the frame is searched again with the people already found painted over (grey boxes
around their landmarks, `_MASK_MARGIN` wider), by a third landmarker (one person,
VIDEO mode, so once it has found someone it follows them with one landmark pass per
frame instead of detecting again). Whoever it finds is one more candidate for the
selector, which also merges a skeleton found twice. A find less than
`_SECOND_MIN_SIZE` (half) the size of the largest person already found is ignored,
and painted over on the next look: once the real person is painted over, furniture
can pass for a small person. While it follows nobody it searches at most every
`_SECOND_SEARCH_S` (0.1 s), so in the first `single_after_s` seconds of a one-person
stream (then the single-person landmarker takes over) it costs one detector pass
(~12 ms of CPU on a 720p frame) ten times a second; while it follows a second person,
one landmark pass per frame, as MediaPipe following two people itself does.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from escape_home.errors import ModelError
from escape_home.landmarks import NUM_LANDMARKS, Pose
from escape_home.modelbuild import VARIANTS, ensure_model
from escape_home.people import Candidate, PersonSelector

# MediaPipe takes ~0.5 s to import; keep that out of `import escape_home.pose` users
# that never build an estimator (e.g. CLI help).
_mp: Any = None
_vision: Any = None
_MASK_MARGIN = 0.1  # grey box around a found person: their landmarks' box + 10% a side
_MASK_GREY = 128
# A person the second look finds must be at least this big (diagonal of the box around
# their landmarks, in pixels) relative to the largest person already found: smaller
# "people" in the painted-over frame were furniture (a chair back, 0.2-0.3x), the
# exerciser hidden next to a bystander 0.6-0.9x.
_SECOND_MIN_SIZE = 0.5
# While the second look is following nobody it searches at most this often (a detector
# pass costs ~12 ms of CPU on a 720p frame); once it finds someone it runs every frame.
_SECOND_SEARCH_S = 0.1


def _load_mediapipe() -> None:
    global _mp, _vision
    if _mp is None:
        import mediapipe as mp
        from mediapipe.tasks.python import vision

        _mp, _vision = mp, vision


class PoseEstimator:
    """Find the exerciser's pose in each frame of one video or camera stream.

    Frames must come from one source, in order: MediaPipe's VIDEO mode tracks the
    person from frame to frame. Use one estimator per stream.

    Example:
        >>> with PoseEstimator("full") as est:
        ...     for frame in source:
        ...         pose = est.process(frame.image, frame.timestamp_s, frame.index)

    Args:
        model: "lite", "full" or "heavy" (a bundle in the models folder) or a path to
            a `.task` file.
        min_confidence: Minimum detection, presence and tracking confidence (0..1).
        num_poses: Most people to look for; 1 turns person selection off (MediaPipe
            then follows whoever it detects first).
        single_after_s: Switch to the cheaper single-person landmarker after only one
            person has been seen for this long; None never switches.
        selector: The person-selection rule (default `PersonSelector()`).
        second_look: Search a frame again with the people found painted over when
            fewer than `num_poses` were found (see the module doc).

    Raises:
        ModelError: The model is missing or cannot be loaded.
        ValueError: An argument is out of range.
    """

    def __init__(
        self,
        model: str | Path = "full",
        *,
        min_confidence: float = 0.5,
        num_poses: int = 2,
        single_after_s: float | None = 3.0,
        selector: PersonSelector | None = None,
        second_look: bool = True,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in 0..1, got {min_confidence}")
        if num_poses < 1:
            raise ValueError(f"num_poses must be at least 1, got {num_poses}")
        path = ensure_model(model) if model in VARIANTS else Path(model)
        try:
            self._model_bytes = path.read_bytes()
        except OSError as exc:
            raise ModelError(f"Cannot read pose model {path}: {exc.strerror}") from exc
        self.model_path = path
        self.min_confidence = min_confidence
        self.num_poses = num_poses
        self.single_after_s = single_after_s
        self.selector = selector or PersonSelector()
        self._last_ms = -1
        self._lean = False
        self._several_seen_t: float | None = None  # last time >1 person was seen
        self._mode_start_t: float | None = None
        _load_mediapipe()
        self._landmarker = self._create(num_poses)
        # Both landmarkers are made up front: creating one costs 0.1-2 s (model
        # load), which in the live loop would freeze the picture and drop a rep.
        self._others: dict[bool, Any] = {}
        if single_after_s is not None and num_poses > 1:
            self._others[True] = self._create(1)
        self._second: Any = self._create(1) if second_look and num_poses > 1 else None
        self._second_t = -np.inf  # when the second look last ran
        self._second_following = False  # it found someone last time: track them
        self._second_ignored: list[Any] = []  # too small last time (furniture)

    def _create(self, num_poses: int) -> Any:
        opts = _vision.PoseLandmarkerOptions(
            base_options=_mp.tasks.BaseOptions(model_asset_buffer=self._model_bytes),
            running_mode=_vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=self.min_confidence,
            min_pose_presence_confidence=self.min_confidence,
            min_tracking_confidence=self.min_confidence,
        )
        try:
            return _vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                f"Cannot load pose model {self.model_path}: {str(exc).rstrip('.')}. "
                "Rebuild it with "
                "`escape-home models --force`."
            ) from exc

    def _switch(self, lean: bool, t: float) -> None:
        # Swap to the other landmarker (made in __init__); no model load here.
        self._others[self._lean] = self._landmarker
        self._landmarker = self._others.pop(lean)
        self._lean = lean
        self._mode_start_t = t
        # A fresh landmarker has its own clock, but ours stays strictly increasing.

    def _next_ms(self, timestamp_s: float) -> int:
        # MediaPipe rejects a timestamp equal to or before the previous one; odd
        # files repeat or reorder them, so nudge forward by 1 ms when needed.
        ms = max(round(timestamp_s * 1000.0), self._last_ms + 1)
        self._last_ms = ms
        return ms

    def process(
        self, image_bgr: npt.NDArray[np.uint8], timestamp_s: float, frame_index: int = 0
    ) -> Pose:
        """Estimate the exerciser's pose in one frame.

        Args:
            image_bgr: HxWx3 uint8 image in OpenCV's BGR order.
            timestamp_s: Frame time in seconds from the start of the stream.
            frame_index: Frame number, copied into the result.

        Returns:
            The exerciser's Pose, or an empty Pose when they are not in view.
            `pose.extra["people"]` is how many people MediaPipe found this frame.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator.process() called after close()")
        height, width = image_bgr.shape[:2]
        aspect = width / max(height, 1)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        if self._mode_start_t is None:
            self._mode_start_t = timestamp_s
        people, world = self._detect(rgb, timestamp_s)
        chosen = self._select(people, aspect, timestamp_s)
        if chosen is None and self._lean:
            # The single-person landmarker lost the exerciser or found someone else:
            # look for everyone again, starting with this frame.
            self._switch(False, timestamp_s)
            people, world = self._detect(rgb, timestamp_s)
            chosen = self._select(people, aspect, timestamp_s)
        elif not self._lean:
            self._maybe_go_lean(timestamp_s, len(people))
        if chosen is None:
            return Pose.empty(timestamp_s, width, height, frame_index)
        return _to_pose(
            people[chosen],
            world[chosen],
            timestamp_s,
            width,
            height,
            frame_index,
            len(people),
        )

    def _detect(self, rgb: npt.NDArray[Any], t: float) -> tuple[list[Any], list[Any]]:
        """Everyone found in a frame: their landmarks, and world landmarks or None."""
        image = _mp.Image(image_format=_mp.ImageFormat.SRGB, data=rgb)
        result = self._landmarker.detect_for_video(image, self._next_ms(t))
        people = list(result.pose_landmarks)
        world = list(result.pose_world_landmarks)
        world += [None] * (len(people) - len(world))
        if (
            self._second is not None
            and not self._lean
            and 0 < len(people) < self.num_poses
            and (self._second_following or t - self._second_t >= _SECOND_SEARCH_S)
        ):
            self._look_again(rgb, t, people, world)
        return people, world

    def _look_again(
        self, rgb: npt.NDArray[Any], t: float, people: list[Any], world: list[Any]
    ) -> None:
        """The second look (module doc): add whoever else it finds to the lists."""
        self._second_t = t
        masked = _mask_people(rgb, [*people, *self._second_ignored])
        again = self._second.detect_for_video(
            _mp.Image(image_format=_mp.ImageFormat.SRGB, data=masked),
            self._next_ms(t),
        )
        found_world = list(again.pose_world_landmarks)
        found_world += [None] * (len(again.pose_landmarks) - len(found_world))
        height, width = rgb.shape[:2]
        floor = _SECOND_MIN_SIZE * max(_size(p, width, height) for p in people)
        self._second_following = False
        self._second_ignored = []
        for person, person_world in zip(again.pose_landmarks, found_world, strict=True):
            if _size(person, width, height) >= floor:
                people.append(person)
                world.append(person_world)
                self._second_following = True
            else:
                # Painted over next time too, so the landmarker lets go of it
                # instead of tracking it and searching nowhere else.
                self._second_ignored.append(person)

    def _select(self, people: list[Any], aspect: float, t: float) -> int | None:
        if self.num_poses == 1:
            return 0 if people else None
        if len(people) > 1:
            self._several_seen_t = t
        cands = []
        for person in people:
            arr = np.array(
                [(lm.x, lm.y, lm.visibility or 0.0) for lm in person], dtype=np.float32
            )
            cands.append(Candidate.from_landmarks(arr[:, :2], aspect, arr[:, 2]))
        return self.selector.update(t, cands)

    def _maybe_go_lean(self, t: float, found: int) -> None:
        if self.single_after_s is None or self.num_poses == 1 or found != 1:
            return
        start = self._mode_start_t if self._mode_start_t is not None else t
        if self._several_seen_t is not None:
            start = max(start, self._several_seen_t)
        if t - start >= self.single_after_s and self.selector.people == 1:
            self._switch(True, t)

    @property
    def single_person_mode(self) -> bool:
        """True while the cheaper single-person landmarker is in use."""
        return self._lean

    def close(self) -> None:
        """Release MediaPipe's resources (safe to call twice)."""
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
        for other in self._others.values():
            other.close()
        self._others.clear()
        if self._second is not None:
            self._second.close()
            self._second = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _mask_people(rgb: npt.NDArray[Any], people: list[Any]) -> npt.NDArray[Any]:
    """A copy of the frame with a grey box over each person's landmarks."""
    out = rgb.copy()
    height, width = rgb.shape[:2]
    for person in people:
        xy = np.array([(lm.x, lm.y) for lm in person], dtype=np.float64)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        pad = _MASK_MARGIN * (hi - lo)
        x0, y0 = np.clip(lo - pad, 0.0, 1.0) * (width, height)
        x1, y1 = np.clip(hi + pad, 0.0, 1.0) * (width, height)
        out[int(y0) : int(np.ceil(y1)), int(x0) : int(np.ceil(x1))] = _MASK_GREY
    return out


def _size(person: Any, width: int, height: int) -> float:
    """Diagonal, in pixels, of the box around one person's landmarks."""
    xy = np.array([(lm.x, lm.y) for lm in person], dtype=np.float64)
    span = (xy.max(axis=0) - xy.min(axis=0)) * (width, height)
    return float(np.hypot(*span))


def _to_pose(
    person: Any,
    person_world: Any,
    t: float,
    width: int,
    height: int,
    frame_index: int,
    found: int,
) -> Pose:
    """Convert one person's landmarks (and world landmarks, or None) into a Pose."""
    arr = np.array(
        [(lm.x, lm.y, lm.z, lm.visibility or 0.0, lm.presence or 0.0) for lm in person],
        dtype=np.float32,
    )
    world = None
    if person_world is not None:
        world = np.array([(lm.x, lm.y, lm.z) for lm in person_world], dtype=np.float32)
        if world.shape != (NUM_LANDMARKS, 3):
            world = None
    return Pose(
        timestamp_s=t,
        width=width,
        height=height,
        xy=np.ascontiguousarray(arr[:, 0:2]),
        z=np.ascontiguousarray(arr[:, 2]),
        visibility=np.ascontiguousarray(arr[:, 3]),
        presence=np.ascontiguousarray(arr[:, 4]),
        world=world,
        frame_index=frame_index,
        extra={"people": float(found)},
    )
