"""Idle head motion: slow sway plus a little loudness-driven nodding (procedural.md §4.1).

Amplitudes stay small (±1–2° sway, ≈1° nods) so the single-photo warp never shows holes;
issue-level prosody-driven motion replaces this.
"""

from __future__ import annotations

import numpy as np

from ..audio.features import AudioFeatures
from .smoothing import attack_release, smooth_noise


def idle_head(features: AudioFeatures, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """(n, 3) yaw, pitch, roll in degrees."""
    n, fps = len(features), features.fps
    yaw = 1.6 * smooth_noise(n, fps, rng, (7.0, 4.3, 11.0))
    pitch = 0.9 * smooth_noise(n, fps, rng, (5.1, 3.2))
    roll = 0.8 * smooth_noise(n, fps, rng, (8.3, 5.7))
    if features.speech.any():
        db = features.rms_db
        level = np.clip((db - np.percentile(db[features.speech], 30)) / 15.0, 0, 1) * features.speech
        nod = attack_release(level.astype(np.float32), fps, attack=0.12, release=0.35)
        pitch = pitch + 1.2 * (nod - nod.mean())
    return (np.stack([yaw, pitch, roll], 1) * scale).astype(np.float32)
