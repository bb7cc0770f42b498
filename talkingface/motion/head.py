"""Head motion from prosody (procedural.md §4.1): nods on accents, sway, phrase tilts, settling, idle.

* **Nods**: each pitch accent (loudness + F0 peak) gets a down-and-back pitch movement whose
  apex lags the prosodic peak by :data:`NOD_LAG_S` (Fotedar & Ghosh: head lags prosody by
  ≈ 30 ms), sized by the accent's strength; some carry a little yaw.
* **Posture**: each phrase takes a new slowly reached head posture (yaw, roll, pitch offsets):
  the tilts on phrase boundaries of Graf et al.'s "visual prosody"; in pauses it settles back
  toward rest.
* **Sway**: slow drift (periods of seconds), full while speaking, :data:`IDLE_SHARE` of it in
  silence (a person who is listening still moves a little).
* A soft clamp at :data:`CLAMP_DEG` keeps the single-photo warp from ever showing holes.

Everything is seeded through ``rng`` and scaled by ``scale`` (0 = a still head).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .prosody import Prosody
from .smoothing import attack_release, smooth_noise

#: nod apex (pitch, degrees, nose down) for an accent of strength 1, drawn in this range
NOD_DEG = (2.5, 5.0)
NOD_LAG_S = 0.03  # apex after the prosodic peak
NOD_RISE_S = 0.16  # from rest to apex …
NOD_FALL_S = 0.32  # … and back (slower)
NOD_REBOUND = 0.2  # a small overshoot upward after the nod, as a share of its apex
NOD_YAW_SHARE = 0.35  # how many nods also turn the head a little …
NOD_YAW_DEG = 1.2  # … by up to this
#: per-phrase posture: standard deviation of the new target (yaw, pitch, roll), degrees
POSTURE_SD_DEG = (2.5, 1.2, 2.0)
POSTURE_TIME_S = 0.35  # time constant of reaching a new posture
SETTLE_SHARE = 0.35  # in pauses the posture relaxes to this share of the phrase's
#: slow sway amplitude (yaw, pitch, roll), degrees, and the periods mixed for each axis
SWAY_DEG = (1.5, 0.8, 0.8)
SWAY_PERIODS_S = ((7.0, 4.3, 11.0), (5.1, 3.2), (8.3, 5.7))
IDLE_SHARE = 0.5  # sway in silence relative to speech
CLAMP_DEG = np.array([8.0, 8.0, 6.0])  # soft limits (yaw, pitch, roll)


def nod_curve(n: int, fps: float, apex_s: float, amplitude: float) -> np.ndarray:
    """One nod: raised-cosine rise to ``amplitude`` at ``apex_s``, slower fall, small rebound."""
    t = (np.arange(n) + 0.5) / fps - apex_s
    out = np.zeros(n)
    rise = (t > -NOD_RISE_S) & (t <= 0)
    out[rise] = 0.5 + 0.5 * np.cos(np.pi * t[rise] / NOD_RISE_S)
    fall = (t > 0) & (t <= NOD_FALL_S)
    out[fall] = 0.5 + 0.5 * np.cos(np.pi * t[fall] / NOD_FALL_S)
    reb = (t > NOD_FALL_S) & (t <= 2 * NOD_FALL_S)
    out[reb] = -NOD_REBOUND * np.sin(np.pi * (t[reb] - NOD_FALL_S) / NOD_FALL_S)
    return out * amplitude


def nods(prosody: Prosody, n: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) yaw, pitch, roll from nods on accents."""
    out = np.zeros((n, 3))
    for accent in prosody.accents:
        apex = (accent.frame + 0.5) / fps + NOD_LAG_S
        amp = rng.uniform(*NOD_DEG) * accent.strength
        curve = nod_curve(n, fps, apex, 1.0)
        out[:, 1] += amp * curve
        if rng.random() < NOD_YAW_SHARE:
            out[:, 0] += rng.uniform(-NOD_YAW_DEG, NOD_YAW_DEG) * curve
    return out


def _follow(target: np.ndarray, fps: float, tau: float) -> np.ndarray:
    """Critically damped approach to a piecewise-constant target (two one-pole passes)."""
    a = 1.0 - np.exp(-1.0 / max(tau * fps / 2, 1e-6))
    y = np.asarray(target, np.float64)
    if len(y) == 0:
        return y.copy()
    for _ in range(2):
        y = lfilter([a], [1.0, a - 1.0], y, zi=[(1.0 - a) * y[0]])[0]
    return y


def posture(prosody: Prosody, n: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) slow posture shifts: a new target per phrase, settling toward rest in pauses."""
    target = np.zeros((n, 3))
    phrases = prosody.phrases
    for k, (a, b) in enumerate(phrases):
        pose = rng.normal(0.0, POSTURE_SD_DEG)
        stop = phrases[k + 1][0] if k + 1 < len(phrases) else n
        target[a:b] = pose
        target[b:stop] = SETTLE_SHARE * pose
    return np.stack([_follow(target[:, k], fps, POSTURE_TIME_S) for k in range(3)], 1)


def sway(speech: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) slow drift, full while speaking and IDLE_SHARE of it in silence."""
    n = len(speech)
    drift = np.stack(
        [amp * smooth_noise(n, fps, rng, per) for amp, per in zip(SWAY_DEG, SWAY_PERIODS_S, strict=True)], 1
    )
    active = attack_release(np.asarray(speech, np.float32), fps, attack=0.4, release=1.2)
    return drift * (IDLE_SHARE + (1 - IDLE_SHARE) * active)[:, None]


def soft_clamp(angles: np.ndarray, limits: np.ndarray = CLAMP_DEG) -> np.ndarray:
    """Linear near zero, never beyond ``limits`` (tanh knee)."""
    return limits * np.tanh(angles / limits)


def prosodic_head(
    prosody: Prosody, speech: np.ndarray, fps: float, rng: np.random.Generator, scale: float = 1.0
) -> np.ndarray:
    """(n, 3) yaw, pitch, roll in degrees."""
    n = len(speech)
    total = sway(speech, fps, rng) + posture(prosody, n, fps, rng) + nods(prosody, n, fps, rng)
    return soft_clamp(total * scale).astype(np.float32)


def head_follows_gaze(gaze_deg: np.ndarray, fps: float, share: float = 0.2, lag_s: float = 0.1) -> np.ndarray:
    """(n, 2) yaw, pitch: the head turns a little toward where the eyes go, ≈ 100 ms later
    (procedural.md §4.3: the eyes lead, the head follows 70–150 ms later)."""
    lag = int(round(lag_s * fps))
    delayed = np.concatenate([np.repeat(gaze_deg[:1], lag, 0), gaze_deg[: len(gaze_deg) - lag]])
    smooth = np.stack([_follow(delayed[:, k], fps, 0.25) for k in range(2)], 1)
    return (share * smooth).astype(np.float32)
