"""Re-detect the face in rendered frames: the measurements every closed-loop check starts from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..face.landmarker import FaceLandmarker, FaceObservation
from ..io.frames import iter_frames

UPPER_INNER = (191, 80, 81, 82, 13, 312, 311, 310)
LOWER_INNER = (95, 88, 178, 87, 14, 317, 402, 318)


def mouth_gap(face: FaceObservation) -> float:
    """Inner-lip gap ÷ inter-ocular distance (THEval's openness, anchors.md §4)."""
    lm = face.landmarks
    return float(abs(lm[list(LOWER_INNER), 1].mean() - lm[list(UPPER_INNER), 1].mean()) / face.inter_ocular)


@dataclass(frozen=True)
class FrameMeasures:
    """Per analysed frame (NaN where no face was found)."""

    index: np.ndarray  # frame numbers
    gap: np.ndarray  # mouth_gap
    landmarks: np.ndarray  # (n, 478, 3)
    blendshapes: np.ndarray  # (n, 52)

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.gap)


def measure_video(path: str | Path, landmarker: FaceLandmarker, step: int = 1) -> FrameMeasures:
    idx, gaps, lms, bss = [], [], [], []
    for i, frame in iter_frames(path, step):
        faces = landmarker.detect(frame)
        idx.append(i)
        if faces:
            gaps.append(mouth_gap(faces[0]))
            lms.append(faces[0].landmarks)
            bss.append(faces[0].blendshapes)
        else:
            gaps.append(np.nan)
            lms.append(np.full((478, 3), np.nan, np.float32))
            bss.append(np.full(52, np.nan, np.float32))
    return FrameMeasures(np.array(idx), np.array(gaps), np.array(lms), np.array(bss))
