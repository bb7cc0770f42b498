"""Speech → the mouth part of a MotionTrack, choosing how to read the speech.

transcript given → forced alignment (most accurate); English → allphone recognition; another
language → acoustic cues; ``"auto"`` → allphone unless its phones do not cover the speech
the way real English-like speech does (singing, noise), then acoustic cues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio.acoustic import acoustic_frames, frame_loudness
from ..audio.phones import AlignmentError, Phone, align_phones, recognize_phones
from .acoustic_mouth import acoustic_mouth_frames, close_lips, stop_closures
from .rules import MOUTH_CHANNELS, VOWELS
from .track import CHANNEL_INDEX, MotionTrack
from .visemes import viseme_frames

#: ``auto`` keeps allphone when its non-silence phones cover at least this share of the speech …
MIN_PHONE_COVERAGE = 0.6
#: … and its median vowel is no longer than this (s); sung vowels last far longer.
MAX_MEDIAN_VOWEL_S = 0.25
ENGLISH = ("en", "eng", "english")


@dataclass(frozen=True)
class MouthResult:
    """Mouth channel values per frame and how they were obtained (for logs and analysis)."""

    values: np.ndarray  # (n_frames, len(MOUTH_CHANNELS))
    method: str  # "align", "allphone" or "acoustic"
    phones: list[Phone]  # empty for the acoustic path
    note: str = ""


def _allphone_fits(phones: list[Phone], speech: np.ndarray, fps: float) -> bool:
    """Does the allphone output look like speech it can read? (Rule for ``language="auto"``.)"""
    if not speech.any():
        return True
    covered = np.zeros(len(speech), bool)
    for p in phones:
        if not p.is_silence:
            covered[int(p.start * fps) : int(np.ceil(p.end * fps))] = True
    coverage = (covered & speech).sum() / speech.sum()
    vowels = [p.duration for p in phones if p.label in VOWELS]
    median_vowel = float(np.median(vowels)) if vowels else np.inf
    return coverage >= MIN_PHONE_COVERAGE and median_vowel <= MAX_MEDIAN_VOWEL_S


def _vowel_frames(phones: list[Phone], n_frames: int, fps: float) -> np.ndarray:
    """Frames whose centre falls inside a recognised vowel."""
    out = np.zeros(n_frames, bool)
    centres = (np.arange(n_frames) + 0.5) / fps
    for p in phones:
        if p.label in VOWELS:
            out[(centres >= p.start) & (centres < p.end)] = True
    return out


def mouth_frames(
    samples: np.ndarray, n_frames: int, fps: float, transcript: str | None = None, language: str = "auto"
) -> MouthResult:
    """Mouth values for 16 kHz float32 speech, ``n_frames`` frames at ``fps``."""
    language = (language or "auto").lower().split("-")[0].split("_")[0]
    loudness = frame_loudness(samples, int(np.ceil(len(samples) / 160)), 100.0)
    note = ""
    if transcript and transcript.strip():
        try:
            phones = align_phones(samples, transcript)
            return MouthResult(viseme_frames(phones, n_frames, fps, loudness), "align", phones)
        except AlignmentError as exc:
            note = f"alignment failed ({exc}); fell back to recognition"
    if language == "auto" or language in ENGLISH:
        phones = recognize_phones(samples)
        cues = acoustic_frames(samples, n_frames, fps)
        if language in ENGLISH or _allphone_fits(phones, cues.speech, fps):
            values = viseme_frames(phones, n_frames, fps, loudness)
            # allphone misses about half the p/b/m of real speech: close the lips in stop closures too
            values = close_lips(values, stop_closures(cues) & ~_vowel_frames(phones, n_frames, fps))
            return MouthResult(values, "allphone", phones, note)
        note = (note + "; " if note else "") + "phones did not fit the speech; used acoustic cues"
        return MouthResult(acoustic_mouth_frames(cues), "acoustic", [], note)
    cues = acoustic_frames(samples, n_frames, fps)
    return MouthResult(acoustic_mouth_frames(cues), "acoustic", [], note)


def write_mouth(track: MotionTrack, values: np.ndarray) -> MotionTrack:
    """Write mouth values into ``track`` (in place; other channels untouched) and return it."""
    for j, name in enumerate(MOUTH_CHANNELS):
        track.blendshapes[:, CHANNEL_INDEX[name]] = values[: len(track), j]
    return track


def mouth_track(
    samples: np.ndarray, n_frames: int, fps: float, transcript: str | None = None, language: str = "auto"
) -> MotionTrack:
    """A MotionTrack with only the mouth channels set (head still); ``meta["lipsync"]`` says how."""
    result = mouth_frames(samples, n_frames, fps, transcript, language)
    track = write_mouth(MotionTrack.neutral(n_frames, fps), result.values)
    track.meta["lipsync"] = result.method
    if result.note:
        track.meta["lipsync_note"] = result.note
    return track
