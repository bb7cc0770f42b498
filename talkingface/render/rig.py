"""FaceRig: everything about one portrait that the per-frame renderer needs, built once.

Vertices are the 478 landmarks, a ring of head/hair anchors that move rigidly with the head,
an outer ring and the borders of the region of interest that stay still (so the background
never moves), plus the triangles that join them: MediaPipe's face tessellation inside the face
oval (mouth and eyes are holes, drawn as their own layers) and a Delaunay fill outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..core import topology as T
from ..face.landmarker import FaceObservation
from .bases import build_bases

N_LANDMARKS = 478
HEAD_RING_SCALE = 1.35  # ring radius relative to the face oval, around the oval's centre
HAIR_RING_SCALE = 1.6  # above the eyes the ring reaches further, to carry the hair
CHIN_RING_SCALE = 1.4  # under the jaw it stays close: the neck does not turn with the head
OUTER_RING_SCALE = 2.3  # still anchors: the falloff between the rings absorbs the motion
MAX_HAIR_SCALE = 2.4  # with a person matte, the ring reaches out to the hair's edge, at most this far
HAIR_MARGIN = 0.08  # ring this far (in oval radii) beyond the matte's edge, so all the hair rides along
OUTER_GAP = 0.5  # still anchors at least this far beyond the ring


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

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def width(self) -> int:
        return self.image.shape[1]


def _ring(oval: np.ndarray, centre: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return centre + (oval - centre) * scales[:, None]


def build_rig(image: np.ndarray, face: FaceObservation, alpha: np.ndarray | None = None) -> FaceRig:
    """The rig of one portrait. With a person matte ``alpha`` the head ring reaches out to the
    hair's silhouette, so big hair moves (and scales) with the head as one piece instead of being
    squeezed against the still anchors; the background it uncovers comes from the plate."""
    h, w = image.shape[:2]
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
    outer_scales = np.full(len(oval), OUTER_RING_SCALE)
    if alpha is not None:
        reach = (1.0 - chin) * (rel < mouth_y)  # above the mouth only: below it the body goes on
        edge = _silhouette_scales(alpha, oval, centre2) + HAIR_MARGIN
        scales = np.where(reach > 0, np.maximum(scales, np.minimum(edge, MAX_HAIR_SCALE)), scales)
        outer_scales = np.maximum(outer_scales, scales + OUTER_GAP)
    ring = _ring(oval, centre2, scales)
    outer = _ring(oval, centre2, outer_scales)
    ring_z = float(lm[list(T.FACE_OVAL), 2].mean())

    x0, y0 = np.floor(np.minimum(outer.min(0), ring.min(0))).astype(int) - 2
    x1, y1 = np.ceil(np.maximum(outer.max(0), ring.max(0))).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    ring = np.clip(ring, [x0, y0], [x1 - 1, y1 - 1])
    outer = np.clip(outer, [x0, y0], [x1 - 1, y1 - 1])
    border = _border_points(x0, y0, x1 - 1, y1 - 1, per_side=6)

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
    follow[N_LANDMARKS : N_LANDMARKS + len(ring)] = 1.0 - 0.5 * chin  # neck follows half-way

    outer_tris = _outer_triangles(vertices[:, :2], oval)
    centre = np.array([centre2[0], centre2[1], 0.0], np.float32)  # MediaPipe z: origin ≈ head centre
    return FaceRig(
        image=image,
        vertices=vertices,
        follow=follow,
        face_triangles=T.face_triangles(),
        outer_triangles=outer_tris,
        bases=build_bases(face.landmarks),
        centre=centre,
        roi=(int(x0), int(y0), int(x1), int(y1)),
        iod=face.inter_ocular,
        down=_down_axis(lm),
        rest_smile=float(np.mean([face.blendshape("mouthSmileLeft"), face.blendshape("mouthSmileRight")])),
    )


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


def _outer_triangles(xy: np.ndarray, oval: np.ndarray) -> np.ndarray:
    """Delaunay over the oval and everything outside it, minus triangles inside the face."""
    idx = np.concatenate([np.array(T.FACE_OVAL), np.arange(N_LANDMARKS, len(xy))])
    pts = xy[idx].astype(np.float64)
    # jitter-free dedupe: clipped anchors can coincide
    _, keep = np.unique(np.round(pts, 3), axis=0, return_index=True)
    keep = np.sort(keep)
    from scipy.spatial import Delaunay  # imported where the rig is built, not at start-up

    tri = Delaunay(pts[keep]).simplices
    tris = idx[keep][tri]
    centroids = xy[tris].mean(1)
    contour = oval.astype(np.float32).reshape(-1, 1, 2)
    inside = np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) > 0 for x, y in centroids])
    return tris[~inside].astype(np.int32)
