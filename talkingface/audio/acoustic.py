"""Per-frame acoustic mouth cues, frame-aligned to the output video, for any language or singing.

Why: the English phone recogniser has nothing to say about French or a sung vowel, but the
sound still tells the mouth what to do. Loudness drives the jaw (JALI's JA), energy in the F1
region (0.3–1 kHz) rises with jaw opening, a low spectral centroid on voiced sound means lip
rounding (low F2), a high one spreading, and strong unvoiced high-band energy means a
fricative/sibilant (narrow jaw). Frame ``i`` describes the window centred on ``(i + 0.5) / fps``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import speech_of
from .vad import without_hangover

SAMPLE_RATE = 16000
#: Analysis window (s): THEval's 50 ms RMS frame, long enough for a pitch period at 60 Hz.
WINDOW_S = 0.05
_SILENT_DB = -100.0
_BLOCK = 2048  # frames analysed at once: memory stays constant on long audio


@dataclass(frozen=True)
class AcousticFrames:
    """Per-frame cues at ``fps`` (arrays of length n_frames)."""

    fps: float
    loudness_db: np.ndarray  # RMS in dBFS (−100 for digital silence)
    speech: np.ndarray  # bool: voice activity
    voicing: np.ndarray  # 0..1, normalised autocorrelation peak at 60–400 Hz pitch lags
    centroid_hz: np.ndarray  # spectral centroid of 0–4 kHz
    low_ratio: np.ndarray  # energy share of 0.3–1 kHz (F1 region) in 0–8 kHz
    high_ratio: np.ndarray  # energy share above 3.5 kHz (frication)
    release_db: np.ndarray | None = None  # see :func:`release_balance`


#: a stop's release is heard over this long after the sharpest rise in energy …
RELEASE_S = 0.03
#: … found on a grid of this step, from energies over windows of twice it
RISE_STEP_S = 0.005
#: the release's balance: energy above this frequency (Hz) over the band below
RELEASE_HIGH_HZ = 3000.0
RELEASE_LOW_HZ = (200.0, 1500.0)


def _windows(samples: np.ndarray, centres: np.ndarray, length: int) -> np.ndarray:
    """(len(centres), length) windows, zero-padded past either end of the audio."""
    half = length // 2
    pad = np.zeros(length, np.float32)
    padded = np.concatenate([pad[:half], samples.astype(np.float32), pad])
    idx = centres[:, None] + np.arange(length)[None, :]
    return padded[np.clip(idx, 0, len(padded) - 1)]


def _centres(n_frames: int, fps: float) -> np.ndarray:
    return np.round((np.arange(n_frames) + 0.5) / fps * SAMPLE_RATE).astype(np.int64)


def frame_loudness(samples: np.ndarray, n_frames: int, fps: float, window_s: float = WINDOW_S) -> np.ndarray:
    """RMS loudness in dBFS of the window around each frame centre (zeros past either end)."""
    length = int(window_s * SAMPLE_RATE)
    starts = _centres(n_frames, fps) - length // 2
    cums = np.concatenate([[0.0], np.cumsum(np.square(samples, dtype=np.float64))])
    n = len(samples)
    total = cums[np.clip(starts + length, 0, n)] - cums[np.clip(starts, 0, n)]
    out = 10 * np.log10(np.maximum(total, 0.0) / length + 1e-10)
    return np.maximum(out, _SILENT_DB).astype(np.float32)


def speech_cue(
    samples: np.ndarray, n_frames: int, fps: float, speech: np.ndarray | None = None
) -> np.ndarray:
    """Where the mouth takes the voice to be: the one VAD (``speech`` when the caller has its
    answer for these frames: the clip's features, the live engine; else run over ``samples``),
    without the hangover after each run (:func:`.vad.without_hangover`)."""
    held = speech_of(samples, n_frames, fps) if speech is None else np.asarray(speech, bool)
    return without_hangover(held, fps)


def release_balance(samples: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """Per frame: energy above RELEASE_HIGH_HZ over the RELEASE_LOW_HZ band (dB) in the RELEASE_S
    after the sharpest rise in energy between the middle of the frame before and the end of this
    one: how the sound after a stop closure opens. Labial releases (p, b, m) are diffuse-falling,
    low (Stevens & Blumstein), alveolar and velar ones and fricatives high. NaN where the audio ends
    before the release does (a live window's newest frames)."""
    step = int(RISE_STEP_S * SAMPLE_RATE)
    cums = np.concatenate([[0.0], np.cumsum(np.square(samples, dtype=np.float64))])
    n = len(samples)
    grid = np.arange(0, n + step, step)
    energy = 10 * np.log10(
        (cums[np.clip(grid + 2 * step, 0, n)] - cums[np.clip(grid, 0, n)]) / (2 * step) + 1e-10
    )
    rise = np.diff(energy, prepend=energy[:1])  # rise[j]: into the window starting at grid[j]
    per_frame = SAMPLE_RATE / fps
    first = np.floor((np.arange(n_frames) - 0.5) * per_frame / step).astype(np.int64)
    span = int(np.ceil(1.5 * per_frame / step))
    length = int(RELEASE_S * SAMPLE_RATE)
    n_fft = 512
    freqs = np.fft.rfftfreq(n_fft, 1 / SAMPLE_RATE)
    high, low = freqs >= RELEASE_HIGH_HZ, (freqs >= RELEASE_LOW_HZ[0]) & (freqs <= RELEASE_LOW_HZ[1])
    taper = np.hanning(length).astype(np.float32)
    out = np.zeros(n_frames, np.float32)
    for i in range(0, n_frames, _BLOCK):
        idx = np.clip(first[i : i + _BLOCK, None] + np.arange(span)[None, :], 0, len(rise) - 1)
        at = grid[idx[np.arange(len(idx)), np.argmax(rise[idx], axis=1)]]
        w = _windows(samples, at + length // 2, length) * taper
        power = np.abs(np.fft.rfft(w, n_fft, axis=1)) ** 2
        balance = 10 * np.log10((power[:, high].sum(1) + 1e-12) / (power[:, low].sum(1) + 1e-12))
        out[i : i + len(w)] = np.where(at + length <= n, balance, np.nan)  # not heard whole yet: unknown
    return out


def acoustic_frames(
    samples: np.ndarray, n_frames: int, fps: float, speech: np.ndarray | None = None
) -> AcousticFrames:
    """Loudness, voicing and spectral-shape cues for each output frame, and voice activity
    (:func:`speech_cue`)."""
    length = int(WINDOW_S * SAMPLE_RATE)
    n_fft = 1024
    freqs = np.fft.rfftfreq(n_fft, 1 / SAMPLE_RATE)
    taper = np.hanning(length).astype(np.float32)
    band4k, low, high = freqs <= 4000, (freqs >= 300) & (freqs <= 1000), freqs >= 3500
    lag_lo, lag_hi = SAMPLE_RATE // 400, SAMPLE_RATE // 60
    centres = _centres(n_frames, fps)
    voicing = np.zeros(n_frames, np.float32)
    centroid = np.zeros(n_frames, np.float32)
    low_ratio = np.zeros(n_frames, np.float32)
    high_ratio = np.zeros(n_frames, np.float32)
    for i in range(0, n_frames, _BLOCK):
        w = _windows(samples, centres[i : i + _BLOCK], length)
        w = (w - w.mean(1, keepdims=True)) * taper
        power = np.abs(np.fft.rfft(w, n_fft, axis=1)) ** 2
        total = power.sum(1) + 1e-12
        ac = np.fft.irfft(power, n_fft, axis=1)
        sl = slice(i, i + len(w))
        voicing[sl] = np.clip(ac[:, lag_lo:lag_hi].max(1) / (ac[:, 0] + 1e-12), 0, 1)
        p4 = power[:, band4k]
        centroid[sl] = (p4 * freqs[band4k]).sum(1) / (p4.sum(1) + 1e-12)
        low_ratio[sl] = power[:, low].sum(1) / total
        high_ratio[sl] = power[:, high].sum(1) / total
    loudness = frame_loudness(samples, n_frames, fps)
    speech = speech_cue(samples, n_frames, fps, speech)
    release = release_balance(samples, n_frames, fps)
    return AcousticFrames(fps, loudness, speech, voicing, centroid, low_ratio, high_ratio, release)
