"""Draw the pose and the engine's feedback on a frame (drawing only, no logic).

This is the only module, besides the frame sources, that draws with OpenCV. It runs
on every live frame, so it draws straight onto the image it is given, blends only the
small panels it darkens, and draws each colour's skeleton edges in one call.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from escape_home.events import FrameUpdate
from escape_home.landmarks import SKELETON_EDGES, Landmark, Pose

Color = tuple[int, int, int]  # BGR
Image = npt.NDArray[np.uint8]

# OpenCV's Hershey fonts are ASCII only; map the few typographic characters the
# cues are likely to use, and drop anything else rather than draw "?".
_ASCII = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                        "°": " deg", "…": "..."})  # fmt: skip


def _ascii(text: str) -> str:
    return text.translate(_ASCII).encode("ascii", "ignore").decode()


def _side(lm: Landmark) -> int:
    """0 for the nose, 1 for the person's left (odd index), 2 for the right."""
    return 0 if lm == Landmark.NOSE else 1 if int(lm) % 2 == 1 else 2


class Annotator:
    """Draw the skeleton, the tracked signal, the rep count and the live cue.

    Example:
        >>> annotator = Annotator()
        >>> annotator.annotate(frame.image, pose, update, label="squat")

    Args:
        visibility_threshold: Joints less visible than this are not drawn, nor any
            edge touching them.
        left_color: Colour of the person's left limbs (BGR).
        right_color: Colour of the person's right limbs (BGR).
        center_color: Colour of edges across the body and of the joints' outline.
        text_color: Colour of the panel text.
        cue_color: Colour of the coaching cue.
        warning_color: Background of the framing warning band.
        signal_label: Name printed before the tracked signal (e.g. "knee").
        signal_unit: Unit printed after it (e.g. "deg"). The engine's signal is not
            always an angle (step height and heel rise are ratios), so both default
            to nothing; callers that know the exercise can name it.
        panel_alpha: Darkness of the panels behind text (0 = none, 1 = black).
    """

    def __init__(
        self,
        *,
        visibility_threshold: float = 0.5,
        left_color: Color = (0, 165, 255),
        right_color: Color = (255, 200, 0),
        center_color: Color = (255, 255, 255),
        text_color: Color = (255, 255, 255),
        cue_color: Color = (0, 255, 255),
        warning_color: Color = (0, 0, 200),
        signal_label: str = "",
        signal_unit: str = "",
        panel_alpha: float = 0.55,
    ) -> None:
        if not 0.0 <= panel_alpha <= 1.0:
            raise ValueError(f"panel_alpha must be in 0..1, got {panel_alpha}")
        self.visibility_threshold = visibility_threshold
        self.colors: dict[int, Color] = {
            0: center_color,
            1: left_color,
            2: right_color,
        }
        self.center_color = center_color
        self.text_color = text_color
        self.cue_color = cue_color
        self.warning_color = warning_color
        self.signal_label = signal_label
        self.signal_unit = signal_unit
        self.panel_alpha = panel_alpha
        # Edge endpoints and colour group, computed once.
        self._edges = np.array([(int(a), int(b)) for a, b in SKELETON_EDGES])
        self._edge_group = np.array(
            [_side(a) if _side(a) == _side(b) else 0 for a, b in SKELETON_EDGES]
        )
        self._joints = np.unique(self._edges)

    def annotate(
        self,
        image: Image,
        pose: Pose,
        update: FrameUpdate | None = None,
        label: str = "",
    ) -> Image:
        """Draw on `image` in place and return it (copy it first to keep the original).

        Nothing is drawn when the pose is empty (nobody in view).
        """
        if pose.is_empty:
            return image
        h, w = image.shape[:2]
        unit = max(1.0, min(h, w) / 480.0)  # 1 at 480p, 1.5 at 720p, 2.25 at 1080p
        self._skeleton(image, pose, w, h, unit)
        if update is not None or label:
            self._panel(image, update, label, unit)
        if update is not None:
            if update.warning:
                self._band(image, update.warning, unit, self.warning_color, top=False)
            elif update.cue is not None:
                self._band(image, update.cue.text, unit, (0, 0, 0), top=False)
        return image

    def _skeleton(self, image: Image, pose: Pose, w: int, h: int, unit: float) -> None:
        visible = (pose.visibility >= self.visibility_threshold) & ~np.isnan(
            pose.xy[:, 0]
        )
        px = np.nan_to_num(pose.xy * (w, h)).round().astype(np.int32)
        thickness = max(2, round(2 * unit))
        ok = visible[self._edges[:, 0]] & visible[self._edges[:, 1]]
        for group, color in self.colors.items():
            sel = self._edges[ok & (self._edge_group == group)]
            if len(sel):
                cv2.polylines(
                    image, list(px[sel]), False, color, thickness, cv2.LINE_AA
                )
        radius = max(3, round(3 * unit))
        for j in self._joints[visible[self._joints]]:
            center = (int(px[j, 0]), int(px[j, 1]))
            cv2.circle(image, center, radius, self.colors[_side(Landmark(j))], -1)
            cv2.circle(image, center, radius, self.center_color, 1, cv2.LINE_AA)

    def _darken(self, image: Image, x0: int, y0: int, x1: int, y1: int,
                color: Color = (0, 0, 0)) -> None:  # fmt: skip
        h, w = image.shape[:2]
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0 or self.panel_alpha <= 0:
            return
        roi = image[y0:y1, x0:x1]
        fill = np.empty_like(roi)
        fill[:] = color
        cv2.addWeighted(fill, self.panel_alpha, roi, 1 - self.panel_alpha, 0, dst=roi)

    def _panel(
        self, image: Image, update: FrameUpdate | None, label: str, unit: float
    ) -> None:
        """Top-left box: label, big rep count, per-side counts, signal, hold time."""
        font = cv2.FONT_HERSHEY_SIMPLEX
        small, big = 0.6 * unit, 1.8 * unit
        thin, bold = max(1, round(unit)), max(2, round(3 * unit))
        lines: list[tuple[str, float, int]] = []
        if label:
            lines.append((_ascii(label.replace("_", " ")), small, thin))
        if update is not None:
            lines.append((f"{update.reps}", big, bold))
            sides = {k: v for k, v in update.reps_by_side.items() if k != "both"}
            if len(sides) > 1:
                text = "  ".join(f"{k[0].upper()} {v}" for k, v in sides.items())
                lines.append((text, small, thin))
            if update.signal is not None:
                lines.append((self._signal_text(update.signal), small, thin))
            if update.hold_s > 0:
                lines.append((f"hold {update.hold_s:.1f} s", small, thin))
        pad = round(8 * unit)
        sizes = [cv2.getTextSize(t, font, s, th) for t, s, th in lines]
        width = max(sz[0][0] for sz in sizes) + 2 * pad
        height = sum(sz[0][1] + sz[1] + pad for sz in sizes) + pad
        self._darken(image, 0, 0, width, height)
        y = pad
        for (text, scale, th), ((_, th_px), base) in zip(lines, sizes, strict=True):
            y += th_px
            cv2.putText(image, text, (pad, y), font, scale, self.text_color, th,
                        cv2.LINE_AA)  # fmt: skip
            y += base + pad

    def _signal_text(self, value: float) -> str:
        # Angles read best whole; small ratios need their decimals.
        number = f"{value:.0f}" if abs(value) >= 10 else f"{value:.2f}"
        return " ".join(p for p in (self.signal_label, number, self.signal_unit) if p)

    def _band(
        self, image: Image, text: str, unit: float, bg: Color, *, top: bool
    ) -> None:
        """A full-width strip of large text at the bottom (or top) of the frame."""
        h, w = image.shape[:2]
        font = cv2.FONT_HERSHEY_SIMPLEX
        text = _ascii(text)
        scale, th = 0.9 * unit, max(2, round(2 * unit))
        (tw, t_h), base = cv2.getTextSize(text, font, scale, th)
        if tw > w * 0.95:  # shrink long cues to fit rather than cut them off
            scale *= w * 0.95 / tw
            (tw, t_h), base = cv2.getTextSize(text, font, scale, th)
        pad = round(10 * unit)
        band_h = t_h + base + 2 * pad
        y0 = 0 if top else h - band_h
        self._darken(image, 0, y0, w, y0 + band_h, bg)
        color = self.cue_color if bg == (0, 0, 0) else self.text_color
        org = ((w - tw) // 2, y0 + pad + t_h)
        cv2.putText(image, text, org, font, scale, color, th, cv2.LINE_AA)
