"""Phone timings from PocketSphinx: allphone recognition for any audio, forced alignment for a transcript.

Why two routes (procedural.md §3): allphone needs nothing but the audio, but on real speech it
finds only about half of the p/b/m closures; forced alignment with the transcript is far more
accurate and costs the same (RTF ≈ 0.05 on one core). Long audio is cut into utterances at
pauses so memory and time stay linear in the length (the state-alignment pass keeps a
frames × states table, which would grow quadratically on one hour-long utterance).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from ..errors import AlignmentError
from .g2p import normalize_text, pronounce

SAMPLE_RATE = 16000
#: PocketSphinx frame rate: 100 frames/s, so a frame is 10 ms.
FRAME_S = 0.01
SILENCE = "SIL"
#: Longest stretch decoded as one utterance (s). Cuts fall in the middle of pauses.
MAX_UTTERANCE_S = 20.0
#: a transcript this long or longer may be aligned without a word cut off at either end
#: (:func:`align_transcript`); shorter, leaving one out would leave too little to check the rest
MIN_WORDS_TO_TRIM = 3
#: A pause at least this long (s) is a place to cut the audio into utterances.
MIN_CUT_PAUSE_S = 0.2
#: Rhubarb's allphone settings (PhoneticRecognizer.cpp): lw ≤ 0.4 flutters, ≥ 1.0 freezes.
ALLPHONE_LW = 0.8
ALLPHONE_BEAM = 1e-20


@dataclass(frozen=True)
class Phone:
    """One ARPAbet phone (no stress digits; ``SIL`` for silence and noise), times in seconds."""

    label: str
    start: float
    end: float
    word: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def is_silence(self) -> bool:
        return self.label == SILENCE


def _pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(np.asarray(samples, np.float32), -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _clean_label(label: str) -> str:
    """Fillers (+SPN+, +NSN+, <sil>) count as silence; alternate-pronunciation marks go."""
    label = label.upper()
    if label.startswith(("+", "<", "[")) or label in ("SIL", "SP"):
        return SILENCE
    return label.rstrip("0123456789")


def split_utterances(
    samples: np.ndarray, max_s: float = MAX_UTTERANCE_S, min_pause_s: float = MIN_CUT_PAUSE_S
) -> list[tuple[int, int]]:
    """Cut 16 kHz audio into [start, end) sample ranges no longer than ``max_s``.

    Cuts go in the middle of the longest quiet stretch (10 ms frames 30 dB under the loud
    frames) found in each window; without any pause, at the quietest frame.
    """
    n = len(samples)
    hop = int(FRAME_S * SAMPLE_RATE)
    limit = int(max_s * SAMPLE_RATE)
    if n <= limit:
        return [(0, n)]
    frames = len(samples) // hop
    energy = np.square(samples[: frames * hop].reshape(frames, hop)).mean(1)
    db = 10 * np.log10(energy + 1e-10)
    quiet = db < np.percentile(db, 95) - 30
    cuts = [0]
    while n - cuts[-1] > limit:
        lo, hi = cuts[-1] // hop + int(1.0 / FRAME_S), (cuts[-1] + limit) // hop
        best, best_len, run = None, 0, 0
        for f in range(lo, hi):
            run = run + 1 if quiet[f] else 0
            if run > best_len:
                best_len, best = run, f - run // 2
        if best is None or best_len * FRAME_S < min_pause_s:
            best = lo + int(np.argmin(db[lo:hi]))
        cuts.append(best * hop)
    cuts.append(n)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _fill_gaps(phones: list[Phone], duration: float) -> list[Phone]:
    """Sorted, non-overlapping, covering [0, duration]: gaps become SIL, neighbouring SILs merge."""
    out: list[Phone] = []
    t = 0.0
    for p in sorted(phones, key=lambda p: p.start):
        start = max(p.start, t)
        if start - t > 1e-6:
            out.append(Phone(SILENCE, t, start))
        if p.end - start > 1e-6:
            out.append(Phone(p.label, start, min(p.end, duration), p.word))
        t = max(t, min(p.end, duration))
    if duration - t > 1e-6:
        out.append(Phone(SILENCE, t, duration))
    merged: list[Phone] = []
    for p in out:
        if merged and p.is_silence and merged[-1].is_silence:
            merged[-1] = Phone(SILENCE, merged[-1].start, p.end)
        else:
            merged.append(p)
    return merged


def allphone_decoder(lw: float = ALLPHONE_LW):
    """A fresh PocketSphinx decoder for :func:`recognize_phones` (loading its models takes ~0.2 s,
    so a worker makes the next one while it waits for audio)."""
    from pocketsphinx import Decoder, get_model_path

    return Decoder(
        allphone=get_model_path("en-us/en-us-phone.lm.bin"),
        allphone_ci=True,
        lw=lw,
        beam=ALLPHONE_BEAM,
        pbeam=ALLPHONE_BEAM,
        cmn="batch",
        loglevel="FATAL",
    )


#: where :func:`recognize_phones` sends the work when set (see :func:`recognition_by`): PocketSphinx
#: holds the GIL for a whole utterance, so a file's recognition runs in a worker process while this
#: one analyses the face
_recognizer: ContextVar[Callable[[np.ndarray], list[Phone]] | None] = ContextVar("recognizer", default=None)


@contextmanager
def recognition_by(recognize: Callable[[np.ndarray], list[Phone]]) -> Iterator[None]:
    """Within this block (this thread or task), :func:`recognize_phones` with the default settings
    is answered by ``recognize`` (which must return exactly what it would)."""
    token = _recognizer.set(recognize)
    try:
        yield
    finally:
        _recognizer.reset(token)


def recognize_phones(samples: np.ndarray, lw: float = ALLPHONE_LW, decoder=None) -> list[Phone]:
    """Allphone recognition (English acoustic model, phone bigram LM) of any 16 kHz float32 audio.
    ``decoder``: a fresh one from :func:`allphone_decoder` with the same ``lw``, made ahead."""
    recognize = _recognizer.get()
    if recognize is not None and decoder is None and lw == ALLPHONE_LW:
        return recognize(samples)
    decoder = decoder or allphone_decoder(lw)
    phones: list[Phone] = []
    for a, b in split_utterances(samples):
        decoder.start_utt()
        decoder.process_raw(_pcm16(samples[a:b]), full_utt=True)
        decoder.end_utt()
        t0 = a / SAMPLE_RATE
        for seg in decoder.seg():
            start, end = t0 + seg.start_frame * FRAME_S, t0 + (seg.end_frame + 1) * FRAME_S
            phones.append(Phone(_clean_label(seg.word), start, end))
    return _fill_gaps(phones, len(samples) / SAMPLE_RATE)


def _decoder_for(words: list[str]):
    from pocketsphinx import Decoder

    decoder = Decoder(lm=None, loglevel="FATAL")
    for word in set(words):
        pron, how = pronounce(word, decoder.lookup_word)
        if how != "dict":
            decoder.add_word(word, pron, True)
    return decoder


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def _word_pass(decoder, words: list[str], pcm: bytes) -> list[tuple[str, float, float]]:
    """First pass: word timings (the search constrained to the transcript)."""
    decoder.set_align_text(" ".join(words))
    try:
        _decode(decoder, pcm)
        found = decoder.hyp() is not None
    except RuntimeError:  # PocketSphinx gives up on some text that does not fit ("failed to stop")
        found = False
    if not found:
        raise AlignmentError(
            "the transcript could not be aligned to the audio: check that it is the text actually "
            "spoken, or leave the transcript out to recognise phones from the audio alone"
        )
    return [(s.word, s.start_frame * FRAME_S, (s.end_frame + 1) * FRAME_S) for s in decoder.seg()]


def _phone_pass(decoder, pcm: bytes, t0: float) -> list[Phone]:
    """Second pass over the same audio: sub-word (phone) alignment of the first pass's words."""
    decoder.set_alignment()
    _decode(decoder, pcm)
    phones = []
    for word in decoder.get_alignment():
        name = "" if _clean_label(word.name) == SILENCE else word.name.split("(")[0]
        for p in word:
            label = _clean_label(p.name)
            phones.append(Phone(label, t0 + p.start * FRAME_S, t0 + (p.start + p.duration) * FRAME_S, name))
    return phones


