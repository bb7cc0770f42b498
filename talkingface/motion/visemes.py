"""Phones (+ loudness) → ARKit mouth channels per video frame, with JALI/Rhubarb co-articulation.

Each phone becomes a target (:mod:`.rules`) with a JALI curve: a raised-cosine attack starting
120 ms (150 ms when rounded) before the sound, a plateau to 75 % of the phone, a 180 ms
release. Overlapping curves blend by per-channel maximum; closure (p/b/m) and the f/v tuck
then force the jaw shut while they are active. Pauses follow Rhubarb's three bands, so a long
silence is exactly the portrait's neutral. Curves are built on a 200 Hz grid and pooled to the
output frames so a 40 ms bilabial is never lost between two 25 fps frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..audio.phones import Phone
from . import rules
from .rules import MOUTH_CHANNELS, MOUTH_INDEX, Target

#: Internal curve rate (Hz): 5 ms steps, finer than PocketSphinx's 10 ms phone grid.
CURVE_RATE = 200.0


@dataclass(frozen=True)
class Segment:
    """One target held over [start, end) with its co-articulation timing."""

    start: float
    end: float
    target: Target
    anticipation: float
    sustain_end: float
    release: float
    label: str = ""


def _loudness_z(phones: list[Phone], loudness_db: np.ndarray | None, rate: float) -> dict[int, float]:
    """Each speech phone's loudness as a z-score over the clip's speech (JALI's JA input)."""
    if loudness_db is None or len(loudness_db) == 0:
        return {}
    db = np.asarray(loudness_db, np.float64)
    means = {}
    for i, p in enumerate(phones):
        a, b = int(p.start * rate), max(int(p.start * rate) + 1, int(np.ceil(p.end * rate)))
        if not p.is_silence and a < len(db):
            means[i] = float(db[a:b].mean())
    if len(means) < 2:
        return {}
    values = np.array(list(means.values()))
    mu, sd = values.mean(), values.std() + 1e-6
    return {i: (m - mu) / sd for i, m in means.items()}


def _lips_from(neighbour: Target, own: Target) -> Target:
    """Tongue-only phone: its own jaw and upper lip, the neighbour's lip shape (JALI)."""
    return replace(own, spread=neighbour.spread, round=neighbour.round, funnel=neighbour.funnel)


def plan_segments(
    phones: list[Phone], loudness_db: np.ndarray | None = None, loudness_rate: float = 100.0
) -> list[Segment]:
    """Targets with timing for every phone, after the pause bands and the per-phone rules."""
    z = _loudness_z(phones, loudness_db, loudness_rate)
    speech = [i for i, p in enumerate(phones) if not p.is_silence]
    base = {i: rules.phone_targets(phones[i].label, phones[i].duration) for i in speech}
    # HH takes the next vowel's shape; tongue-only consonants take the lips of the next lip-shaping phone.
    for k, i in enumerate(speech):
        label = phones[i].label
        following = [j for j in speech[k + 1 :] if phones[j].start - phones[i].end < rules.PAUSE_HOLD_S]
        if label == "HH" and following:
            base[i] = (base[following[0]][0].scaled(rules.HH_SHARE),)
        elif label in rules.TONGUE_ONLY:
            shaping = [j for j in following[:3] if phones[j].label not in rules.TONGUE_ONLY]
            earlier = [j for j in speech[:k] if phones[j].label not in rules.TONGUE_ONLY]
            if shaping:
                base[i] = (_lips_from(base[shaping[0]][0], base[i][0]),)
            elif earlier and phones[i].start - phones[earlier[-1]].end < rules.PAUSE_HOLD_S:
                base[i] = (_lips_from(base[earlier[-1]][-1], base[i][0]),)
    segments: list[Segment] = []
    previous: Segment | None = None
    for i, p in enumerate(phones):
        if p.is_silence:
            if previous is None or i == len(phones) - 1:
                continue  # leading / trailing silence: neutral
            if p.duration < rules.PAUSE_HOLD_S:  # hold the previous shape through the pause
                segments[-1] = previous = replace(previous, end=p.end, sustain_end=p.end)
            elif p.duration < rules.PAUSE_RELAX_S:  # relax it
                relaxed = previous.target.scaled(rules.RELAX_SHARE)
                if previous.target.is_closure:
                    relaxed = replace(relaxed, close=1.0)
                seg = Segment(p.start, p.end, relaxed, 0.0, p.end, rules.RELEASE_S, "rest")
                segments.append(seg)
                previous = seg
            else:
                previous = None
            continue
        targets = base[i]
        jaw_scale = 1 + rules.JAW_LOUDNESS_GAIN * z.get(i, 0.0)
        jaw_scale = float(np.clip(jaw_scale, rules.JAW_SCALE_MIN, rules.JAW_SCALE_MAX))
        spans = [(p.start, p.end)]
        if len(targets) == 2:
            mid = p.start + rules.DIPHTHONG_SPLIT * p.duration
            spans = [(p.start, mid), (mid, p.end)]
        for target, (a, b) in zip(targets, spans, strict=True):
            target = replace(target, jaw=min(1.0, target.jaw * jaw_scale))
            if target.is_closure:
                short = max(0.0, rules.MIN_SEGMENT_S - (b - a))
                a -= min(short, rules.MAX_CLOSURE_EXTENSION_S)
                seg = Segment(a, b, target, rules.CLOSURE_ANTICIPATION_S, b, rules.CLOSURE_RELEASE_S, p.label)
            else:
                lead = rules.ROUNDED_ANTICIPATION_S if target.is_rounded else rules.ANTICIPATION_S
                seg = Segment(a, b, target, lead, a + rules.SUSTAIN_SHARE * (b - a), rules.RELEASE_S, p.label)
            segments.append(seg)
            previous = seg
    return segments


def _ramp(x: np.ndarray) -> np.ndarray:
    """Raised cosine 0 → 1 over x in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def jaw_level(
    phones: list[Phone], loudness_db: np.ndarray, loudness_rate: float, times: np.ndarray
) -> np.ndarray:
    """JALI's JA per curve sample: loudness in [0, 1] between the 5th and 95th percentile of the
    speech (non-silence phones), read at ``times`` (s)."""
    db = np.asarray(loudness_db, np.float64)
    grid = (np.arange(len(db)) + 0.5) / loudness_rate
    speech = np.zeros(len(db), bool)
    for p in phones:
        if not p.is_silence:
            speech[int(p.start * loudness_rate) : int(np.ceil(p.end * loudness_rate))] = True
    if speech.sum() < 2:
        return np.ones(len(times))
    mean, sd = float(db[speech].mean()), float(db[speech].std() + 1e-3)
    level = np.clip((np.interp(times, grid, db) - (mean - 2.0 * sd)) / (3.2 * sd), 0.0, 1.0)
    return level**1.3


def render_curves(
    segments: list[Segment], duration: float, rate: float = CURVE_RATE, level: np.ndarray | None = None
) -> np.ndarray:
    """(n, len(MOUTH_CHANNELS)) values on a grid of ``rate`` Hz covering [0, duration].

    ``level`` (JA, per grid sample, see :func:`jaw_level`) scales the jaw frame by frame: the
    viseme says how far this sound opens the jaw relative to others, loudness how far it opens now.
    """
    n = int(np.ceil(duration * rate)) + 1
    out = np.zeros((n, len(MOUTH_CHANNELS)), np.float32)
    active = np.zeros(n)  # how much any speech segment is under way (0 in silence)
    for s in segments:
        onset, fall_end = s.start - s.anticipation, s.sustain_end + s.release
        k0, k1 = max(0, int(np.floor(onset * rate))), min(n, int(np.ceil(fall_end * rate)) + 1)
        if k1 <= k0:
            continue
        t = np.arange(k0, k1) / rate
        env = np.ones_like(t)
        if s.anticipation > 0:
            env = np.minimum(env, _ramp((t - onset) / s.anticipation))
        env = np.minimum(env, 1.0 - _ramp((t - s.sustain_end) / s.release))
        np.maximum(out[k0:k1], env[:, None].astype(np.float32) * s.target.to_arkit()[None, :], out=out[k0:k1])
        np.maximum(active[k0:k1], env, out=active[k0:k1])
    if level is not None:
        jaw = out[:, MOUTH_INDEX["jawOpen"]]
        ja = np.asarray(level, np.float32)[:n] if len(level) >= n else np.pad(level, (0, n - len(level)))
        jaw[:] = np.minimum(rules.JA_GAIN * ja * (rules.JA_BASE * active + jaw), 1.0)
    return rules.seal_lips(out)


def pool_to_frames(
    curves: np.ndarray, n_frames: int, fps: float, rate: float = CURVE_RATE, start: int = 0
) -> np.ndarray:
    """Frame i shows the mean over [i/fps, (i+1)/fps), or the closed pose if the lips close in it
    (frames ``start`` … ``n_frames`` − 1)."""
    out = np.zeros((n_frames - start, curves.shape[1]), np.float32)
    close = rules.closure(curves)
    for i in range(start, n_frames):
        a = int(round(i / fps * rate))
        b = max(a + 1, int(round((i + 1) / fps * rate)))
        if a >= len(curves):
            break
        window = curves[a:b]
        peak = int(np.argmax(close[a:b]))
        out[i - start] = window[peak] if close[a + peak] >= 0.5 else window.mean(0)
    return out


def viseme_frames(
    phones: list[Phone],
    n_frames: int,
    fps: float,
    loudness_db: np.ndarray | None = None,
    loudness_rate: float = 100.0,
    first: int = 0,
) -> np.ndarray:
    """(n_frames − first, len(MOUTH_CHANNELS)) mouth values for phone timings (seconds), frames
    ``first`` on (live reads one frame at the end of a window: the rest need not be drawn)."""
    segments = plan_segments(phones, loudness_db, loudness_rate)
    if first:
        segments = [s for s in segments if s.sustain_end + s.release >= (first - 1) / fps]
    duration = n_frames / fps
    level = None
    if loudness_db is not None and len(loudness_db):
        times = np.arange(int(np.ceil(duration * CURVE_RATE)) + 1) / CURVE_RATE
        level = jaw_level(phones, loudness_db, loudness_rate, times)
    curves = render_curves(segments, duration, level=level)
    return pool_to_frames(curves, n_frames, fps, start=first)
