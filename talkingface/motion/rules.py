"""Lip-sync rules as data: phone → mouth target on the ARKit channels, and the timing constants.

The targets follow procedural.md §2.5 (Rhubarb's shape sets + JALI's constraints), written on
eight articulatory controls and mapped once onto the ARKit mouth channels, so the table stays
readable and a renderer sees ordinary ARKit names. Values are offsets from the portrait's
neutral in [0, 1]; silence is all zeros (the photo as it is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# --- timing (seconds), JALI §4 / Rhubarb ------------------------------------------------------
#: A viseme starts this long before its phone (JALI: onset ≈ 120 ms before the apex) …
ANTICIPATION_S = 0.120
#: … or this long for lip-rounded (lip-heavy) visemes, whose protrusion starts earlier.
ROUNDED_ANTICIPATION_S = 0.150
#: … but the lips seal for p/b/m with the sound's own closure: real lips meet in the acoustic
#: silence of the stop (psychopy's speaker opens fully for the 110 ms vowel between two bilabials),
#: so a closure's ramp is this short (self-reenactment r 0.50 → 0.52 from 0.12; p/b/m kept).
CLOSURE_ANTICIPATION_S = 0.050
#: The viseme holds its apex over this share of the phone, then decays …
SUSTAIN_SHARE = 0.75
#: … over this long (0.12 in JALI; 0.18 follows a real speaker better: self-reenactment, eval/reenact.py).
RELEASE_S = 0.180
#: Lips open fast after a bilabial burst: a closure holds to the phone's end, then opens this fast.
CLOSURE_RELEASE_S = 0.060
#: Rhubarb: any closed segment lasts at least this long; short closures grow leftward …
MIN_SEGMENT_S = 0.080
#: … by at most this much.
MAX_CLOSURE_EXTENSION_S = 0.060
#: Pause bands (Rhubarb pauseAnimation): shorter pauses hold the previous shape …
PAUSE_HOLD_S = 0.120
#: … up to this long the mouth relaxes (the previous shape scaled by RELAX_SHARE); longer: neutral.
PAUSE_RELAX_S = 0.350
RELAX_SHARE = 0.5
#: Rhubarb: AH at least this long opens wider (shape D instead of C); ER shorter than
#: SHORT_ER_S acts like a schwa.
LONG_AH_S = 0.200
SHORT_ER_S = 0.070
#: Rhubarb's diphthong split: the first shape takes this share of the phone.
DIPHTHONG_SPLIT = 0.6
#: HH takes the next vowel's shape at this strength.
HH_SHARE = 0.6
#: JALI JA from loudness: jaw × (1 + gain × z), z = (phone loudness − mean) / SD over speech,
#: clipped to [JAW_SCALE_MIN, JAW_SCALE_MAX] (JALI Table 1: −1 SD → 0.1–0.2, mean → 0.3–0.6, +1 SD → 0.7–0.9).
JAW_LOUDNESS_GAIN = 0.35
JAW_SCALE_MIN = 0.5
JAW_SCALE_MAX = 1.4
#: JALI's JA frame by frame: jaw = JA_GAIN × loudness level (0..1 over the speech) × (JA_BASE + viseme
#: jaw), so quiet stretches barely open, loud vowels open wide, an IY stays narrower than an AA, and
#: the mouth follows the voice's own rhythm (measured: lip–loudness agreement of the phone path
#: r 0.40 → 0.59 on the LibriVox sonnet, astronaut portrait; geometric check, no rendering).
JA_GAIN = 0.8
JA_BASE = 0.4
#: Real speakers keep their lips apart between the syllables of a phrase and through its short pauses:
#: only a bilabial (or an f/v tuck) brings them together. On the phone paths (files and live) the jaw
#: stays at least this open while the one VAD hears the voice (lip gap ≈ 0.12 of the eye distance on
#: our rig: the lower quartile of psychopy testMovie's real speech-time gap), fading over
#: SPEAKING_RELEASE_S after it (self-reenactment on testMovie: r 0.54 → 0.56, lips parted in pauses
#: 24 → 30 %; p/b/m on the Sonnet and espeak kept; see acoustic_mouth.part_lips) …
SPEAKING_JAW = 0.25
SPEAKING_RELEASE_S = 0.5
#: … but not in a consonant's quiet (this many dB under the loudness around it, see
#: acoustic_mouth.stop_closures): a bilabial the phones missed still shows closed lips there.
SPEAKING_DIP_DB = 6.0

#: A loudness dip closes the lips only when the sound after it opens like a labial (diffuse-falling):
#: in the 30 ms after the release no more energy above 3 kHz than in 0.2–1.5 kHz, at most this many dB
#: over it (see audio.acoustic.release_balance). On the 138 dips of the Sonnet, Asterisk and espeak
#: English clips at 25 fps, scored against forced alignment / espeak's phones: every bilabial dip kept,
#: 35 % of the others (t, k, s, f, d …, where real lips stay apart) dropped; −10 dB would drop 40 %
#: but lose 8 % of the bilabials.
LABIAL_RELEASE_DB = 0.0

#: ARKit channels the lip-sync pass writes (everything else it leaves alone).
MOUTH_CHANNELS: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthPressLeft",
    "mouthPressRight",
)  # fmt: skip
MOUTH_INDEX = {name: i for i, name in enumerate(MOUTH_CHANNELS)}


@dataclass(frozen=True)
class Target:
    """One mouth shape on eight articulatory controls, each in [0, 1].

    jaw: opening; spread: corners out (EE); round: protrusion (OO, pucker); funnel: open rounding
    (AW, SH); close: inner lips meet; press: lips pressed (P, B); tuck: lower lip to upper teeth
    (F, V); ulr: upper-lip raise (teeth show).
    """

    jaw: float = 0.0
    spread: float = 0.0
    round: float = 0.0
    funnel: float = 0.0
    close: float = 0.0
    press: float = 0.0
    tuck: float = 0.0
    ulr: float = 0.0

    def scaled(self, k: float) -> Target:
        return Target(*(k * v for v in self.as_tuple()))

    def as_tuple(self) -> tuple[float, ...]:
        return (self.jaw, self.spread, self.round, self.funnel, self.close, self.press, self.tuck, self.ulr)

    @property
    def is_closure(self) -> bool:
        return self.close >= 0.9

    @property
    def is_rounded(self) -> bool:
        return self.round + self.funnel > 0.5

    def to_arkit(self) -> np.ndarray:
        """Values on :data:`MOUTH_CHANNELS`."""
        v = np.zeros(len(MOUTH_CHANNELS), np.float32)
        v[MOUTH_INDEX["jawOpen"]] = self.jaw
        v[MOUTH_INDEX["mouthClose"]] = self.close
        v[MOUTH_INDEX["mouthFunnel"]] = self.funnel
        v[MOUTH_INDEX["mouthPucker"]] = self.round
        v[MOUTH_INDEX["mouthStretchLeft"]] = v[MOUTH_INDEX["mouthStretchRight"]] = 0.5 * self.spread
        v[MOUTH_INDEX["mouthRollLower"]] = min(1.0, 0.8 * self.tuck + 0.3 * self.press)
        v[MOUTH_INDEX["mouthRollUpper"]] = 0.3 * self.press
        upper = 0.5 * self.ulr + 0.2 * self.tuck
        v[MOUTH_INDEX["mouthUpperUpLeft"]] = v[MOUTH_INDEX["mouthUpperUpRight"]] = upper
        v[MOUTH_INDEX["mouthPressLeft"]] = v[MOUTH_INDEX["mouthPressRight"]] = self.press
        return v


#: Lip shapes that cannot show while the lips are sealed.
SEALED_BY_CLOSURE = (
    "mouthFunnel", "mouthPucker", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
)  # fmt: skip


def seal_lips(values: np.ndarray) -> np.ndarray:
    """Turn the closure control into ARKit channels, in place: (n, MOUTH_CHANNELS) → same.

    On input ``mouthClose`` holds the closure C in [0, 1] (1: lips sealed, p/b/m) and ``mouthRollLower``
    the f/v tuck. Out: the jaw shuts as the lips close (JALI: bilabials and labiodentals force the
    jaw), lip shapes that cannot show through sealed lips fade, ``mouthPress`` = C seals the
    portrait's own rest gap (a smiling photo has parted lips), and ``mouthClose`` = C × jaw closes,
    ARKit-style, the gap the jaw still opens, so that the lip gap is (1 − C) of what it would be.
    """
    close = values[:, MOUTH_INDEX["mouthClose"]].copy()
    tuck = np.clip(values[:, MOUTH_INDEX["mouthRollLower"]] / 0.8, 0, 1)
    jaw = MOUTH_INDEX["jawOpen"]
    values[:, jaw] *= 1.0 - np.maximum(close, 0.9 * tuck)
    for name in SEALED_BY_CLOSURE:
        values[:, MOUTH_INDEX[name]] *= 1.0 - close
    for name in ("mouthPressLeft", "mouthPressRight"):
        values[:, MOUTH_INDEX[name]] = np.maximum(values[:, MOUTH_INDEX[name]], close)
    values[:, MOUTH_INDEX["mouthClose"]] = close * values[:, jaw]
    return values


def closure(values: np.ndarray) -> np.ndarray:
    """The closure C per row of sealed mouth values (see :func:`seal_lips`)."""
    return values[:, MOUTH_INDEX["mouthPressLeft"]]


T = Target
#: Phone (ARPAbet, no stress) → target. Diphthongs have two (first takes DIPHTHONG_SPLIT).
VISEMES: dict[str, tuple[Target, ...]] = {
    # bilabials: lips fully closed, jaw shut (JALI hard constraint); P/B pressed, M not
    "P": (T(close=1.0, press=0.7),),
    "B": (T(close=1.0, press=0.6),),
    "M": (T(close=1.0, press=0.2),),
    # labiodentals: lower lip to upper teeth
    "F": (T(jaw=0.05, spread=0.2, tuck=1.0, ulr=0.3),),
    "V": (T(jaw=0.05, spread=0.2, tuck=1.0, ulr=0.3),),
    "TH": (T(jaw=0.15, spread=0.3, ulr=0.3),),
    "DH": (T(jaw=0.15, spread=0.3, ulr=0.3),),
    # sibilants narrow the jaw
    "S": (T(jaw=0.05, spread=0.5, ulr=0.4),),
    "Z": (T(jaw=0.05, spread=0.5, ulr=0.4),),
    "SH": (T(jaw=0.1, round=0.4, funnel=0.5, ulr=0.4),),
    "ZH": (T(jaw=0.1, round=0.4, funnel=0.5, ulr=0.4),),
    "CH": (T(jaw=0.1, round=0.4, funnel=0.5, ulr=0.4),),
    "JH": (T(jaw=0.1, round=0.4, funnel=0.5, ulr=0.4),),
    # tongue-only: own jaw, lips from the neighbours (see TONGUE_ONLY)
    "T": (T(jaw=0.15, ulr=0.2),),
    "D": (T(jaw=0.15, ulr=0.2),),
    "N": (T(jaw=0.15, ulr=0.2),),
    "K": (T(jaw=0.2, ulr=0.2),),
    "G": (T(jaw=0.2, ulr=0.2),),
    "NG": (T(jaw=0.2, ulr=0.2),),
    "L": (T(jaw=0.35, spread=0.2, ulr=0.2),),
    "R": (T(jaw=0.15, round=0.3, funnel=0.3),),
    "ER": (T(jaw=0.25, round=0.2, funnel=0.3),),
    "W": (T(jaw=0.05, round=1.0),),
    "Y": (T(jaw=0.1, spread=0.6, ulr=0.4),),
    "HH": (T(jaw=0.3),),  # replaced by the next vowel × HH_SHARE
    # vowels
    "UW": (T(jaw=0.1, round=0.9, funnel=0.3),),
    "UH": (T(jaw=0.2, round=0.5, funnel=0.4),),
    "AO": (T(jaw=0.55, round=0.2, funnel=0.5),),
    "AA": (T(jaw=0.85, spread=0.2, ulr=0.2),),
    "AE": (T(jaw=0.55, spread=0.5, ulr=0.3),),
    "AH": (T(jaw=0.45, spread=0.2, ulr=0.2),),  # 0.7 jaw when ≥ LONG_AH_S
    "EH": (T(jaw=0.4, spread=0.4, ulr=0.3),),
    "IH": (T(jaw=0.2, spread=0.5, ulr=0.4),),
    "IY": (T(jaw=0.1, spread=0.8, ulr=0.4),),
    "EY": (T(jaw=0.4, spread=0.4, ulr=0.3), T(jaw=0.2, spread=0.5, ulr=0.4)),
    "AY": (T(jaw=0.5, spread=0.3, ulr=0.3), T(jaw=0.2, spread=0.5, ulr=0.4)),  # D→B when long
    "OW": (T(jaw=0.35, round=0.3, funnel=0.5), T(jaw=0.15, round=0.9, funnel=0.3)),
    "AW": (T(jaw=0.5, spread=0.3, ulr=0.3), T(jaw=0.35, round=0.3, funnel=0.5)),
    "OY": (T(jaw=0.35, round=0.3, funnel=0.5), T(jaw=0.2, spread=0.5, ulr=0.4)),
}  # fmt: skip
LONG_AH = T(jaw=0.7, spread=0.2, ulr=0.2)
LONG_AY_FIRST = T(jaw=0.85, spread=0.2, ulr=0.2)
VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})
BILABIALS = frozenset({"P", "B", "M"})
#: JALI: tongue-only visemes have no influence on the lips; the lips take the neighbours' shape.
TONGUE_ONLY = frozenset({"T", "D", "N", "K", "G", "NG", "L"})


def phone_targets(label: str, duration: float) -> tuple[Target, ...]:
    """The target(s) for one phone of this duration; unknown labels give a slightly open mouth."""
    if label == "AH" and duration >= LONG_AH_S:
        return (LONG_AH,)
    if label == "AY" and duration >= LONG_AH_S:
        return (LONG_AY_FIRST, VISEMES["AY"][1])
    if label == "ER" and duration < SHORT_ER_S:
        return VISEMES["AH"]
    return VISEMES.get(label, (T(jaw=0.2),))
