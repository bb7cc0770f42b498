"""Speech → the mouth part of a MotionTrack, choosing how to read the speech.

transcript given → forced alignment (most accurate); English → allphone recognition; another
language → acoustic cues; ``"auto"`` → allphone unless its phones do not cover the speech
the way real English-like speech does (singing, noise), then acoustic cues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..audio.acoustic import AcousticFrames, acoustic_frames, frame_loudness, release_balance, speech_cue
from ..audio.features import needed_hops
from ..audio.phones import (
    LIVE_CUT_PAUSE_S,
    MAX_UTTERANCE_S,
    AlignmentError,
    Phone,
    PhoneStream,
    align_transcript,
    recognize_phones,
)
from ..core.track import CHANNEL_INDEX, MotionTrack
from .acoustic_mouth import acoustic_mouth_frames, close_lips, labial_closures, part_lips, with_pauses
from .lip_gap import aligned_jaw, learned_jaw
from .rules import BILABIALS, MOUTH_CHANNELS, VOWELS

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame
from .visemes import viseme_frames

#: ``auto`` keeps allphone when its non-silence phones cover at least this share of the speech …
MIN_PHONE_COVERAGE = 0.6
#: … and its median vowel is no longer than this (s); sung vowels last far longer.
MAX_MEDIAN_VOWEL_S = 0.25
ENGLISH = ("en", "eng", "english")
#: Allphone labels under which a loudness dip is not taken for a missed p/b/m (their lips stay
#: parted, as a real speaker's do: psychopy self-reenactment). On the English clips of the lip-sync
#: bench (reference bilabials from forced alignment and espeak-ng), none of the 91 dip frames under
#: these fell on a bilabial, against 73 of 252 under the other labels. K, T and Y stay: a bilabial
#: is read as K (2 of 41 frames), as T by the live recogniser (espeak English) and as Y ("beauty").
NO_DIP_CLOSURE = frozenset({"TH", "F", "CH", "JH", "S", "Z", "SH", "ZH", "W"})
#: live: the mouth sees this much audio past the frame (two frames at 25 fps). JALI's anticipation
#: is ≈ 120 ms, but on the Sonnet the live jaw follows the file's as closely with 80 ms (r 0.917 vs
#: 0.923) and espeak p/b/m close as often (11/14 both), and 40 ms less look-ahead is 40 ms less
#: voice-to-lips latency (the live target is 170 ms).
LIVE_LOOKAHEAD_S = 0.08
#: … and reads the rules over a window of this much audio before it (normalisation, pause bands)
LIVE_WINDOW_S = 2.0
_MOUTH_INDICES = [CHANNEL_INDEX[name] for name in MOUTH_CHANNELS]


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


def _phone_frames(
    phones: list[Phone], n_frames: int, fps: float, labels: frozenset[str] | None = None
) -> np.ndarray:
    """Frames whose centre falls inside a recognised phone (of ``labels``; default: any but silence)."""
    out = np.zeros(n_frames, bool)
    centres = (np.arange(n_frames) + 0.5) / fps
    for p in phones:
        if (p.label in labels) if labels is not None else not p.is_silence:
            out[(centres >= p.start) & (centres < p.end)] = True
    return out


def _loudness_cues(
    samples: np.ndarray, n_frames: int, fps: float, speech: np.ndarray | None
) -> AcousticFrames:
    """The acoustic cues the closures and the parted lips need: loudness, speech and releases."""
    db = frame_loudness(samples, n_frames, fps)
    speech = speech_cue(samples, n_frames, fps, speech)
    return AcousticFrames(fps, db, speech, *([None] * 4), release_balance(samples, n_frames, fps))


def mouth_from_phones(
    samples: np.ndarray,
    phones: list[Phone],
    n_frames: int,
    fps: float,
    cues: AcousticFrames | None = None,
    first: int = 0,
    speech: np.ndarray | None = None,
    learned: bool = True,
) -> np.ndarray:
    """Mouth values from recognised phones (the allphone rules, files and live alike), frames
    ``first`` … ``n_frames`` − 1; ``speech``: the one VAD's answer per frame, when known;
    ``learned``: the jaw while speaking from the model fitted on a real speaker (:mod:`.lip_gap`),
    else the rules' own (the fit reads those)."""
    loudness = frame_loudness(samples, int(np.ceil(len(samples) / 160)), 100.0)
    if cues is None:
        cues = _loudness_cues(samples, n_frames, fps, speech)
    rest = ~_phone_frames(phones, n_frames, fps)
    start = first  # a pause's jaw runs on from the last sound before it: draw from there
    while start > 0 and rest[start]:
        start -= 1
    values = viseme_frames(phones, n_frames, fps, loudness, first=start)
    # allphone misses about half the p/b/m of real speech: close the lips in stop closures too
    unsealed = _phone_frames(phones, n_frames, fps, VOWELS | NO_DIP_CLOSURE)
    values = close_lips(values, (labial_closures(cues) & ~unsealed)[start:])
    values = part_lips(values, cues, start)
    values = with_pauses(values, cues.loudness_db, rest, fps, start)
    if learned:
        releases = np.zeros(n_frames, bool)
        for p in phones:
            if p.label in BILABIALS:
                releases[min(n_frames - 1, max(0, int((p.end - 1e-3) * fps)))] = True
        values = learned_jaw(samples, values, ~rest[start:], releases[start:], fps, start)
    return values[first - start :]