def _chunks(word_segs: list[tuple[str, float, float]], max_s: float) -> list[tuple[float, float, list[str]]]:
    """Group aligned words into utterances ≤ ``max_s`` long (when pauses allow), cut mid-pause."""
    end = word_segs[-1][2]
    pauses = [(a + b) / 2 for w, a, b in word_segs if _clean_label(w) == SILENCE and a > 0 and b < end]
    cuts = [0.0]
    previous = None
    for mid in pauses:
        if mid - cuts[-1] > max_s:
            cuts.append(previous if previous is not None and previous > cuts[-1] else mid)
        previous = mid
    if end - cuts[-1] > max_s and previous is not None and previous > cuts[-1]:
        cuts.append(previous)
    cuts.append(end)
    chunks = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        words = [w.split("(")[0] for w, wa, _ in word_segs if a <= wa < b and _clean_label(w) != SILENCE]
        chunks.append((a, b, words))
    return chunks


def align_phones(
    samples: np.ndarray, transcript: str, max_utterance_s: float = MAX_UTTERANCE_S
) -> list[Phone]:
    """Forced alignment of ``transcript`` to 16 kHz float32 audio (two PocketSphinx passes).

    Out-of-dictionary words get a pronunciation from morphology or letter-to-sound rules
    (:mod:`.g2p`). Raises :class:`AlignmentError` when the text does not fit the audio.
    """
    return _align_words(samples, _transcript_words(transcript), max_utterance_s)


