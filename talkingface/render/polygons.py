"""Small polygon helpers shared by the layers drawn over the warp (mouth, lids, eyes)."""

from __future__ import annotations

import cv2
import numpy as np

_SHIFT = 4  # sub-pixel bits for anti-aliased fills


def pixels_inside(img: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """(k, channels) pixels of ``img`` inside the polygon (k, 2)."""
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    return img[mask > 0]


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
