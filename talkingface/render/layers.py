"""The person as a layer over a background that never moves.

The mesh warp moves everything near the head, background too: a flag pole behind a turning head
bends, a door frame tears. With a person matte (:mod:`talkingface.face.matte`) we keep a
background plate, the photo with the person filled in from the surrounding background, and
composite each warped frame so that only the person moves:

    out = warp(I) + (1 − warp(α)) · (B − warp(B))

where ``I`` is the photo, ``α`` the matte and ``B`` the plate. Where the warp is the identity
(the rest pose, everything away from the head) the correction is exactly zero, so those pixels
stay the photo's own; where the head moves away from the background, the plate shows through
instead of stretched hair; hair strands keep their softness because ``α`` is soft.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

HOLE_ALPHA = 0.02  # the plate is filled where the matte exceeds this (the person and her fringe)


@dataclass(frozen=True)
class BackgroundLayer:
    """``plate_alpha`` (h, w, 4) uint8: the background plate with the matte in the 4th channel."""

    plate_alpha: np.ndarray
    plate: np.ndarray  # (h, w, 3) uint8, contiguous


def background_layer(rgb: np.ndarray, alpha: np.ndarray) -> BackgroundLayer:
    """Fill the person out of the picture (a soft push-pull fill from the surrounding background)."""
    hole = alpha > HOLE_ALPHA
    plate = fill_holes(rgb, hole)
    a8 = np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8)
    return BackgroundLayer(np.ascontiguousarray(np.dstack([plate, a8])), plate)


def fill_holes(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Push-pull fill: average the known pixels down a pyramid, then pull the averages back up
    into the hole, so each filled pixel takes the colour of the background nearest to it."""
    known = (~hole).astype(np.float32)
    img = rgb.astype(np.float32) * known[..., None]
    levels = [(img, known)]
    while min(levels[-1][1].shape) > 4:
        a, w = levels[-1]
        levels.append((cv2.pyrDown(a), cv2.pyrDown(w)))
    a, w = levels[-1]
    filled = a / np.maximum(w, 1e-6)[..., None]
    for a, w in reversed(levels[:-1]):
        up = cv2.resize(filled, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR)
        trust = np.clip(w * 4.0, 0.0, 1.0)[..., None]  # a level's own average where it has data
        filled = trust * (a / np.maximum(w, 1e-6)[..., None]) + (1 - trust) * up
    out = np.where(hole[..., None], filled, rgb.astype(np.float32))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def keep_background(
    warped: np.ndarray, layer: BackgroundLayer, map_x: np.ndarray, map_y: np.ndarray, roi
) -> None:
    """Apply the correction in place on ``warped`` (the ROI of the frame, already remapped with
    the same relative maps)."""
    x0, y0, x1, y1 = roi
    flags = cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP  # the renderer's maps are offsets (see warp.py)
    moved = cv2.remap(layer.plate_alpha, map_x, map_y, flags, borderMode=cv2.BORDER_REPLICATE)
    # contiguous, same-typed operands keep OpenCV on its fast paths (4× faster than mixed ones)
    moved_plate = cv2.cvtColor(moved, cv2.COLOR_RGBA2RGB)
    delta = cv2.subtract(layer.plate[y0:y1, x0:x1], moved_plate, dtype=cv2.CV_16S)
    keep = cv2.cvtColor(255 - cv2.extractChannel(moved, 3), cv2.COLOR_GRAY2RGB).astype(np.int16)
    correction = cv2.multiply(delta, keep, scale=1 / 255)
    warped[...] = cv2.add(warped, correction, dtype=cv2.CV_8U)
