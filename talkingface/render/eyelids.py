"""Eyelids drawn over the eye, instead of stretching the photo's lashes across it.

Stretching the upper-lid skin down smears the lash line into stripes (the classic warp
artefact). A closing lid is instead painted as its own layer inside the eye opening: skin of
the colour the portrait's own lid has above the crease, shaded darker toward its edge, ending
in a lash line taken from the darkest pixels of the real lashes. Partial closure is the same
layer stopping part-way. The iris and sclera under it are never warped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import topology as T
from .polygons import chain, pixels_inside


@dataclass(frozen=True)
class LidStyle:
    skin: np.ndarray  # RGB float32: the lid's own skin
    lash: np.ndarray  # RGB float32: the lash line
    lash_width: float  # pixels


def lid_style(image: np.ndarray, landmarks: np.ndarray, iod: float) -> LidStyle:
    img = image.astype(np.float32)
    skins, lashes = [], []
    for crease, upper in ((T.RIGHT_LID_CREASE, T.RIGHT_EYE_UPPER), (T.LEFT_LID_CREASE, T.LEFT_EYE_UPPER)):
        band = np.concatenate([landmarks[list(crease), :2], landmarks[list(upper)[::-1], :2]])
        pix = pixels_inside(img, band)
        if len(pix):
            luma = pix.mean(1)
            skins.append(pix[luma >= np.percentile(luma, 50)])  # the skin, not the lashes in the band
            lashes.append(pix[luma <= np.percentile(luma, 8)])
    skin = np.median(np.concatenate(skins), 0) if skins else np.array([190.0, 150.0, 130.0])
    lash = np.median(np.concatenate(lashes), 0) if lashes else skin * 0.35
    lash = np.minimum(lash, skin * 0.55)
    return LidStyle(skin.astype(np.float32), lash.astype(np.float32), max(1.2, 0.045 * iod))


def draw_lid(
    frame: np.ndarray, upper: np.ndarray, lower: np.ndarray, closure: float, style: LidStyle
) -> None:
    """Close one eye by ``closure`` (0 open … 1 shut), in place. ``upper``/``lower``: deformed lid chains."""
    if closure <= 0.02:
        return
    closure = min(closure, 1.0)
    x0 = int(np.floor(min(upper[:, 0].min(), lower[:, 0].min()))) - 1
    x1 = int(np.ceil(max(upper[:, 0].max(), lower[:, 0].max()))) + 2
    y0 = int(np.floor(upper[:, 1].min() - 2 * style.lash_width)) - 1
    y1 = int(np.ceil(lower[:, 1].max() + 2 * style.lash_width)) + 2
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    if x1 - x0 < 3 or y1 - y0 < 2:
        return
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5
    ys = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
    top = np.interp(xs, *chain(upper))[None, :]
    bottom = np.interp(xs, *chain(lower))[None, :]
    inside_x = ((xs >= upper[:, 0].min()) & (xs <= upper[:, 0].max()))[None, :]
    lw = style.lash_width
    # a shut lid rests slightly past the lower lid line so no sclera survives at the seam
    edge = top + (bottom - top) * closure + (0.6 if closure > 0.97 else 0.0)
    span = np.maximum(edge - top, 1e-3)
    # the lid starts above the photo's own lash line (which rolls under it) with a soft upper edge
    start = top - 1.6 * lw * min(1.0, closure * 2.5)
    cover = np.clip(edge - ys + 0.5, 0, 1) * np.clip((ys - start) / (1.2 * lw), 0, 1) * inside_x
    # colour: per column, the skin just above the lid in this very frame, so light and tint match
    sample_y = np.clip(np.round(top[0] - 3.2 * lw).astype(int), 0, frame.shape[0] - 1)
    cols = np.arange(x0, x1)
    skin = frame[sample_y, cols].astype(np.float32)
    skin = cv2.GaussianBlur(skin[None], (0, 0), sigmaX=max(1.0, 1.5 * lw))[0]
    skin = 0.7 * skin + 0.3 * style.skin
    depth = np.clip((ys - top) / span, 0, 1)
    shade = 1.0 - 0.14 * depth**2
    lid = skin[None] * shade[..., None]
    lash_a = np.clip(1.0 - np.abs(ys - edge) / lw, 0, 1) * inside_x * min(1.0, closure * 3)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region = region * (1 - cover[..., None]) + lid * cover[..., None]
    region = region * (1 - lash_a[..., None]) + style.lash * lash_a[..., None]
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
