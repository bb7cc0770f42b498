"""Audio features → MotionTrack: the passes in order, nothing else.

Each pass draws from its own random stream (spawned from ``seed``), so changing one control
(say the blink rate) does not reshuffle the others (head, gaze).
"""

from __future__ import annotations

import numpy as np

from ..audio.features import AudioFeatures
from .blinks import blinks
from .brows import brow_raises, limit_brows, squint_with_smile
from .emotion import apply_emotion, motion_gain
from .gaze import gaze_angles, gaze_channels
from .head import head_follows_gaze, prosodic_head, soft_clamp
from .mouth_loudness import loudness_mouth
from .prosody import analyse_prosody
from .track import MotionTrack


def motion_from_audio(
    features: AudioFeatures,
    seed: int = 0,
    motion_scale: float = 1.0,
    blink_rate: float = 22.0,
    emotion: str = "neutral",
    emotion_strength: float = 1.0,
    gaze: tuple[float, float] = (0.0, 0.0),
    head_distance: float = 1.0,
) -> MotionTrack:
    """Seeded and deterministic: the same audio and controls give the same track."""
    r_blink, r_gaze, r_head, r_brow = np.random.default_rng(seed).spawn(4)
    n, fps, speech = len(features), features.fps, features.speech
    prosody = analyse_prosody(features)
    track = MotionTrack.neutral(n, fps)
    curves = dict(loudness_mouth(features))
    curves |= blinks(
        speech,
        fps,
        r_blink,
        blink_rate,
        [b for _, b in prosody.utterances],
        [a.frame for a in prosody.accents],
    )
    eyes = gaze_angles(speech, fps, r_gaze, prosody.utterances, gaze)
    curves |= gaze_channels(eyes)
    curves |= brow_raises(prosody, n, fps, r_brow)
    for name, curve in curves.items():
        track.channel(name)[:] = curve
    head = prosodic_head(prosody, speech, fps, r_head, motion_scale * motion_gain(emotion, emotion_strength))
    head[:, :2] += motion_scale * head_follows_gaze(eyes, fps)
    track.pose[:, :3] = soft_clamp(head)
    apply_emotion(track, emotion, emotion_strength, motion_scale)
    squint_with_smile(track)
    limit_brows(track)
    track.pose[:, 5] = 1.0 / head_distance
    track.meta.update(source="audio", seed=str(seed), emotion=emotion)
    return track
