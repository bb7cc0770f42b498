"""FaceRig: everything about one portrait that the per-frame renderer needs, built once.

Vertices are the 478 landmarks, a ring of head/hair anchors that move rigidly with the head,
an outer ring and the borders of the region of interest that stay still (so the background
never moves), plus the triangles that join them: MediaPipe's face tessellation inside the face
oval (mouth and eyes are holes, drawn as their own layers) and a Delaunay fill outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from ..core import topology as T
from ..core.track import CHANNEL_INDEX
from ..face.landmarker import FaceObservation
from ..motion.ranges import DRIVER_POSE_LIMITS, DRIVER_SCALE_RANGE, DRIVER_SHIFT_LIMIT, HEAD_DISTANCE_RANGE
from .bases import build_bases, photo_jaw

_JAW = CHANNEL_INDEX["jawOpen"]

N_LANDMARKS = 478
HEAD_RING_SCALE = 1.35  # ring radius relative to the face oval, around the oval's centre
HAIR_RING_SCALE = 1.6  # above the eyes the ring reaches further, to carry the hair
CHIN_RING_SCALE = 1.4  # under the jaw it stays close: the neck does not turn with the head
OUTER_RING_SCALE = 2.3  # still anchors: the falloff between the rings absorbs the motion
MAX_HAIR_SCALE = 2.4  # with a person matte, the ring reaches out to the hair's edge, at most this far
HAIR_MARGIN = 0.08  # ring this far (in oval radii) beyond the matte's edge, so all the hair rides along
MAX_RING_STEP = 0.25  # neighbouring ring points differ by at most this much (oval radii): no slivers
OUTER_GAP = 0.25  # still anchors at least this far (oval radii) beyond where the ring can go
BORDER_POINTS = 16  # pinned points per side of the region's border
WIDEN_STEP = 0.1  # where the mesh would fold, ring or anchors move out this much (oval radii) …
MAX_WIDENINGS = 24  # … at most this many times
#: the head poses every rig holds without a fold: the head-turn target (±20° yaw, ±15° pitch), the
#: driver's turn and size limits, and ``--head-distance``'s; a rig with a person matte also holds the
#: driver's shifts. Holding those pushes the ring onto the picture's edge, which then gives way:
#: with a matte only the person slides there (the plate stays), without one the background would
ENVELOPE_DEG = np.maximum([20.0, 15.0, 0.0], DRIVER_POSE_LIMITS)
ENVELOPE_SHIFT = DRIVER_SHIFT_LIMIT
ENVELOPE_SCALE = (
    min(DRIVER_SCALE_RANGE[0], 1.0 / HEAD_DISTANCE_RANGE[1]),
    max(DRIVER_SCALE_RANGE[1], 1.0 / HEAD_DISTANCE_RANGE[0]),
)


@dataclass(frozen=True)
class FaceRig:
    """``vertices`` (V, 3) float32 rest positions in image pixels (z in x-pixel units).

    ``follow`` (V,) how much each vertex follows the head's rigid motion (1 head, 0 still).
    ``face_triangles`` / ``outer_triangles`` (·, 3) int32 vertex indices.
    ``bases`` (51, 478, 3) per-channel landmark displacements, see :mod:`.bases`.
    ``centre`` (3,) rotation centre of the head. ``roi`` x0, y0, x1, y1: the only pixels that
    can change. ``iod`` inter-ocular distance in pixels.
    """

    image: np.ndarray
    vertices: np.ndarray
    follow: np.ndarray
    face_triangles: np.ndarray
    outer_triangles: np.ndarray
    bases: np.ndarray
    centre: np.ndarray
    roi: tuple[int, int, int, int]
    iod: float
    down: np.ndarray  # (2,) unit vector down the face (image axes): the face's own vertical
    rest_smile: float = 0.0  # the photo's own smile (Face Landmarker's mouthSmile, 0–1)
    rest_jaw: float = 0.0  # how far the photo's jaw stands open (jawOpen units, see bases.photo_jaw) …
    rest_jaw_share: float = 0.0  # … and that share of its lip gap
    envelope_shift: float = 0.0  # the head shift (eye distances) its pose envelope holds

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def width(self) -> int:
        return self.image.shape[1]


def _ring(oval: np.ndarray, centre: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return centre + (oval - centre) * scales[:, None]


def build_rig(
    image: np.ndarray, face: FaceObservation, alpha: np.ndarray | None = None, bases: np.ndarray | None = None
) -> FaceRig:
    """The rig of one portrait. With a person matte ``alpha`` the head ring reaches out to the
    hair's silhouette, so big hair moves (and scales) with the head as one piece instead of being
    squeezed against the still anchors; the background it uncovers comes from the plate.

    The rig is checked at the corners of its pose envelope (:func:`envelope_poses`, with the jaw
    shut and wide open): where a triangle of the outer mesh would turn over there (a tear: hair
    or collar in shards), the ring or the still anchors behind it are moved out, until none does.
    ``bases``: :func:`~talkingface.render.bases.build_bases` of the face's landmarks, when built
    beforehand (while the matte was being made).
    """
    lm = face.landmarks.astype(np.float64)
    oval = lm[list(T.FACE_OVAL), :2]
    centre2 = (oval.min(0) + oval.max(0)) / 2
    # which ring points are above the eyes / below the mouth, in the face's own vertical axis
    eye_y = lm[[33, 133, 362, 263], 1].mean()
    mouth_y = lm[[13, 14], 1].mean()
    rel = oval[:, 1]
    hair = np.clip((eye_y - rel) / max(eye_y - oval[:, 1].min(), 1), 0, 1)
    chin = np.clip((rel - mouth_y) / max(oval[:, 1].max() - mouth_y, 1), 0, 1)
    scales = (
        HEAD_RING_SCALE
        + (HAIR_RING_SCALE - HEAD_RING_SCALE) * hair
        - (HEAD_RING_SCALE - CHIN_RING_SCALE) * chin
    )
    if alpha is not None:
        reach = (1.0 - chin) * (rel < mouth_y)  # above the mouth only: below it the body goes on
        edge = _silhouette_scales(alpha, oval, centre2) + HAIR_MARGIN
        scales = np.where(reach > 0, np.maximum(scales, np.minimum(edge, MAX_HAIR_SCALE)), scales)
        scales = _no_steps(scales, MAX_RING_STEP)
    ring_follow = 1.0 - 0.5 * chin  # the neck follows half-way
    shift = ENVELOPE_SHIFT if alpha is not None else 0.0
    gaps = np.full(len(oval), OUTER_GAP)
    bases = build_bases(face.landmarks) if bases is None else bases
    unpinned: set[tuple[int, int]] = set()
    for _ in range(MAX_WIDENINGS):
        rig = _assemble(image, face, bases, _ring(oval, centre2, scales), ring_follow, gaps, unpinned, shift)
        inner, outer, unpin = _folds_at_envelope(rig)
        if not (inner.any() or outer.any() or unpin):
            break
        scales = scales + WIDEN_STEP * inner
        gaps = gaps + WIDEN_STEP * outer
        unpinned |= unpin
    return rig


def _assemble(
    image: np.ndarray,
    face: FaceObservation,
    bases: np.ndarray,
    ring: np.ndarray,
    ring_follow: np.ndarray,
    gaps: np.ndarray,
    unpinned: set[tuple[int, int]],
    shift: float,
) -> FaceRig:
    """The rig with this ring; the still anchors ``gaps`` oval radii beyond where it can go, the
    region's border pinned except at ``unpinned`` points (where the ring would fold onto them)."""
    h, w = image.shape[:2]
    lm = face.landmarks.astype(np.float64)
    oval = lm[list(T.FACE_OVAL), :2]
    centre2 = (oval.min(0) + oval.max(0)) / 2
    ring_z = float(lm[list(T.FACE_OVAL), 2].mean())
    furthest = _envelope_reach(ring, ring_z, ring_follow, centre2, face.inter_ocular, shift)
    radius = np.maximum(np.linalg.norm(oval - centre2, axis=1), 1.0)
    outer = _ring(oval, centre2, np.maximum(OUTER_RING_SCALE, furthest / radius + gaps))

    # only what the picture shows can move; ring and anchors may lie beyond its edges (a face at
    # the edge). The region's border stays pinned (the picture's edge does not slide) except
    # inside the ring and where the ring would fold onto it.
    x0, y0 = np.floor(np.minimum(outer.min(0), ring.min(0))).astype(int) - 2
    x1, y1 = np.ceil(np.maximum(outer.max(0), ring.max(0))).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    border = _border_points(x0, y0, x1 - 1, y1 - 1, per_side=BORDER_POINTS)
    contour = ring.astype(np.float32).reshape(-1, 1, 2)
    border = border[
        [
            cv2.pointPolygonTest(contour, (float(x), float(y)), False) < 0
            and (round(x), round(y)) not in unpinned
            for x, y in border
        ]
    ]

    still = np.concatenate([outer, border])
    vertices = np.concatenate(
        [
            lm,
            np.column_stack([ring, np.full(len(ring), ring_z)]),
            np.column_stack([still, np.full(len(still), ring_z)]),
        ]
    ).astype(np.float32)
    follow = np.zeros(len(vertices), np.float32)
    follow[:N_LANDMARKS] = 1.0
    follow[N_LANDMARKS : N_LANDMARKS + len(ring)] = ring_follow

    outer_tris = _outer_triangles(vertices[:, :2], oval)
    centre = np.array([centre2[0], centre2[1], 0.0], np.float32)  # MediaPipe z: origin ≈ head centre
    down = _down_axis(lm)
    rest_jaw, rest_jaw_share = photo_jaw(lm, bases, down, face.blendshape("jawOpen"))
    return FaceRig(
        image=image,
        vertices=vertices,
        follow=follow,
        face_triangles=T.face_triangles(),
        outer_triangles=outer_tris,
        bases=bases,
        centre=centre,
        roi=(int(x0), int(y0), int(x1), int(y1)),
        iod=face.inter_ocular,
        down=down,
        rest_smile=float(np.mean([face.blendshape("mouthSmileLeft"), face.blendshape("mouthSmileRight")])),
        rest_jaw=rest_jaw,
        rest_jaw_share=rest_jaw_share,
        envelope_shift=shift,
    )


