"""Lip-sync metrics without learned weights (anchors.md §4), as pure functions over per-frame arrays.

Inputs are per video frame: mouth openness (inner-lip gap ÷ inter-ocular distance, NaN where
no face was found), loudness in dB, a speech mask, and optionally phone timings. Why these:
they need no SyncNet download, they are readable ("the lips were closed in 26 of 27 p/b/m"),
and they target what viewers complain about (mouth moving in silence, late lips, no closures).
"""

from __future__ import annotations

import numpy as np

from ..audio.phones import Phone
from ..core.timeline import runs
from ..face.measure import openness  # noqa: F401  (analyze reads lipsync.openness)
from ..motion.rules import BILABIALS

#: Lips count as closed below this inner-lip gap (share of the inter-ocular distance) …
CLOSED_GAP = 0.03
#: … or below this share of the face's rest gap (its lip gap in silence), whichever is larger: a
#: photo smiling with its teeth showing rests at ~0.13, and its sealed lips re-detect at 0.01–0.035
#: (Face Landmarker is less sure of a sealed smile, more so at small sizes).
REST_GAP_SHARE = 0.3
#: … at some frame within the phone, give or take this tolerance (s): one frame at 25 fps.
CLOSURE_TOLERANCE_S = 0.04
#: THEval skips lip–loudness agreement when speech is under this share of the clip.
MIN_SPEECH_SHARE = 0.10
#: Silence runs shorter than this (s) are not judged, and this much is trimmed from each end
#: (the mouth is allowed to settle after speech and to prepare before it).
MIN_SILENCE_S = 0.5
SILENCE_TRIM_S = 0.15
MAX_SHIFT_FRAMES = 10
#: av_offset floors loudness this far (dB) under its peak: silence is silence, however digital.
OFFSET_FLOOR_DB = 40.0


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = np.nanmin(x), np.nanmax(x)
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def lip_loudness_agreement(open_: np.ndarray, loudness_db: np.ndarray, speech: np.ndarray) -> dict | None:
    """THEval-style: both min–max normalised over speech frames; mean |o − v| (lower is better).

    Also the Pearson correlation over the same frames (higher is better). None when speech is
    under :data:`MIN_SPEECH_SHARE` of the clip.
    """
    valid = speech & np.isfinite(open_)
    if valid.sum() < max(3, MIN_SPEECH_SHARE * len(open_)):
        return None
    o, v = _minmax(open_[valid]), _minmax(np.asarray(loudness_db, np.float64)[valid])
    r = float(np.corrcoef(o, v)[0, 1]) if o.std() > 0 and v.std() > 0 else 0.0
    return {"mean_abs_diff": float(np.mean(np.abs(o - v))), "pearson": r}


def silence_stillness(open_: np.ndarray, speech: np.ndarray, fps: float) -> dict | None:
    """Median absolute deviation of openness inside silences (share of inter-ocular distance).

    Per silence run (≥ MIN_SILENCE_S, trimmed by SILENCE_TRIM_S at both ends), the MAD about
    the run's own median; reported as the frame-weighted mean and the worst run. None when the
    clip has no such silence.
    """
    trim = int(round(SILENCE_TRIM_S * fps))
    mads, weights = [], []
    for a, b in runs(~np.asarray(speech, bool)):
        if (b - a) / fps < MIN_SILENCE_S:
            continue
        x = open_[a + trim : b - trim]
        x = x[np.isfinite(x)]
        if len(x) < 3:
            continue
        mads.append(float(np.median(np.abs(x - np.median(x)))))
        weights.append(len(x))
    if not mads:
        return None
    return {"mad": float(np.average(mads, weights=weights)), "worst_mad": max(mads), "runs": len(mads)}


def av_offset(
    open_: np.ndarray,
    loudness_db: np.ndarray,
    speech: np.ndarray | None = None,
    max_shift: int = MAX_SHIFT_FRAMES,
) -> dict | None:
    """Audio–video offset in frames by cross-correlation over ±max_shift (positive: video late).

    The lag maximising the Pearson correlation of openness with loudness; confidence is the peak
    minus the median correlation over all lags (SyncNet's min-vs-median idea). Loudness is
    floored :data:`OFFSET_FLOOR_DB` under its peak and, when ``speech`` is given, only frames
    within ``max_shift`` of speech count: long silences (digital zeros, a still mouth) would
    otherwise dominate the correlation and flatten it around the true lag.
    """
    o = np.asarray(open_, np.float64)
    v = np.asarray(loudness_db, np.float64)
    if len(v) == 0:
        return None
    v = np.maximum(v, np.percentile(v, 99) - OFFSET_FLOOR_DB)
    near = np.ones(len(o), bool)
    if speech is not None and np.any(speech):
        near = np.convolve(np.asarray(speech, float), np.ones(2 * max_shift + 1), "same") > 0
    corrs = []
    lags = list(range(-max_shift, max_shift + 1))
    for lag in lags:  # openness at t + lag against loudness at t
        if lag >= 0:
            a, b, m = o[lag:], v[: len(v) - lag], near[: len(v) - lag]
        else:
            a, b, m = o[:lag], v[-lag:], near[-lag:]
        ok = np.isfinite(a) & np.isfinite(b) & m
        if ok.sum() < 10 or a[ok].std() == 0 or b[ok].std() == 0:
            corrs.append(np.nan)
            continue
        corrs.append(float(np.corrcoef(a[ok], b[ok])[0, 1]))
    c = np.array(corrs)
    if not np.isfinite(c).any():
        return None
    best = int(np.nanargmax(c))
    return {
        "offset_frames": lags[best],
        "confidence": float(c[best] - np.nanmedian(c)),
        "peak_correlation": float(c[best]),
        "max_shift_frames": max_shift,
    }


