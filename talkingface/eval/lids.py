"""Is a shut lid the photo's own lid skin? Fine texture and tone of the lid in a rendered frame.

A painted lid (a smooth shaded oval) has almost no fine texture; a lid made of the photo's skin
carries its pores, wrinkles, grain and print or paint texture. Measured per eye: the median
absolute high-pass (σ = 1 px) of the shut lid over the eye (the upper 60 % of the opening, the
middle 70 % of its width, so the seam and the corners stay out) against the same measure on the
photo's own lid skin (crease to lash line, lashes left out); and the two median lumas.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core import topology as T

INK_LUMA = 16.0  # a lid band darker than this is ink, not skin

SIDES = (
    (T.RIGHT_EYE_UPPER, T.RIGHT_EYE_LOWER, T.RIGHT_LID_CREASE),
    (T.LEFT_EYE_UPPER, T.LEFT_EYE_LOWER, T.LEFT_LID_CREASE),
)


def _band(lm: np.ndarray, top: list[int], bottom: list[int], t0: float, t1: float) -> np.ndarray:
    """Polygon between two corner-to-corner chains, from share t0 to t1 of the way top → bottom,
    over the middle 70 % of the eye's width."""
    xs = np.linspace(lm[bottom, 0].min(), lm[bottom, 0].max(), 40)[6:-6]

    def at(chain: list[int]) -> np.ndarray:
        order = np.argsort(lm[chain, 0])
        return np.interp(xs, lm[chain, 0][order], lm[chain, 1][order])

    yt, yb = at(top), at(bottom)
    upper = np.column_stack([xs, yt + t0 * (yb - yt)])
    lower = np.column_stack([xs, yt + t1 * (yb - yt)])
    return np.concatenate([upper, lower[::-1]])


def _texture_and_luma(image: np.ndarray, poly: np.ndarray) -> tuple[float, float]:
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    luma = image.astype(np.float32).mean(2)
    fine = luma - cv2.GaussianBlur(luma, (0, 0), 1.0)
    inside = mask > 0
    return float(np.median(np.abs(fine[inside]))), float(np.median(luma[inside]))


def shut_lid_match(
    photo: np.ndarray, landmarks: np.ndarray, frame: np.ndarray, share: float = 0.6
) -> list[tuple[float, float]]:
    """Per eye (right, left): (texture, tone) of the lid in ``frame`` over the photo's lid skin.

    ``landmarks`` are the photo's; ``frame`` is rendered at the photo's rest pose with the lids
    lowered; the lid is measured over the top ``share`` of the eye's opening (0.6 for a shut lid).
    """
    lm = landmarks[:, :2]
    out = []
    for upper, lower, crease in SIDES:
        upper, lower, crease = list(upper), list(lower), list(crease)
        shut = _texture_and_luma(frame, _band(lm, upper, lower, 0.0, share))
        skin = _texture_and_luma(photo, _band(lm, crease, upper, 0.1, 0.6))
        # (an ink-black lid band, as in line art, has no tone to match: nan)
        tone = shut[1] / skin[1] if skin[1] >= INK_LUMA else float("nan")
        out.append((shut[0] / max(skin[0], 1e-3), tone))
    return out