def folded_triangles(rig: FaceRig, pose: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Indices into ``rig.outer_triangles`` of the moving triangles turned over at this frame.

    The face's own triangles may turn away (a far cheek hides behind the nose, drawn far to
    near); the outer mesh has no such order, so a turned triangle there is a tear."""
    from .deform import deform  # deform needs this module's rig

    return _turned(rig, deform(rig, pose, weights)[:, :2])


def _turned(rig: FaceRig, xy: np.ndarray) -> np.ndarray:
    tris = rig.outer_triangles
    rest = rig.vertices[:, :2].astype(np.float64)
    moving = rig.follow[tris].max(1) > 0
    return np.flatnonzero(moving & (_signed_area(xy[tris]) * np.sign(_signed_area(rest[tris])) <= 0))


def _folds_at_envelope(rig: FaceRig) -> tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]:
    """Per ring point: does a triangle turn over at an envelope corner between it and the face
    (move the ring out), or between it and the still anchors (move the anchors out)? And the
    border points a turned triangle holds (unpin them).

    All corners are checked at once: the outer mesh's signed areas at every corner (jaw shut and
    open) in one array, then each triangle turned at any corner looked at once (what a turned
    triangle marks does not depend on the corner)."""
    from .deform import deform, head_transform

    n = len(T.FACE_OVAL)
    inner, outer, unpin = np.zeros(n, bool), np.zeros(n, bool), set()
    jaw = np.zeros(len(rig.bases))
    jaw[_JAW] = 1.0
    still = np.array([0, 0, 0, 0, 0, 1.0])
    follow = rig.follow[:, None].astype(np.float64)
    turns = [(pose, _rotation_at(*pose[:3])) for pose in envelope_poses(rig.envelope_shift)]
    corners = []
    for weights in (np.zeros(len(rig.bases)), jaw):
        shaped = deform(rig, still, weights)  # the blendshapes once; each corner only moves them
        for pose, rot in turns:
            corners.append((shaped + follow * (head_transform(rig, pose, shaped, rot) - shaped))[:, :2])
    tris = rig.outer_triangles
    rest = rig.vertices[:, :2].astype(np.float64)
    moving = rig.follow[tris].max(1) > 0
    turned = moving & (_signed_area(np.stack(corners)[:, tris]) * np.sign(_signed_area(rest[tris])) <= 0)
    for tri in tris[np.flatnonzero(turned.any(0))]:
        ray = tri[tri >= N_LANDMARKS] - N_LANDMARKS  # ring points, then still anchors
        if (tri < N_LANDMARKS).any():
            inner[ray[ray < n]] = True
        elif (ray < n).all():  # three ring points: the ring dents in; push out its middle
            middle = [r for r in ray if {(r - 1) % n, (r + 1) % n} <= set(ray)]
            inner[middle or ray] = True
        elif (ray >= 2 * n).any():  # a border point in the ring's way
            unpin |= {(round(x), round(y)) for x, y in rig.vertices[ray[ray >= 2 * n] + N_LANDMARKS, :2]}
        else:  # the anchors of both rays: a ring edge swept over the one between them
            outer[ray % n] = True
    return inner, outer, unpin


@cache
def _rotation_at(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """:func:`~talkingface.render.deform.rotation` of an envelope corner (a few, asked for again
    and again while a rig is widened); read-only."""
    from .deform import rotation

    rot = rotation(yaw, pitch, roll)
    rot.flags.writeable = False
    return rot


def _signed_area(tris: np.ndarray) -> np.ndarray:
    """Twice the signed area of (…, 3, 2) triangles."""
    e1, e2 = tris[..., 1, :] - tris[..., 0, :], tris[..., 2, :] - tris[..., 0, :]
    return e1[..., 0] * e2[..., 1] - e1[..., 1] * e2[..., 0]


def envelope_poses(shift: float = 0.0) -> np.ndarray:
    """(16 or 64, 6) the corners of the pose envelope (yaw, pitch, roll, tx, ty, scale), the head
    shifted by ±``shift`` eye distances (a rig's own: ``rig.envelope_shift``).

    For a fixed turn, a triangle's signed area is linear in the shift (every vertex moves by its
    ``follow`` times the same vector), so no fold at the shift box's corners means none inside."""
    yaw, pitch, roll = ENVELOPE_DEG
    moves = (-shift, shift) if shift > 0 else (0.0,)
    grid = np.meshgrid((-yaw, yaw), (-pitch, pitch), (-roll, roll), moves, moves, ENVELOPE_SCALE)
    return np.array(grid).reshape(6, -1).T


