"""The renderer's per-pixel loops, compiled: the backward map of the triangle mesh (every pixel
exact), the composite of the person layer over the background plate, and the mouth's per-column
blends.

The map is a few hundred triangles painted far to near, a handful of multiply-adds per pixel:
as numpy it is a hundred small array calls per frame, bound by call overhead, so it is compiled
(numba, cached on disk after the first run) and written straight into the caller's maps.
Compiled with ``nogil``: the renderer's worker threads run them side by side. Importing numba
and loading the compiled code costs about half a second, so this module is imported when the
first renderer is built (in the thread that prepares the face), never at start-up.

Rasterisation rule (shared by every function here): pixel centres are integer points; a
triangle covers the rows ``ceil(y_top) ≤ y < ceil(y_bottom)`` and on each the columns
``ceil(x_left) ≤ x < ceil(x_right)``, each edge's crossing computed from its upper end in the
same way for both triangles that share it: inside a mesh every pixel belongs to exactly one
triangle (no cracks, no double cover), except where the mesh folds, where the one painted last
wins. IEEE arithmetic throughout (no fast-math), so shared edges agree bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from ..numba_quick import njit

_DEGENERATE = 1e-6  # |det| below this: a collapsed triangle, mapped by its centroid shift


@njit(cache=True, nogil=True, inline="always")
def _sorted_corners(t: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """A triangle's (3, 2) corners ordered top to bottom (three compare-and-swaps)."""
    xa, ya, xb, yb, xc, yc = t[0, 0], t[0, 1], t[1, 0], t[1, 1], t[2, 0], t[2, 1]
    if yb < ya:
        xa, ya, xb, yb = xb, yb, xa, ya
    if yc < yb:
        xb, yb, xc, yc = xc, yc, xb, yb
    if yb < ya:
        xa, ya, xb, yb = xb, yb, xa, ya
    return xa, ya, xb, yb, xc, yc


@njit(cache=True, nogil=True, inline="always")
def _slope(xa: float, ya: float, xb: float, yb: float) -> float:
    return (xb - xa) / (yb - ya) if yb != ya else 0.0  # a flat edge is never crossed


@njit(cache=True, nogil=True, inline="always")
def _clip(v: float, hi: int) -> int:
    return int(min(max(v, 0.0), float(hi)))


@njit(cache=True, nogil=True, inline="always")
def _edges(t: np.ndarray, height: int) -> tuple[float, float, float, float, float, float, float, int, int]:
    """A triangle's top and middle corners, its three edges' slopes (long 0→2, short 0→1 and
    1→2, corners sorted top to bottom) and the rows it covers, ``top ≤ r < bottom``."""
    xa, ya, xb, yb, xc, yc = _sorted_corners(t)
    k02, k01, k12 = _slope(xa, ya, xc, yc), _slope(xa, ya, xb, yb), _slope(xb, yb, xc, yc)
    top = _clip(math.ceil(ya), height)
    return xa, ya, xb, yb, k02, k01, k12, top, max(_clip(math.ceil(yc), height), top)


@njit(cache=True, nogil=True, inline="always")
def _span(
    r: int, xa: float, ya: float, xb: float, yb: float, k02: float, k01: float, k12: float, width: int
) -> tuple[int, int]:
    """First and end column of a sorted triangle on row ``r``."""
    ry = float(r)
    long = (ry - ya) * k02 + xa
    short = (ry - yb) * k12 + xb if ry >= yb else (ry - ya) * k01 + xa
    c0, c1 = min(long, short), max(long, short)
    return _clip(math.ceil(c0), width), _clip(math.ceil(c1), width)


