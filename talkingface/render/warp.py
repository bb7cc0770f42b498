"""Dense backward map from a deformed triangle mesh, for one ``cv2.remap`` per frame.

The map is piecewise affine: each deformed triangle maps back into the photo through its own
affine (far triangles first, so a face turning away hides its far cheek correctly), and the
affines agree on shared edges, so it is continuous: no seams. Holes (mouth, eyes) are drawn last
with their own affine, so their contents move rigidly.

:func:`backward_map` rasterises every triangle at every pixel: the exact reference.
:class:`MeshWarp` is what the renderer uses, because the map is smooth almost everywhere: it is
evaluated exactly on a coarse lattice (every ``step`` pixels), upsampled bilinearly, and computed
exactly per pixel only where bilinear upsampling would be off by more than ``tolerance`` pixels:
along the hole outlines (where the map jumps), over folded triangles (where the painter's order
decides) and along edges where the affines' slopes differ a lot (the lips' and lids' creases).
Which triangle covers a pixel is read from scanline spans summed into an integral image, built
only for the rows those reads fall on (the lattice's sample rows and the rows of marked cells).
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


def _spans(
    tris: np.ndarray, height: int, width: int, needed: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """Scanline spans (row, first column, end column, triangle) of triangles (T, 3, 2) in pixels.

    Pixel centres are integer points. A triangle covers the rows ``y_top ≤ y < y_bottom`` and on
    each the columns ``ceil(x_left) ≤ x < ceil(x_right)``, where an edge's crossing is computed
    from its endpoints in the same order for both triangles that share it: a pixel inside a mesh
    belongs to exactly one triangle, with no cracks and no double cover except where it folds.
    ``needed`` (height,) bool: only those rows, and a span's row is then its rank among them (the
    rows of a compact image). A span may be empty (end = first column).
    """
    # corners top to bottom (three compare-and-swaps; how ties fall does not matter: an edge
    # with both ends on one row is never crossed, and each edge is computed from its top end)
    x, y = tris[:, :, 0].T.copy(), tris[:, :, 1].T.copy()  # (3, T)
    for i, j in ((0, 1), (1, 2), (0, 1)):
        swap = y[j] < y[i]
        for c in (x, y):
            c[i], c[j] = np.where(swap, c[j], c[i]), np.where(swap, c[i], c[j])
    x, y = np.ascontiguousarray(x.T), np.ascontiguousarray(y.T)
    top = np.clip(np.ceil(y[:, 0]), 0, height).astype(np.int64)
    bottom = np.maximum(np.clip(np.ceil(y[:, 2]), 0, height).astype(np.int64), top)
    if needed is None:
        first, rows = top, bottom - top
    else:  # the needed rows in [top, bottom): a prefix count of them says which and how many
        before = np.zeros(height + 1, np.int64)
        np.cumsum(needed, out=before[1:])
        first, rows = before[top], before[bottom] - before[top]
    # per triangle, each edge as x = x_a + (y − y_a)·k: the long edge 0→2, the short ones 0→1, 1→2
    k = np.empty_like(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        for edge, (a, b) in enumerate(((0, 2), (0, 1), (1, 2))):
            np.divide(x[:, b] - x[:, a], y[:, b] - y[:, a], out=k[:, edge])
    k[~np.isfinite(k)] = 0.0  # flat edges: never crossed (their rows are empty)
    n = int(rows.sum())
    tri = np.repeat(np.arange(len(tris)), rows)
    slot = np.arange(n) - np.repeat(np.cumsum(rows) - rows - first, rows)
    row = slot if needed is None else np.flatnonzero(needed)[slot]
    ry = row.astype(np.float64)
    x, y, k = x.reshape(-1), y.reshape(-1), k.reshape(-1)  # flat: corner c of triangle t at 3t + c
    at = tri * 3
    long = ry - np.take(y, at)
    long *= np.take(k, at)
    long += np.take(x, at)
    # the short edge 0→1 above the middle corner, 1→2 from it down: gather each span's own
    at += ry >= np.take(y, at + 1)  # the edge's first corner: 0 for 0→1, 1 for 1→2
    short = ry - np.take(y, at)
    short *= np.take(k, at + 1)  # (its slope is the next one)
    short += np.take(x, at)
    c0, c1 = np.minimum(long, short), np.maximum(long, short, out=long)
    for c in (c0, c1):
        np.clip(np.ceil(c, out=c), 0, width, out=c)
    return slot, c0.astype(np.int64), c1.astype(np.int64), tri


#: coverage count weight in the summed id image: ids stay below it, so a sum tells how many
#: triangles cover a pixel and, where one does, which (float32 sums stay exact integers)
_COUNT = 1 << 16


def span_sums(
    spans: tuple[np.ndarray, ...],
    height: int,
    width: int,
    buffers: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(height + 2, width + 2) float32 integral image: pixel (y, x) of the cover sits at
    [y + 1, x + 1] and holds Σ (``_COUNT`` + id + 1) over the spans covering it. One integral of a
    difference image: a few passes whatever the number of triangles. Decode with :func:`ids_at`.
    ``buffers``: (height + 1, width + 1) and (height + 2, width + 2) float32 arrays to reuse.
    """
    row, c0, c1, tri = spans
    value = (tri + (1 + _COUNT)).astype(np.float64)
    stride = width + 1
    above, below = row * stride, (row + 1) * stride
    index = np.concatenate([above + c0, below + c1, above + c1, below + c0])
    weight = np.concatenate([value, value, -value, -value])
    if buffers is None:
        buffers = np.empty((height + 1, stride), np.float32), np.empty((height + 2, width + 2), np.float32)
    diff, sums = buffers
    # a histogram of the corner values: np.bincount is several times faster than np.add.at
    diff.reshape(-1)[...] = np.bincount(index, weight, minlength=diff.size)
    # 2-D differences, so the integral image is each row's running sum: the span's value. Every
    # partial sum is a small integer, so float32 adds them exactly.
    return cv2.integral(diff, sums, sdepth=cv2.CV_32F)


