"""Dense backward map from a deformed triangle mesh, for one ``cv2.remap`` per frame.

The map is piecewise affine: each deformed triangle maps back into the photo through its own
affine (far triangles first, so a face turning away hides its far cheek correctly), and the
affines agree on shared edges, so it is continuous: no seams. Holes (mouth, eyes) are drawn last
with their own affine, so their contents move rigidly.

:func:`backward_map` rasterises with one OpenCV fill call per triangle: the reference, kept for
comparisons and the benchmark. :class:`MeshWarp` is what the renderer uses: the same piecewise
affine map, every pixel exact, written by a compiled scanline rasteriser (:mod:`.kernels`) in
about a tenth of the time.
"""

from __future__ import annotations

import cv2
import numpy as np

from .scratch import ThreadArrays

_SHIFT = 4  # sub-pixel bits for rasterisation
_ONE = 1 << _SHIFT
_IDENTITY = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])


def affines(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """(T, 3, 2) coefficients mapping each destination triangle (T, 3, 2) onto its source.

    Row form: ``[x, y, 1] @ coef`` is the source point of destination point (x, y).
    """
    e1, e2 = dst[:, 1] - dst[:, 0], dst[:, 2] - dst[:, 0]
    f1, f2 = src[:, 1] - src[:, 0], src[:, 2] - src[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    good = np.abs(det) > 1e-6
    inv = np.where(good, 1.0 / np.where(good, det, 1.0), 0.0)
    # linear part L = [f1 f2] @ inverse([e1 e2]); the stored rows are L transposed
    a, b = e2[:, 1] * inv, -e2[:, 0] * inv  # first row of the inverse
    c, d = -e1[:, 1] * inv, e1[:, 0] * inv  # second row
    out = np.empty((len(dst), 3, 2))
    out[:, 0] = f1 * a[:, None] + f2 * c[:, None]  # d src / d x
    out[:, 1] = f1 * b[:, None] + f2 * d[:, None]  # d src / d y
    out[:, 2] = src[:, 0] - dst[:, 0, :1] * out[:, 0] - dst[:, 0, 1:] * out[:, 1]
    # degenerate (collapsed) triangles cover no pixels worth mapping: translate by the centroid shift
    bad = ~good
    if bad.any():
        out[bad] = _IDENTITY
        out[bad, 2] = (src[bad] - dst[bad]).mean(1)
    return out


def fit_affine(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Least-squares (3, 2) affine mapping points ``dst`` (k, 2) onto ``src`` (k, 2)."""
    a = np.column_stack([dst, np.ones(len(dst))])
    coef, *_ = np.linalg.lstsq(a, src, rcond=None)
    return coef


def _lut(coefs: np.ndarray, holes: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """(T + holes + 1, 6) rows [a_x, b_x, c_x, a_y, b_y, c_y]; the last (id −1) is the identity."""
    table = [coefs, *(coef[None] for _, coef in holes), _IDENTITY[None]]
    return np.concatenate(table).astype(np.float32).transpose(0, 2, 1).reshape(-1, 6)


def backward_map(
    roi: tuple[int, int, int, int],
    dst_tris: np.ndarray,
    coefs: np.ndarray,
    holes: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """map_x, map_y (float32, ROI-sized) in absolute source-image pixels, every pixel exact.

    ``dst_tris`` (T, 3, 2) in draw order with ``coefs`` (T, 3, 2); ``holes`` are (polygon (k, 2),
    coef (3, 2)) pairs drawn on top.
    """
    x0, y0, x1, y1 = roi
    ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
    fixed = np.round((dst_tris - (x0, y0)) * _ONE).astype(np.int32)
    for i, tri in enumerate(fixed):
        cv2.fillConvexPoly(ids, tri, i, lineType=cv2.LINE_8, shift=_SHIFT)
    for k, (poly, _) in enumerate(holes):
        pts = np.round((poly - (x0, y0)) * _ONE).astype(np.int32)
        cv2.fillPoly(ids, [pts], len(coefs) + k, lineType=cv2.LINE_8, shift=_SHIFT)
    c = np.take(_lut(coefs, holes), ids, axis=0)  # (h, w, 6); id −1 wraps to the identity row
    xs = np.arange(x0, x1, dtype=np.float32)[None, :]
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    map_x = c[..., 0] * xs
    map_x += c[..., 1] * ys
    map_x += c[..., 2]
    map_y = c[..., 3] * xs
    map_y += c[..., 4] * ys
    map_y += c[..., 5]
    return map_x, map_y


def cover(tris: np.ndarray, order: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width) id image of triangles (T, 3, 2) in pixels: −1 where none covers a pixel,
    the one drawn last in ``order`` where several do (the rasterisation rule of kernels.py)."""
    from .kernels import cover_ids

    return cover_ids(np.ascontiguousarray(tris, np.float64), np.asarray(order, np.int64), height, width)


class MeshWarp:
    """The renderer's backward map for one rig's mesh, every pixel exact.

    ``triangles`` (T, 3) vertex indices wound as :func:`wind` leaves them, ``rest`` (V, 2) their
    photo positions; ``roi`` the only pixels that can move; ``origin`` the top-left picture pixel
    of the source image the maps sample (a crop around the region). Built once; each call takes the
    frame's vertex positions and draw order and rasterises them (kernels.py, compiled).
    """

    def __init__(
        self,
        roi: tuple[int, int, int, int],
        triangles: np.ndarray,
        rest: np.ndarray,
        origin: tuple[int, int] = (0, 0),
    ) -> None:
        self.roi = roi
        self.origin = origin
        self._tris = np.asarray(triangles)
        self._src = np.asarray(rest, np.float64)[self._tris]
        self._src_box = np.ascontiguousarray(self._src - origin)  # in the source image's pixels
        self._work = ThreadArrays()
        x0, y0, x1, y1 = roi
        self._w, self._h = x1 - x0, y1 - y0
        from .kernels import fill_maps  # compiled code: loaded with the first renderer, not at import

        self._fill_maps = fill_maps

    def __call__(
        self, xy: np.ndarray, order: np.ndarray, holes: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Relative maps (float32, ROI-sized) for ``cv2.remap(..., WARP_RELATIVE_MAP)`` into the
        ROI: the source of ROI pixel (i, j) is (j + map_x[i, j], i + map_y[i, j]) of the source
        image (the picture cropped at ``origin``). ``xy`` (V, 2)
        this frame's vertices, ``order`` the triangles' draw order (far first), ``holes``
        (polygon (k, 2), coef (3, 2)) drawn on top. Valid until this thread's next call."""
        x0, y0 = self.roi[:2]
        ox, oy = self.origin
        w, h, work = self._w, self._h, self._work
        dst = np.ascontiguousarray(xy[self._tris] - (x0, y0), np.float64)
        # the holes on top of everything, one cover each: an id image of the ROI (0: no hole)
        hole = work.get("holes", (h, w), np.uint8)
        coefs, boxes = np.empty((len(holes), 6)), np.empty((len(holes), 4), np.int64)
        outlines = [np.round((poly - (x0 - 1, y0 - 1)) * _ONE).astype(np.int32) - _ONE for poly, _ in holes]
        for k, pts in enumerate(outlines):  # each hole's box (a pixel of margin), cleared first
            lo, hi = (pts.min(0) >> _SHIFT) - 1, (pts.max(0) >> _SHIFT) + 2
            boxes[k] = np.clip([lo[0], lo[1], hi[0], hi[1]], 0, [w, h, w, h])
            hole[boxes[k, 1] : boxes[k, 3], boxes[k, 0] : boxes[k, 2]] = 0
        for k, ((_, coef), pts) in enumerate(zip(holes, outlines, strict=True)):
            cv2.fillPoly(hole, [pts], k + 1, lineType=cv2.LINE_8, shift=_SHIFT)
            # the hole's affine from ROI pixels into the source image's
            (ax, ay), (bx, by), (cx, cy) = coef
            coefs[k] = ax, bx, cx + ax * x0 + bx * y0 - ox, ay, by, cy + ay * x0 + by * y0 - oy
        map_x, map_y = work.get("x", (h, w), np.float32), work.get("y", (h, w), np.float32)
        order = np.asarray(order, np.int64)
        self._fill_maps(
            map_x, map_y, dst, self._src_box, order, hole, coefs, boxes, float(x0 - ox), float(y0 - oy)
        )
        return map_x, map_y

    def reference(
        self, xy: np.ndarray, order: np.ndarray, holes: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same relative maps from :func:`backward_map` (a fill call per triangle, every pixel
        gathered): the renderer's map before the compiled one, for comparisons and benchmarks."""
        dst = xy[self._tris][order]
        map_x, map_y = backward_map(self.roi, dst, affines(dst, self._src[order]), holes)
        map_x -= np.arange(self._w, dtype=np.float32) + self.origin[0]
        map_y -= np.arange(self._h, dtype=np.float32)[:, None] + self.origin[1]
        return map_x, map_y


def wind(triangles: np.ndarray, rest: np.ndarray, each: bool) -> np.ndarray:
    """``triangles`` (T, 3) with their corners reordered to run counter-clockwise on screen at rest
    (positive signed area, y down), as :class:`MeshWarp` expects: ``each`` turns every triangle
    (a flat triangulation, unfolded at rest); otherwise the whole mesh turns the way most of its
    triangles run, and a triangle running against them stays so: it is seen from behind, folded.
    """
    area = _signed_area(np.asarray(rest, np.float64)[triangles])
    flip = area < 0 if each else np.full(len(triangles), np.sign(area).sum() < 0)
    out = np.array(triangles, copy=True)
    out[flip] = out[flip][:, ::-1]
    return out


def _signed_area(tris: np.ndarray) -> np.ndarray:
    e1, e2 = tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    return 0.5 * (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
