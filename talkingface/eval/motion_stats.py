"""Motion statistics re-measured from frames (Face Landmarker), next to real-speech references.

* **Head pose** from the skull-fixed landmarks (a Kabsch fit to a reference frame: the
  portrait, or a driver's first frame), as yaw/pitch/roll in the renderer's own conventions
  (:data:`talkingface.core.track.POSE_COLUMNS`; checked by a commanded sweep in the tests).
  Face Landmarker's transformation matrix gives the same signs (:func:`head_angles`) but follows
  the opening jaw more. Either way the estimate jitters: a video of a still head whose mouth,
  lids and eyes move measures ΔP ≈ 0.3–0.4 by itself, so compare ΔP with that floor; the
  smoothed ΔP (Gaussian, σ = 1 frame, before differencing) takes most of that jitter out.
* **ΔP** (VASA-1): mean change of head angle between adjacent frames, here the Euclidean norm of
  the (yaw, pitch, roll) change in degrees (the per-axis means are reported too). Real video:
  0.505 (VoxCeleb2) and 0.405 (OneMin-32); VASA-1 0.304 / 0.316 (anchors.md §1).
* **Blinks** from the eye aperture (lid gap ÷ eye width, both eyes, relative to the clip's
  median): a blink is a dip below :data:`BLINK_CLOSED` of the open aperture; its duration is
  the time below :data:`BLINK_DURATION_LEVEL`.
* **Gaze** from the iris centre relative to the eye corners (share of eye width): a gaze shift
  is a frame-to-frame jump of at least :data:`GAZE_SHIFT`, consecutive frames merged.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..core.timeline import runs
from ..face.measure import euler_from_rotation, head_angles_from_landmarks
from .measure import FrameMeasures

#: reference ranges shown next to measured numbers (anchors.md §1, procedural.md §4)
REFERENCES = {
    "delta_p": (0.405, 0.505, "real video (VASA-1 Tables 1–2; VASA-1 itself 0.30–0.32)"),
    "pose_std_deg": (3.0, 7.0, "yaw of real speakers talking or reading, re-measured from real clips"),
    "blinks_per_min": (10.5, 32.5, "conversation 95 % range, mean 26 (Bentivoglio 1997, Doughty 2001)"),
    "blink_duration_s": (0.15, 0.40, "≈ 100 ms close + hold + 150–240 ms open (Stern 1984, VanderWerf 2003)"),
    "gaze_shifts_per_min": (15.0, 45.0, "talking: holds ≈ 3.1 s, aversions ≈ 0.93 s (Lee et al. 2002)"),
}
SMOOTH_FRAMES = 1.0  # Gaussian sigma for the smoothed ΔP
BLINK_CLOSED = 0.55
BLINK_DURATION_LEVEL = 0.85
GAZE_SHIFT = 0.02
RIGHT_EYE = (33, 133, 159, 145, 468)  # outer corner, inner corner, upper lid, lower lid, iris centre
LEFT_EYE = (263, 362, 386, 374, 473)

_FLIP = np.diag([1.0, -1.0, -1.0])  # MediaPipe camera axes (y up, z toward the viewer) → image axes


def _rotation(matrix: np.ndarray) -> np.ndarray:
    r = np.asarray(matrix, np.float64)[:3, :3]
    r = r / np.cbrt(np.linalg.det(r))
    return _FLIP @ r @ _FLIP


def head_angles(matrices: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) yaw, pitch, roll in degrees of each frame's head relative to ``reference`` (a 4×4
    matrix; default: the first frame with a face). NaN rows where no face was found."""
    mats = np.asarray(matrices, np.float64)
    ok = np.isfinite(mats).all((1, 2))
    out = np.full((len(mats), 3), np.nan)
    if not ok.any():
        return out
    ref = _rotation(reference if reference is not None else mats[np.flatnonzero(ok)[0]])
    for i in np.flatnonzero(ok):
        out[i] = euler_from_rotation(_rotation(mats[i]) @ ref.T)
    return out


