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
from .polygons import chain, coverage, pixels_inside


@dataclass(frozen=True)
class MouthStyle:
    teeth: np.ndarray  # RGB float32 0–255
    cavity: np.ndarray
    tongue: np.ndarray


def mouth_style(image: np.ndarray, landmarks: np.ndarray) -> MouthStyle:
    """Colours for the interior, from this portrait's own lips, skin and light.

    Teeth are never brighter than the skin's highlights (pasted-white teeth are the tell-tale of
    synthetic mouths) and take a little of the skin's tint, so they sit in the photo's light; in a
    greyscale photo everything stays grey, in a sepia one everything turns sepia.
    """
    img = image.astype(np.float32)
    lips = pixels_inside(img, landmarks[list(T.closed_polygon(T.LIPS_OUTER_UPPER, T.LIPS_OUTER_LOWER)), :2])
    inner = pixels_inside(img, landmarks[list(T.MOUTH_HOLE), :2])
    face = pixels_inside(img, landmarks[list(T.FACE_OVAL), :2])
    lip = np.median(lips, 0) if len(lips) else np.array([150.0, 80.0, 80.0])
    skin = np.median(face, 0) if len(face) else np.array([190.0, 150.0, 130.0])
    highlight = float(np.percentile(face.mean(1), 97)) if len(face) else 200.0
    grey = len(face) > 0 and float(np.median(np.ptp(face, axis=1))) < 6.0
    tint = np.ones(3) if grey else skin / max(float(skin.mean()), 1.0)
    ivory = np.ones(3) if grey else np.array([1.0, 0.97, 0.9])
    teeth = min(0.97 * highlight, 238.0) * (0.65 * ivory + 0.35 * tint)
    if len(inner) > 30:  # the photo shows teeth: use their colour
        luma = inner.mean(1)
        bright = inner[luma > np.percentile(luma, 75)]
        if len(bright) and bright.mean() > 1.25 * lip.mean():
            teeth = np.median(bright, 0)
    red = np.ones(3) if grey else np.array([1.0, 0.55, 0.55])
    cavity = lip * 0.38 * red
    tongue = lip * 0.85 * (np.ones(3) if grey else np.array([1.0, 0.72, 0.72]))
    return MouthStyle(teeth.astype(np.float32), cavity.astype(np.float32), tongue.astype(np.float32))


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
    xs = np.arange(x0, x1) + 0.5
    gap = np.interp(xs, *chain(lower)) - np.interp(xs, *chain(upper))
    n_upper = len(T.LIPS_INNER_UPPER)
    rest_upper = rest_hole[:n_upper]
    rest_lower = np.concatenate([rest_hole[:1], rest_hole[n_upper:][::-1], rest_hole[n_upper - 1 : n_upper]])
    rest_gap = np.interp(xs, *chain(rest_lower)) - np.interp(xs, *chain(rest_upper))
    # lips pressed over a mouth the photo shows open: what is left of the opening is the dark seam
    # between the lips, not a jagged line of the photo's teeth
    sealed = np.clip((rest_gap - gap - 0.5) / 1.5, 0.0, 1.0) * np.clip(1.0 - (gap - 0.5) / 2.0, 0.0, 1.0)
    if sealed.max() > 0:
        seam = coverage(hole, x0, y0, w, h) * sealed[None, :]
        seam = np.maximum(seam, cv2.GaussianBlur(seam, (3, 3), 0.7))  # close the sliver's pixel gaps
        region = frame[y0:y1, x0:x1].astype(np.float32)
        colour = np.minimum(style.cavity * 1.7, 255.0)
        frame[y0:y1, x0:x1] = np.clip(
            region * (1 - seam[..., None]) + colour * seam[..., None] + 0.5, 0, 255
        ).astype(np.uint8)
    if gap.max() < 0.7:
        return
    alpha = np.clip(coverage(hole, x0, y0, w, h) - coverage(rest_hole, x0, y0, w, h), 0.0, 1.0)
    if alpha.max() <= 0:
        return
    patch = _interior(x0, y0, w, h, upper, lower, jaw, style)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    a = alpha[..., None]
    frame[y0:y1, x0:x1] = np.clip(region * (1 - a) + patch * a + 0.5, 0, 255).astype(np.uint8)


