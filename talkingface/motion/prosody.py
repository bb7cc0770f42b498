"""Prosodic events the face moves to: pitch accents (energy + F0 peaks) and phrases (procedural.md §4.1).

Pure functions of the per-frame audio features. An *accent* is a peak of prominence (loudness
and F0 z-scores, smoothed over ≈ 100 ms) inside speech: these are the stressed syllables that
carry nods and brow raises. A *phrase* is a run of speech between pauses of at least
:data:`PHRASE_PAUSE_S`; an *utterance* one between pauses of at least :data:`UTTERANCE_PAUSE_S`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from ..audio.features import AudioFeatures
from ..audio.pitch import semitones
from ..timeline import runs

#: pauses at least this long end a phrase (head tilts change here) …
PHRASE_PAUSE_S = 0.25
#: … and at least this long end an utterance (gaze returns, blinks cluster)
UTTERANCE_PAUSE_S = 0.7
#: prominence is smoothed over this (s), then peaks at least this far apart (s) are accents
PROMINENCE_SMOOTH_S = 0.06
MIN_ACCENT_GAP_S = 0.35
#: a peak must stand this far (in z units) above its surroundings to count
MIN_PROMINENCE = 0.6
#: weight of F0 against loudness in prominence (Alexanderson et al.: accents are louder and higher)
F0_WEIGHT = 0.6


@dataclass(frozen=True)
class Accent:
    frame: int
    strength: float  # 0–1
    f0_rise: float  # semitones above the speaker's median at the accent (0 where unvoiced)


@dataclass(frozen=True)
class Prosody:
    accents: list[Accent]
    phrases: list[tuple[int, int]]  # [start, stop) frames
    utterances: list[tuple[int, int]]
    prominence: np.ndarray  # per frame, z units, 0 outside speech


def speechruns(speech: np.ndarray, fps: float, min_pause_s: float) -> list[tuple[int, int]]:
    """Runs of speech, bridging pauses shorter than ``min_pause_s``."""
    out: list[tuple[int, int]] = []
    for a, b in runs(speech):
        if out and (a - out[-1][1]) / fps < min_pause_s:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _z(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    vals = x[mask & np.isfinite(x)]
    if len(vals) < 2 or vals.std() < 1e-9:
        return np.zeros_like(x)
    return (x - vals.mean()) / vals.std()


def prominence(features: AudioFeatures) -> np.ndarray:
    """Per-frame prominence: z(loudness) + F0_WEIGHT · z(F0 in semitones), smoothed; 0 outside speech."""
    speech = np.asarray(features.speech, bool)
    if not speech.any():
        return np.zeros(len(speech))
    loud = _z(features.rms_db.astype(np.float64), speech)
    st = semitones(features.f0)
    voiced = np.isfinite(st)
    pitch = np.where(voiced, _z(np.where(voiced, st, 0.0), speech & voiced), 0.0)
    sigma = PROMINENCE_SMOOTH_S * features.fps
    p = gaussian_filter1d(loud + F0_WEIGHT * pitch, max(sigma, 0.5))
    return np.where(speech, p, 0.0)


def analyse_prosody(features: AudioFeatures) -> Prosody:
    fps = features.fps
    prom = prominence(features)
    peaks, props = find_peaks(
        prom, distance=max(1, int(MIN_ACCENT_GAP_S * fps)), prominence=MIN_PROMINENCE, height=0.0
    )
    inside = np.asarray(features.speech, bool)[peaks]
    peaks, props = peaks[inside], {k: v[inside] for k, v in props.items()}
    st = semitones(features.f0)
    accents = []
    if len(peaks):
        top = max(float(np.max(props["prominences"])), 1e-6)
        for frame, p in zip(peaks, props["prominences"], strict=True):
            lo, hi = max(0, frame - 2), frame + 3
            seg = st[lo:hi]
            rise = float(np.nanmax(seg)) if np.isfinite(seg).any() else 0.0
            accents.append(Accent(int(frame), float(np.clip(p / top, 0.2, 1.0)), max(rise, 0.0)))
    return Prosody(
        accents,
        speechruns(features.speech, fps, PHRASE_PAUSE_S),
        speechruns(features.speech, fps, UTTERANCE_PAUSE_S),
        prom,
    )