@njit(cache=True, nogil=True)
def cover_ids(tris: np.ndarray, order: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width) id image of triangles (T, 3, 2) in pixels: −1 where none covers a pixel,
    the one painted last in ``order`` where several do."""
    ids = np.full((height, width), -1, np.int64)
    for i in order:
        xa, ya, xb, yb, k02, k01, k12, top, bottom = _edges(tris[i], height)
        for r in range(top, bottom):
            c0, c1 = _span(r, xa, ya, xb, yb, k02, k01, k12, width)
            for c in range(c0, c1):
                ids[r, c] = i
    return ids


@njit(cache=True, nogil=True, inline="always")
def _affine(d: np.ndarray, s: np.ndarray) -> tuple[float, float, float, float, float, float]:
    """Coefficients (ax, bx, cx, ay, by, cy) with source = (ax·x + bx·y + cx, ay·x + by·y + cy)
    for the destination triangle ``d`` (3, 2) onto the source triangle ``s`` (3, 2)."""
    e1x, e1y, e2x, e2y = d[1, 0] - d[0, 0], d[1, 1] - d[0, 1], d[2, 0] - d[0, 0], d[2, 1] - d[0, 1]
    f1x, f1y, f2x, f2y = s[1, 0] - s[0, 0], s[1, 1] - s[0, 1], s[2, 0] - s[0, 0], s[2, 1] - s[0, 1]
    det = e1x * e2y - e1y * e2x
    if abs(det) <= _DEGENERATE:  # covers no pixel worth mapping: shift by the centroids
        tx = (s[0, 0] + s[1, 0] + s[2, 0] - d[0, 0] - d[1, 0] - d[2, 0]) / 3.0
        ty = (s[0, 1] + s[1, 1] + s[2, 1] - d[0, 1] - d[1, 1] - d[2, 1]) / 3.0
        return 1.0, 0.0, tx, 0.0, 1.0, ty
    inv = 1.0 / det
    a, b, c, e = e2y * inv, -e2x * inv, -e1y * inv, e1x * inv  # the inverse of [e1 e2]
    ax, ay = f1x * a + f2x * c, f1y * a + f2y * c
    bx, by = f1x * b + f2x * e, f1y * b + f2y * e
    return ax, bx, s[0, 0] - d[0, 0] * ax - d[0, 1] * bx, ay, by, s[0, 1] - d[0, 0] * ay - d[0, 1] * by


@njit(cache=True, nogil=True)
def fill_maps(
    map_x: np.ndarray,
    map_y: np.ndarray,
    dst: np.ndarray,
    src: np.ndarray,
    order: np.ndarray,
    hole_ids: np.ndarray,
    hole_coefs: np.ndarray,
    hole_boxes: np.ndarray,
    still_x: float,
    still_y: float,
) -> None:
    """Relative backward maps (``map[r, c]`` = source point − (c, r)) of triangles ``dst``
    (T, 3, 2) onto ``src`` (T, 3, 2), both in the maps' own pixels, painted in ``order``; then
    the holes on top: pixels of ``hole_ids`` (uint8, 0 = none, k = hole k − 1, within each hole's
    ``hole_boxes`` row (x0, y0, x1, y1)) take ``hole_coefs[k − 1]`` (6,) (ax, bx, cx, ay, by, cy).
    Pixels nothing covers keep their own picture pixel: (``still_x``, ``still_y``), where the
    maps' pixels sit in the source image."""
    height, width = map_x.shape
    map_x[:] = still_x
    map_y[:] = still_y
    for i in order:
        ax, bx, cx, ay, by, cy = _affine(dst[i], src[i])
        ax -= 1.0  # relative: minus the pixel's own column / row
        by -= 1.0
        xa, ya, xb, yb, k02, k01, k12, top, bottom = _edges(dst[i], height)
        for r in range(top, bottom):
            c0, c1 = _span(r, xa, ya, xb, yb, k02, k01, k12, width)
            row_x, row_y = bx * r + cx, by * r + cy
            for c in range(c0, c1):
                map_x[r, c] = ax * c + row_x
                map_y[r, c] = ay * c + row_y
    for k in range(hole_coefs.shape[0]):
        ax, bx, cx = hole_coefs[k, 0] - 1.0, hole_coefs[k, 1], hole_coefs[k, 2]
        ay, by, cy = hole_coefs[k, 3], hole_coefs[k, 4] - 1.0, hole_coefs[k, 5]
        x0, y0, x1, y1 = hole_boxes[k, 0], hole_boxes[k, 1], hole_boxes[k, 2], hole_boxes[k, 3]
        for r in range(y0, y1):
            row_x, row_y = bx * r + cx, by * r + cy
            for c in range(x0, x1):
                if hole_ids[r, c] == k + 1:
                    map_x[r, c] = ax * c + row_x
                    map_y[r, c] = ay * c + row_y