def _interior(
    x0: int, y0: int, w: int, h: int, upper: np.ndarray, lower: np.ndarray, jaw: float, style: MouthStyle
) -> np.ndarray:
    xs = np.arange(x0, x0 + w, dtype=np.float32) + 0.5
    ys = (np.arange(y0, y0 + h, dtype=np.float32) + 0.5)[:, None]
    top = np.interp(xs, *chain(upper))[None, :]
    bottom = np.interp(xs, *chain(lower))[None, :]
    left, right = float(upper[:, 0].min()), float(upper[:, 0].max())
    width = max(right - left, 1.0)
    centre = (left + right) / 2
    across = np.clip(np.abs(xs - centre) / (width / 2), 0, 1)[None, :]  # 0 middle → 1 corners
    opening = np.maximum(bottom - top, 1e-3)

    # cavity: dark, darkest at the back (middle of the opening), a little light near the lips
    depth = 1.0 - np.clip(np.abs((ys - top) / opening - 0.5) * 2.0, 0, 1)
    cavity = style.cavity * (1.0 - 0.5 * depth[..., None]) * (0.85 + 0.3 * across[..., None])
    out = np.broadcast_to(cavity, (h, w, 3)).copy()

    # tongue: a low rounded mass resting behind the lower teeth
    tongue_top = bottom - opening * (0.22 + 0.08 * min(jaw, 1.0)) + 0.9 * across**2 * opening
    tongue_a = np.clip(ys - tongue_top, 0, 1.0)
    shade = np.clip((ys - tongue_top) / np.maximum(opening * 0.3, 1), 0, 1)
    tongue_rgb = style.tongue * (0.7 + 0.3 * shade[..., None])
    out = out * (1 - tongue_a[..., None]) + tongue_rgb * tongue_a[..., None]

    # teeth: incisors hanging from the upper lip (scalloped edges, shadowed by the lip above and
    # toward the corners), a shorter darker row on the jaw once the mouth is well open
    tooth_w = width * 0.125
    pos = (xs - centre) / tooth_w
    phase = pos - np.round(pos)  # −0.5 … 0.5 across each tooth
    scallop = 1.0 - 0.25 * (2 * np.abs(phase)) ** 3
    upper_len = np.minimum(width * 0.105, 0.62 * opening) * (1.0 - 0.45 * across**2) * scallop
    upper_a = np.clip(top + upper_len - ys + 0.5, 0, 1) * (across < 0.9)
    lower_len = np.minimum(width * 0.045, 0.22 * opening) * np.clip((jaw - 0.35) / 0.3, 0, 1)
    lower_len = lower_len * (1.0 - 0.6 * across**2) * scallop
    lower_a = np.clip(ys - (bottom - lower_len) + 0.5, 0, 1) * (across < 0.8) * (lower_len > 0.5)
    gaps = 1.0 - 0.12 * np.clip(1.0 - 2 * np.abs(np.abs(phase) - 0.5) * 8, 0, 1)  # thin gap shading
    fade = 1.0 - 0.5 * across**1.6
    lip_shadow = 0.72 + 0.28 * np.clip((ys - top) / np.maximum(upper_len * 0.5, 1), 0, 1)
    upper_rgb = style.teeth * (gaps * fade * lip_shadow)[..., None]
    lower_rgb = style.teeth * (0.58 * gaps * fade)[..., None] * np.ones((h, 1, 1))
    out = out * (1 - lower_a[..., None]) + lower_rgb * lower_a[..., None]
    out = out * (1 - upper_a[..., None]) + upper_rgb * upper_a[..., None]
    return out.astype(np.float32)
