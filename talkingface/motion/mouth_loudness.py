"""The first mouth model: jaw follows loudness, closed and still in silence.

A baseline the phone-driven lip sync is measured against. JALI's jaw rule (Table 1) maps a
syllable's intensity relative to the clip to jaw opening: about mean − SD → 0.1–0.2, mean →
0.3–0.6, mean + SD → 0.7–0.9; we apply the same idea per frame on the dB scale.
"""

from __future__ import annotations

import numpy as np

from ..audio.features import AudioFeatures
from .smoothing import attack_release

JAW_MAX = 0.75


def loudness_mouth(features: AudioFeatures) -> dict[str, np.ndarray]:
    """Per-frame offsets for jawOpen and the lip channels that go with it."""
    db, speech = features.rms_db, features.speech
    if not speech.any():
        zero = np.zeros(len(db), np.float32)
        return {"jawOpen": zero, "mouthClose": zero.copy()}
    voiced = db[speech]
    mean, sd = float(voiced.mean()), float(voiced.std() + 1e-3)
    # z-score of loudness → jaw, 0 at mean − 2 SD, JAW_MAX at mean + 1.2 SD
    level = np.clip((db - (mean - 2.0 * sd)) / (3.2 * sd), 0.0, 1.0) ** 1.3
    gate = attack_release(speech.astype(np.float32), features.fps, attack=0.02, release=0.08)
    jaw = attack_release(level * JAW_MAX * gate, features.fps, attack=0.03, release=0.07)
    jaw[~_near_speech(speech, features.fps)] = 0.0
    return {"jawOpen": jaw, "mouthClose": np.zeros_like(jaw)}


def _near_speech(speech: np.ndarray, fps: float, margin: float = 0.2) -> np.ndarray:
    """Speech frames plus a short release margin; everything else is silence and stays still."""
    k = int(round(margin * fps))
    out = speech.copy()
    for shift in range(1, k + 1):
        out[shift:] |= speech[:-shift]
    return out