def _envelope_reach(
    ring: np.ndarray, ring_z: float, follow: np.ndarray, centre: np.ndarray, iod: float, shift: float
) -> np.ndarray:
    """How far from ``centre`` each ring point gets at the envelope's corners (pixels)."""
    pts = np.column_stack([ring - centre, np.full(len(ring), ring_z)])
    furthest = np.zeros(len(ring))
    for yaw, pitch, roll, tx, ty, scale in envelope_poses(shift):
        moved = pts @ _rotation_at(yaw, pitch, roll).T * scale + [tx * iod, ty * iod, 0.0]
        at = pts[:, :2] + follow[:, None] * (moved[:, :2] - pts[:, :2])
        furthest = np.maximum(furthest, np.linalg.norm(at, axis=1))
    return furthest


def _no_steps(scales: np.ndarray, step: float) -> np.ndarray:
    """Raise the lower of neighbouring ring scales (a closed ring) until no two differ by more
    than ``step``: a ring that jumps from the hair's edge in to the cheek makes sliver triangles
    that a small turn turns over."""
    out = scales.copy()
    for _ in range(len(out)):
        lifted = np.maximum(out, np.maximum(np.roll(out, 1), np.roll(out, -1)) - step)
        if np.array_equal(lifted, out):
            break
        out = lifted
    return out


