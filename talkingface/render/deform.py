"""Where every rig vertex goes for one frame: blendshapes in the face frame, then the head pose."""

from __future__ import annotations

import numpy as np

from ..core.track import CHANNEL_INDEX
from .rig import N_LANDMARKS, FaceRig

_JAW, _CLOSE = CHANNEL_INDEX["jawOpen"], CHANNEL_INDEX["mouthClose"]
_PRESSES = [CHANNEL_INDEX["mouthPressLeft"], CHANNEL_INDEX["mouthPressRight"]]
_SMILES = [CHANNEL_INDEX["mouthSmileLeft"], CHANNEL_INDEX["mouthSmileRight"]]
_FROWNS = [CHANNEL_INDEX["mouthFrownLeft"], CHANNEL_INDEX["mouthFrownRight"]]
#: a frown (lip-corner depressor, AU15) first undoes the photo's own smile (AU12): this much of it
#: per unit of frown, so `sad` (frown 0.5) relaxes a photographed grin fully, `angry` (0.25) half
SMILE_UNDONE_PER_FROWN = 2.0


def undo_photo_smile(weights: np.ndarray, rest_smile: float) -> np.ndarray:
    """Offsets in which a frown also takes back the smile the portrait was photographed with.

    Offsets are relative to the photo, so on a smiling photo a frown alone lands on top of the
    grin (the corners stay up); relaxing the smile first is what the face would do."""
    frown = float(np.mean(np.maximum(weights[_FROWNS], 0.0)))
    if rest_smile <= 0.05 or frown <= 0.0:
        return weights
    weights = weights.copy()
    weights[_SMILES] -= min(1.0, SMILE_UNDONE_PER_FROWN * frown) * rest_smile
    return weights


def from_shut_jaw(weights: np.ndarray, rest_jaw: float, share: float) -> np.ndarray:
    """Offsets for a photo whose jaw already stands open by ``rest_jaw``, from ones made for a shut one.

    The jaw opens to where the motion says, not that much further: it closes below the photo's
    opening (a pause, a closure) as readily as it opens past it. ``mouthPress`` seals the photo's
    rest gap; the jaw now shuts ``share`` of it, so the press seals only the rest (the lips'
    own parting). ``mouthClose`` (the lips closing what the jaw opened) is clamped to the motion's
    own jaw before this (see :func:`deform`)."""
    if rest_jaw <= 0.0:
        return weights
    weights = weights.copy()
    weights[_JAW] -= rest_jaw
    weights[_PRESSES] *= 1.0 - share
    return weights


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3×3 rotation in image axes (x right, y down, z away from the camera), degrees.

    Signs follow :data:`talkingface.core.track.POSE_COLUMNS`: a point in front of the centre
    (z < 0) moves toward +x for yaw > 0 and toward +y for pitch > 0; roll > 0 is clockwise.
    """
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rp = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rr = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rr @ rp @ ry


def head_transform(
    rig: FaceRig, pose: np.ndarray, points: np.ndarray, rot: np.ndarray | None = None
) -> np.ndarray:
    """Apply the rigid head motion of ``pose`` (yaw, pitch, roll, tx, ty, scale) to (k, 3) points;
    ``rot``: the pose's :func:`rotation`, when the caller has it already."""
    if rot is None:
        rot = rotation(float(pose[0]), float(pose[1]), float(pose[2]))
    offset = np.array([pose[3] * rig.iod, pose[4] * rig.iod, 0.0])
    return (points - rig.centre) @ rot.T * float(pose[5]) + rig.centre + offset


#: inner-lip landmark pairs facing each other across the mouth (upper, lower)
_LIP_PAIRS = np.array(
    [(191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402), (310, 318), (415, 324)]
)


def keep_lips_apart(pts: np.ndarray, down: np.ndarray) -> None:
    """Where summed blendshapes push a lower lip point above its upper partner, meet in the middle.

    Linear blendshapes can overshoot (close + jaw + press); crossed lips would fold the mesh.
    """
    upper, lower = pts[_LIP_PAIRS[:, 0], :2], pts[_LIP_PAIRS[:, 1], :2]
    gap = (lower - upper) @ down
    crossed = gap < 0
    if crossed.any():
        mid = (upper[crossed] + lower[crossed]) / 2
        pts[_LIP_PAIRS[crossed, 0], :2] = mid
        pts[_LIP_PAIRS[crossed, 1], :2] = mid


def deform(rig: FaceRig, pose: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(V, 3) float64 vertex positions for one frame."""
    pts = rig.vertices.astype(np.float64)
    weights = undo_photo_smile(weights, rig.rest_smile)
    if weights[_CLOSE] > weights[_JAW]:  # ARKit: mouthClose closes lips the jaw opened, no further
        weights = weights.copy()
        weights[_CLOSE] = max(float(weights[_JAW]), 0.0)
    weights = from_shut_jaw(weights, rig.rest_jaw, rig.rest_jaw_share)
    active = np.flatnonzero(np.abs(weights) > 1e-4)
    if len(active):
        pts[:N_LANDMARKS] += np.tensordot(weights[active], rig.bases[active], axes=1)
        keep_lips_apart(pts, rig.down)
    moved = head_transform(rig, pose, pts)
    return pts + rig.follow[:, None] * (moved - pts)
