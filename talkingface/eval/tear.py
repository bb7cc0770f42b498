"""Does a head turn tear the picture? Measured on rendered frames and on the renderer's mesh.

Two counts, both zero when nothing tears:

* **folds**: triangles of the outer mesh (hair, collar, background) turned over at a pose
  (:func:`talkingface.render.rig.folded_triangles`): a fold shows as shards or a sawtooth.
* **displaced background**: pixels of a rendered frame, clear of the person in the photo and in
  the frame (both mattes widened by ``margin``), that differ from the photo by more than a
  1-pixel shift of the photo could explain: background that moved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..render.renderer import Renderer
from ..render.rig import folded_triangles

#: the poses the head-turn target names: ±20° yaw, ±15° pitch, and --head-distance 0.75 / 1.35
TEAR_POSES: dict[str, np.ndarray] = {
    "yaw +20°": np.array([20.0, 0, 0, 0, 0, 1.0]),
    "yaw −20°": np.array([-20.0, 0, 0, 0, 0, 1.0]),
    "pitch +15°": np.array([0, 15.0, 0, 0, 0, 1.0]),
    "pitch −15°": np.array([0, -15.0, 0, 0, 0, 1.0]),
    "distance 0.75": np.array([0, 0, 0, 0, 0, 1 / 0.75]),
    "distance 1.35": np.array([0, 0, 0, 0, 0, 1 / 1.35]),
}
PERSON = 0.02  # matte level above which a pixel belongs to the person (the plate's hole, layers.py)
MARGIN_PX = 2  # both mattes widened this much (bilinear sampling spreads an edge by a pixel)
SHIFT_TOLERANCE = 2  # grey levels of rounding on top of what a 1-pixel shift explains


@dataclass(frozen=True)
class Tear:
    folds: int  # turned-over outer triangles
    displaced: int  # background pixels moved by more than 1 px
    checked: int  # background pixels compared


def background_displaced(
    photo: np.ndarray,
    frame: np.ndarray,
    photo_alpha: np.ndarray,
    frame_alpha: np.ndarray,
    margin: int = MARGIN_PX,
) -> tuple[int, int]:
    """(displaced, checked): background pixels of ``frame`` that a shift of at most 1 px of the
    ``photo`` cannot explain, among those clear of the person in both mattes."""
    person = ((photo_alpha > PERSON) | (frame_alpha > PERSON)).astype(np.uint8)
    clear = cv2.dilate(person, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) == 0
    p = photo.astype(np.int16)
    # what moving by up to one pixel can change at each pixel: the 3×3 neighbourhood's spread
    kernel = np.ones((3, 3), np.uint8)
    reach = np.maximum(cv2.dilate(photo, kernel).astype(np.int16) - p, p - cv2.erode(photo, kernel))
    off = np.abs(frame.astype(np.int16) - p) > reach + SHIFT_TOLERANCE
    return int((off.any(axis=2) & clear).sum()), int(clear.sum())


class TearMeter:
    """Both counts for one renderer at any pose. Where the person is in a frame comes from the
    photo's matte carried through the same warp (a renderer of the matte itself): running the
    matting model again on frames is no ruler, it loses a face drawn large (head distance 0.75)."""

    def __init__(self, renderer: Renderer, alpha: np.ndarray) -> None:
        self.renderer = renderer
        self.alpha = alpha
        # the person as the background plate sees it (its hole), carried as a picture
        hole = np.where(alpha > PERSON, 255, 0).astype(np.uint8)
        self._hole_renderer = Renderer(replace(renderer.rig, image=np.dstack([hole] * 3)))

    def __call__(self, pose: np.ndarray, weights: np.ndarray) -> Tear:
        rig = self.renderer.rig
        frame = self.renderer.render(pose, weights)
        # any pixel drawn partly from the hole is the person's (its faint fringe included)
        moved = (self._hole_renderer.render(pose, weights)[..., 0] > 0).astype(np.float32)
        displaced, checked = background_displaced(rig.image, frame, self.alpha, moved)
        return Tear(len(folded_triangles(rig, pose, weights)), displaced, checked)
