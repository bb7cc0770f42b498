"""The mouth interior the photo does not contain: cavity, upper and lower teeth, tongue.

Drawn inside the deformed inner-lip outline only, so the lips are always in front of the teeth.
Everything is computed per pixel from the lip outline (no upscaled sprites), so it stays sharp at
any resolution. Colours come from the portrait: the teeth take the colour of teeth visible in
the photo when there are any, else an ivory scaled to the face's exposure; the cavity and the
tongue take the lips' hue.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import topology as T

_SHIFT = 4


@dataclass(frozen=True)
class MouthStyle:
    teeth: np.ndarray  # RGB float32 0–255
    cavity: np.ndarray
    tongue: np.ndarray


def mouth_style(image: np.ndarray, landmarks: np.ndarray) -> MouthStyle:
    """Sample the portrait's lip, skin and (if visible) teeth colours."""
    img = image.astype(np.float32)
    lips = _polygon_pixels(img, landmarks[list(T.closed_polygon(T.LIPS_OUTER_UPPER, T.LIPS_OUTER_LOWER)), :2])
    inner = _polygon_pixels(img, landmarks[list(T.MOUTH_HOLE), :2])
    lip = np.median(lips, 0) if len(lips) else np.array([150.0, 80.0, 80.0])
    skin_luma = float(np.mean(lip)) / 110.0
    teeth = np.array([228.0, 222.0, 206.0]) * np.clip(skin_luma, 0.75, 1.05)
    if len(inner) > 30:
        luma = inner.mean(1)
        bright = inner[luma > np.percentile(luma, 70)]
        if len(bright) and bright.mean() > 1.25 * lip.mean():
            teeth = np.median(bright, 0)
    if np.ptp(np.median(lips, 0) if len(lips) else [0]) < 6:  # greyscale/sepia photo: keep it so
        grey = teeth.mean()
        teeth = np.full(3, grey)
    cavity = lip * np.array([0.42, 0.22, 0.22])
    tongue = lip * np.array([0.85, 0.62, 0.62])
    return MouthStyle(teeth.astype(np.float32), cavity.astype(np.float32), tongue.astype(np.float32))


def _polygon_pixels(img: np.ndarray, poly: np.ndarray) -> np.ndarray:
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    return img[mask > 0]


def _aa_mask(poly: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    pts = np.round((poly - (x0, y0)) * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=_SHIFT)
    return mask.astype(np.float32) / 255.0


def draw_mouth(
    frame: np.ndarray, lm2d: np.ndarray, rest_hole: np.ndarray, jaw: float, style: MouthStyle
) -> None:
    """Composite the interior into ``frame`` (in place) where the lips part beyond the photo's own gap.

    ``lm2d``: deformed landmarks (478, 2). ``rest_hole``: the photo's own inner-lip outline moved
    rigidly with the head; inside it the photo's own mouth (e.g. its teeth) is kept.
    """
    upper = lm2d[list(T.LIPS_INNER_UPPER)]
    lower = lm2d[list(T.LIPS_INNER_LOWER)]
    hole = lm2d[list(T.MOUTH_HOLE)]
    x0, y0 = np.floor(hole.min(0)).astype(int) - 2
    x1, y1 = np.ceil(hole.max(0)).astype(int) + 3
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    w, h = x1 - x0, y1 - y0
    if w < 3 or h < 2:
        return
    gap = np.interp(np.arange(x0, x1) + 0.5, *_chain(lower)) - np.interp(
        np.arange(x0, x1) + 0.5, *_chain(upper)
    )
    if gap.max() < 0.6:
        return
    alpha = np.clip(_aa_mask(hole, x0, y0, w, h) - _aa_mask(rest_hole, x0, y0, w, h), 0.0, 1.0)
    if alpha.max() <= 0:
        return
    patch = _interior(x0, y0, w, h, upper, lower, jaw, style)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    a = alpha[..., None]
    frame[y0:y1, x0:x1] = np.clip(region * (1 - a) + patch * a + 0.5, 0, 255).astype(np.uint8)


def _chain(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x-sorted (xs, ys) of a corner-to-corner lip chain, for np.interp."""
    order = np.argsort(points[:, 0])
    return points[order, 0], points[order, 1]


def _interior(
    x0: int, y0: int, w: int, h: int, upper: np.ndarray, lower: np.ndarray, jaw: float, style: MouthStyle
) -> np.ndarray:
    xs = np.arange(x0, x0 + w, dtype=np.float32) + 0.5
    ys = (np.arange(y0, y0 + h, dtype=np.float32) + 0.5)[:, None]
    top = np.interp(xs, *_chain(upper))[None, :]
    bottom = np.interp(xs, *_chain(lower))[None, :]
    left, right = float(upper[:, 0].min()), float(upper[:, 0].max())
    width = max(right - left, 1.0)
    centre = (left + right) / 2
    across = np.clip(np.abs(xs - centre) / (width / 2), 0, 1)[None, :]  # 0 middle → 1 corners
    opening = np.maximum(bottom - top, 1e-3)

    # cavity: darker toward the middle of the opening and toward the back (the corners read as depth)
    depth = 1.0 - np.clip(np.abs((ys - top) / opening - 0.55) * 1.6, 0, 1)
    cavity = style.cavity * (1.0 - 0.45 * depth[..., None]) * (1.0 + 0.25 * across[..., None])
    out = np.broadcast_to(cavity, (h, w, 3)).copy()

    # tongue: a low rounded mass, visible once the jaw drops
    tongue_top = bottom - opening * (0.25 + 0.1 * min(jaw, 1.0))
    tongue = (ys > tongue_top + 0.8 * (across**2) * opening) & (ys < bottom)
    shade = np.clip((ys - tongue_top) / np.maximum(opening * 0.3, 1), 0, 1)
    tongue_rgb = style.tongue * (0.75 + 0.25 * shade[..., None])
    out = np.where(tongue[..., None], tongue_rgb, out)

    # teeth: a row of incisors hanging from the upper lip, shorter lower row on the jaw
    tooth_w = width * 0.13
    pos = (xs - centre) / tooth_w
    edge = np.abs(pos - np.round(pos))  # 0 at tooth boundaries → 0.5 mid-tooth
    upper_h = width * 0.14 * (1.0 - 0.55 * across**2) * (0.85 + 0.15 * np.clip(edge * 4, 0, 1))
    upper_teeth = (ys >= top - 1) & (ys < top + upper_h) & (across < 0.92)
    lower_h = width * 0.06 * np.clip((jaw - 0.3) / 0.3, 0, 1) * (1.0 - 0.6 * across**2)
    lower_teeth = (ys > bottom - lower_h) & (ys <= bottom + 1) & (across < 0.85)
    gaps = 0.86 + 0.14 * np.clip(edge * 6, 0, 1)  # faint shadows between teeth
    fade = 1.0 - 0.5 * across**1.5  # teeth further back get less light
    under_lip = 0.82 + 0.18 * np.clip((ys - top) / np.maximum(upper_h * 0.35, 1), 0, 1)
    upper_rgb = style.teeth * (gaps * fade * under_lip)[..., None]
    lower_rgb = style.teeth * (0.85 * gaps * fade)[..., None] * np.ones((h, 1, 1))
    out = np.where(lower_teeth[..., None], lower_rgb, out)
    out = np.where(upper_teeth[..., None], upper_rgb, out)
    return out.astype(np.float32)
