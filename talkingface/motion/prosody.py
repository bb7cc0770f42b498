"""Prosodic events the face moves to: pitch accents found causally (procedural.md §4.1).

An *accent* is a peak of prominence (loudness and F0 z-scores against the speaker's running
statistics, smoothed over ≈ 100 ms) inside speech: the stressed syllables that carry nods and brow
raises. Found frame by frame, the same way for files and live: a peak is confirmed
:data:`CONFIRM_FRAMES` frames after it (F0 lags loudness by a frame, smoothing needs two, the peak
one more). A *phrase* ends at a pause of at least :data:`PHRASE_PAUSE_S`, an *utterance* at one of
at least :data:`UTTERANCE_PAUSE_S` (the passes count pauses themselves).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ..audio.pitch import HOP_S

#: pauses at least this long end a phrase (head tilts change here) …
PHRASE_PAUSE_S = 0.25
#: … and at least this long end an utterance (gaze returns, blinks cluster)
UTTERANCE_PAUSE_S = 0.7
#: prominence is smoothed over this (s, Gaussian sigma), then peaks at least this far apart (s) are accents
PROMINENCE_SMOOTH_S = 0.06
MIN_ACCENT_GAP_S = 0.35
#: a peak must stand this far (in z units) above the lowest prominence since the last gap
MIN_PROMINENCE = 0.6
#: weight of F0 against loudness in prominence (Alexanderson et al.: accents are louder and higher)
F0_WEIGHT = 0.6
#: the strongest recent accent (strength 1) is forgotten over this long (s)
TOP_MEMORY_S = 20.0
#: the speaker's F0 reference and spread remember this long (s)
F0_MEMORY_S = 8.0
#: smoothing taps each side, and frames from an accent to its confirmation
SMOOTH_TAPS = 2
CONFIRM_FRAMES = SMOOTH_TAPS + 2
#: look-ahead of the behaviour passes (s): they learn of an accent about when it happens. No more
#: than the mouth's (lipsync.LIVE_LOOKAHEAD_S): the engine waits for the longest look-ahead
BEHAVIOUR_LOOKAHEAD_S = 0.08


@dataclass(frozen=True)
class Accent:
    frame: int
    strength: float  # 0–1
    f0_rise: float  # semitones above the speaker's reference at the accent (0 where unvoiced)


class AccentTracker:
    """Feed F0 hops (:meth:`pitch`) and one frame at a time (:meth:`update`); get confirmed accents."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self._f0: deque[float] = deque()  # F0 hops from the oldest a frame still needs
        self._hops = 0  # F0 hops received
        self._prev: tuple[int, float, bool, float, float] | None = None
        self._raw: deque[tuple[int, float, bool, float]] = deque(maxlen=2 * SMOOTH_TAPS + 1)
        self._gap = max(1, int(MIN_ACCENT_GAP_S * fps))
        self._prom: deque[tuple[int, float, bool, float]] = deque(maxlen=self._gap + 2)
        self._last = -(10**9)
        self._top = 1e-6
        self._log_ref, self._st_var = np.log2(150.0), 4.0**2
        self._a_f0 = 1.0 - np.exp(-1.0 / (F0_MEMORY_S * fps))
        self._top_decay = np.exp(-1.0 / (TOP_MEMORY_S * fps))
        x = np.arange(-SMOOTH_TAPS, SMOOTH_TAPS + 1)
        sigma = max(PROMINENCE_SMOOTH_S * fps, 0.5)
        self._kernel = np.exp(-(x**2) / (2 * sigma**2))
        self._kernel /= self._kernel.sum()

    def pitch(self, hops: np.ndarray) -> None:
        self._f0.extend(float(h) for h in hops)
        self._hops += len(hops)

    def _frame_f0(self, index: int) -> float:
        """Median voiced F0 within 25 ms of the frame's centre (NaN if fewer than half voiced)."""
        c = (index + 0.5) / self.fps
        lo, hi = int(np.floor((c - 0.025) / HOP_S)), int(np.ceil((c + 0.025) / HOP_S))
        first = self._hops - len(self._f0)
        while self._f0 and first < lo:  # hops no later frame needs
            self._f0.popleft()
            first += 1
        seg = np.array([self._f0[i - first] for i in range(max(lo, first), min(hi, self._hops))])
        voiced = seg[np.isfinite(seg)] if len(seg) else seg
        return float(np.median(voiced)) if len(seg) and 2 * len(voiced) >= len(seg) else float("nan")

    def update(self, index: int, db: float, speech: bool, mean: float, sd: float) -> tuple[Accent, ...]:
        prev, self._prev = self._prev, (index, db, speech, mean, sd)
        if prev is None:
            return ()
        j, db, speech, mean, sd = prev  # the previous frame: its F0 hops are all in now
        f0 = self._frame_f0(j)
        st = float("nan")
        if np.isfinite(f0) and speech:
            d = np.log2(f0) - self._log_ref
            self._log_ref += self._a_f0 * d
            self._st_var = (1 - self._a_f0) * (self._st_var + self._a_f0 * (12 * d) ** 2)
            st = 12 * (np.log2(f0) - self._log_ref)
        loud = (db - mean) / max(sd, 1e-3)
        pitch = st / max(np.sqrt(self._st_var), 1.0) if np.isfinite(st) else 0.0
        self._raw.append((j, loud + F0_WEIGHT * pitch, speech, st))
        if len(self._raw) < self._raw.maxlen:
            return ()
        f, _, sp, st_f = self._raw[SMOOTH_TAPS]
        p = float(np.dot(self._kernel, [r[1] for r in self._raw])) if sp else 0.0
        rise = np.nanmax([r[3] for r in self._raw]) if any(np.isfinite(r[3]) for r in self._raw) else 0.0
        self._prom.append((f, p, sp, float(rise)))
        return self._peak()

    def _peak(self) -> tuple[Accent, ...]:
        """Is the frame before the newest smoothed one a peak? (Left-side prominence, scipy-like.)"""
        self._top *= self._top_decay
        if len(self._prom) < 3:
            return ()
        f, p, sp, rise = self._prom[-2]
        before, after = self._prom[-3][1], self._prom[-1][1]
        if not sp or p <= 0 or p < before or p <= after or f - self._last < self._gap:
            return ()
        base = min(q[1] for q in list(self._prom)[:-1])
        prominence = p - base
        if prominence < MIN_PROMINENCE:
            return ()
        self._last = f
        self._top = max(self._top, prominence)
        return (Accent(f, float(np.clip(prominence / self._top, 0.2, 1.0)), max(rise, 0.0)),)
