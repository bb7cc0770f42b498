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
from typing import TYPE_CHECKING

import numpy as np

from ..core.track import channel_vector
from .brows import limit_brows, squint_with_smile

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame

#: a changed emotion, strength, motion scale or head distance is reached over this long (s)
GLIDE_S = 0.3


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


def emotion_vector(emotion: str, strength: float = 1.0) -> np.ndarray:
    """The emotion's (51,) blendshape offsets at ``strength``."""
    return strength * channel_vector(**EMOTIONS[emotion].channels)


def with_emotion(weights: np.ndarray, offsets: np.ndarray) -> None:
    """Add emotion offsets to one frame's 51 offsets in place, then the smile squint and brow cap."""
    touched = offsets != 0
    weights[touched] = np.clip(weights[touched] + offsets[touched], -1, 1)
    squint_with_smile(weights)
    limit_brows(weights)


class EmotionPass:
    """The global offsets: emotion channels, head-pitch offset (× motion scale, so a still head
    stays still), smile squint, brow cap and head distance; changed controls glide over GLIDE_S."""

    name = "emotion"
    lookahead = 0.0

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.a = 1.0 - float(np.exp(-1.0 / (GLIDE_S * fps)))
        self.offsets = emotion_vector(controls.emotion, controls.emotion_strength)
        self.pitch = controls.emotion_strength * EMOTIONS[controls.emotion].head_pitch_deg
        self.scale = controls.motion_scale
        self.scale_inv = 1.0 / controls.head_distance

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        c = frame.controls
        self.offsets += self.a * (emotion_vector(c.emotion, c.emotion_strength) - self.offsets)
        self.offsets[np.abs(self.offsets) < 1e-4] = 0.0
        self.pitch += self.a * (c.emotion_strength * EMOTIONS[c.emotion].head_pitch_deg - self.pitch)
        self.scale += self.a * (c.motion_scale - self.scale)
        self.scale_inv += self.a * (1.0 / c.head_distance - self.scale_inv)
        with_emotion(weights, self.offsets)
        pose[1] += self.pitch * self.scale
        pose[5] = self.scale_inv
