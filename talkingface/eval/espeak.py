"""Synthetic speech with exact phone timings from libespeak-ng (ctypes), for tests and benchmarks.

Why: real recordings in French or German come without phone timings, so their p/b/m closures
cannot be scored; espeak-ng says which phoneme it is speaking at every millisecond, in dozens
of languages. Needs the system library (``espeak-ng``, installed by
scripts/install-system-packages.sh); :func:`available` tells whether it is there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass

import numpy as np

from ..audio.phones import Phone

_LIST_TERMINATED, _PHONEME, _END, _MSG_TERMINATED = 0, 7, 5, 6
_SYNCHRONOUS = 2
_PHONEME_EVENTS = 0x0001
_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
#: espeak-ng phoneme mnemonics for the bilabials (its inventories share these across languages).
BILABIAL_PHONEMES = frozenset({"p", "b", "m", "p#", "b#", "m#", "m-", "p:", "b:", "m:", "bh", "ph", "mh"})
_lock = threading.Lock()
_lib = None
_rate = 0


class _Id(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _Id),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


def _load():
    global _lib, _rate
    if _lib is None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        lib = ctypes.CDLL(name)
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]  # fmt: skip
        rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, None, _PHONEME_EVENTS | _DONT_EXIT)
        if rate <= 0:
            raise OSError("espeak-ng could not be initialised")
        _lib, _rate = lib, rate
    return _lib


def available() -> bool:
    try:
        _load()
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class SpokenText:
    samples: np.ndarray  # float32 mono at ``sample_rate``
    sample_rate: int
    phones: list[Phone]  # espeak-ng phoneme mnemonics with their times (s); bilabials in BILABIAL_PHONEMES


def speak(text: str, voice: str = "en", pad_s: float = 0.0) -> SpokenText:
    """Synthesise ``text`` with an espeak-ng voice (``en``, ``fr``, ``de``, ``es`` …), with phone timings.

    ``pad_s`` of silence is added before and after (the phone times include it).
    """
    with _lock:
        lib = _load()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        chunks: list[np.ndarray] = []
        events: list[tuple[int, str]] = []

        def callback(wav, n, ev):
            if n > 0:
                chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            i = 0
            while ev[i].type != _LIST_TERMINATED:
                if ev[i].type == _PHONEME:
                    events.append((ev[i].audio_position, ev[i].id.string.decode("utf-8", "replace")))
                elif ev[i].type in (_END, _MSG_TERMINATED):
                    events.append((ev[i].audio_position, ""))
                i += 1
            return 0

        cb = _CALLBACK(callback)
        lib.espeak_SetSynthCallback(cb)
        data = text.encode("utf-8") + b"\0"
        lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
    audio = np.concatenate(chunks).astype(np.float32) / 32768.0 if chunks else np.zeros(0, np.float32)
    pad = int(pad_s * _rate)
    audio = np.concatenate([np.zeros(pad, np.float32), audio, np.zeros(pad, np.float32)])
    duration = len(audio) / _rate
    phones: list[Phone] = []
    events.sort(key=lambda e: e[0])
    ends = events[1:] + [(int(1000 * (duration - 2 * pad_s)), "")]
    for (t0, name), (t1, _) in zip(events, ends, strict=True):
        if name and name not in ("_", "_:", "_!", "||", "|") and t1 > t0:
            phones.append(Phone(name, pad_s + t0 / 1000, pad_s + t1 / 1000))
    return SpokenText(audio, _rate, phones)


def as_arpabet_bilabials(phones: list[Phone]) -> list[Phone]:
    """The bilabial phones relabelled P/B/M (what :func:`..eval.lipsync.bilabial_closure_rate` counts)."""
    out = []
    for p in phones:
        if p.label in BILABIAL_PHONEMES:
            out.append(Phone(p.label[0].upper(), p.start, p.end))
    return out