def _eye_axes(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    right = lm[:, [RIGHT_EYE[0], RIGHT_EYE[1]], :2].mean(1)
    left = lm[:, [LEFT_EYE[0], LEFT_EYE[1]], :2].mean(1)
    u = left - right
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v = np.stack([-u[:, 1], u[:, 0]], 1)
    return u, v, np.linalg.norm(left - right, axis=1)


def eye_aperture(landmarks: np.ndarray) -> np.ndarray:
    """(n, 2) lid gap ÷ eye width for the right and left eye."""
    lm = np.asarray(landmarks, np.float64)
    out = []
    for outer, inner, up, low, _ in (RIGHT_EYE, LEFT_EYE):
        width = np.linalg.norm(lm[:, outer, :2] - lm[:, inner, :2], axis=1)
        out.append(np.linalg.norm(lm[:, low, :2] - lm[:, up, :2], axis=1) / width)
    return np.stack(out, 1)


def iris_offset(landmarks: np.ndarray) -> np.ndarray:
    """(n, 2) iris centre minus eye centre, in eye widths, along the face's (u across, v down)
    axes, averaged over both eyes (+u = image +x on a frontal face, +v = down)."""
    lm = np.asarray(landmarks, np.float64)
    u, v, _ = _eye_axes(lm)
    offs = []
    for outer, inner, _, _, iris in (RIGHT_EYE, LEFT_EYE):
        width = np.linalg.norm(lm[:, outer, :2] - lm[:, inner, :2], axis=1)
        d = lm[:, iris, :2] - (lm[:, outer, :2] + lm[:, inner, :2]) / 2
        offs.append(np.stack([(d * u).sum(1), (d * v).sum(1)], 1) / width[:, None])
    return (offs[0] + offs[1]) / 2


def blink_events(aperture: np.ndarray, fps: float) -> list[tuple[int, float, float]]:
    """(frame of deepest closure, depth 0–1, duration s) of each blink in a (n,) or (n, 2) aperture."""
    a = np.asarray(aperture, np.float64)
    a = a.mean(1) if a.ndim == 2 else a
    ok = np.isfinite(a)
    if ok.sum() < 3:
        return []
    rel = np.where(ok, a / np.median(a[ok]), 1.0)
    events = []
    for lo, hi in runs(rel < BLINK_DURATION_LEVEL):
        seg = rel[lo:hi]
        if seg.min() >= BLINK_CLOSED:
            continue
        events.append((lo + int(np.argmin(seg)), float(1 - seg.min()), (hi - lo) / fps))
    return events


def gaze_shifts(offset: np.ndarray, threshold: float = GAZE_SHIFT) -> int:
    jumps = np.linalg.norm(np.diff(offset, axis=0), axis=1)
    return len(runs(np.nan_to_num(jumps) >= threshold))


def delta_p(angles: np.ndarray, smooth: float = 0.0) -> float:
    """Mean Euclidean (yaw, pitch, roll) change between adjacent frames, degrees; with ``smooth``
    > 0 after a Gaussian of that many frames (takes out the estimator's frame-to-frame jitter)."""
    a = np.asarray(angles, np.float64)
    ok = np.isfinite(a).all(1)
    if ok.sum() < 2:
        return float("nan")
    idx = np.arange(len(a))
    a = np.column_stack([np.interp(idx, idx[ok], a[ok, k]) for k in range(a.shape[1])])
    if smooth > 0:
        a = gaussian_filter1d(a, smooth, axis=0, mode="nearest")
    return float(np.linalg.norm(np.diff(a, axis=0), axis=1).mean())


def motion_statistics(measures: FrameMeasures, fps: float, reference: np.ndarray | None = None) -> dict:
    """Head, blink and gaze statistics of one clip (JSON-serialisable); head angles relative to
    ``reference`` landmarks (478, 3) (default: the first frame with a face)."""
    found = measures.found
    n = len(found)
    duration = n / fps
    stats: dict = {"frames": n, "fps": fps, "face_found_share": float(found.mean()) if n else 0.0}
    if found.any():
        ang = head_angles_from_landmarks(measures.landmarks, reference)
        d = np.diff(ang, axis=0)
        ok = np.isfinite(d).all(1)
        stats["delta_p"] = float(np.linalg.norm(d[ok], axis=1).mean()) if ok.any() else float("nan")
        stats["delta_p_smoothed"] = delta_p(ang, smooth=SMOOTH_FRAMES)
        stats["delta_p_per_axis"] = [float(x) for x in np.abs(d[ok]).mean(0)] if ok.any() else []
        stats["pose_std_deg"] = [float(x) for x in np.nanstd(ang, 0)]
        stats["pose_range_deg"] = [float(x) for x in np.nanmax(ang, 0) - np.nanmin(ang, 0)]
    lm = measures.landmarks
    blinks = blink_events(eye_aperture(lm), fps)
    stats["blinks"] = len(blinks)
    stats["blinks_per_min"] = len(blinks) / duration * 60 if duration else 0.0
    stats["blink_duration_s"] = float(np.median([b[2] for b in blinks])) if blinks else float("nan")
    stats["partial_blink_share"] = float(np.mean([b[1] < 0.8 for b in blinks])) if blinks else float("nan")
    off = iris_offset(lm)
    # blinks move the iris landmarks too: leave closing eyes out of gaze
    aperture = eye_aperture(lm).mean(1)
    med = np.nanmedian(aperture) if np.isfinite(aperture).any() else np.nan
    off[~(aperture > 0.75 * med)] = np.nan
    stats["gaze_shifts_per_min"] = gaze_shifts(off) / duration * 60 if duration else 0.0
    step = np.linalg.norm(np.diff(off, axis=0), axis=1)
    stats["gaze_change_per_frame"] = float(np.nanmean(step)) if np.isfinite(step).any() else float("nan")
    stats["gaze_std"] = [float(x) for x in np.nanstd(off, 0)]
    return stats
