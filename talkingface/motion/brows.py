"""Brows and upper face: raises on pitch accents, cheek and eye squint with smiles.

Brow raises are a classic visual-prosody cue on pitch accents (Graf et al. 2002; Cavé et al.:
eyebrow movements co-occur with F0 rises). Not every accent gets one: only accents with an F0
rise of at least :data:`MIN_F0_RISE_ST` semitones above the speaker's median, each with
probability :data:`RAISE_P`. A smile (Duchenne) narrows the eyes from below: cheeks and lower
lids follow the mouth corners.
"""

from __future__ import annotations

import numpy as np

from .prosody import Prosody
from .track import MotionTrack

MIN_F0_RISE_ST = 1.0
RAISE_P = 0.6
RAISE_AMPLITUDE = (0.3, 0.5)  # browInnerUp / browOuterUp at an accent of strength 1
#: raises are capped here: beyond it the warp drags the upper lids up and the eye opening shows
#: lid skin (seen on the astronaut and Grace Hopper portraits at 0.5)
BROW_RAISE_MAX = 0.4
RAISE_ONSET_S = 0.15  # the brows start rising this long before the accent peak …
RAISE_DECAY_S = 0.45  # … and come down over this long after it
OUTER_SHARE = 0.7  # outer brows rise a little less than the inner ones
#: per unit of mouthSmile: how much the cheek and the lower lid rise
SQUINT_FROM_SMILE = {"cheekSquint": 0.6, "eyeSquint": 0.35}


def brow_raises(prosody: Prosody, n: int, fps: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """browInnerUp and browOuterUp{Left,Right} per frame."""
    t = (np.arange(n) + 0.5) / fps
    raise_ = np.zeros(n)
    for accent in prosody.accents:
        if accent.f0_rise < MIN_F0_RISE_ST or rng.random() >= RAISE_P:
            continue
        apex = (accent.frame + 0.5) / fps
        amp = rng.uniform(*RAISE_AMPLITUDE) * (0.5 + 0.5 * accent.strength)
        u = t - apex
        bump = np.zeros(n)
        up = (u > -RAISE_ONSET_S) & (u <= 0)
        bump[up] = 0.5 + 0.5 * np.cos(np.pi * u[up] / RAISE_ONSET_S)
        down = (u > 0) & (u <= RAISE_DECAY_S)
        bump[down] = 0.5 + 0.5 * np.cos(np.pi * u[down] / RAISE_DECAY_S)
        raise_ = np.maximum(raise_, amp * bump)
    outer = (OUTER_SHARE * raise_).astype(np.float32)
    return {"browInnerUp": raise_.astype(np.float32), "browOuterUpLeft": outer, "browOuterUpRight": outer}


def squint_with_smile(track: MotionTrack) -> None:
    """Add cheek and eye squint where the track smiles (in place)."""
    for side in ("Left", "Right"):
        smile = np.clip(track.channel(f"mouthSmile{side}"), 0, 1)
        for prefix, gain in SQUINT_FROM_SMILE.items():
            ch = track.channel(f"{prefix}{side}")
            ch[:] = np.clip(ch + gain * smile, -1, 1)


def limit_brows(track: MotionTrack) -> None:
    """Cap the brow raises at :data:`BROW_RAISE_MAX` (in place)."""
    for name in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"):
        ch = track.channel(name)
        ch[:] = np.minimum(ch, BROW_RAISE_MAX)