def rest_gap(open_: np.ndarray, speech: np.ndarray, fps: float) -> float | None:
    """The face's lip gap at rest: median openness inside silences (trimmed as for stillness)."""
    trim = int(round(SILENCE_TRIM_S * fps))
    parts = [
        open_[a + trim : b - trim]
        for a, b in runs(~np.asarray(speech, bool))
        if (b - a) / fps >= MIN_SILENCE_S
    ]
    x = np.concatenate(parts) if parts else np.zeros(0)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) >= 3 else None


def closed_threshold(rest: float | None) -> float:
    """Lip gap under which the lips count as closed, for a face resting at ``rest``."""
    return max(CLOSED_GAP, REST_GAP_SHARE * rest) if rest is not None else CLOSED_GAP


def bilabial_closure_rate(
    open_: np.ndarray,
    phones: list[Phone],
    fps: float,
    closed_gap: float = CLOSED_GAP,
    tolerance_s: float = CLOSURE_TOLERANCE_S,
) -> dict | None:
    """Share of p/b/m phones during which the lips close (openness ≤ closed_gap at some frame).

    Frames are those whose span [i/fps, (i+1)/fps) overlaps the phone widened by ``tolerance_s``.
    None when there are no bilabials. Also the median over bilabials of the smallest gap seen.
    """
    closed, total = 0, 0
    minima = []
    for p in phones:
        if p.label not in BILABIALS:
            continue
        a = max(0, int(np.floor((p.start - tolerance_s) * fps)))
        b = min(len(open_), int(np.ceil((p.end + tolerance_s) * fps)))
        window = open_[a:b]
        window = window[np.isfinite(window)]
        if len(window) == 0:
            continue
        total += 1
        closed += bool(window.min() <= closed_gap)
        minima.append(float(window.min()))
    if total == 0:
        return None
    return {
        "rate": closed / total,
        "closed": closed,
        "total": total,
        "closed_gap": closed_gap,
        "median_min_gap": float(np.median(minima)),
    }


def closed_elsewhere(
    open_: np.ndarray,
    phones: list[Phone],
    speech: np.ndarray,
    fps: float,
    closed_gap: float = CLOSED_GAP,
    tolerance_s: float = CLOSURE_TOLERANCE_S,
) -> float | None:
    """Share of speech frames away from every p/b/m (widened by ``tolerance_s``) with the lips closed:
    the other side of :func:`bilabial_closure_rate`, which a mouth that shuts at every consonant
    would pass. Real speakers: 5–16 % of all their speech frames closed, p/b/m included (the
    self-reenactment clips)."""
    speech = np.asarray(speech, bool)[: len(open_)]
    near = np.zeros(len(open_), bool)
    for p in phones:
        if p.label in BILABIALS:
            near[
                max(0, int(np.floor((p.start - tolerance_s) * fps))) : int(
                    np.ceil((p.end + tolerance_s) * fps)
                )
            ] = True
    away = speech & ~near[: len(speech)] & np.isfinite(open_[: len(speech)])
    if not away.any():
        return None
    return float((open_[: len(speech)][away] <= closed_gap).mean())


def openness_stats(open_: np.ndarray, speech: np.ndarray) -> dict:
    """Range and distribution of openness over speech frames (a stiff or a flapping mouth shows here)."""
    x = open_[np.asarray(speech, bool) & np.isfinite(open_)]
    if len(x) == 0:
        return {}
    edges = np.array([0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, np.inf])
    hist, _ = np.histogram(x, edges)
    return {
        "p5": float(np.percentile(x, 5)),
        "median": float(np.median(x)),
        "p95": float(np.percentile(x, 95)),
        "max": float(x.max()),
        "range": float(np.percentile(x, 95) - np.percentile(x, 5)),
        "histogram_edges": [float(e) for e in edges[:-1]],
        "histogram_share": [float(h) / len(x) for h in hist],
    }
