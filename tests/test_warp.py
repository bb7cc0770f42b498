"""The renderer's backward map: the compiled scanline cover of the mesh and its per-pixel affines, against the
per-triangle ``cv2.fillConvexPoly`` reference, on the real astronaut rig and real speech motion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.spatial import Delaunay

from talkingface.render.deform import deform, head_transform
from talkingface.render.warp import affines, cover, fit_affine


def _barycentric_inside(tri: np.ndarray, p: np.ndarray, slack: float = 1e-9) -> np.ndarray:
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    u = ((b[:, 0] - p[:, 0]) * (c[:, 1] - p[:, 1]) - (b[:, 1] - p[:, 1]) * (c[:, 0] - p[:, 0])) / det
    v = ((c[:, 0] - p[:, 0]) * (a[:, 1] - p[:, 1]) - (c[:, 1] - p[:, 1]) * (a[:, 0] - p[:, 0])) / det
    return (u >= -slack) & (v >= -slack) & (1 - u - v >= -slack)


def test_cover_gives_every_pixel_of_a_flat_mesh_the_triangle_it_lies_in():
    rng = np.random.default_rng(1)
    pts = np.concatenate([rng.uniform(0, 99, (40, 2)), [[0, 0], [99, 0], [0, 99], [99, 99]]])
    tris = pts[Delaunay(pts).simplices]
    ids = cover(tris, np.arange(len(tris)), 100, 100)
    # no cracks: the square is covered (its right and bottom edges belong to the next square)
    assert (ids[:99, :99] >= 0).all()
    ys, xs = np.mgrid[0:99, 0:99]
    p = np.column_stack([xs.ravel(), ys.ravel()]).astype(float)
    assert _barycentric_inside(tris[ids[:99, :99].ravel()], p).all()
    # and it agrees with OpenCV's own fill wherever a pixel centre is not on an edge
    ref = np.full((100, 100), -1, np.int32)
    for i, t in enumerate(np.round(tris * 16).astype(np.int32)):
        cv2.fillConvexPoly(ref, t, i, lineType=cv2.LINE_8, shift=4)
    assert (ids == ref).mean() > 0.85


def test_where_triangles_overlap_the_one_drawn_last_wins():
    far = np.array([[2.0, 2.0], [30.0, 2.0], [2.0, 30.0]])
    near = far + 10
    for order in ([0, 1], [1, 0]):
        ids = cover(np.stack([far, near]), np.array(order), 40, 40)
        assert ids[14, 14] == order[-1]  # inside both
        assert ids[5, 5] == 0 and ids[14, 30] == 1  # inside one only
        assert ids[39, 0] == -1


def test_a_pile_of_overlapping_triangles_shows_the_painters_order():
    """Triangles piled up to eight deep: every pixel shows the one drawn last, as painting them one
    by one in that order does, and as OpenCV's fills do away from edges (where the two
    rasterisations differ)."""
    rng = np.random.default_rng(3)
    size = 200
    tris = rng.uniform(70, 130, (25, 1, 2)) + rng.uniform(-60, 60, (25, 3, 2))
    order = rng.permutation(len(tris))
    ids = cover(tris, order, size, size)
    fixed = np.round(tris * 16).astype(np.int32)
    ref = np.full((size, size), -1, np.int32)
    depth = np.zeros((size, size), np.int32)  # how many triangles cover each pixel
    for i in order:
        cv2.fillConvexPoly(ref, fixed[i], int(i), lineType=cv2.LINE_8, shift=4)
        depth += cv2.fillConvexPoly(np.zeros_like(depth), fixed[i], 1, lineType=cv2.LINE_8, shift=4)
    edges = np.zeros((size, size), np.uint8)
    cv2.polylines(edges, list(fixed), True, 1, lineType=cv2.LINE_8, shift=4)
    piled = (depth >= 2) & (cv2.dilate(edges, np.ones((3, 3), np.uint8)) == 0)
    assert depth.max() >= 5 and piled.sum() > 500
    assert (ids[piled] == ref[piled]).all()
    # and exactly the painter's algorithm with the same rasterisation: each triangle alone, in order
    painted = np.full((size, size), -1)
    for i in order:
        alone = cover(tris[i : i + 1], np.zeros(1, int), size, size) == 0
        painted[alone] = i
    assert (ids == painted).all()


@pytest.fixture(scope="module")
def frames(renderer):
    """This rig's vertices, draw order and holes for poses and expressions speech produces."""
    from talkingface.core.track import channel_vector as weights

    rig, warp = renderer.rig, renderer._warp
    rest = rig.vertices.astype(np.float64)
    out = []
    for pose, w in [
        (np.array([4.0, -3, 2, 0.02, 0, 1.02]), weights(jawOpen=0.7, mouthFunnel=0.3)),
        (np.array([-6.0, 4, -3, 0, 0.03, 0.98]), weights(jawOpen=0.3, mouthSmileLeft=0.6, eyeBlinkRight=1)),
        (np.array([1.0, 1, 0, 0, 0, 1.0]), weights(mouthClose=0.2, mouthPucker=0.8, browInnerUp=0.7)),
    ]:
        pts = deform(rig, pose, w)
        xy = pts[:, :2]
        depth = pts[rig.face_triangles, 2].mean(1)
        n_outer = len(warp._tris) - len(rig.face_triangles)
        order = np.concatenate([np.arange(n_outer), n_outer + np.argsort(-depth, kind="stable")])
        rigid = head_transform(rig, pose, rest[:478])[:, :2]
        holes = [(xy[h], fit_affine(rigid[h], rest[h, :2])) for h in renderer._holes]
        out.append((xy, order, holes))
    return out


