"""Emotion as a global offset on top of the audio-driven behaviour (like VASA-1's emotion offset).

Each emotion is data: blendshape offsets at strength 1 (FACS-style prototypes on ARKit names:
happy = AU6+12, sad = AU1+4+15, angry = AU4+5+7+23, surprised = AU1+2+5; brow raises are
capped by :func:`.brows.limit_brows`, and surprise opens the eyes only a little: this warp shows
lid skin in a wider eye opening), a head-pitch
offset (sad heads drop, surprised ones lift) and a gain on head-motion amplitude (Busso et al.
2007: emotional speech differs in activation and range). Mouth-shape channels the lip sync owns
are left alone, so speech stays readable whatever the mood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .track import MotionTrack


@dataclass(frozen=True)
class Emotion:
    channels: dict[str, float] = field(default_factory=dict)
    head_pitch_deg: float = 0.0  # + = head down
    motion_gain: float = 1.0  # head-motion amplitude multiplier at strength 1


EMOTIONS: dict[str, Emotion] = {
    "neutral": Emotion(),
    "happy": Emotion(
        {"mouthSmileLeft": 0.55, "mouthSmileRight": 0.55, "mouthDimpleLeft": 0.2, "mouthDimpleRight": 0.2},
        head_pitch_deg=-1.0,
        motion_gain=1.2,
    ),
    "sad": Emotion(
        {
            "browInnerUp": 0.6,
            "browDownLeft": 0.2,
            "browDownRight": 0.2,
            "mouthFrownLeft": 0.5,
            "mouthFrownRight": 0.5,
            "eyeLookDownLeft": 0.12,
            "eyeLookDownRight": 0.12,
            "eyeSquintLeft": 0.15,
            "eyeSquintRight": 0.15,
        },
        head_pitch_deg=3.0,
        motion_gain=0.6,
    ),  # fmt: skip
    "angry": Emotion(
        {
            "browDownLeft": 0.8,
            "browDownRight": 0.8,
            "eyeSquintLeft": 0.35,
            "eyeSquintRight": 0.35,
            "eyeWideLeft": 0.1,
            "eyeWideRight": 0.1,
            "noseSneerLeft": 0.3,
            "noseSneerRight": 0.3,
            "mouthFrownLeft": 0.25,
            "mouthFrownRight": 0.25,
        },
        head_pitch_deg=1.5,
        motion_gain=1.3,
    ),  # fmt: skip
    "surprised": Emotion(
        {
            "browInnerUp": 0.4,
            "browOuterUpLeft": 0.4,
            "browOuterUpRight": 0.4,
            "eyeWideLeft": 0.15,
            "eyeWideRight": 0.15,
        },
        head_pitch_deg=-2.0,
        motion_gain=1.1,
    ),  # fmt: skip
}


def motion_gain(emotion: str, strength: float) -> float:
    return 1.0 + (EMOTIONS[emotion].motion_gain - 1.0) * strength


def apply_emotion(track: MotionTrack, emotion: str, strength: float = 1.0, scale: float = 1.0) -> None:
    """Add the emotion's offsets to ``track`` in place (head pitch offset scaled by ``scale``,
    the motion scale, so a still head stays still)."""
    e = EMOTIONS[emotion]
    for name, value in e.channels.items():
        ch = track.channel(name)
        ch[:] = np.clip(ch + strength * value, -1, 1)
    track.pose_column("pitch")[:] += strength * e.head_pitch_deg * scale
