"""The controls a person can change, in one table of ranges, shared by files, the API and live.

Offline they are fixed for the clip (GenerateOptions); live they change while streaming (WebSocket
``set`` messages, the page's controls) and the passes glide to the new values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..errors import InputError
from .emotion import EMOTIONS
from .ranges import HEAD_DISTANCE_RANGE, RANGES

__all__ = ["HEAD_DISTANCE_RANGE", "RANGES", "Controls"]


@dataclass(frozen=True)
class Controls:
    emotion: str = "neutral"  # one of EMOTIONS
    emotion_strength: float = 1.0
    gaze: tuple[float, float] = (0.0, 0.0)  # main gaze, degrees: yaw (+ image right), pitch (+ down)
    head_distance: float = 1.0  # > 1 farther (smaller head)
    motion_scale: float = 1.0  # head motion; 0 keeps the head still
    blink_rate: float = 22.0  # per minute while speaking
    language: str = "auto"  # "en", another code (acoustic lip sync), or "auto"

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise InputError(problem)

    def problem(self) -> str:
        """What is wrong with these values (one line), or ''."""
        if self.emotion not in EMOTIONS:
            return f"emotion {self.emotion!r} is unknown: use one of {', '.join(EMOTIONS)}"
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        if len(self.gaze) != 2:
            return "gaze needs two numbers: yaw, pitch in degrees"
        values["gaze_yaw"], values["gaze_pitch"] = self.gaze
        for name, (lo, hi) in RANGES.items():
            v = values[name]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                return f"{name} must be a finite number"
            if not lo <= v <= hi:
                return f"{name} {v:g} is out of range: use {lo:g} to {hi:g}"
        if not self.language or not self.language.replace("-", "").replace("_", "").isalpha():
            return f"language {self.language!r} is not a language code: use e.g. en, fr, es or auto"
        return ""
