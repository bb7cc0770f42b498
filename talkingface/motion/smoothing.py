"""Small signal helpers shared by the motion passes."""

from __future__ import annotations

import numpy as np


def attack_release(x: np.ndarray, fps: float, attack: float, release: float) -> np.ndarray:
    """One-pole follower that rises with time constant ``attack`` s and falls with ``release`` s.

    Mouths pop open and close more slowly (Rhubarb's tweening note); this is the continuous
    version of that.
    """
    a_up = 1.0 - np.exp(-1.0 / max(attack * fps, 1e-6))
    a_down = 1.0 - np.exp(-1.0 / max(release * fps, 1e-6))
    out = np.empty(len(x), np.float32)
    y = 0.0
    for i, v in enumerate(x):
        y += (a_up if v > y else a_down) * (v - y)
        out[i] = y
    return out


def smooth_noise(n: int, fps: float, rng: np.random.Generator, periods: tuple[float, ...]) -> np.ndarray:
    """Zero-mean, unit-ish amplitude drift: a sum of slow sines with random phase and rate jitter."""
    t = np.arange(n) / fps
    out = np.zeros(n, np.float64)
    for period in periods:
        freq = 1.0 / (period * rng.uniform(0.8, 1.25))
        out += np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
    return (out / np.sqrt(len(periods) / 2)).astype(np.float32)