def _absolute(maps: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Relative maps (offsets from the ROI pixel) as source coordinates."""
    mx, my = maps
    h, w = mx.shape
    return mx + np.arange(w, dtype=np.float32), my + np.arange(h, dtype=np.float32)[:, None]


def test_every_pixel_takes_the_affine_of_the_triangle_or_hole_over_it(renderer, frames):
    """The compiled map against numpy: which triangle covers each pixel (painter's order), that
    triangle's own affine evaluated there, and the holes' affines inside their outlines."""
    warp = renderer._warp
    x0, y0, x1, y1 = warp.roi
    for xy, order, holes in frames:
        mx, my = _absolute(warp(xy, order, holes))
        dst = xy[warp._tris] - (x0, y0)
        ids = cover(dst, order, y1 - y0, x1 - x0)
        coefs = affines(xy[warp._tris], warp._src)
        table = np.concatenate([coefs, [[[1.0, 0], [0, 1], [0, 0]]]])  # uncovered: the identity
        ids[ids < 0] = len(coefs)
        for poly, coef in holes:
            inside = np.zeros(ids.shape, np.uint8)
            pts = np.round((poly - (x0 - 1, y0 - 1)) * 16).astype(np.int32) - 16
            cv2.fillPoly(inside, [pts], 1, lineType=cv2.LINE_8, shift=4)
            ids[inside > 0] = len(table)
            table = np.concatenate([table, coef[None]])
        ys, xs = np.mgrid[y0:y1, x0:x1]
        c = table[ids]
        want_x = c[..., 0, 0] * xs + c[..., 1, 0] * ys + c[..., 2, 0] - warp.origin[0]
        want_y = c[..., 0, 1] * xs + c[..., 1, 1] * ys + c[..., 2, 1] - warp.origin[1]
        err = np.maximum(np.abs(mx - want_x), np.abs(my - want_y))
        assert err.max() < 1e-3, err.max()
        assert len(holes) == 3 and (ids >= len(coefs) + 1).sum() > 100  # the holes were drawn


def test_exact_map_is_the_piecewise_affine_map_opencv_rasterises(renderer, frames, portrait):
    """Same map as the per-triangle reference except on the pixels a triangle edge passes through,
    so the warped frames agree but for a thin line of pixels along folds."""
    warp = renderer._warp
    image = portrait.image
    for xy, order, holes in frames:
        mx, my = _absolute(warp(xy, order, holes))
        rx, ry = _absolute(warp.reference(xy, order, holes))
        err = np.maximum(np.abs(mx - rx), np.abs(my - ry))
        assert np.mean(err < 1e-3) > 0.9
        assert np.percentile(err, 99) < 0.1
        ours = cv2.remap(image, mx, my, cv2.INTER_LINEAR).astype(int)
        ref = cv2.remap(image, rx, ry, cv2.INTER_LINEAR).astype(int)
        diff = np.abs(ours - ref).max(2)
        assert np.mean(diff <= 2) > 0.995