def mouth_frames(
    samples: np.ndarray,
    n_frames: int,
    fps: float,
    transcript: str | None = None,
    language: str = "auto",
    speech: np.ndarray | None = None,
) -> MouthResult:
    """Mouth values for 16 kHz float32 speech, ``n_frames`` frames at ``fps``; ``speech``: the
    one VAD's answer for these frames (the clip's features), else the VAD run on ``samples``."""
    language = language_code(language)
    loudness = frame_loudness(samples, int(np.ceil(len(samples) / 160)), 100.0)
    note = ""
    if transcript and transcript.strip():
        try:
            aligned = align_transcript(samples, transcript)
            phones = aligned.phones
            values = viseme_frames(phones, n_frames, fps, loudness)
            cues = _loudness_cues(samples, n_frames, fps, speech)
            values = part_lips(values, cues)
            rest = ~_phone_frames(phones, n_frames, fps)
            values = with_pauses(values, cues.loudness_db, rest, fps)
            values = aligned_jaw(samples, values, ~rest, fps)
            return MouthResult(values, "align", phones, left_out_note(aligned.left_out))
        except AlignmentError as exc:
            note = f"alignment failed ({exc}); fell back to recognition"
    if language == "auto" or language in ENGLISH:
        phones = recognize_phones(samples)
        cues = acoustic_frames(samples, n_frames, fps, speech)
        if language in ENGLISH or _allphone_fits(phones, cues.speech, fps):
            return MouthResult(
                mouth_from_phones(samples, phones, n_frames, fps, cues), "allphone", phones, note
            )
        note = (note + "; " if note else "") + "phones did not fit the speech; used acoustic cues"
        return MouthResult(acoustic_mouth_frames(cues), "acoustic", [], note)
    cues = acoustic_frames(samples, n_frames, fps, speech)
    return MouthResult(acoustic_mouth_frames(cues), "acoustic", [], note)


def left_out_note(words: tuple[str, ...]) -> str:
    """What to tell the user when words at the transcript's ends were not found in the audio."""
    if not words:
        return ""
    named = " and ".join(f"'{w}'" for w in words)
    return f"aligned without {named} at the transcript's ends (cut off in the audio?)"


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


def language_code(language: str) -> str:
    return (language or "auto").lower().split("-")[0].split("_")[0]


