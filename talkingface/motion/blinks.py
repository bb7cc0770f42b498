"""Natural blinks: rate, timing and shape from the literature (procedural.md §4.2).

A hazard process on the frame grid: ``per_minute`` while speaking (Bentivoglio 1997: 26 in
conversation, 17 at rest), :data:`PAUSE_HAZARD` × that in pauses longer than 200 ms and just
after the end of an utterance (the blinks listeners entrain to, Nakano & Kitazawa 2010),
:data:`ACCENT_HAZARD` × that on stressed syllables. Each blink closes in 70–100 ms, holds
30–50 ms and reopens in 150–240 ms (closing is faster than opening); :data:`PARTIAL_SHARE` of
them close only 50–80 %; the left eye lags the right by 5–12 ms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.track import CHANNEL_INDEX
from .prosody import BEHAVIOUR_LOOKAHEAD_S

CLOSE_RANGE_S = (0.07, 0.10)  # each blink draws its own close, hold and open times
HOLD_RANGE_S = (0.03, 0.05)
OPEN_RANGE_S = (0.15, 0.24)
#: typical values (the middle of each range)
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
_RIGHT, _LEFT = CHANNEL_INDEX["eyeBlinkRight"], CHANNEL_INDEX["eyeBlinkLeft"]

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame


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


class BlinkPass:
    """eyeBlinkLeft / eyeBlinkRight: a hazard process drawing one uniform per frame.

    The hazard is the control's rate while speaking, × PAUSE_HAZARD in a pause known (with the
    look-ahead) to last PAUSE_MIN_S and in the window after speech ends, × ACCENT_HAZARD near an
    accent. ``REFRACTORY_S`` keeps blinks apart; the rate is corrected for it so the realised rate
    in speech is the control's.
    """

    name = "blinks"
    lookahead = BEHAVIOUR_LOOKAHEAD_S

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.fps, self.rng = fps, rng
        self.silent_run = 0  # silent frames up to the current one
        self.since_speech = 10**9  # frames since the last speech frame
        self.accents: list[int] = []
        self.last = -np.inf
        self.active: list[tuple[float, float, float, float, float, float]] = []
        lo, hi = (int(round(s * fps)) for s in UTTERANCE_END_WINDOW_S)
        self.end_window = (lo, hi)
        self.accent_w = int(round(ACCENT_WINDOW_S * fps))
        self.pause_frames = int(round(PAUSE_MIN_S * fps))

    def _hazard(self, frame: FeatureFrame) -> float:
        mult = 1.0
        if not frame.speech:
            ahead = 0
            for f in frame.ahead:
                if f.speech:
                    break
                ahead += 1
            if self.silent_run + ahead >= self.pause_frames:
                mult = PAUSE_HAZARD
            lo, hi = self.end_window
            if lo <= self.since_speech < hi:
                mult = max(mult, PAUSE_HAZARD)
        for a in self.accents:
            if abs(a - frame.index) <= self.accent_w:
                mult *= ACCENT_HAZARD
        return mult

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        self.accents = [a for a in self.accents if a >= frame.index - self.accent_w]
        self.accents += [a.frame for a in frame.newest.accents]
        self.silent_run = 0 if frame.speech else self.silent_run + 1
        self.since_speech = 0 if frame.speech else self.since_speech + 1
        per_minute = frame.controls.blink_rate
        t = frame.index / self.fps
        draw = self.rng.random()
        if per_minute > 0:
            rate = per_minute / 60.0
            refractory = min(REFRACTORY_S, 0.5 / rate)
            rate = rate / max(1.0 - rate * refractory, 0.2)  # so the realised rate is ``per_minute``
            if t - self.last >= refractory and draw < rate * self._hazard(frame) / self.fps:
                depth = self.rng.uniform(*PARTIAL_DEPTH) if self.rng.random() < PARTIAL_SHARE else 1.0
                close, hold, open_ = (
                    self.rng.uniform(*r) for r in (CLOSE_RANGE_S, HOLD_RANGE_S, OPEN_RANGE_S)
                )
                start = t + self.rng.uniform(0, 1 / self.fps)
                self.active.append((start, depth, close, hold, open_, self.rng.uniform(*LAG_S)))
                self.last = t
        centre = np.array([(frame.index + 0.5) / self.fps])
        right = left = 0.0
        for start, depth, close, hold, open_, lag in self.active:
            right = max(right, float(blink_curve(centre, start, depth, close, hold, open_)[0]))
            left = max(left, float(blink_curve(centre, start + lag, depth, close, hold, open_)[0]))
        self.active = [b for b in self.active if b[0] + b[5] + b[2] + b[3] + b[4] > centre[0]]
        weights[_RIGHT], weights[_LEFT] = right, left
