"""Audio features → MotionTrack: the passes in order, nothing else."""

from __future__ import annotations

import numpy as np

from ..audio.features import AudioFeatures
from .blinks import blinks
from .head import idle_head
from .mouth_loudness import loudness_mouth
from .track import MotionTrack


def motion_from_audio(
    features: AudioFeatures, seed: int = 0, motion_scale: float = 1.0, blink_rate: float = 22.0
) -> MotionTrack:
    """Seeded and deterministic: the same audio and seed give the same track."""
    rng = np.random.default_rng(seed)
    track = MotionTrack.neutral(len(features), features.fps)
    for name, curve in loudness_mouth(features).items():
        track.channel(name)[:] = curve
    for name, curve in blinks(features.speech, features.fps, rng, blink_rate).items():
        track.channel(name)[:] = curve
    track.pose[:, :3] = idle_head(features, rng, motion_scale)
    return track
