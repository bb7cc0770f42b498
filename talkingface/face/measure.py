"""Face measurements on video frames: lip gap, landmarks, blendshapes, head angles.

Used to drive motion from a video (:mod:`talkingface.motion.driver`) and to check rendered frames
(every closed-loop check in :mod:`talkingface.eval` starts here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.track import ARKIT_CHANNELS
from ..face.landmarker import FaceLandmarker, FaceObservation
from ..io.frames import iter_frames

UPPER_INNER_LIP = (191, 80, 81, 82, 13, 312, 311, 310)
LOWER_INNER_LIP = (95, 88, 178, 87, 14, 317, 402, 318)
EYE_CORNERS = ((33, 133), (362, 263))


def openness(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap ÷ inter-ocular distance per frame, from (n, 478, ≥2) landmarks."""
    lm = np.asarray(landmarks, np.float64)
    gap = np.abs(lm[:, LOWER_INNER_LIP, 1].mean(1) - lm[:, UPPER_INNER_LIP, 1].mean(1))
    right = lm[:, list(EYE_CORNERS[0]), :2].mean(1)
    left = lm[:, list(EYE_CORNERS[1]), :2].mean(1)
    return gap / np.linalg.norm(left - right, axis=1)


def mouth_gap(face: FaceObservation) -> float:
    """Inner-lip gap ÷ inter-ocular distance of one face (THEval's openness, anchors.md §4)."""
    return float(openness(face.landmarks[None])[0])


@dataclass(frozen=True)
class FrameMeasures:
    """Per analysed frame (NaN where no face was found)."""

    index: np.ndarray  # frame numbers
    gap: np.ndarray  # mouth_gap
    landmarks: np.ndarray  # (n, 478, 3)
    blendshapes: np.ndarray  # (n, 51)
    matrices: np.ndarray | None = None  # (n, 4, 4) facial transformation matrices

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.gap)


def measure_frames(frames: Iterable[tuple[int, np.ndarray]], landmarker: FaceLandmarker) -> FrameMeasures:
    """Face Landmarker on each (index, RGB frame): the largest face's measures, NaN where none."""
    idx, gaps, lms, bss, mats = [], [], [], [], []
    for i, frame in frames:
        faces = landmarker.detect(frame)
        idx.append(i)
        if faces:
            gaps.append(mouth_gap(faces[0]))
            lms.append(faces[0].landmarks)
            bss.append(faces[0].blendshapes)
            mats.append(faces[0].matrix)
        else:
            gaps.append(np.nan)
            lms.append(np.full((478, 3), np.nan, np.float32))
            bss.append(np.full(len(ARKIT_CHANNELS), np.nan, np.float32))
            mats.append(np.full((4, 4), np.nan, np.float32))
    k = len(ARKIT_CHANNELS)
    lms_, bss_ = np.array(lms).reshape(-1, 478, 3), np.array(bss).reshape(-1, k)
    return FrameMeasures(np.array(idx), np.array(gaps), lms_, bss_, np.array(mats).reshape(-1, 4, 4))


def measure_video(path: str | Path, landmarker: FaceLandmarker, step: int = 1) -> FrameMeasures:
    return measure_frames(iter_frames(path, step), landmarker)


def euler_from_rotation(r: np.ndarray) -> np.ndarray:
    """(yaw, pitch, roll) degrees of an image-axes rotation R = Rroll · Rpitch · Ryaw
    (the inverse of :func:`talkingface.render.deform.rotation`)."""
    pitch = np.degrees(np.arcsin(np.clip(r[2, 1], -1, 1)))
    yaw = np.degrees(np.arctan2(r[2, 0], r[2, 2]))
    roll = np.degrees(np.arctan2(-r[0, 1], r[1, 1]))
    return np.array([yaw, pitch, roll])


#: landmarks that move with the skull, not with the jaw, lips, lids or brows
RIGID = (1, 4, 5, 6, 168, 197, 195, 33, 133, 362, 263, 10, 109, 338, 67, 297, 151, 234, 454, 93, 323,
         127, 356, 21, 251, 132, 361)  # fmt: skip


def head_angles_from_landmarks(landmarks: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) yaw, pitch, roll in degrees: the rotation that best maps the reference's rigid
    landmarks onto each frame's (Kabsch with scale, in image axes with MediaPipe's depth).
    Less disturbed by an opening jaw than Face Landmarker's matrix; NaN where no face."""
    lm = np.asarray(landmarks, np.float64)
    ok = np.isfinite(lm[:, RIGID]).all((1, 2))
    out = np.full((len(lm), 3), np.nan)
    if not ok.any():
        return out
    ref = np.asarray(reference if reference is not None else lm[np.flatnonzero(ok)[0]], np.float64)[
        list(RIGID)
    ]
    ref = ref - ref.mean(0)
    ref /= np.linalg.norm(ref)
    for i in np.flatnonzero(ok):
        cur = lm[i, list(RIGID)]
        cur = cur - cur.mean(0)
        cur /= np.linalg.norm(cur)
        u, _, vt = np.linalg.svd(cur.T @ ref)
        d = np.sign(np.linalg.det(u @ vt))
        r = u @ np.diag([1, 1, d]) @ vt  # cur ≈ r @ ref
        out[i] = euler_from_rotation(r)
    return out
