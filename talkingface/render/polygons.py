"""Small polygon helpers shared by the layers drawn over the warp (mouth, lids, eyes)."""

from __future__ import annotations

import cv2
import numpy as np

_SHIFT = 4  # sub-pixel bits for anti-aliased fills


def pixels_inside(img: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """(k, channels) pixels of ``img`` inside the polygon (k, 2), in reading order."""
    box, mask = polygon_mask(img.shape[:2], poly)
    return img[box][mask > 0]


def polygon_mask(shape: tuple[int, ...], poly: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray]:
    """The polygon (k, 2) filled (1 inside, uint8) over its bounding box within an image of
    ``shape``, and that box as slices: the same pixels as filling it over the whole image, at a
    cost that follows the polygon's size, not the picture's."""
    pts = np.round(poly).astype(np.int32)
    h, w = shape[:2]
    x0, y0 = np.clip(pts.min(0), 0, [w, h])
    x1, y1 = np.clip(pts.max(0) + 1, 0, [w, h])
    mask = np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), np.uint8)
    if mask.size:
        cv2.fillPoly(mask, [pts], 1, offset=(-int(x0), -int(y0)))
    return (slice(y0, y0 + mask.shape[0]), slice(x0, x0 + mask.shape[1])), mask


def coverage(poly: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """Anti-aliased float32 coverage in [0, 1] of a polygon over the box at (x0, y0), size w × h."""
    mask = np.zeros((h, w), np.uint8)
    pts = np.round((poly - (x0, y0)) * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=_SHIFT)
    return mask.astype(np.float32) / 255.0


def chain(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x-sorted (xs, ys) of a corner-to-corner contour (lip, lid), ready for ``np.interp``."""
    order = np.argsort(points[:, 0])
    return points[order, 0], points[order, 1]


def area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))
