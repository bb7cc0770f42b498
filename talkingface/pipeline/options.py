"""Options for one generation: every ``talkingface generate`` flag and every keyword of
``talkingface.generate``, each with its default, help line and allowed range written once here.

The CLI builds its ``generate`` command from these fields (``--motion-scale`` is ``motion_scale``)
and the server can derive its form fields the same way. Values may come as text (a command line,
a form): the options object parses and checks them, so a mistake is one line wherever it comes
from. Adding an option is adding one field with :func:`option`.

This module stays light (no numpy, no media libraries): ``talkingface --help`` imports it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..motion.ranges import HEAD_DISTANCE_RANGE, MAX_GAZE_DEG, RANGES

if TYPE_CHECKING:
    from ..motion.controls import Controls
    from ..provenance import ProvenanceOptions

#: where ``generate`` writes when no output is named (CLI ``-o`` and API ``output``)
DEFAULT_OUTPUT = "talking.mp4"
#: longest label (characters) and transcript (bytes) accepted
MAX_LABEL_CHARS = 80
MAX_TEXT_BYTES = 1 << 20


def one_transcript(transcript: str | None, transcript_file: Path | None) -> None:
    """The words spoken come as text or as a file, not both (generate, analyze, reenact)."""
    if transcript is not None and transcript_file is not None:
        raise InputError("give either --transcript or --transcript-file, not both")


def option(
    default: Any,
    help: str,
    *,
    kind: type | None = None,
    range: tuple[float, float | None] | None = None,
    choices: tuple[str, ...] | None = None,
    cli: bool = True,
) -> Any:
    """A :class:`GenerateOptions` field: default, ``--help`` line, type and allowed values.

    ``kind`` is the parsed type (taken from the default when it is not None); ``range`` is
    inclusive, ``None`` as the upper end means unbounded; ``cli=False`` keeps an API-only field
    off the command line.
    """
    meta = {"help": help, "kind": kind or type(default), "range": range, "choices": choices, "cli": cli}
    return field(default=default, metadata=meta)


def flag(name: str) -> str:
    """The command-line flag of a field: ``motion_scale`` → ``--motion-scale``."""
    return "--" + name.replace("_", "-")


def spellings(f) -> list[str]:
    """How a field is written on the command line: ``--fps``; a switch that is on by default
    (``matte: bool = True``) also has its off form, ``--matte/--no-matte``."""
    if f.metadata["kind"] is bool and f.default:
        return [flag(f.name), "--no-" + f.name.replace("_", "-")]
    return [flag(f.name)]


@dataclass(frozen=True)
class GenerateOptions:
    """How to make one video. Construct with keywords (numbers may be given as text)."""

    fps: float = option(25.0, "Frames per second of the video.", range=(1, 120))
    size: int = option(512, "Side of the square output in crop mode, pixels (even).", range=(128, 2048))
    mode: str = option(
        "crop",
        "crop: square around the face; full: animate in place at the photo's own size.",
        choices=("crop", "full"),
    )
    seed: int = option(
        0, "Random seed for blinks and head motion; same seed, same video.", range=(0, 2**32 - 1)
    )
    motion_scale: float = option(
        1.0, "Head motion amount; 0 keeps the head still.", range=RANGES["motion_scale"]
    )
    blink_rate: float = option(22.0, "Blinks per minute while speaking.", range=RANGES["blink_rate"])
    max_duration: float = option(3600.0, "Refuse audio longer than this many seconds.", range=(1, None))
    crf: int = option(18, "H.264 quality: lower is better and bigger (18 looks lossless).", range=(0, 51))
    transcript: str | None = option(
        None, "The words spoken; lip sync is then aligned to them (most accurate).", kind=str
    )
    transcript_file: Path | None = option(
        None, "A UTF-8 text file with the words spoken (instead of --transcript).", kind=Path
    )
    language: str = option(
        "auto",
        "Speech language: auto, en (English phones), or a language code such as fr, de, es, it "
        "(mouth from acoustic cues, any language).",
    )
    lipsync: str = option(
        "auto",
        "auto (phones or acoustic cues) or loudness (jaw follows volume only).",
        choices=("auto", "loudness"),
    )
    emotion: str = option(
        "neutral", "neutral, happy, sad, angry or surprised: an offset on the audio-driven face."
    )
    emotion_strength: float = option(
        1.0, "How strong the emotion is: 0 to 1 (1.5 max).", range=RANGES["emotion_strength"]
    )
    gaze: tuple[float, float] = option(
        (0.0, 0.0), "Main gaze direction 'yaw,pitch' in degrees (+yaw: image right, +pitch: down)."
    )
    head_distance: float = option(
        1.0,
        "Head-to-camera distance vs the photo: 0.75 (closer) to 1.35 (farther).",
        range=HEAD_DISTANCE_RANGE,
    )
    motion: Path | None = option(
        None, "Render this motion track (JSON/CSV) instead of audio-driven motion.", kind=Path
    )
    driver: Path | None = option(
        None, "Take head, face and eye motion from this video of a face instead.", kind=Path
    )
    driver_mouth: bool = option(False, "With --driver: take the lips from the driving video too.")
    export_motion: Path | None = option(
        None, "Also write the motion track used to this .json or .csv file.", kind=Path
    )
    matte: bool = option(True, "Keep the background still behind the moving head (person matting).")
    face: str | None = option(
        None, "Which face when there are several: its number (1 = leftmost) or a pixel X,Y.", kind=str
    )
    cache: bool = option(
        True, "Keep each portrait's face search and matte on disk: its next video starts sooner."
    )
    label: str | None = option(None, 'Visible corner label, e.g. "AI-generated" (off by default).', kind=str)
    sign_cert: Path | None = option(
        None,
        "PEM certificate chain to sign the C2PA manifest with (else a key made on this machine).",
        kind=Path,
    )
    sign_key: Path | None = option(None, "PEM private key for --sign-cert.", kind=Path)
    no_watermark: bool = option(False, "Do not embed the invisible watermark (your responsibility).")
    no_sign: bool = option(False, "Do not embed signed C2PA content credentials (your responsibility).")
    #: API only: the full provenance settings (key folder, watermark strength, label corner);
    #: the flat fields above override it
    provenance: ProvenanceOptions | None = option(None, "", kind=object, cli=False)

    def controls(self) -> Controls:
        """The controls the motion engine reads (the same object live sessions change)."""
        from ..motion.controls import Controls

        return Controls(
            self.emotion, self.emotion_strength, (float(self.gaze[0]), float(self.gaze[1])),
            self.head_distance, self.motion_scale, self.blink_rate, self.language,
        )  # fmt: skip

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _parse(f, getattr(self, f.name)))
        if self.mode == "crop" and self.size % 2:
            raise InputError(f"--size {self.size} is not supported: use an even number from 128 to 2048")
        _check_gaze(self.gaze)
        _check_emotion(self.emotion)
        _check_language(self.language)
        from ..face.choice import parse_face_choice  # light: stdlib only

        parse_face_choice(self.face)
        one_transcript(self.transcript, self.transcript_file)
        if self.transcript is not None and len(self.transcript.encode()) > MAX_TEXT_BYTES:
            raise InputError(f"--transcript is longer than {MAX_TEXT_BYTES >> 20} MB: give the words spoken")
        if self.label is not None and len(self.label) > MAX_LABEL_CHARS:
            raise InputError(f"--label is {len(self.label)} characters long: keep it under {MAX_LABEL_CHARS}")
        if self.motion is not None and self.driver is not None:
            raise InputError("--motion and --driver both give the motion: use one of them")
        if self.driver_mouth and self.driver is None:
            raise InputError("--driver-mouth takes the lips from a driving video: give one with --driver")
        if self.export_motion is not None and self.export_motion.suffix.lower() not in (".json", ".csv"):
            raise InputError(f"--export-motion {self.export_motion}: use a .json or .csv file name")
        if self.no_sign and (self.sign_cert is not None or self.sign_key is not None):
            raise InputError("--sign-cert/--sign-key with --no-sign: drop one of them")

    @classmethod
    def build(cls, base: GenerateOptions | None = None, **values: Any) -> GenerateOptions:
        """Options from keywords (over ``base`` if given); an unknown name is a TypeError naming
        the ones there are."""
        names = [f.name for f in fields(cls)]
        unknown = [k for k in values if k not in names]
        if unknown:
            raise TypeError(f"unknown option {unknown[0]!r}: the options are {', '.join(names)}")
        return replace(base, **values) if base is not None else cls(**values)

    def recognises_phones(self) -> bool:
        """Will the mouth come from allphone recognition (English or auto, no transcript, the
        audio's own motion)? Then a recognition worker is worth starting."""
        from ..motion.lipsync import ENGLISH, language_code

        language = language_code(self.language)
        return (
            self.lipsync != "loudness"
            and not (self.transcript or self.transcript_file)
            and self.motion is None
            and (language == "auto" or language in ENGLISH)
        )

    def marks(self) -> ProvenanceOptions:
        """The provenance settings to apply: ``provenance`` (or the defaults: watermark and
        signature on) with the flat options on top."""
        from ..provenance import ProvenanceOptions

        base = self.provenance or ProvenanceOptions()
        return replace(
            base,
            watermark=base.watermark and not self.no_watermark,
            sign=base.sign and not self.no_sign,
            label=self.label if self.label is not None else base.label,
            sign_cert=self.sign_cert or base.sign_cert,
            sign_key=self.sign_key or base.sign_key,
        )

    def read_transcript(self) -> str | None:
        """The words spoken: ``transcript``, or the text of ``transcript_file`` (read capped)."""
        if self.transcript_file is None:
            return self.transcript
        from ..io.text import read_text

        return read_text(self.transcript_file, "the transcript", MAX_TEXT_BYTES)


def cli_fields() -> list:
    """The fields that are ``talkingface generate`` flags, in help order."""
    return [f for f in fields(GenerateOptions) if f.metadata["cli"]]


def as_text(value: Any) -> str | None:
    """A default as a command line would write it: ``(10.0, 0.0)`` → ``10,0``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _parse(f, value: Any) -> Any:
    """One field's value, parsed from text if need be and checked against its range/choices."""
    kind, name = f.metadata["kind"], flag(f.name)
    if value is None or kind is object:
        return value
    if isinstance(value, str) and not value.strip() and f.default is None:
        return None  # an empty form field is "not given"
    if f.name == "gaze":
        return _pair(value, name)
    try:
        if kind is bool:
            if isinstance(value, str):
                value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}[
                    value.strip().lower()
                ]
            return bool(value)
        if kind is int:
            number = float(value)
            if not number.is_integer():
                raise ValueError
            value = int(number)
        elif kind is float:
            value = float(value)
        else:
            value = kind(value)
    except (ValueError, TypeError, KeyError, OverflowError):
        what = {int: "a whole number", float: "a number", bool: "true or false"}.get(kind, "valid")
        raise InputError(f"{name} {value!r} is not {what}") from None
    if kind in (int, float):
        _check_number(name, value, f.metadata["range"])
    if f.metadata["choices"] and value not in f.metadata["choices"]:
        raise InputError(f"{name} {value!r} is unknown: use one of {', '.join(f.metadata['choices'])}")
    return value


