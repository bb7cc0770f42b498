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

from .scratch import ThreadArrays

HOLE_ALPHA = 0.02  # the plate is filled where the matte exceeds this (the person and her fringe)


@dataclass(frozen=True)
class BackgroundLayer:
    """The background plate (the photo with the person filled in) and the person matte."""

    plate: np.ndarray  # (h, w, 3) uint8
    alpha: np.ndarray  # (h, w) uint8, 255 = the person


def background_layer(rgb: np.ndarray, alpha: np.ndarray) -> BackgroundLayer:
    """Fill the person out of the picture (a soft push-pull fill from the surrounding background)."""
    hole = alpha > HOLE_ALPHA
    plate = fill_holes(rgb, hole)
    a8 = np.round(np.clip(alpha, 0, 1) * 255).astype(np.uint8)
    return BackgroundLayer(np.ascontiguousarray(plate), a8)


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


class WarpSource:
    """The picture as one four-channel image, so each frame is one ``cv2.remap`` (OpenCV's
    four-channel remap is about twice as fast as its three-channel one) and a cheap finish.

    With a background layer the four channels are the person premultiplied over the plate and the
    plate's share: with ``K = B·(255 − α)/255`` (the plate behind the person, rounded once),
    ``S = (I + 256 − K, 255 − α)`` in uint16, and per frame

        out = warp(S)₀₋₂ − 256 + B·warp(S)₃/255

    which is ``warp(I) + (1 − warp(α))(B − warp(B))`` within two grey levels, and exactly the photo
    wherever the map is the identity (the same rounded ``K`` comes back).
    """

    def __init__(
        self,
        image: np.ndarray,
        roi: tuple[int, int, int, int],
        layer: BackgroundLayer | None,
        box: tuple[int, int, int, int],
    ) -> None:
        """``roi`` the frame's pixels that move; ``box`` the picture's pixels the maps may sample
        (the roi and a margin): only those are kept, so memory follows the face, not the picture."""
        x0, y0, x1, y1 = roi
        bx0, by0, bx1, by1 = box
        self._shape = (y1 - y0, x1 - x0)
        self._work = ThreadArrays()
        self._layered = layer is not None
        from .kernels import composite  # compiled code: loaded with the first renderer, not at import

        self._composite = composite
        crop = image[by0:by1, bx0:bx1]
        if layer is None:
            self._source = np.ascontiguousarray(cv2.cvtColor(crop, cv2.COLOR_RGB2RGBA))
            return
        plate = layer.plate[by0:by1, bx0:bx1].astype(np.uint16)
        behind = cv2.cvtColor((255 - layer.alpha[by0:by1, bx0:bx1]).astype(np.uint16), cv2.COLOR_GRAY2RGB)
        self._plate = np.ascontiguousarray(plate[y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0])
        kept = cv2.multiply(plate, behind, scale=1 / 255)
        person = crop.astype(np.uint16) + 256 - kept  # ≥ 1: kept ≤ 255
        self._source = np.ascontiguousarray(np.dstack([person, behind[..., 0]]))

    def _scratch(self, name: str, channels: int, dtype: type) -> np.ndarray:
        return self._work.get(name, (*self._shape, channels), dtype)

    def warp(self, map_x: np.ndarray, map_y: np.ndarray, out: np.ndarray) -> None:
        """Write the warped picture into ``out`` (the frame's ROI) from relative maps into the box
        (see warp.py)."""
        flags = cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP
        moved = self._scratch("moved", 4, self._source.dtype)
        cv2.remap(self._source, map_x, map_y, flags, dst=moved, borderMode=cv2.BORDER_REPLICATE)
        if not self._layered:
            cv2.cvtColor(moved, cv2.COLOR_RGBA2RGB, dst=out)
            return
        self._composite(moved, self._plate, out)
