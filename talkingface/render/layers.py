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
    into the hole, so each filled pixel takes the colour of the background nearest to it.

    The pyramid's averages cover the whole picture, but each level is pulled back up only over
    the box that the hole's pixels read from it: in full mode the person is a part of a large
    photo, and the full-resolution levels dominate the cost. The pixels are those of pulling
    up every level whole."""
    x, y, w, h = cv2.boundingRect(hole.astype(np.uint8))
    out = rgb.copy()
    if w == 0:
        return out
    known = (~hole).astype(np.float32)
    levels = [(rgb.astype(np.float32) * known[..., None], known)]
    while min(levels[-1][1].shape) > 4:
        a, weight = levels[-1]
        levels.append((cv2.pyrDown(a), cv2.pyrDown(weight)))
    boxes = _pull_boxes([weight.shape for _, weight in levels], (x, y, x + w, y + h))
    a, weight = _cut(levels[-1], boxes[-1])
    filled = a / np.maximum(weight, 1e-6)[..., None]
    for k in range(len(levels) - 2, -1, -1):
        up = _pulled_up(filled, boxes[k + 1], boxes[k], levels[k][1].shape, levels[k + 1][1].shape)
        a, weight = _cut(levels[k], boxes[k])
        trust = np.clip(weight * 4.0, 0.0, 1.0)[..., None]  # a level's own average where it has data
        filled = trust * (a / np.maximum(weight, 1e-6)[..., None]) + (1 - trust) * up
    x0, y0, x1, y1 = boxes[0]
    np.copyto(
        out[y0:y1, x0:x1], np.clip(np.round(filled), 0, 255).astype(np.uint8), where=hole[y0:y1, x0:x1, None]
    )
    return out


Box = tuple[int, int, int, int]  # x0, y0, x1, y1


def _cut(level: tuple[np.ndarray, np.ndarray], box: Box) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = box
    return level[0][y0:y1, x0:x1], level[1][y0:y1, x0:x1]


def _pull_boxes(shapes: list[tuple[int, ...]], box: Box) -> list[Box]:
    """Per pyramid level, the box that the level below it reads when pulling it up: a 2× bilinear
    upsampling reads one pixel around each; a level that is not exactly half the one below it
    is read whole, and so are all above it."""
    boxes = [box]
    for (h, w), (h2, w2) in zip(shapes[:-1], shapes[1:], strict=True):
        x0, y0, x1, y1 = boxes[-1]
        if (h, w) == (2 * h2, 2 * w2):
            boxes.append(
                (
                    max(x0 // 2 - 1, 0),
                    max(y0 // 2 - 1, 0),
                    min((x1 + 1) // 2 + 1, w2),
                    min((y1 + 1) // 2 + 1, h2),
                )
            )
        else:
            boxes.append((0, 0, w2, h2))
    return boxes


def _pulled_up(
    filled: np.ndarray, below: Box, box: Box, shape: tuple[int, ...], above: tuple[int, ...]
) -> np.ndarray:
    """The level above (of size ``above``; ``filled`` over its box ``below``) bilinearly upsampled
    to this level's size ``shape``, cut to ``box``: the pixels of upsampling the whole level and
    cutting (an exact 2× upsampling of a part with a pixel around it gives the same inside)."""
    (h, w), (bx0, by0, _, _), (x0, y0, x1, y1) = shape[:2], below, box
    if (h, w) != (2 * above[0], 2 * above[1]):  # then ``filled`` is the whole level
        return cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)[y0:y1, x0:x1]
    up = cv2.resize(filled, (2 * filled.shape[1], 2 * filled.shape[0]), interpolation=cv2.INTER_LINEAR)
    return up[y0 - 2 * by0 : y1 - 2 * by0, x0 - 2 * bx0 : x1 - 2 * bx0]


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
