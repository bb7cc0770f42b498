"""Is the rendered face still the portrait's person? An appearance check without learned weights.

Generative peers drift from the person; a warp keeps the photo's own skin, so the honest test is
appearance: align the rendered face onto the portrait's by a similarity transform fitted to
rigid landmarks (eye corners, nose, brow, temples), then correlate the skin pixels of the upper
face (zero-mean normalised cross-correlation of the high-passed grey image, mouth and eyes
masked out). The same person scores near 1; another person, aligned the same way, far lower.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core import topology as T
from ..face.landmarker import FaceObservation

ANCHORS = [33, 133, 362, 263, 1, 168, 70, 300, 234, 454, 10]


def _upper_face_mask(shape: tuple[int, int], lm: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(lm[list(T.FACE_OVAL), :2]).astype(np.int32)], 255)
    iod = float(np.linalg.norm(lm[[33, 133], :2].mean(0) - lm[[362, 263], :2].mean(0)))
    # drop everything below the nose (mouth, jaw) and the eye openings themselves
    nose_y = lm[2, 1]
    mask[int(nose_y) :, :] = 0
    for hole in (T.LEFT_EYE_HOLE, T.RIGHT_EYE_HOLE):
        cv2.fillPoly(mask, [np.round(lm[list(hole), :2]).astype(np.int32)], 0)
        cv2.polylines(mask, [np.round(lm[list(hole), :2]).astype(np.int32)], True, 0, max(1, int(iod * 0.08)))
    return mask > 0


def _detail(rgb: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return grey - cv2.GaussianBlur(grey, (0, 0), 6.0)


def identity_similarity(
    reference: np.ndarray, reference_face: FaceObservation, frame: np.ndarray, frame_face: FaceObservation
) -> float:
    """NCC in [−1, 1] of the aligned upper-face detail of ``frame`` against ``reference``."""
    src = frame_face.landmarks[ANCHORS, :2].astype(np.float32)
    dst = reference_face.landmarks[ANCHORS, :2].astype(np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(src, dst)
    if matrix is None:
        return 0.0
    aligned = cv2.warpAffine(frame, matrix, (reference.shape[1], reference.shape[0]), flags=cv2.INTER_LINEAR)
    mask = _upper_face_mask(reference.shape[:2], reference_face.landmarks)
    a, b = _detail(reference)[mask], _detail(aligned)[mask]
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9))