@dataclass(frozen=True)
class Alignment:
    phones: list[Phone]
    left_out: tuple[str, ...]  # words at the transcript's ends that the audio cuts off


def align_transcript(samples: np.ndarray, transcript: str) -> Alignment:
    """:func:`align_phones`, forgiving a clip cut out of longer speech inside its first or last word
    (a cut-off word cannot be aligned, and failing would drop the whole transcript for phone
    recognition): when the words do not fit, they are aligned again without the last word, the
    first, then both, and the words left out are named."""
    words = _transcript_words(transcript)
    tries = [(words, ())]
    if len(words) >= MIN_WORDS_TO_TRIM:
        tries += [(words[:-1], (words[-1],)), (words[1:], (words[0],)), (words[1:-1], (words[0], words[-1]))]
    error = None
    for kept, left_out in tries:
        try:
            return Alignment(_align_words(samples, kept, MAX_UTTERANCE_S), left_out)
        except AlignmentError as exc:
            error = error or exc
    raise error


def _transcript_words(transcript: str) -> list[str]:
    words = normalize_text(transcript)
    if not words:
        raise AlignmentError("the transcript contains no words")
    return words


def _align_words(samples: np.ndarray, words: list[str], max_utterance_s: float) -> list[Phone]:
    duration = len(samples) / SAMPLE_RATE
    decoder = _decoder_for(words)
    pcm = _pcm16(samples)
    word_segs = _word_pass(decoder, words, pcm)
    if duration <= max_utterance_s:
        try:
            return _fill_gaps(_phone_pass(decoder, pcm, 0.0), duration)
        except RuntimeError as exc:  # the phone search lost words the first pass placed
            raise AlignmentError(
                f"the transcript's phones could not be aligned to the audio ({exc})"
            ) from exc
    phones: list[Phone] = []
    for a, b, chunk_words in _chunks(word_segs, max_utterance_s):
        if not chunk_words:
            continue
        sub = pcm[2 * int(a * SAMPLE_RATE) : 2 * int(b * SAMPLE_RATE)]
        try:
            _word_pass(decoder, chunk_words, sub)
            phones.extend(_phone_pass(decoder, sub, a))
        except (AlignmentError, RuntimeError):
            # The phone search lost this stretch: spread each word's phones over its first-pass span.
            decoder = _decoder_for(words)
            for w, wa, wb in word_segs:
                if a <= wa < b and _clean_label(w) != SILENCE:
                    phones.extend(_spread(w.split("(")[0], wa, wb, decoder.lookup_word(w) or "AH"))
    return _fill_gaps(phones, duration)


