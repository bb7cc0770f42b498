"""A thin wrapper over MediaPipe's Face Landmarker (Tasks API) that speaks our dataclasses.

Used once per portrait, and on every frame when we re-analyse our own output (closed loop).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.mediapipe_import import load_mediapipe
from ..core.track import ARKIT_CHANNELS
from ..models import face_model_path

# MediaPipe's native code logs to stderr at import; keep a user's terminal clean.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

LEFT_EYE_CORNERS = (362, 263)  # subject's left eye: inner, outer
RIGHT_EYE_CORNERS = (133, 33)  # subject's right eye: inner, outer


@dataclass(frozen=True)
class FaceObservation:
    """One detected face in one image.

    ``landmarks``: float32 (478, 3) in pixels of the analysed image; z uses the x scale (image
    width) and is negative toward the camera, origin near the head centre (MediaPipe's convention).
    ``blendshapes``: float32 (51,) scores in :data:`ARKIT_CHANNELS` order.
    ``matrix``: float32 (4, 4) facial transformation matrix (canonical face → camera space).
    """

    landmarks: np.ndarray
    blendshapes: np.ndarray
    matrix: np.ndarray

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 of the landmarks."""
        xy = self.landmarks[:, :2]
        x0, y0 = xy.min(0)
        x1, y1 = xy.max(0)
        return float(x0), float(y0), float(x1), float(y1)

    @property
    def width(self) -> float:
        x0, _, x1, _ = self.bbox
        return x1 - x0

    @property
    def inter_ocular(self) -> float:
        """Distance between the eye centres, in pixels: the face's own length unit."""
        lm = self.landmarks[:, :2]
        left = lm[list(LEFT_EYE_CORNERS)].mean(0)
        right = lm[list(RIGHT_EYE_CORNERS)].mean(0)
        return float(np.linalg.norm(left - right))

    def blendshape(self, name: str) -> float:
        return float(self.blendshapes[ARKIT_CHANNELS.index(name)])


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """MediaPipe's C++ side writes graph-setup chatter straight to fd 2; hide it while it does."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class FaceLandmarker:
    """``with FaceLandmarker() as fl: faces = fl.detect(rgb)`` — faces sorted largest first."""

    def __init__(self, model_path: str | Path | None = None, max_faces: int = 16) -> None:
        tasks = load_mediapipe()
        vision = tasks.vision

        path = Path(model_path) if model_path else face_model_path()
        options = vision.FaceLandmarkerOptions(
            base_options=tasks.BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=max_faces,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
            min_face_detection_confidence=0.5,
            min_face_presence_confidence=0.5,
        )
        with _quiet_native_stderr():
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
            self._warm = False

    def detect(self, rgb: np.ndarray) -> list[FaceObservation]:
        import mediapipe as mp

        h, w = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._warm:
            result = self._landmarker.detect(image)
        else:  # the first call sets up delegates and logs about it
            with _quiet_native_stderr():
                result = self._landmarker.detect(image)
            self._warm = True
        faces = []
        for i, points in enumerate(result.face_landmarks):
            lm = np.array([(p.x * w, p.y * h, p.z * w) for p in points], np.float32)
            scores = {c.category_name: c.score for c in result.face_blendshapes[i]}
            bs = np.array([scores.get(name, 0.0) for name in ARKIT_CHANNELS], np.float32)
            matrix = np.asarray(result.facial_transformation_matrixes[i], np.float32)
            faces.append(FaceObservation(lm, bs, matrix))
        faces.sort(key=lambda f: f.width, reverse=True)
        return faces

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # MediaPipe's own __del__ misbehaves at interpreter exit
        with contextlib.suppress(Exception):
            self.close()