def ids_at(
    sums: np.ndarray, pixels: np.ndarray, spans: tuple[np.ndarray, ...], order: np.ndarray
) -> np.ndarray:
    """Triangle ids at ``pixels`` (flat indices into the :func:`span_sums` image ``sums``): −1 where
    none covers the pixel, and where several do (a fold), the one drawn last in ``order``."""
    code = sums.reshape(-1)[pixels].astype(np.int64)
    ids = code - (_COUNT + 1)
    ids[code < _COUNT] = -1
    over = np.flatnonzero(code >= 2 * _COUNT)
    if len(over):  # the spans over each doubly covered pixel: the highest draw rank wins
        row, c0, c1, tri = spans
        sort = np.argsort(pixels[over])
        where = pixels[over][sort]
        # only the spans that reach into a row's doubly covered pixels (from its first to its last)
        # can cover one
        line, column = np.divmod(where, sums.shape[1])
        rows, first = np.unique(line - 1, return_index=True)
        lo, hi = np.full(sums.shape[0], sums.shape[1]), np.full(sums.shape[0], -1)
        lo[rows], hi[rows] = column[first] - 1, column[np.append(first[1:], len(where)) - 1] - 1
        near = np.flatnonzero((c1 > lo[row]) & (c0 <= hi[row]))
        row, c0, c1, tri = row[near], c0[near], c1[near], tri[near]
        line = (row + 1) * sums.shape[1] + 1
        first = np.searchsorted(where, line + c0)
        hits = np.searchsorted(where, line + c1) - first
        which = np.flatnonzero(hits)
        k = hits[which]
        pixel = np.arange(int(k.sum())) + np.repeat(first[which] - (np.cumsum(k) - k), k)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        best = np.zeros(len(where), np.int64)
        np.maximum.at(best, pixel, rank[tri[which]].repeat(k))
        ids[over[sort]] = order[best]
    return ids


