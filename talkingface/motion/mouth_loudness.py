"""The first mouth model: jaw follows loudness, closed and still in silence.

A baseline the phone-driven lip sync is measured against (``--lipsync loudness``). JALI's jaw rule
(Table 1) maps a syllable's intensity relative to the speaker's level to jaw opening: about
mean − SD → 0.1–0.2, mean → 0.3–0.6, mean + SD → 0.7–0.9; the engine's ``level`` is that rule
on the dB scale (:func:`..audio.vad.loudness_level`), per frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.track import CHANNEL_INDEX

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame

JAW_MAX = 0.75
LEVEL_POWER = 1.3
GATE_ATTACK_S, GATE_RELEASE_S = 0.02, 0.08
JAW_ATTACK_S, JAW_RELEASE_S = 0.03, 0.07
#: after this long in a pause the jaw is exactly shut (no drift)
SILENCE_MARGIN_S = 0.2
_JAW = CHANNEL_INDEX["jawOpen"]


class Follower:
    """One-pole attack/release follower, one sample at a time: mouths pop open and close more
    slowly (Rhubarb's tweening note)."""

    def __init__(self, fps: float, attack: float, release: float) -> None:
        self.up = 1.0 - np.exp(-1.0 / max(attack * fps, 1e-6))
        self.down = 1.0 - np.exp(-1.0 / max(release * fps, 1e-6))
        self.y = 0.0

    def __call__(self, x: float) -> float:
        self.y += (self.up if x > self.y else self.down) * (x - self.y)
        return self.y


class LoudnessMouth:
    """jawOpen from the frame's loudness level, gated by the VAD."""

    name = "mouth"
    lookahead = 0.0

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.gate = Follower(fps, GATE_ATTACK_S, GATE_RELEASE_S)
        self.jaw = Follower(fps, JAW_ATTACK_S, JAW_RELEASE_S)
        self.silent_frames = 0
        self.margin = int(round(SILENCE_MARGIN_S * fps))

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        gate = self.gate(1.0 if frame.speech else 0.0)
        jaw = self.jaw(frame.level**LEVEL_POWER * JAW_MAX * gate)
        self.silent_frames = 0 if frame.speech else self.silent_frames + 1
        if self.silent_frames > self.margin:
            jaw = self.jaw.y = 0.0
        weights[_JAW] = jaw
