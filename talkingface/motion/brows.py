"""Brows and upper face: raises on pitch accents, cheek and eye squint with smiles.

Brow raises are a classic visual-prosody cue on pitch accents (Graf et al. 2002; Cavé et al.:
eyebrow movements co-occur with F0 rises). Not every accent gets one: only accents with an F0
rise of at least :data:`MIN_F0_RISE_ST` semitones above the speaker's median, each with
probability :data:`RAISE_P`. A smile (Duchenne) narrows the eyes from below: cheeks and lower
lids follow the mouth corners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.track import CHANNEL_INDEX
from .prosody import BEHAVIOUR_LOOKAHEAD_S

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame

MIN_F0_RISE_ST = 1.0
RAISE_P = 0.6
RAISE_AMPLITUDE = (0.3, 0.5)  # browInnerUp / browOuterUp at an accent of strength 1
#: raises are capped here: beyond it the warp drags the upper lids up and the eye opening shows
#: lid skin (seen on the astronaut and Grace Hopper portraits at 0.5)
BROW_RAISE_MAX = 0.4
RAISE_ONSET_S = 0.15  # the brows start rising this long before the accent peak …
RAISE_MIN_ONSET_S = 0.08  # … but at least this long once the accent is known (see prosody.py)
RAISE_DECAY_S = 0.45  # … and come down over this long after it
OUTER_SHARE = 0.7  # outer brows rise a little less than the inner ones
#: per unit of mouthSmile: how much the cheek and the lower lid rise
SQUINT_FROM_SMILE = {"cheekSquint": 0.6, "eyeSquint": 0.35}
_INNER, _OUTER_L, _OUTER_R = (
    CHANNEL_INDEX[n] for n in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight")
)


class BrowPass:
    """browInnerUp and browOuterUp{Left,Right}: a raise on some accents with an F0 rise."""

    name = "brows"
    lookahead = BEHAVIOUR_LOOKAHEAD_S

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.fps, self.rng = fps, rng
        self.raises: list[tuple[float, float, float]] = []  # (apex s, onset s, amplitude)

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        t = (frame.index + 0.5) / self.fps
        for a in frame.newest.accents:
            if a.f0_rise < MIN_F0_RISE_ST or self.rng.random() >= RAISE_P:
                continue
            apex = max((a.frame + 0.5) / self.fps, t + RAISE_MIN_ONSET_S)
            amp = self.rng.uniform(*RAISE_AMPLITUDE) * (0.5 + 0.5 * a.strength)
            self.raises.append((apex, min(RAISE_ONSET_S, apex - t + 0.5 / self.fps), amp))
        self.raises = [r for r in self.raises if t - r[0] <= RAISE_DECAY_S]
        value = 0.0
        for apex, onset, amp in self.raises:
            u = t - apex
            if -onset < u <= 0:
                value = max(value, amp * (0.5 + 0.5 * np.cos(np.pi * u / onset)))
            elif 0 < u <= RAISE_DECAY_S:
                value = max(value, amp * (0.5 + 0.5 * np.cos(np.pi * u / RAISE_DECAY_S)))
        weights[_INNER] = value
        weights[_OUTER_L] = weights[_OUTER_R] = OUTER_SHARE * value


def squint_with_smile(weights: np.ndarray) -> None:
    """Add cheek and eye squint where the frame smiles (in place, one frame's 51 offsets)."""
    for side in ("Left", "Right"):
        smile = float(np.clip(weights[CHANNEL_INDEX[f"mouthSmile{side}"]], 0, 1))
        for prefix, gain in SQUINT_FROM_SMILE.items():
            k = CHANNEL_INDEX[f"{prefix}{side}"]
            weights[k] = np.clip(weights[k] + gain * smile, -1, 1)


def limit_brows(weights: np.ndarray) -> None:
    """Cap the brow raises at :data:`BROW_RAISE_MAX` (in place)."""
    for k in (_INNER, _OUTER_L, _OUTER_R):
        weights[k] = min(weights[k], BROW_RAISE_MAX)
