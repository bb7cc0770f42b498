"""Mouth channels straight from acoustic cues: the language-agnostic path (any language, singing).

No phones here, so no p/b/m knowledge: the jaw follows loudness (JALI's JA) scaled by F1-region
energy, voiced sound with a low spectral centroid rounds the lips, a high one spreads them,
unvoiced hiss narrows the jaw, and a sharp loudness dip inside speech (a stop closure) closes
the lips when the sound after it opens like a p, b or m (:func:`labial_closures`). Pauses follow
the same three bands as the phone path, so silence is neutral; in every path (phones or cues, file
or live) an audible breath in a pause parts the lips and the mouth settles slowly after a phrase,
as a real speaker's does (:func:`pause_jaw`).
"""

from __future__ import annotations

import numpy as np

from ..audio.acoustic import AcousticFrames
from ..core.timeline import runs
from . import rules
from .rules import MOUTH_CHANNELS, MOUTH_INDEX, Target

#: Jaw at full loudness (the phone path's AA is 0.85; keep a margin for loud syllables).
MAX_JAW = 0.75
#: A frame this many dB under the loudest frame within ±DIP_WINDOW_S is a stop closure.
DIP_DB = 10.0
DIP_WINDOW_S = 0.08
#: Smoothing kernel (s): a raised cosine this wide gives ≈ half of it as attack/release.
SMOOTH_S = 0.12
#: Pauses, as a real speaker makes them (psychopy's testMovie, self-reenactment): an audible breath
#: parts the lips (he inhales through the mouth, lip gap 0.2–0.3 of the eye distance, as wide as
#: his vowels) and after a phrase the mouth settles over a third of a second rather than snapping
#: shut. A pause frame this many dB over the clip's noise floor starts to open the jaw …
BREATH_DB = 5.0
#: … reaching BREATH_JAW this many dB further up …
BREATH_RANGE_DB = 6.0
BREATH_JAW = 0.5
#: … provided it stays this far under the speech's median loudness (louder is speech, not breath).
BREATH_UNDER_SPEECH_DB = 15.0
#: The noise floor: this percentile of the audible frames (digital silence excluded).
FLOOR_PERCENTILE = 10
AUDIBLE_DB = -90.0
#: A breath opens the jaw at this rate (per second); the mouth settles from wherever it was over
#: this long (s) (psychopy's speaker: lip gap 0.31 → 0.05 in 0.4 s after his last phrase).
BREATH_OPEN_PER_S = 3.0
SETTLE_S = 0.35


def _norm(x: np.ndarray, mask: np.ndarray, lo_q: float = 5, hi_q: float = 95) -> np.ndarray:
    if not mask.any():
        return np.zeros_like(x)
    lo, hi = np.percentile(x[mask], [lo_q, hi_q])
    return np.clip((x - lo) / (hi - lo + 1e-9), 0.0, 1.0)


def stop_closures(cues: AcousticFrames, dip_db: float = DIP_DB) -> np.ndarray:
    """Frames inside speech at least ``dip_db`` under the loudest frame within ±DIP_WINDOW_S.

    A stop's closure (p, b, also t, d, k, g) is a short near-silence between louder sounds; a
    nasal murmur (m) is quieter than its vowels. Closing the lips there finds most bilabials
    that phone recognition misses, at the price of a brief closure on some t/d/k, where real
    lips come close anyway; a missed p/b/m is far more visible than an extra brief closure.
    """
    half = max(1, int(round(DIP_WINDOW_S * cues.fps)))
    padded = np.pad(cues.loudness_db, half, mode="edge")
    local_max = np.max(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)
    return cues.speech & (cues.loudness_db < local_max - dip_db)


def labial_closures(cues: AcousticFrames, dip_db: float = DIP_DB) -> np.ndarray:
    """:func:`stop_closures` whose release sounds labial: a dip followed by a release brighter than
    rules.LABIAL_RELEASE_DB (a t, d, k, g or a fricative) is no bilabial, and real lips stay apart
    there. A dip whose release is not heard yet (the end of a live window) stays closed."""
    closed = stop_closures(cues, dip_db)
    if cues.release_db is None:
        return closed
    for a, b in runs(closed):
        if b < len(closed) and cues.release_db[b] > rules.LABIAL_RELEASE_DB:
            closed[a:b] = False
    return closed


def pause_jaw(
    loudness_db: np.ndarray, rest: np.ndarray, jaw: np.ndarray, fps: float, start: int = 0
) -> np.ndarray:
    """The jaw in pauses (``rest`` frames; ``jaw`` elsewhere): it settles from the last sound over
    SETTLE_S and opens for an audible breath (see BREATH_DB), frame by frame and causally, so a
    file and a live window give the same frames. A sealed frame (jaw 0 in speech) stays sealed.
    ``jaw`` holds frames ``start`` … (a frame that is not ``rest``, or 0: the state starts there)."""
    db = np.asarray(loudness_db, np.float64)
    audible = db > AUDIBLE_DB
    out = np.asarray(jaw, np.float32).copy()
    if not rest[start:].any() or audible.sum() < 2:
        return out
    floor = float(np.percentile(db[audible], FLOOR_PERCENTILE))
    talk = ~rest & audible
    ceiling = float(np.median(db[talk])) - BREATH_UNDER_SPEECH_DB if talk.any() else floor
    breath = BREATH_JAW * np.clip((db - floor - BREATH_DB) / BREATH_RANGE_DB, 0.0, 1.0) * (db < ceiling)
    up, steps = BREATH_OPEN_PER_S / fps, max(SETTLE_S * fps, 1.0)
    y = down = 0.0
    for j in range(len(out)):
        i = start + j
        if not rest[i]:
            y, down = float(out[j]), 0.0
            continue
        target = float(breath[i])
        if target > y:
            y, down = min(target, y + up), 0.0
        else:
            down = down or y / steps  # a settling starts: it takes SETTLE_S from here
            y = max(target, y - down)
        out[j] = max(out[j], y)
    return out


