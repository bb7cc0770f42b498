"""Natural blinks: rate, timing and shape from the literature (procedural.md §4.2).

≈ 20–26 blinks/min while speaking (Bentivoglio 1997: 26 in conversation, 17 at rest), more
likely in pauses; close ≈ 90 ms, hold ≈ 40 ms, reopen ≈ 190 ms (closing is faster than
opening); a third of them partial; the left eye lags the right by ~10 ms.
"""

from __future__ import annotations

import numpy as np

CLOSE_S, HOLD_S, OPEN_S = 0.09, 0.04, 0.19
PARTIAL_SHARE = 0.35


def blink_curve(t: np.ndarray, start: float, depth: float) -> np.ndarray:
    """Closure in [0, depth] at times ``t`` for one blink from ``start``: eased down, hold, eased up."""
    u = t - start
    out = np.zeros_like(t)
    closing = (u >= 0) & (u < CLOSE_S)
    out[closing] = 0.5 - 0.5 * np.cos(np.pi * u[closing] / CLOSE_S)
    out[(u >= CLOSE_S) & (u < CLOSE_S + HOLD_S)] = 1.0
    opening = (u >= CLOSE_S + HOLD_S) & (u < CLOSE_S + HOLD_S + OPEN_S)
    v = (u[opening] - CLOSE_S - HOLD_S) / OPEN_S
    out[opening] = 0.5 + 0.5 * np.cos(np.pi * v)
    return out * depth


def blink_times(
    speech: np.ndarray, fps: float, rng: np.random.Generator, per_minute: float = 22.0
) -> list[tuple[float, float]]:
    """(start time, depth) of each blink: a renewal process whose hazard triples in pauses."""
    duration = len(speech) / fps
    if per_minute <= 0 or duration <= 0:
        return []
    mean_gap = 60.0 / per_minute
    events: list[tuple[float, float]] = []
    t = rng.uniform(0.3, min(mean_gap, max(duration, 0.31)))
    while t < duration:
        frame = min(int(t * fps), len(speech) - 1)
        in_pause = not speech[frame]
        if in_pause or rng.random() < 0.7:  # some blinks during speech are suppressed
            depth = rng.uniform(0.5, 0.8) if rng.random() < PARTIAL_SHARE else 1.0
            events.append((t, depth))
        gap = rng.gamma(4.0, mean_gap / 4.0) * (0.6 if in_pause else 1.0)
        t += max(gap, CLOSE_S + HOLD_S + OPEN_S + 0.4)
    return events


def blinks(speech: np.ndarray, fps: float, rng: np.random.Generator, per_minute: float = 22.0) -> dict:
    """eyeBlinkLeft / eyeBlinkRight offsets per frame."""
    t = (np.arange(len(speech)) + 0.5) / fps
    right = np.zeros(len(speech), np.float64)
    left = np.zeros(len(speech), np.float64)
    for start, depth in blink_times(speech, fps, rng, per_minute):
        right = np.maximum(right, blink_curve(t, start, depth))
        left = np.maximum(left, blink_curve(t, start + 0.01, depth))
    return {"eyeBlinkRight": right.astype(np.float32), "eyeBlinkLeft": left.astype(np.float32)}