def _spread(word: str, start: float, end: float, pron: str) -> list[Phone]:
    labels = pron.split()
    edges = np.linspace(start, end, len(labels) + 1)
    return [
        Phone(lab, float(x0), float(x1), word)
        for lab, x0, x1 in zip(labels, edges[:-1], edges[1:], strict=True)
    ]


#: live recognition: an utterance is closed (its phones final, the decoder's memory freed) after a
#: pause this long, or at the latest after MAX_UTTERANCE_S
LIVE_CUT_PAUSE_S = 0.3
#: live cepstral mean: updated from the audio so far this often (s)
LIVE_CMN_UPDATE_S = 0.25


class PhoneStream:
    """Incremental allphone recognition: feed audio as it arrives, read the phones so far.

    The phones of the utterance under way come from the decoder's current best path (they can
    still change near its end; the mouth reads them a look-ahead behind the newest audio). Live
    cepstral mean normalisation (``cmn="live"``): a stream has no whole clip to normalise over.
    """

    def __init__(self, lw: float = ALLPHONE_LW, keep_s: float = 10.0) -> None:
        from pocketsphinx import Decoder, get_model_path

        self.decoder = Decoder(
            allphone=get_model_path("en-us/en-us-phone.lm.bin"), allphone_ci=True, lw=lw,
            beam=ALLPHONE_BEAM, pbeam=ALLPHONE_BEAM, cmn="live", loglevel="FATAL",
        )  # fmt: skip
        self.keep_s = keep_s
        self.fed = 0  # samples fed
        self.utt_start = 0  # sample where the current utterance began
        self.final: list[Phone] = []  # phones of closed utterances (the last keep_s seconds)
        self._cmn_at = 0
        self.decoder.start_utt()

    def feed(self, samples: np.ndarray) -> None:
        if len(samples):
            self.decoder.process_raw(_pcm16(samples), full_utt=False)
            self.fed += len(samples)
            if self.fed - self._cmn_at >= LIVE_CMN_UPDATE_S * SAMPLE_RATE:
                self.decoder.get_cmn(update=True)  # adapt to this voice now, not at the utterance's end
                self._cmn_at = self.fed

    def _segments(self) -> list[Phone]:
        t0 = self.utt_start / SAMPLE_RATE
        return [
            Phone(_clean_label(s.word), t0 + s.start_frame * FRAME_S, t0 + (s.end_frame + 1) * FRAME_S)
            for s in (self.decoder.seg() or [])
        ]

    def cut(self) -> None:
        """Close the utterance here (in a pause): its phones become final."""
        self.decoder.end_utt()
        self.final += self._segments()
        horizon = self.fed / SAMPLE_RATE - self.keep_s
        self.final = [p for p in self.final if p.end > horizon]
        self.utt_start = self.fed
        self.decoder.start_utt()

    def skip_to(self, sample: int) -> None:
        """Audio up to ``sample`` will not be fed (silence, another language): close the utterance
        under way and continue the timeline there."""
        if self.fed > self.utt_start:
            self.cut()
        self.fed = self.utt_start = self._cmn_at = max(sample, self.fed)

    @property
    def utterance_seconds(self) -> float:
        return (self.fed - self.utt_start) / SAMPLE_RATE

    def phones(self, since: float = 0.0) -> list[Phone]:
        """Phones ending after ``since`` s (final ones, then the current utterance's best path)."""
        return [p for p in self.final + self._segments() if p.end > since]
