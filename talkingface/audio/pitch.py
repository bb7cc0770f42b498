"""Fundamental frequency (F0) per 10 ms hop: a small streaming YIN (de Cheveigné & Kawahara 2002).

Pure NumPy. Blocks of any size go in (``push``), one value per 10 ms hop comes out (``hops``):
Hz where the hop is voiced, NaN where it is not. The analysis window of hop ``i`` is centred on
the hop's middle, the same instant the loudness of hop ``i`` describes, so pitch and loudness
line up frame for frame. Memory is one window of carry plus one float per hop.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

FMIN_HZ = 70.0  # lowest F0 looked for (deep male voices)
FMAX_HZ = 400.0  # highest (children, high female voices)
WINDOW_S = 0.030  # YIN integration window
HOP_S = 0.010
#: a hop is voiced when YIN's normalised difference dips below this …
THRESHOLD = 0.15
#: … or, failing that, when its minimum is below this (a weaker but clear periodicity)
FALLBACK_THRESHOLD = 0.30
#: and only when the hop is at least this loud (dBFS): room noise has no pitch worth nodding to
MIN_DB = -50.0


def _yin_frames(frames: np.ndarray, sample_rate: int, window: int, tau_max: int) -> np.ndarray:
    """F0 (Hz or NaN) for each row of ``frames`` (k, window + tau_max)."""
    if len(frames) == 0:
        return np.zeros(0, np.float32)
    x = frames.astype(np.float64)
    x = x - x.mean(1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(window + tau_max + 1)))
    head = np.fft.rfft(x[:, :window], size)
    full = np.fft.rfft(x, size)
    r = np.fft.irfft(np.conj(head) * full, size)[:, : tau_max + 1]  # Σ_j x_j x_{j+τ}, j < window
    sq = np.concatenate([np.zeros((len(x), 1)), np.cumsum(x**2, 1)], 1)
    energy = sq[:, window : window + tau_max + 1] - sq[:, : tau_max + 1]  # Σ x_{j+τ}², j < window
    d = energy[:, :1] + energy - 2 * r
    d[:, 0] = 0.0
    cum = np.cumsum(d[:, 1:], 1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * np.arange(1, tau_max + 1) / np.maximum(cum, 1e-12)
    tau_min = max(2, int(sample_rate / FMAX_HZ))
    out = np.full(len(x), np.nan, np.float32)
    loud = 10 * np.log10(energy[:, 0] / window + 1e-12) > MIN_DB
    for k in np.flatnonzero(loud):
        c = cmnd[k]
        below = np.flatnonzero(c[tau_min:] < THRESHOLD)
        if len(below):
            tau = tau_min + int(below[0])
            while tau + 1 <= tau_max and c[tau + 1] < c[tau]:  # walk down to the local minimum
                tau += 1
        else:
            tau = tau_min + int(np.argmin(c[tau_min:]))
            if c[tau] > FALLBACK_THRESHOLD:
                continue
        if tau >= tau_max:
            continue
        a, b, cc = c[tau - 1], c[tau], c[tau + 1]  # parabolic refinement
        den = a - 2 * b + cc
        shift = 0.5 * (a - cc) / den if abs(den) > 1e-12 else 0.0
        out[k] = sample_rate / (tau + float(np.clip(shift, -1, 1)))
    return out


class PitchTracker:
    """Streaming F0: ``push`` blocks of mono float samples, then ``hops()`` once at the end."""

    def __init__(self, sample_rate: int = 16000) -> None:
        self.sample_rate = sample_rate
        self.hop = int(round(sample_rate * HOP_S))
        self.window = int(round(sample_rate * WINDOW_S))
        self.tau_max = int(np.ceil(sample_rate / FMIN_HZ)) + 1
        self.length = self.window + self.tau_max
        # hop i's analysis window is centred on the hop's middle
        lead = self.length // 2 - self.hop // 2
        self._buffer = np.zeros(lead, np.float32)
        self._total = 0
        self._out: list[np.ndarray] = []

    def push(self, block: np.ndarray) -> None:
        block = np.asarray(block, np.float32).reshape(-1)
        self._total += len(block)
        self._buffer = np.concatenate([self._buffer, block])
        self._drain()

    def _drain(self) -> None:
        count = (len(self._buffer) - self.length) // self.hop + 1
        if count <= 0:
            return
        view = np.lib.stride_tricks.sliding_window_view(self._buffer, self.length)[:: self.hop][:count]
        self._out.append(_yin_frames(view, self.sample_rate, self.window, self.tau_max))
        self._buffer = self._buffer[count * self.hop :]

    def take(self) -> np.ndarray:
        """F0 of the hops completed since the last call (live use: memory stays constant)."""
        out = np.concatenate(self._out) if self._out else np.zeros(0, np.float32)
        self._out = []
        return out

    def hops(self) -> np.ndarray:
        """F0 per 10 ms hop of everything pushed (Hz, NaN unvoiced); ceil(samples / hop) values."""
        n_hops = int(np.ceil(self._total / self.hop))
        done = sum(len(o) for o in self._out)
        if done < n_hops:
            self._buffer = np.concatenate([self._buffer, np.zeros(self.length, np.float32)])
            self._drain()
        out = np.concatenate(self._out) if self._out else np.zeros(0, np.float32)
        return out[:n_hops]


def f0_hops(blocks: Iterable[np.ndarray], sample_rate: int = 16000) -> np.ndarray:
    tracker = PitchTracker(sample_rate)
    for block in blocks:
        tracker.push(block)
    return tracker.hops()


def frame_pitch(hops: np.ndarray, n_frames: int, fps: float, window_s: float = 0.05) -> np.ndarray:
    """F0 per video frame: the median voiced hop within ``window_s`` of the frame's centre (NaN if
    fewer than half of those hops are voiced)."""
    out = np.full(n_frames, np.nan, np.float32)
    if len(hops) == 0:
        return out
    centres = (np.arange(n_frames) + 0.5) / fps
    half = window_s / 2
    for i, c in enumerate(centres):
        lo = int(np.clip(np.floor((c - half) / HOP_S), 0, len(hops) - 1))
        hi = int(np.clip(np.ceil((c + half) / HOP_S), lo + 1, len(hops)))
        seg = hops[lo:hi]
        voiced = seg[np.isfinite(seg)]
        if len(voiced) * 2 >= len(seg):
            out[i] = np.median(voiced)
    return out


def semitones(f0: np.ndarray) -> np.ndarray:
    """F0 in semitones relative to the speaker's median voiced F0 (NaN stays NaN)."""
    f0 = np.asarray(f0, np.float64)
    voiced = f0[np.isfinite(f0)]
    if len(voiced) == 0:
        return np.full(len(f0), np.nan)
    return 12 * np.log2(f0 / np.median(voiced))
