"""talkingface: make a still portrait talk, faster than real time on a CPU.

import talkingface
result = talkingface.generate("face.jpg", "speech.wav", "out.mp4", fps=25)
print(result.summary())
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import TalkingFaceError  # noqa: E402
from .motion.track import ARKIT_CHANNELS, POSE_COLUMNS, MotionTrack  # noqa: E402
from .pipeline.generate import GenerateOptions, GenerateResult, generate  # noqa: E402

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
