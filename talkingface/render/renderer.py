"""Renderer: (head pose, blendshape offsets) → RGB frame of the portrait.

Per frame: deform the rig, build the backward map (face triangles far-to-near, holes on top),
one ``cv2.remap`` of the region of interest, then the mouth interior. Pixels outside the region
of interest are the photo's own, byte for byte.
"""

from __future__ import annotations

import numpy as np

from ..core import topology as T
from ..core.track import CHANNEL_INDEX
from .deform import deform, head_transform
from .eyelids import build_lid, draw_lid
from .gaze import build_eye, draw_eye, gaze_offset
from .layers import BackgroundLayer, WarpSource
from .mouth import draw_mouth, mouth_style, photo_mouth_open
from .rig import N_LANDMARKS, FaceRig
from .warp import MeshWarp, fit_affine, wind

_HOLES = (T.MOUTH_HOLE, T.RIGHT_EYE_HOLE, T.LEFT_EYE_HOLE)
_JAW = CHANNEL_INDEX["jawOpen"]
#: the upper lid follows the eye down (and up) a little, as real lids do
LID_FOLLOWS_GAZE_DOWN = 0.3
LID_FOLLOWS_GAZE_UP = 0.15
#: picture pixels kept around the moving region for the warp's sources (bilinear reads at its edge)
SOURCE_MARGIN = 4


class Renderer:
    """Draws frames of one rig. Deterministic: the same command gives the same pixels."""

    def __init__(self, rig: FaceRig, background: BackgroundLayer | None = None) -> None:
        self.rig = rig
        # the maps sample the moving region's own pixels (and a margin for bilinear reads): the
        # picture outside it is never copied; with a person matte the background never moves
        x0, y0, x1, y1 = rig.roi
        h, w = rig.image.shape[:2]
        box = (max(x0 - SOURCE_MARGIN, 0), max(y0 - SOURCE_MARGIN, 0))
        box += (min(x1 + SOURCE_MARGIN, w), min(y1 + SOURCE_MARGIN, h))
        self._source = WarpSource(rig.image, rig.roi, background, box)
        self._rest = rig.vertices.astype(np.float64)
        # the mouth's style keeps the photo's own teeth in photo pixels: it sees the whole photo
        self._style = mouth_style(rig.image, rig.vertices[:N_LANDMARKS])
        # outer triangles whose corners all stay still map to themselves: the id map's default
        moving = rig.follow[rig.outer_triangles].max(1) > 0
        outer = wind(rig.outer_triangles[moving], self._rest[:, :2], each=True)
        face = wind(rig.face_triangles, self._rest[:, :2], each=False)
        self._n_outer = len(outer)
        self._warp = MeshWarp(rig.roi, np.concatenate([outer, face]), self._rest[:, :2], origin=box[:2])
        self._holes = [np.array(h) for h in _HOLES]
        # A photo whose lips are closed has only a seam inside the inner-lip outline: that sliver
        # must stretch with the lips. An open mouth (teeth) keeps its contents rigid instead.
        self._mouth_open_in_photo = photo_mouth_open(rig.vertices[:N_LANDMARKS])
        lm = rig.vertices[:N_LANDMARKS]
        self._lids = [build_lid(rig.image, lm, side, rig.iod) for side in ("Right", "Left")]
        self._eyes = [e for e in (build_eye(rig.image, lm, s) for s in ("Right", "Left")) if e is not None]
        right_eye, left_eye = lm[[33, 133], :2].mean(0), lm[[362, 263], :2].mean(0)
        u = (left_eye - right_eye) / max(float(np.linalg.norm(left_eye - right_eye)), 1e-6)
        self._face_axes = np.array([u, [-u[1], u[0]]], np.float64)  # rows: u (across), v (down)
        from .kernels import warm  # numba: loaded with the first renderer, not at start-up

        warm()  # the compiled per-pixel loops, here rather than in the first frame

    def render(self, pose: np.ndarray, weights: np.ndarray) -> np.ndarray:
        rig = self.rig
        pts = deform(rig, pose, weights)
        xy = pts[:, :2]
        depth = pts[rig.face_triangles, 2].mean(1)
        far_first = np.argsort(-depth, kind="stable")  # large z first
        order = np.concatenate([np.arange(self._n_outer), self._n_outer + far_first])  # background first
        rigid = head_transform(rig, pose, self._rest[:N_LANDMARKS])[:, :2]
        holes = [(xy[h], fit_affine(rigid[h], self._rest[h, :2])) for h in self._holes]
        if not self._mouth_open_in_photo:
            mouth = self._holes[0]
            holes[0] = (xy[mouth], fit_affine(xy[mouth], self._rest[mouth, :2]))
        map_x, map_y = self._warp(xy, order, holes)
        frame = rig.image.copy()
        x0, y0, x1, y1 = rig.roi
        self._source.warp(map_x, map_y, frame[y0:y1, x0:x1])
        draw_mouth(frame, xy[:N_LANDMARKS], rigid[list(T.MOUTH_HOLE)], float(weights[_JAW]), self._style)
        for eye in self._eyes:
            du, dv = gaze_offset(weights, eye)
            if abs(du) + abs(dv) > 0.05:
                hole = list(eye.hole)
                photo_to_frame = fit_affine(self._rest[hole, :2], rigid[hole]).T
                offset = du * self._face_axes[0] + dv * self._face_axes[1]
                draw_eye(frame, eye, xy[hole], photo_to_frame, offset)
        for lid in self._lids:
            side = lid.side
            closure = float(weights[CHANNEL_INDEX[f"eyeBlink{side}"]])
            closure += LID_FOLLOWS_GAZE_DOWN * float(weights[CHANNEL_INDEX[f"eyeLookDown{side}"]])
            closure -= LID_FOLLOWS_GAZE_UP * float(weights[CHANNEL_INDEX[f"eyeLookUp{side}"]])
            draw_lid(frame, lid, xy, rigid, closure)
        return frame