class StreamingMouth:
    """The mouth pass for live audio: the offline rules on incrementally recognised phones.

    English (and ``auto``): PocketSphinx allphone runs on the audio as it arrives
    (:class:`~..audio.phones.PhoneStream`); each frame applies the same rules as a file
    (:func:`mouth_from_phones`: visemes with co-articulation, JALI jaw, stop closures) to the
    phones and audio of the last LIVE_WINDOW_S, seeing LIVE_LOOKAHEAD_S past the frame. Other
    languages: the acoustic rules on the same window. The language can change while streaming.
    """

    name = "mouth"
    lookahead = LIVE_LOOKAHEAD_S

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.fps = fps
        self.spf = 16000 / fps
        self.window = int(round(LIVE_WINDOW_S * fps))
        self.buf = np.zeros(0, np.float32)
        self.buf_start = 0  # absolute sample index of buf[0]
        self.decoded = 0  # samples fed to the recogniser
        # loaded now (≈ 0.13 s), not at the first speech: a stream must not stall mid-flight
        self.recogniser: PhoneStream = PhoneStream()
        self.silent_front = 0
        self.spoke = False
        self.cut_frames = int(round(LIVE_CUT_PAUSE_S * fps))
        self.since_speech = 10**9  # frames from the newest speech frame to the newest frame seen
        self.speech = np.zeros(0, bool)  # the engine's VAD per frame, from frame speech_start on
        self.speech_start = 0

    def audio(self, samples: np.ndarray) -> None:
        self.buf = np.concatenate([self.buf, samples])

    def _skip(self, end: int) -> None:
        self.decoded = end
        self.recogniser.skip_to(end)

    def _recognise(self, frame: FeatureFrame, end: int) -> list[Phone]:
        r = self.recogniser
        if self.decoded < self.buf_start:  # audio gone from the window before speech began
            self._skip(self.buf_start)
        r.feed(self.buf[self.decoded - self.buf_start : end - self.buf_start])
        self.decoded = max(self.decoded, end)
        newest = frame.newest
        self.silent_front = 0 if newest.speech else self.silent_front + 1
        self.spoke |= newest.speech
        if r.utterance_seconds >= MAX_UTTERANCE_S or (self.spoke and self.silent_front >= self.cut_frames):
            r.cut()
            self.spoke = False
        return r.phones()

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        k = frame.index
        last = k + len(frame.ahead)
        end = self.buf_start + len(self.buf)
        end = min(end, int(round(needed_hops((last + 0.5) / self.fps) * 0.010 * 16000)))
        w0 = max(0, last + 1 - self.window)
        s0 = int(round(w0 * self.spf))
        x = self.buf[max(0, s0 - self.buf_start) : end - self.buf_start]
        n = last + 1 - w0
        seen = self.speech_start + len(self.speech)  # frames whose VAD answer is kept
        new = [f.speech for f in (frame, *frame.ahead)][max(0, seen - k) :]
        self.speech = np.concatenate([self.speech, np.array(new, bool)])
        speech = self.speech[w0 - self.speech_start : last + 1 - self.speech_start]  # the one VAD
        language = language_code(frame.controls.language)
        self.since_speech = 0 if frame.newest.speech else self.since_speech + 1
        if self.since_speech > n:  # nothing but silence in the window: the rules give neutral
            self._skip(end)  # silence is not recognised (it costs time and says nothing)
            row = np.zeros(len(MOUTH_CHANNELS), np.float32)
        elif language == "auto" or language in ENGLISH:
            t0 = w0 / self.fps
            phones = [
                Phone(p.label, max(p.start - t0, 0.0), p.end - t0, p.word)
                for p in self._recognise(frame, end) if p.end > t0
            ]  # fmt: skip
            row = mouth_from_phones(x, phones, n, self.fps, first=k - w0, speech=speech)[0]
        else:
            self._skip(end)  # a later switch to English recognises from here
            row = acoustic_mouth_frames(acoustic_frames(x, n, self.fps, speech))[k - w0]
        weights[_MOUTH_INDICES] = row
        if k + 1 - self.window > self.speech_start:  # the next window starts there
            self.speech = self.speech[k + 1 - self.window - self.speech_start :]
            self.speech_start = k + 1 - self.window
        keep = int(round((k + 2 - self.window) * self.spf))
        if keep > self.buf_start:
            self.buf = self.buf[keep - self.buf_start :]
            self.buf_start = keep
