"""talkingface: make a still portrait talk, faster than real time on a CPU.

import talkingface
result = talkingface.generate("face.jpg", "speech.wav", "out.mp4", fps=25)
print(result.summary())

Importing the package is cheap: the names below load their modules (numpy, OpenCV, MediaPipe,
PyAV…) on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: public name → the module that defines it (loaded on first access)
_LAZY = {
    "ARKIT_CHANNELS": ".core.track",
    "POSE_COLUMNS": ".core.track",
    "MotionTrack": ".core.track",
    "GenerateOptions": ".pipeline.options",
    "GenerateResult": ".pipeline.generate",
    "generate": ".pipeline.generate",
    "TalkingFaceError": ".errors",
}

__all__ = [
    "ARKIT_CHANNELS",
    "POSE_COLUMNS",
    "GenerateOptions",
    "GenerateResult",
    "MotionTrack",
    "TalkingFaceError",
    "__version__",
    "generate",
]

if TYPE_CHECKING:
    from .core.track import ARKIT_CHANNELS, POSE_COLUMNS, MotionTrack
    from .errors import TalkingFaceError
    from .pipeline.generate import GenerateResult, generate
    from .pipeline.options import GenerateOptions


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'talkingface' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