def _silhouette_scales(alpha: np.ndarray, oval: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """For each oval point, how far out (in multiples of its distance from the centre) the person
    matte stays on: the edge of the hair (or hat) in that direction."""
    steps = np.arange(1.0, MAX_HAIR_SCALE + 1e-6, 0.02)
    pts = centre + (oval - centre)[:, None, :] * steps[None, :, None]  # (n, s, 2)
    h, w = alpha.shape
    xs = np.clip(np.round(pts[..., 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(pts[..., 1]).astype(int), 0, h - 1)
    inside = (alpha[ys, xs] > 0.5) & (pts[..., 0] >= 0) & (pts[..., 0] < w) & (pts[..., 1] >= 0)
    # the first step off the person; all of them on it → as far as we look
    off = np.argmin(inside, axis=1)
    off[inside.all(1)] = len(steps) - 1
    return steps[off]


def _down_axis(lm: np.ndarray) -> np.ndarray:
    right_eye, left_eye = lm[[33, 133], :2].mean(0), lm[[362, 263], :2].mean(0)
    u = (left_eye - right_eye) / max(float(np.linalg.norm(left_eye - right_eye)), 1e-6)
    return np.array([-u[1], u[0]])


def _border_points(x0: float, y0: float, x1: float, y1: float, per_side: int) -> np.ndarray:
    t = np.linspace(0, 1, per_side + 1)[:-1]
    top = np.column_stack([x0 + t * (x1 - x0), np.full_like(t, y0)])
    right = np.column_stack([np.full_like(t, x1), y0 + t * (y1 - y0)])
    bottom = np.column_stack([x1 - t * (x1 - x0), np.full_like(t, y1)])
    left = np.column_stack([np.full_like(t, x0), y1 - t * (y1 - y0)])
    return np.concatenate([top, right, bottom, left])


def delaunay():
    """SciPy's Delaunay triangulation, imported where the rig is built, not at start-up (importing
    scipy.spatial costs about half a second: :func:`~talkingface.render.setup.prepare_face` does
    it beside the face search)."""
    from scipy.spatial import Delaunay

    return Delaunay


def _outer_triangles(xy: np.ndarray, oval: np.ndarray) -> np.ndarray:
    """Delaunay over the oval and everything outside it, minus triangles inside the face."""
    idx = np.concatenate([np.array(T.FACE_OVAL), np.arange(N_LANDMARKS, len(xy))])
    pts = xy[idx].astype(np.float64)
    # jitter-free dedupe: clipped anchors can coincide
    _, keep = np.unique(np.round(pts, 3), axis=0, return_index=True)
    keep = np.sort(keep)
    tri = delaunay()(pts[keep]).simplices
    tris = idx[keep][tri]
    centroids = xy[tris].mean(1)
    contour = oval.astype(np.float32).reshape(-1, 1, 2)
    inside = np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0 for x, y in centroids])
    return tris[~inside].astype(np.int32)
