"""Causal audio features: what the offline :mod:`talkingface.audio.features` computes over a whole
clip, computed frame by frame from the audio heard so far.

Per video frame the same 50 ms loudness window centred on the frame's display interval is used,
so frame k needs audio up to ``(k + 0.5) / fps + 0.025`` s rounded up to a 10 ms hop (the whole
look-ahead of the loudness path: 10 ms past the end of the frame at 25 fps). Where the offline
path normalises over the clip, these estimators track the noise floor, the speech level and its
spread with running statistics, so memory is constant and a loud or quiet speaker is normalised
within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio.features import HOP_SECONDS, SILENCE_DB, WINDOW_SECONDS

_EPS = 1e-10


@dataclass
class FeatureFrame:
    """What the motion passes see for one video frame."""

    index: int
    time: float  # start of the frame's display interval on the audio timeline, s
    rms_db: float  # dBFS over the 50 ms window at the frame's centre
    speech: bool  # causal voice activity (with hangover)
    level: float  # loudness relative to this speaker's running speech level: 0 (quiet) … 1 (loud)
    floor_db: float  # running noise floor
    speech_db: float  # running mean speech level
    ahead: tuple[FeatureFrame, ...] = ()  # the next frames' features, for passes with look-ahead


class RunningLoudness:
    """Noise floor, speech level and VAD tracked causally, one frame at a time.

    * floor: follows quiet frames down fast and loud ones up slowly (minimum statistics);
    * peak: follows loud frames up fast and decays slowly;
    * threshold as offline: ``max(floor + 0.35 (peak − floor), peak − 35, −50)`` dB;
    * hangover: speech stays on for ``min_gap`` s after the level drops (offline fills gaps of
      that length; causally the only way is to hold);
    * speech mean and SD: exponentially weighted over voiced frames (``memory`` s), starting from
      a typical close-mic speech level so the first syllable already moves the jaw.
    """

    def __init__(self, fps: float, min_gap: float = 0.15, memory: float = 8.0) -> None:
        self.fps = fps
        self.floor = -60.0
        self.peak = -30.0
        self.mean = -28.0
        self.var = 6.0**2
        self.hang = 0
        self.min_gap = max(1, int(round(min_gap * fps)))
        self._a_mem = 1.0 - np.exp(-1.0 / (memory * fps))
        self._floor_up = 1.0 - np.exp(-1.0 / (3.0 * fps))  # floor rises over ~3 s
        self._floor_down = 1.0 - np.exp(-1.0 / (0.1 * fps))
        self._peak_down = 1.0 - np.exp(-1.0 / (6.0 * fps))  # peak decays over ~6 s
        self._peak_up = 1.0 - np.exp(-1.0 / (0.05 * fps))

    def update(self, db: float) -> tuple[bool, float]:
        """Feed one frame's dB; returns (speech, level 0…1)."""
        self.floor += (self._floor_down if db < self.floor else self._floor_up) * (db - self.floor)
        self.peak += (self._peak_up if db > self.peak else self._peak_down) * (db - self.peak)
        self.peak = max(self.peak, self.floor + 6.0)
        threshold = max(self.floor + 0.35 * (self.peak - self.floor), self.peak - 35.0, -50.0)
        active = db > threshold
        if active:
            self.hang = self.min_gap
            d = db - self.mean
            self.mean += self._a_mem * d
            self.var = (1 - self._a_mem) * (self.var + self._a_mem * d * d)
            self.var = min(max(self.var, 2.0**2), 15.0**2)
        elif self.hang > 0:
            self.hang -= 1
        speech = active or self.hang > 0
        sd = float(np.sqrt(self.var))
        # as the offline jaw rule: 0 at mean − 2 SD, 1 at mean + 1.2 SD
        level = float(np.clip((db - (self.mean - 2.0 * sd)) / (3.2 * sd), 0.0, 1.0)) if speech else 0.0
        return speech, level


class HopBuffer:
    """10 ms hop energies of the audio heard so far, in a ring of fixed size (constant memory)."""

    def __init__(self, sample_rate: int, keep_seconds: float = 2.0) -> None:
        self.sample_rate = sample_rate
        self.hop = int(round(sample_rate * HOP_SECONDS))
        self.size = int(np.ceil(keep_seconds / HOP_SECONDS))
        self.energies = np.zeros(self.size, np.float64)
        self.hops = 0  # complete hops received
        self._carry = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._carry, samples]) if len(self._carry) else samples
        n = len(data) // self.hop
        if n:
            e = (data[: n * self.hop].reshape(n, self.hop).astype(np.float64) ** 2).mean(1)
            if n >= self.size:
                e, skipped = e[-self.size :], n - self.size
                self.hops += skipped
                n = self.size
            idx = (self.hops + np.arange(n)) % self.size
            self.energies[idx] = e
            self.hops += n
        self._carry = data[n * self.hop :].copy() if len(data) - n * self.hop else np.zeros(0, np.float32)

    @property
    def seconds(self) -> float:
        """Audio time covered by complete hops."""
        return self.hops * HOP_SECONDS

    def window_db(self, centre: float) -> float:
        """dBFS over the 50 ms window at ``centre`` s (hops must have arrived, see :meth:`ready`)."""
        half = WINDOW_SECONDS / 2
        lo = max(int(np.floor((centre - half) / HOP_SECONDS)), 0, self.hops - self.size)
        hi = max(int(np.ceil((centre + half) / HOP_SECONDS)), lo + 1)
        hi = min(hi, self.hops)
        if hi <= lo:
            return SILENCE_DB
        mean_sq = self.energies[np.arange(lo, hi) % self.size].mean()
        return max(10 * np.log10(mean_sq + _EPS), SILENCE_DB)

    def ready(self, centre: float) -> bool:
        return self.hops >= needed_hops(centre)


def needed_hops(centre: float) -> int:
    """Complete 10 ms hops needed before the window at ``centre`` s can be measured."""
    return int(np.ceil((centre + WINDOW_SECONDS / 2) / HOP_SECONDS - 1e-9))