def close_lips(values: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Sealed-lip pose (see :func:`.rules.seal_lips`) on the ``closed`` frames of mouth values."""
    values = values.copy()
    sealed = rules.seal_lips(Target(close=1.0, press=0.3).to_arkit()[None, :].copy())[0]
    values[closed] = sealed
    return values


def part_lips(values: np.ndarray, cues: AcousticFrames, start: int = 0) -> np.ndarray:
    """Sealed mouth values (frames ``start`` … of ``cues``) with the jaw at least
    :data:`.rules.SPEAKING_JAW` open while the one VAD hears the voice, fading over
    SPEAKING_RELEASE_S after it, except in a consonant's quiet (SPEAKING_DIP_DB) and where the lips
    seal (p/b/m) or tuck (f/v): real lips stay apart between the syllables of a phrase and through
    its short pauses. The VAD, not the phones, says where, so a file and a live window (whose phones
    differ at the edges) agree; it is causal, so live needs no look-ahead for it."""
    values = values.copy()
    fps = cues.fps
    s = (cues.speech & ~stop_closures(cues, rules.SPEAKING_DIP_DB))[start:]
    idx = np.arange(len(s))
    since = idx - np.maximum.accumulate(np.where(s, idx, -(10**9)))
    on = np.clip(1.0 - since / max(rules.SPEAKING_RELEASE_S * fps, 1.0), 0.0, 1.0)
    tuck = np.clip(values[:, MOUTH_INDEX["mouthRollLower"]] / 0.8, 0.0, 1.0)
    free = (1.0 - rules.closure(values)) * (1.0 - 0.9 * tuck)
    jaw = MOUTH_INDEX["jawOpen"]
    values[:, jaw] = np.maximum(values[:, jaw], rules.SPEAKING_JAW * free * on)
    return values


def acoustic_mouth_frames(cues: AcousticFrames) -> np.ndarray:
    """(n_frames, len(MOUTH_CHANNELS)) mouth values from per-frame acoustic cues."""
    n, fps = len(cues.loudness_db), cues.fps
    speech = cues.speech.copy()
    out = np.zeros((n, len(MOUTH_CHANNELS)), np.float32)
    if n == 0 or not speech.any():
        return out
    loud = _norm(cues.loudness_db, speech)
    openness = _norm(cues.low_ratio, speech)
    voiced = np.clip((cues.voicing - 0.3) / 0.4, 0, 1)
    centroid = _norm(cues.centroid_hz, speech & (voiced > 0.5), 10, 90)
    fric = np.clip((cues.high_ratio - 0.15) / 0.3, 0, 1) * (1 - voiced)
    jaw = MAX_JAW * loud * (0.6 + 0.4 * openness) * (1 - 0.7 * fric)
    rounding = voiced * loud * np.clip(1 - 2 * centroid, 0, 1)
    spread = voiced * loud * np.clip(2 * centroid - 1, 0, 1) + 0.4 * fric
    closed = labial_closures(cues)
    for i in range(n):
        if not speech[i]:
            continue
        if closed[i]:
            target = Target(close=1.0, press=0.3)
        else:
            target = Target(jaw=jaw[i], spread=spread[i], round=0.8 * rounding[i], funnel=0.5 * rounding[i],
                            ulr=0.3 * fric[i] + 0.2 * spread[i])  # fmt: skip
        out[i] = target.to_arkit()
    # pause bands: hold short gaps, relax medium ones, long ones stay neutral
    for a, b in runs(~speech):
        if a == 0 or b == n:
            continue
        gap = (b - a) / fps
        if gap < rules.PAUSE_HOLD_S:
            out[a:b] = out[a - 1]
        elif gap < rules.PAUSE_RELAX_S:
            out[a:b] = rules.RELAX_SHARE * out[a - 1]
    width = max(1, int(round(SMOOTH_S * fps)))
    if width >= 2:
        kernel = np.hanning(width + 2)[1:-1]
        kernel /= kernel.sum()
        closed_rows = out[:, MOUTH_INDEX["mouthClose"]] >= 0.9
        keep = out[closed_rows].copy()
        out = np.stack([np.convolve(out[:, c], kernel, mode="same") for c in range(out.shape[1])], 1)
        out[closed_rows] = keep  # closures stay crisp
    out = rules.seal_lips(out)
    out = with_pauses(out, cues.loudness_db, ~speech, fps)
    out[np.abs(out) < 1e-6] = 0.0
    return out.astype(np.float32)


def with_pauses(
    values: np.ndarray, loudness_db: np.ndarray, rest: np.ndarray, fps: float, start: int = 0
) -> np.ndarray:
    """Sealed mouth values (frames ``start`` …) with :func:`pause_jaw` on the ``rest`` frames the
    lips do not seal."""
    jaw = MOUTH_INDEX["jawOpen"]
    values = values.copy()
    free = rest.copy()
    free[start:] &= rules.closure(values) < 0.5
    values[:, jaw] = pause_jaw(loudness_db, free, values[:, jaw], fps, start)
    return values
