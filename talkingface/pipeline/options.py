"""Options for one generation, validated once, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError
from ..provenance import ProvenanceOptions


@dataclass(frozen=True)
class GenerateOptions:
    fps: float = 25.0
    size: int = 512  # crop mode: side of the square output
    mode: str = "crop"  # "crop" (square around the face) or "full" (the photo's own size)
    seed: int = 0  # same seed → identical video
    motion_scale: float = 1.0  # head motion; 0 keeps the head still
    blink_rate: float = 22.0  # blinks per minute while speaking
    max_duration: float = 3600.0  # seconds; longer audio is refused
    crf: int = 18  # H.264 quality (lower = better, bigger)
    transcript: str | None = None  # the words spoken: enables forced alignment (most accurate lip sync)
    language: str = "auto"  # "en", another language code (acoustic lip sync), or "auto"
    lipsync: str = "auto"  # "auto" (phones or acoustic cues, see language) or "loudness" (baseline)
    provenance: ProvenanceOptions = field(default_factory=ProvenanceOptions)  # watermark + C2PA, on

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= 120:
            raise InputError(f"--fps {self.fps} is out of range: use 1 to 120 (25 or 30 are usual)")
        if self.mode not in ("crop", "full"):
            raise InputError(f"--mode {self.mode!r} is unknown: use 'crop' or 'full'")
        if self.mode == "crop" and (not 128 <= self.size <= 2048 or self.size % 2):
            raise InputError(f"--size {self.size} is not supported: use an even number from 128 to 2048")
        if self.motion_scale < 0 or self.motion_scale > 3:
            raise InputError(f"--motion-scale {self.motion_scale} is out of range: use 0 (still) to 3")
        if not 0 <= self.blink_rate <= 60:
            raise InputError(f"--blink-rate {self.blink_rate} is out of range: use 0 to 60 blinks per minute")
        if self.max_duration <= 0:
            raise InputError("--max-duration must be positive")
        if self.lipsync not in ("auto", "loudness"):
            raise InputError(f"--lipsync {self.lipsync!r} is unknown: use 'auto' or 'loudness'")
        if not self.language or not self.language.replace("-", "").replace("_", "").isalpha():
            raise InputError(
                f"--language {self.language!r} is not a language code: use e.g. en, fr, es or auto"
            )
        if not 0 <= self.crf <= 51:
            raise InputError(f"--crf {self.crf} is out of range: use 0 to 51 (18 is visually lossless)")
