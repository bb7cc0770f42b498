"""Visible label: a short text ("AI-generated") in a semi-opaque box in a corner of each frame.

Sized to the frame (text height ≈ 3.2 % of the short side, at least 10 px), anti-aliased, white
on a 55 %-opaque black box, with a margin of 2 % of the short side. The box and text are
rendered once per frame size into an RGBA overlay; each frame then costs one blend of the small
box region, so a label on a 4K stream costs well under a millisecond.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..errors import InputError

CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")
DEFAULT_TEXT = "AI-generated"


class Labeler:
    """Draws ``text`` into ``corner`` of RGB uint8 frames of one size."""

    def __init__(
        self,
        width: int,
        height: int,
        text: str = DEFAULT_TEXT,
        corner: str = "bottom-right",
        opacity: float = 0.55,
    ) -> None:
        if corner not in CORNERS:
            raise InputError(f"label corner must be one of {', '.join(CORNERS)}, got {corner!r}")
        if not text.strip() or not text.isprintable() or not text.isascii():
            raise InputError("label text must be a non-empty line of printable ASCII")
        if not 0.0 <= opacity <= 1.0:
            raise InputError(f"label opacity must be between 0 and 1, got {opacity}")
        short = min(width, height)
        font = cv2.FONT_HERSHEY_SIMPLEX
        text_h = max(10, round(short * 0.032))
        scale = cv2.getFontScaleFromHeight(font, text_h, 1)
        thickness = max(1, round(text_h / 14))
        (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        pad = max(3, round(text_h * 0.45))
        bw, bh = min(width, tw + 2 * pad), min(height, th + base + 2 * pad)
        margin = max(2, round(short * 0.02))
        x0 = margin if corner.endswith("left") else width - margin - bw
        y0 = margin if corner.startswith("top") else height - margin - bh
        self.box = (max(0, x0), max(0, y0), bw, bh)
        # Pre-render: colour layer and per-pixel alpha for the box region.
        text_mask = np.zeros((bh, bw), np.uint8)
        cv2.putText(text_mask, text, (pad, pad + th), font, scale, 255, thickness, cv2.LINE_AA)
        ink = text_mask.astype(np.float32)[:, :, None] / 255.0
        self._alpha = (opacity * (1.0 - ink) + ink).astype(np.float32)  # box + opaque text
        self._color = (255.0 * ink).astype(np.float32)  # black box, white text

    def apply(self, frame: np.ndarray, inplace: bool = False) -> np.ndarray:
        out = frame if inplace else frame.copy()
        x, y, w, h = self.box
        region = out[y : y + h, x : x + w].astype(np.float32)
        a = self._alpha[: region.shape[0], : region.shape[1]]
        c = self._color[: region.shape[0], : region.shape[1]]
        out[y : y + h, x : x + w] = np.rint(region * (1.0 - a) + c * a).astype(np.uint8)
        return out