@njit(cache=True, nogil=True)
def composite(moved: np.ndarray, plate: np.ndarray, out: np.ndarray) -> None:
    """``out = warp(S)₀₋₂ − 256 + round(B·warp(S)₃ / 255)``, saturated to uint8, in one pass.
    ``(p·s + 127) // 255`` is the rounded quotient exactly: p·s / 255 never ends in one half."""
    height, width = out.shape[:2]
    for r in range(height):
        for c in range(width):
            share = np.uint32(moved[r, c, 3])
            for k in range(3):
                behind = (np.uint32(plate[r, c, k]) * share + np.uint32(127)) // np.uint32(255)
                v = np.int32(moved[r, c, k]) + np.int32(behind) - 256
                out[r, c, k] = min(max(v, 0), 255)


@njit(cache=True, nogil=True, inline="always")
def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@njit(cache=True, nogil=True)
def lift_seam(box: np.ndarray, top: np.ndarray, bottom: np.ndarray, parted: np.ndarray, seam: float) -> None:
    """Each column's rows within ``seam`` of the inner-lip edges (``top``/``bottom``, box rows) blended
    toward the lip's pixel just past them, in place (see mouth._lift_seam): upper band weight
    smoothstep((y − top + seam) ÷ seam) for y < top + 1, lower smoothstep((bottom + seam − y) ÷ seam)
    for y > bottom − 1, at row centres y, times ``parted``; rounded half up."""
    height, width = box.shape[:2]
    for c in range(width):
        if parted[c] <= 0.0:
            continue
        t, b = float(top[c]), float(bottom[c])
        above = _clip(math.floor(t - seam) - 1, height - 1)
        below = _clip(math.ceil(b + seam) + 1, height - 1)
        for r in range(_clip(math.floor(t - seam), height), _clip(math.ceil(b + seam) + 1, height)):
            y = r + 0.5
            up = _smoothstep((y - (t - seam)) / seam) if y < t + 1.0 else 0.0
            down = _smoothstep((b + seam - y) / seam) if y > b - 1.0 else 0.0
            w = max(up, down) * parted[c]
            if w <= 1.0 / 255.0:
                continue
            src = above if up >= down else below
            for k in range(3):
                v = float(box[r, c, k]) * (1.0 - w) + float(box[src, c, k]) * w
                box[r, c, k] = int(v + 0.5)


def warm() -> None:
    """Load every kernel for the argument types the renderer passes (compiling them on the very
    first run), so that no frame waits for it: called where the renderer is built."""
    maps = np.zeros((2, 2), np.float32)
    tri = np.zeros((1, 3, 2))
    holes = np.zeros((2, 2), np.uint8), np.zeros((1, 6)), np.zeros((1, 4), np.int64)
    fill_maps(maps, maps.copy(), tri, tri, np.zeros(1, np.int64), *holes, 0.0, 0.0)
    moved, plate, frame = (
        np.zeros((2, 2, 4), np.uint16),
        np.zeros((2, 2, 3), np.uint16),
        np.zeros((2, 3, 3), np.uint8),
    )
    composite(moved, plate, frame[:, :2])  # a region of the frame
    composite(moved, plate, frame[:2, :2].copy())  # the whole frame
    edge = np.ones(3, np.float32)
    lift_seam(frame[:, :3], edge, edge, edge, 1.0)  # a box of the frame
