"""Frame-aligned loudness and voice activity, computed in one streaming pass.

Energy is taken on 10 ms hops (constant memory per hop, an hour is 360k floats), then read out
per video frame over a 50 ms window centred on the middle of the frame's display interval,
so frame i shows the sound heard while it is on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .pitch import PitchTracker, frame_pitch
from .vad import speech_frames

HOP_SECONDS = 0.010
WINDOW_SECONDS = 0.050
SILENCE_DB = -60.0  # dBFS treated as digital silence
_EPS = 1e-10


@dataclass(frozen=True)
class AudioFeatures:
    """Per video frame: ``rms_db`` (dBFS, float32), ``speech`` (bool VAD), at ``fps``; ``f0`` pitch
    in Hz (NaN where unvoiced; all NaN when pitch was not computed)."""

    fps: float
    rms_db: np.ndarray
    speech: np.ndarray
    duration: float  # seconds of audio
    f0: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.f0 is None:
            object.__setattr__(self, "f0", np.full(len(self.rms_db), np.nan, np.float32))

    def __len__(self) -> int:
        return len(self.rms_db)


def hop_energies(blocks: Iterable[np.ndarray], sample_rate: int) -> tuple[np.ndarray, int]:
    """Mean square per 10 ms hop from streamed mono blocks; also the total sample count."""
    hop = int(round(sample_rate * HOP_SECONDS))
    energies: list[float] = []
    carry = np.zeros(0, np.float32)
    total = 0
    for block in blocks:
        total += len(block)
        data = np.concatenate([carry, block]) if len(carry) else block
        n = len(data) // hop
        if n:
            frames = data[: n * hop].reshape(n, hop).astype(np.float64)
            energies.extend((frames**2).mean(1))
        carry = data[n * hop :]
    if len(carry):
        energies.append(float((carry.astype(np.float64) ** 2).mean()))
    return np.asarray(energies, np.float64), total


def frame_loudness(energies: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """RMS in dBFS per video frame from hop energies (50 ms window at the frame's centre)."""
    if len(energies) == 0:
        return np.full(n_frames, SILENCE_DB, np.float32)
    cums = np.concatenate([[0.0], np.cumsum(energies)])
    centres = (np.arange(n_frames) + 0.5) / fps
    half = WINDOW_SECONDS / 2
    lo = np.clip(np.floor((centres - half) / HOP_SECONDS).astype(int), 0, len(energies) - 1)
    hi = np.clip(np.ceil((centres + half) / HOP_SECONDS).astype(int), lo + 1, len(energies))
    mean_sq = (cums[hi] - cums[lo]) / (hi - lo)
    db = 10 * np.log10(mean_sq + _EPS)
    return np.maximum(db, SILENCE_DB).astype(np.float32)


class HopBuffer:
    """The same loudness measure, causally: 10 ms hop energies in a ring of fixed size, read out
    over the 50 ms window at any centre once its hops have arrived (constant memory)."""

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

    def window_db(self, centre: float) -> float:
        """dBFS over the 50 ms window at ``centre`` s (its hops must have arrived: :meth:`ready`)."""
        half = WINDOW_SECONDS / 2
        lo = max(int(np.floor((centre - half) / HOP_SECONDS)), 0, self.hops - self.size)
        hi = max(int(np.ceil((centre + half) / HOP_SECONDS)), lo + 1)
        hi = min(hi, self.hops)
        if hi <= lo:
            return SILENCE_DB
        mean_sq = self.energies[np.arange(lo, hi) % self.size].mean()
        return float(max(10 * np.log10(mean_sq + _EPS), SILENCE_DB))

    def ready(self, centre: float) -> bool:
        return self.hops >= needed_hops(centre)


def needed_hops(centre: float) -> int:
    """Complete 10 ms hops needed before the window at ``centre`` s can be measured."""
    return int(np.ceil((centre + WINDOW_SECONDS / 2) / HOP_SECONDS - 1e-9))


def speech_of(
    samples: np.ndarray, n_frames: int, fps: float, sample_rate: int = 16000, hold: bool = True
) -> np.ndarray:
    """The one VAD over mono samples held in memory, ``n_frames`` frames: the same loudness and the
    same detector as :func:`audio_features` and the live engine, so every stage agrees on speech
    (``hold=False``: without the hangover, the frames where the voice is heard; for measuring)."""
    energies, _ = hop_energies([samples], sample_rate)
    return speech_frames(frame_loudness(energies, n_frames, fps), fps, hold)


def audio_features(
    blocks: Iterable[np.ndarray], sample_rate: int, fps: float, pitch: bool = True
) -> AudioFeatures:
    """Loudness, VAD and (with ``pitch``) F0 for every video frame of the clip, in one streaming
    pass; the frame count is round(duration × fps)."""
    tracker = PitchTracker(sample_rate) if pitch else None

    def tap(blocks: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
        for block in blocks:
            if tracker is not None:
                tracker.push(block)
            yield block

    energies, total = hop_energies(tap(blocks), sample_rate)
    duration = total / sample_rate
    n_frames = max(1, int(round(duration * fps))) if total else 0
    rms_db = frame_loudness(energies, n_frames, fps)
    f0 = frame_pitch(tracker.hops(), n_frames, fps) if tracker is not None else None
    return AudioFeatures(fps, rms_db, speech_frames(rms_db, fps), duration, f0)
