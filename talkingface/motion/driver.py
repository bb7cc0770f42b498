"""Video-driven motion: a driving video → MotionTrack (Face Landmarker blendshapes + head pose).

Everything is relative to the driver's first frame with a face: head angles (skull-fixed
landmarks, Kabsch), head translation (in the driver's inter-ocular distances), head size
(scale), and the 51 blendshape scores as differences from that frame. So the portrait keeps its
own neutral face and pose, and moves the way the driver moved away from theirs. Small videos
(such as the 176×144 carphone clip) are upscaled before detection; frames without a face hold
the neighbouring values; the pose is lightly smoothed (detector jitter), blinks are not.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..core.track import ARKIT_CHANNELS, MotionTrack
from ..errors import InputError
from ..face.landmarker import LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS, FaceLandmarker
from ..face.measure import RIGID, FrameMeasures, head_angles_from_landmarks, measure_frames
from ..io.frames import iter_frames, probe_video
from .head import soft_clamp
from .ranges import DRIVER_POSE_LIMITS, DRIVER_SCALE_RANGE, DRIVER_SHIFT_LIMIT

MIN_SIDE = 480  # frames smaller than this are upscaled for detection
CHANNEL_LIMITS = (-0.5, 1.0)
POSE_SMOOTH_FRAMES = 1.0  # Gaussian sigma


def _upscaled(path: str | Path, factor: float, max_frames: int | None):
    for i, frame in iter_frames(path):
        if max_frames is not None and i >= max_frames:
            return
        if factor > 1:
            frame = cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        yield i, frame


def _fill(x: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Interpolate rows where ``ok`` is False from the nearest good rows."""
    idx = np.arange(len(x))
    out = x.astype(np.float64).copy()
    for j in range(x.shape[1]):
        out[:, j] = np.interp(idx, idx[ok], x[ok, j])
    return out


def track_from_video(
    path: str | Path, landmarker: FaceLandmarker | None = None, max_frames: int | None = None
) -> MotionTrack:
    """The driver's motion as a track at the video's own frame rate."""
    info = probe_video(path)
    factor = max(1.0, MIN_SIDE / max(min(info.width, info.height), 1))
    own = landmarker is None
    fl = landmarker or FaceLandmarker(max_faces=1)
    try:
        m = measure_frames(_upscaled(path, factor, max_frames), fl)
    finally:
        if own:
            fl.close()
    return track_from_measures(m, info.fps, str(path))


def track_from_measures(m: FrameMeasures, fps: float, name: str = "video") -> MotionTrack:
    """The track of already measured frames (see :func:`track_from_video`)."""
    ok = m.found
    if not ok.any():
        raise InputError(
            f"no face found in the driving video {name}: use a video of a face facing the camera"
        )
    first = int(np.flatnonzero(ok)[0])
    lm = m.landmarks.astype(np.float64)
    angles = _fill(head_angles_from_landmarks(lm, lm[first]), ok)
    eyes_r = lm[:, list(RIGHT_EYE_CORNERS), :2].mean(1)
    eyes_l = lm[:, list(LEFT_EYE_CORNERS), :2].mean(1)
    iod = np.linalg.norm(eyes_l - eyes_r, axis=1)
    centre = lm[:, list(RIGID), :2].mean(1)
    shift = (centre - centre[first]) / iod[first]
    scale = iod / iod[first]
    pose = _fill(np.column_stack([angles, shift, scale]), ok)
    from scipy.ndimage import gaussian_filter1d  # only a driver video needs it: not at start-up

    pose = gaussian_filter1d(pose, POSE_SMOOTH_FRAMES, axis=0, mode="nearest")
    # held to the envelope the rig is built for (motion/ranges.py): soft for angles and shifts
    pose[:, :3] = soft_clamp(pose[:, :3], np.array(DRIVER_POSE_LIMITS))
    pose[:, 3:5] = soft_clamp(pose[:, 3:5], DRIVER_SHIFT_LIMIT)
    pose[:, 5] = np.clip(pose[:, 5], *DRIVER_SCALE_RANGE)
    blend = _fill(m.blendshapes - m.blendshapes[first], ok)
    blend = np.clip(blend, *CHANNEL_LIMITS)
    track = MotionTrack(fps, pose, blend)
    track.meta.update(source="driver", driver=name)
    return track


#: driver channels that carry expression, kept when the lips come from the audio
DRIVER_MOUTH_EXPRESSION = ("mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
                           "mouthDimpleLeft", "mouthDimpleRight")  # fmt: skip
#: where the driver ends before the audio, its motion hands over to the audio's over this long (s)
HANDOVER_S = 0.6


def with_audio(
    driver: MotionTrack, covered: int, audio: MotionTrack, driver_mouth: bool = False
) -> MotionTrack:
    """Head, eyes and brows from ``driver`` (resampled to the audio's frames, its first ``covered``
    frames real); the lips from ``audio`` unless ``driver_mouth`` (VASA's disentangled control).
    After the driver ends, everything glides over HANDOVER_S to the audio-driven motion."""
    n = len(audio)
    out = MotionTrack(audio.fps, driver.pose[:n].copy(), driver.blendshapes[:n].copy(), dict(driver.meta))
    if not driver_mouth:
        for name in ARKIT_CHANNELS:
            if name.startswith(("mouth", "jaw")) and name not in DRIVER_MOUTH_EXPRESSION:
                out.channel(name)[:] = audio.channel(name)
        out.meta["lipsync"] = audio.meta.get("lipsync", "")
    if covered < n:
        t = (np.arange(n) - covered + 1) / (HANDOVER_S * audio.fps)
        w = (0.5 + 0.5 * np.cos(np.pi * np.clip(t, 0, 1)))[:, None]  # 1 while the driver lasts, then → 0
        out.pose[:] = w * out.pose + (1 - w) * audio.pose
        out.blendshapes[:] = w * out.blendshapes + (1 - w) * audio.blendshapes
    return out