def _check_number(name: str, value: float, bounds: tuple[float, float | None] | None) -> None:
    if not math.isfinite(value):
        raise InputError(f"{name} {value} is not a finite number")
    if bounds is None:
        return
    lo, hi = bounds
    if value < lo or (hi is not None and value > hi):
        span = f"{_num(lo)} to {_num(hi)}" if hi is not None else f"at least {_num(lo)}"
        raise InputError(f"{name} {_num(value)} is out of range: use {span}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _pair(value: Any, name: str) -> tuple[float, float]:
    """``"10,-5"``, ``(10, -5)`` or ``[10, -5]`` → ``(10.0, -5.0)``."""
    try:
        parts = value.replace(" ", "").split(",") if isinstance(value, str) else list(value)
        a, b = (float(v) for v in parts)
    except (ValueError, TypeError):
        raise InputError(f"{name} {value!r} is not two numbers: write e.g. {name} 10,-5") from None
    return a, b


def _check_gaze(gaze: tuple[float, float]) -> None:
    for g in gaze:
        _check_number("--gaze", g, (-MAX_GAZE_DEG, MAX_GAZE_DEG))


def _check_emotion(emotion: str) -> None:
    from ..motion.emotion import EMOTIONS

    if emotion not in EMOTIONS:
        raise InputError(f"--emotion {emotion!r} is unknown: use one of {', '.join(EMOTIONS)}")


def _check_language(language: str) -> None:
    """``auto`` or a registered language tag (BCP 47 / ISO 639: en, fr, pt-BR, yue…)."""
    if language == "auto":
        return
    import langcodes

    if not langcodes.tag_is_valid(language.replace("_", "-")):
        raise InputError(
            f"--language {language!r} is not a language code: use auto, en (English phones), or a "
            "code such as fr, de, es, it, pt, nl, pl, ru, tr, ar, hi, zh, ja (mouth from acoustic cues, "
            "any language)"
        )


def api_message(message: str) -> str:
    """An options error as an API client reads it: ``--motion-scale`` becomes ``motion_scale``."""
    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", "_"), message)
