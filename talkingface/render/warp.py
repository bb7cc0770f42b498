"""Dense backward map from a deformed triangle mesh, for one ``cv2.remap`` per frame.

Each deformed triangle is rasterised into an id image (far triangles first, so a face turning
away hides its far cheek correctly); every pixel then maps back into the photo through its
triangle's affine. Affines agree on shared edges, so the map is continuous: no seams.
Holes (mouth, eyes) are drawn last with their own affine, so their contents move rigidly.
"""

from __future__ import annotations

import cv2
import numpy as np

_SHIFT = 4  # sub-pixel bits for rasterisation
_ONE = 1 << _SHIFT


def affines(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """(T, 3, 2) coefficients mapping each destination triangle (T, 3, 2) onto its source."""
    a = np.concatenate([dst, np.ones(dst.shape[:2] + (1,))], axis=2)
    det = np.linalg.det(a)
    good = np.abs(det) > 1e-6
    out = np.zeros((len(dst), 3, 2))
    if good.any():
        out[good] = np.linalg.solve(a[good], src[good])
    # degenerate (collapsed) triangles cover no pixels worth mapping: translate by the centroid shift
    out[~good, 0, 0] = 1.0
    out[~good, 1, 1] = 1.0
    out[~good, 2] = (src[~good] - dst[~good]).mean(1)
    return out


def fit_affine(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Least-squares (3, 2) affine mapping points ``dst`` (k, 2) onto ``src`` (k, 2)."""
    a = np.column_stack([dst, np.ones(len(dst))])
    coef, *_ = np.linalg.lstsq(a, src, rcond=None)
    return coef


def backward_map(
    roi: tuple[int, int, int, int],
    dst_tris: np.ndarray,
    coefs: np.ndarray,
    holes: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """map_x, map_y (float32, ROI-sized) in absolute source-image pixels.

    ``dst_tris`` (T, 3, 2) in draw order with ``coefs`` (T, 3, 2); ``holes`` are (polygon (k, 2),
    coef (3, 2)) pairs drawn on top.
    """
    x0, y0, x1, y1 = roi
    ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
    fixed = np.round((dst_tris - (x0, y0)) * _ONE).astype(np.int32)
    for i, tri in enumerate(fixed):
        cv2.fillConvexPoly(ids, tri, i, lineType=cv2.LINE_8, shift=_SHIFT)
    table = [coefs]
    for k, (poly, coef) in enumerate(holes):
        pts = np.round((poly - (x0, y0)) * _ONE).astype(np.int32)
        cv2.fillPoly(ids, [pts], len(coefs) + k, lineType=cv2.LINE_8, shift=_SHIFT)
        table.append(coef[None])
    identity = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
    table.append(identity)  # id −1 → last row: pixels no triangle covers stay where they are
    # (T, 6) rows [a_x, b_x, c_x, a_y, b_y, c_y]: one contiguous gather per pixel
    lut = np.concatenate(table).astype(np.float32).transpose(0, 2, 1).reshape(-1, 6)
    c = np.take(lut, ids, axis=0)  # (h, w, 6); id −1 wraps to the identity row
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    map_x = c[..., 0] * xs
    map_x += c[..., 1] * ys
    map_x += c[..., 2]
    map_y = c[..., 3] * xs
    map_y += c[..., 4] * ys
    map_y += c[..., 5]
    return map_x, map_y
