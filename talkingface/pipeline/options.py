"""Options for one generation, validated once, with their defaults in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..motion.controls import HEAD_DISTANCE_RANGE, Controls
from ..motion.emotion import EMOTIONS
from ..motion.gaze import MAX_GAZE_DEG
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
    emotion: str = "neutral"  # neutral, happy, sad, angry, surprised: an offset on the audio-driven face
    emotion_strength: float = 1.0  # 0 (none) to 1 (full prototype), up to 1.5
    gaze: tuple[float, float] = (0.0, 0.0)  # main gaze, degrees: yaw (+ image right), pitch (+ down)
    head_distance: float = 1.0  # head-to-camera distance relative to the photo: > 1 farther (smaller head)
    motion_track: str | Path | None = None  # render this track file (JSON/CSV) instead of audio-driven motion
    driver: str | Path | None = None  # head, eyes and brows from this driving video; lips from the audio
    driver_mouth: bool = False  # with a driver: take the lips from the driver too, not from the audio
    export_motion: str | Path | None = None  # also write the track used to this .json or .csv file
    provenance: ProvenanceOptions = field(default_factory=ProvenanceOptions)  # watermark + C2PA, on

    def controls(self) -> Controls:
        """The controls the motion engine reads (the same object live sessions change)."""
        return Controls(
            self.emotion, self.emotion_strength, (float(self.gaze[0]), float(self.gaze[1])),
            self.head_distance, self.motion_scale, self.blink_rate, self.language,
        )  # fmt: skip

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
        if self.emotion not in EMOTIONS:
            raise InputError(f"--emotion {self.emotion!r} is unknown: use one of {', '.join(EMOTIONS)}")
        if not 0 <= self.emotion_strength <= 1.5:
            raise InputError(f"--emotion-strength {self.emotion_strength} is out of range: use 0 to 1.5")
        if len(self.gaze) != 2 or any(abs(float(g)) > MAX_GAZE_DEG for g in self.gaze):
            raise InputError(
                f"--gaze {self.gaze} is out of range: give yaw,pitch in degrees within ±{MAX_GAZE_DEG:g}"
            )
        lo, hi = HEAD_DISTANCE_RANGE
        if not lo <= self.head_distance <= hi:
            raise InputError(
                f"--head-distance {self.head_distance} is out of range: use {lo} (closer) to {hi}"
            )
        if self.driver_mouth and self.driver is None:
            raise InputError("--driver-mouth takes the lips from a driving video: give one with --driver")
        if self.motion_track is not None and self.driver is not None:
            raise InputError("--motion and --driver both give the motion: use one of them")
        if self.export_motion is not None and Path(self.export_motion).suffix.lower() not in (
            ".json",
            ".csv",
        ):
            raise InputError(f"--export-motion {self.export_motion}: use a .json or .csv file name")
        if not 0 <= self.crf <= 51:
            raise InputError(f"--crf {self.crf} is out of range: use 0 to 51 (18 is visually lossless)")
