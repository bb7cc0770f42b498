"""Natural blinks: rate, timing and shape from the literature (procedural.md §4.2).

A hazard process on the frame grid: ``per_minute`` while speaking (Bentivoglio 1997: 26 in
conversation, 17 at rest), :data:`PAUSE_HAZARD` × that in pauses longer than 200 ms and just
after the end of an utterance (the blinks listeners entrain to, Nakano & Kitazawa 2010),
:data:`ACCENT_HAZARD` × that on stressed syllables. Each blink closes in 70–100 ms, holds
30–50 ms and reopens in 150–240 ms (closing is faster than opening); :data:`PARTIAL_SHARE` of
them close only 50–80 %; the left eye lags the right by 5–12 ms.
"""

from __future__ import annotations

import numpy as np

CLOSE_RANGE_S = (0.07, 0.10)  # each blink draws its own close, hold and open times
HOLD_RANGE_S = (0.03, 0.05)
OPEN_RANGE_S = (0.15, 0.24)
#: typical values (the middle of each range), e.g. for the live stream's causal blinks
CLOSE_S, HOLD_S, OPEN_S = (sum(r) / 2 for r in (CLOSE_RANGE_S, HOLD_RANGE_S, OPEN_RANGE_S))
PARTIAL_SHARE = 0.4
PARTIAL_DEPTH = (0.5, 0.8)
LAG_S = (0.005, 0.012)  # shorter than the literature's 10–20 ms: sampled at 25 fps, more reads as a wink
PAUSE_MIN_S = 0.2  # pauses at least this long raise the hazard …
PAUSE_HAZARD = 3.0  # … by this factor
UTTERANCE_END_WINDOW_S = (0.1, 0.6)  # after an utterance ends, this window is as likely as a pause
ACCENT_HAZARD = 0.25  # stressed syllables suppress blinks
ACCENT_WINDOW_S = 0.12
REFRACTORY_S = 0.8  # no two blinks closer than this (capped for very high rates)


def blink_curve(
    t: np.ndarray,
    start: float,
    depth: float,
    close: float = CLOSE_S,
    hold: float = HOLD_S,
    open_: float = OPEN_S,
) -> np.ndarray:
    """Closure in [0, depth] at times ``t`` for one blink from ``start``: eased down, hold, eased up."""
    u = t - start
    out = np.zeros_like(t, dtype=np.float64)
    closing = (u >= 0) & (u < close)
    out[closing] = 0.5 - 0.5 * np.cos(np.pi * u[closing] / close)
    out[(u >= close) & (u < close + hold)] = 1.0
    opening = (u >= close + hold) & (u < close + hold + open_)
    v = (u[opening] - close - hold) / open_
    out[opening] = 0.5 + 0.5 * np.cos(np.pi * v)
    return out * depth


def hazard_multiplier(
    speech: np.ndarray,
    fps: float,
    utterance_ends: list[int] | tuple[int, ...] = (),
    accents: list[int] | tuple[int, ...] = (),
) -> np.ndarray:
    """Per frame: how much likelier a blink is than during plain speech."""
    from ..timeline import runs

    speech = np.asarray(speech, bool)
    mult = np.ones(len(speech))
    for a, b in runs(~speech):
        if (b - a) / fps >= PAUSE_MIN_S:
            mult[a:b] = PAUSE_HAZARD
    lo, hi = (int(round(s * fps)) for s in UTTERANCE_END_WINDOW_S)
    for end in utterance_ends:
        mult[end + lo : end + hi] = np.maximum(mult[end + lo : end + hi], PAUSE_HAZARD)
    w = int(round(ACCENT_WINDOW_S * fps))
    for f in accents:
        mult[max(0, f - w) : f + w + 1] *= ACCENT_HAZARD
    return mult


def blink_times(
    speech: np.ndarray,
    fps: float,
    rng: np.random.Generator,
    per_minute: float = 22.0,
    utterance_ends: list[int] | tuple[int, ...] = (),
    accents: list[int] | tuple[int, ...] = (),
) -> list[tuple[float, float, float, float, float]]:
    """(start s, depth, close s, hold s, open s) of each blink."""
    n = len(speech)
    if per_minute <= 0 or n == 0:
        return []
    rate = per_minute / 60.0
    refractory = min(REFRACTORY_S, 0.5 / rate)
    rate = rate / max(1.0 - rate * refractory, 0.2)  # so the realised rate in speech is ``per_minute``
    mult = hazard_multiplier(speech, fps, utterance_ends, accents)
    events = []
    last = -np.inf
    draws = rng.random(n)
    for i in range(n):
        t = i / fps
        if t - last < refractory or draws[i] >= rate * mult[i] / fps:
            continue
        depth = rng.uniform(*PARTIAL_DEPTH) if rng.random() < PARTIAL_SHARE else 1.0
        close, hold, open_ = (
            rng.uniform(*CLOSE_RANGE_S),
            rng.uniform(*HOLD_RANGE_S),
            rng.uniform(*OPEN_RANGE_S),
        )
        start = t + rng.uniform(0, 1 / fps)
        events.append((start, depth, close, hold, open_))
        last = t
    return events


def blinks(
    speech: np.ndarray,
    fps: float,
    rng: np.random.Generator,
    per_minute: float = 22.0,
    utterance_ends: list[int] | tuple[int, ...] = (),
    accents: list[int] | tuple[int, ...] = (),
) -> dict:
    """eyeBlinkLeft / eyeBlinkRight offsets per frame."""
    t = (np.arange(len(speech)) + 0.5) / fps
    right = np.zeros(len(speech), np.float64)
    left = np.zeros(len(speech), np.float64)
    for start, depth, close, hold, open_ in blink_times(
        speech, fps, rng, per_minute, utterance_ends, accents
    ):
        lag = rng.uniform(*LAG_S)
        a = max(0, int(start * fps) - 1)
        b = min(len(t), int((start + lag + close + hold + open_) * fps) + 2)
        seg = t[a:b]
        right[a:b] = np.maximum(right[a:b], blink_curve(seg, start, depth, close, hold, open_))
        left[a:b] = np.maximum(left[a:b], blink_curve(seg, start + lag, depth, close, hold, open_))
    return {"eyeBlinkRight": right.astype(np.float32), "eyeBlinkLeft": left.astype(np.float32)}