def cover(tris: np.ndarray, order: np.ndarray, height: int, width: int) -> np.ndarray:
    """(height, width) id image of triangles (T, 3, 2) in pixels: −1 where none covers a pixel,
    the one drawn last in ``order`` where several do."""
    spans = _spans(tris, height, width)
    sums = span_sums(spans, height, width)
    pixels = (np.arange(1, height + 1)[:, None] * (width + 2) + np.arange(1, width + 1)).ravel()
    return ids_at(sums, pixels, spans, order).reshape(height, width)


class MeshWarp:
    """The renderer's backward map for one rig's mesh: coarse lattice + exact where it matters.

    ``triangles`` (T, 3) vertex indices wound as :func:`wind` leaves them, ``rest`` (V, 2) their
    photo positions; ``roi`` the only pixels that can move; ``origin`` the top-left picture pixel
    of the source image the maps sample (a crop around the region). Built once; each call takes the
    frame's vertex positions and draw order. Where the map is smooth it is off from
    :func:`backward_map`'s by at most about ``tolerance`` pixels; ``tolerance=0`` is exact.
    """

    def __init__(
        self,
        roi: tuple[int, int, int, int],
        triangles: np.ndarray,
        rest: np.ndarray,
        step: int = 4,
        tolerance: float = 0.25,
        origin: tuple[int, int] = (0, 0),
    ) -> None:
        self.roi = roi
        self.origin = origin
        self.step = step
        self.tolerance = tolerance
        self._tris = np.asarray(triangles)
        self._src = np.asarray(rest, np.float64)[self._tris]
        self._edges = _shared_edges(self._tris)
        self._work = ThreadArrays()
        x0, y0, x1, y1 = roi
        self._w, self._h = x1 - x0, y1 - y0
        gw, gh = -(-self._w // step), -(-self._h // step)
        self._gw, self._gh = gw, gh
        # work is done on the ROI padded to whole cells; cell (i, j) holds pixels i·step…, j·step…
        pw, ph = gw * step, gh * step
        self._pw, self._ph = pw, ph
        # lattice point (i, j) sits at pixel ((j + ½)·step − ½, (i + ½)·step − ½) of the ROI: the
        # sample positions cv2.resize's bilinear upsampling assumes. The pixel next to it says
        # which triangle's affine is evaluated there.
        gx, gy = (np.arange(gw) + 0.5) * step - 0.5, (np.arange(gh) + 0.5) * step - 0.5
        sample_y, sample_x = np.round(gy).astype(np.int64), np.round(gx).astype(np.int64)
        self._sample_y, self._sample_x = sample_y, sample_x
        self._sample_rows = np.zeros(ph, bool)
        self._sample_rows[sample_y] = True
        self._sample_pixels = (sample_y[:, None] * pw + sample_x).reshape(-1)  # in the maps' layout
        self._gx, self._gy = (gx + x0).astype(np.float32), (gy + y0).astype(np.float32)
        block = np.arange(step)
        # a cell's pixels from its top-left one, in the maps' layout and in span_sums'
        self._map_offset = (block[:, None] * pw + block).reshape(-1)
        self._sums_offset = (block[:, None] * (pw + 2) + block).reshape(-1)
        self._cell_x = np.tile(block, step).astype(np.float32)
        self._cell_y = np.repeat(block, step).astype(np.float32)

    def _to_lattice(self, pts: np.ndarray) -> np.ndarray:
        x0, y0 = self.roi[:2]
        return (pts - (x0, y0) + 0.5) / self.step - 0.5

    def __call__(
        self, xy: np.ndarray, order: np.ndarray, holes: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Relative maps (float32, ROI-sized) for ``cv2.remap(..., WARP_RELATIVE_MAP)`` into the
        ROI: the source of ROI pixel (i, j) is (j + map_x[i, j], i + map_y[i, j]) of the source
        image (the picture cropped at ``origin``). ``xy`` (V, 2)
        this frame's vertices, ``order`` the triangles' draw order (far first), ``holes``
        (polygon (k, 2), coef (3, 2)) drawn on top. Valid until this thread's next call."""
        x0, y0 = self.roi[:2]
        s, gw, gh, pw, ph = self.step, self._gw, self._gh, self._pw, self._ph
        dst = xy[self._tris]
        coefs = affines(dst, self._src)
        # as offsets from the ROI pixel into the source: [a − 1, b, c + x0 − ox, d, e − 1, f + y0 − oy]
        ox, oy = self.origin
        lut = _lut(coefs, holes) - np.array([1, 0, ox - x0, 0, 1, oy - y0], np.float32)
        lut = np.ascontiguousarray(lut.T)  # (6, ids): each coefficient's column gathers contiguously
        work = self._work
        # the cells where bilinear upsampling of the lattice would be off: computed per pixel
        mark = self._marks(dst, coefs, holes) if self.tolerance > 0 else np.ones((gh, gw), np.uint8)
        # the triangles' cover is needed only on the lattice's sample rows and the marked cells' rows:
        # a compact integral image of just those rows (row r of the ROI at ``slot[r]``)
        needed = self._sample_rows.copy()
        needed.reshape(gh, s)[mark.any(1)] = True
        slot = np.cumsum(needed) - 1
        height = int(slot[-1]) + 1
        spans = _spans(dst - (x0, y0), ph, pw, needed)
        diff = work.get("diff", (ph + 1, pw + 1), np.float32).reshape(-1)[: (height + 1) * (pw + 1)]
        sums = work.get("sums", (ph + 2, pw + 2), np.float32).reshape(-1)[: (height + 2) * (pw + 2)]
        buffers = diff.reshape(height + 1, pw + 1), sums.reshape(height + 2, pw + 2)
        sums = span_sums(spans, height, pw, buffers)
        # the holes on top of everything, one cover each: an id image of the ROI (0: no hole)
        hole = work.get("holes", (ph, pw), np.uint8)
        hole.fill(0)
        for k, (poly, _) in enumerate(holes):
            pts = np.round((poly - (x0 - 1, y0 - 1)) * _ONE).astype(np.int32) - _ONE
            cv2.fillPoly(hole, [pts], k + 1, lineType=cv2.LINE_8, shift=_SHIFT)

        # the pixels whose triangle is needed: the lattice's samples, then the marked cells' pixels
        cells = np.flatnonzero(mark)
        row, left = cells // gw * s, cells % gw * s
        pixels = ((row * pw + left)[:, None] + self._map_offset).reshape(-1)  # in the maps' layout
        at = ((slot[row] + 1) * (pw + 2) + left + 1)[:, None] + self._sums_offset  # in the sums'
        sample = (slot[self._sample_y] + 1)[:, None] * (pw + 2) + self._sample_x + 1
        found = ids_at(sums, np.concatenate([sample.reshape(-1), at.reshape(-1)]), spans, order)
        on = hole.reshape(-1)[np.concatenate([self._sample_pixels, pixels])]
        inside = np.flatnonzero(on)
        found[inside] = on[inside].astype(np.int64) + (len(coefs) - 1)
        found, exact = found[: gh * gw], found[gh * gw :]

        # the exact map on the lattice, upsampled: bilinear is exact wherever the map is affine
        gx, gy = self._gx[None, :], self._gy[:, None]
        size = (pw, ph)
        maps = []
        for name, a, b, c in (("x", 0, 1, 2), ("y", 3, 4, 5)):
            lattice = np.take(lut[a], found).reshape(gh, gw)
            lattice *= gx
            lattice += np.take(lut[b], found).reshape(gh, gw) * gy
            lattice += np.take(lut[c], found).reshape(gh, gw)
            maps.append(cv2.resize(lattice, size, work.get(name, size[::-1], np.float32)))
        map_x, map_y = maps

        # and every pixel of the marked cells exactly
        fx = ((left + x0).astype(np.float32)[:, None] + self._cell_x).reshape(-1)
        fy = ((row + y0).astype(np.float32)[:, None] + self._cell_y).reshape(-1)
        for out, a, b, c in ((map_x, 0, 1, 2), (map_y, 3, 4, 5)):
            value = np.take(lut[a], exact)
            value *= fx
            value += np.take(lut[b], exact) * fy
            value += np.take(lut[c], exact)
            out.reshape(-1)[pixels] = value
        return map_x[: self._h, : self._w], map_y[: self._h, : self._w]

    def reference(
        self, xy: np.ndarray, order: np.ndarray, holes: list[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same relative maps from :func:`backward_map` (a fill call per triangle, every pixel
        gathered): the renderer's map before this class, for comparisons and benchmarks."""
        dst = xy[self._tris][order]
        map_x, map_y = backward_map(self.roi, dst, affines(dst, self._src[order]), holes)
        map_x -= np.arange(self._w, dtype=np.float32) + self.origin[0]
        map_y -= np.arange(self._h, dtype=np.float32)[:, None] + self.origin[1]
        return map_x, map_y

    def _marks(
        self,
        dst: np.ndarray,
        coefs: np.ndarray,
        holes: list[tuple[np.ndarray, np.ndarray]],
    ) -> np.ndarray:
        """uint8 (gh, gw): lattice cells where bilinear upsampling of the lattice would be off."""
        gw, gh, s = self._gw, self._gh, self.step
        mark = np.zeros((gh, gw), np.uint8)
        # the map jumps at every hole's outline
        outlines = [np.round(self._to_lattice(poly) * _ONE).astype(np.int32) for poly, _ in holes]
        cv2.polylines(mark, outlines, True, 1, lineType=cv2.LINE_8, shift=_SHIFT)
        # where the mesh folds over itself the painter's order decides: every doubly covered
        # pixel lies under a triangle turned over (the map's degree is one inside the mesh)
        folded = np.flatnonzero(_signed_area(dst) <= 0)
        if len(folded):
            box = self._to_lattice(dst[folded])
            lo = np.clip(np.floor(box.min(1)).astype(np.int64), 0, [gw - 1, gh - 1])
            hi = np.clip(np.ceil(box.max(1)).astype(np.int64), 0, [gw - 1, gh - 1])
            for corner, far in zip(lo.tolist(), hi.tolist(), strict=True):
                cv2.rectangle(mark, corner, far, 1, cv2.FILLED)
        # creases: across an edge the slope jumps by ΔJ; bilinear is off by up to ΔJ·step/4
        left, right, a, b = self._edges
        slope = coefs[:, :2].reshape(-1, 4)
        jump = np.abs(slope[left] - slope[right])
        jump = np.maximum(np.maximum(jump[:, 0], jump[:, 1]), np.maximum(jump[:, 2], jump[:, 3]))
        sharp = np.flatnonzero(jump * s / 4 > self.tolerance)
        if len(sharp):
            start = self._to_lattice(dst[left[sharp], a[sharp]])
            delta = self._to_lattice(dst[left[sharp], b[sharp]]) - start
            # points along each edge at most half a cell apart
            n = 2 * np.ceil(np.abs(delta).max(1)).astype(np.int64) + 1
            edge = np.repeat(np.arange(len(sharp)), n)
            t = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)) / np.repeat(n - 1, n)
            pts = np.round(start[edge] + t[:, None] * delta[edge]).astype(np.int64)
            inside = (pts[:, 0] >= 0) & (pts[:, 0] < gw) & (pts[:, 1] >= 0) & (pts[:, 1] < gh)
            mark[pts[inside, 1], pts[inside, 0]] = 1
        # a cell's bilinear values come from lattice points up to one cell away on either side
        return cv2.dilate(mark, np.ones((3, 3), np.uint8))


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


def _shared_edges(tris: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges between two triangles: (left triangle, right triangle, and the edge's two corners as
    positions 0–2 within the left triangle)."""
    corner_a = np.array([0, 1, 2])
    corner_b = np.array([1, 2, 0])
    t = np.repeat(np.arange(len(tris)), 3)
    a, b = np.tile(corner_a, len(tris)), np.tile(corner_b, len(tris))
    va, vb = tris[t, a], tris[t, b]
    key = np.minimum(va, vb).astype(np.int64) * (int(tris.max()) + 1) + np.maximum(va, vb)
    sort = np.argsort(key, kind="stable")
    key, t, a, b = key[sort], t[sort], a[sort], b[sort]
    pair = np.flatnonzero(key[1:] == key[:-1])
    return t[pair], t[pair + 1], a[pair], b[pair]
