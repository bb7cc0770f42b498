"""Re-detect the face in rendered frames: the measurements every closed-loop check starts from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..face.landmarker import FaceLandmarker, FaceObservation
from ..io.frames import iter_frames
from ..motion.track import ARKIT_CHANNELS
from .lipsync import openness


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
