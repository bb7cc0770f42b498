"""Audio → MotionTrack: the clip streamed through the one engine, with the passes in order.

The same passes run live (:mod:`talkingface.stream`); only the mouth differs in where its phones
come from: a file's mouth is read from the whole clip (unlimited look-ahead, see
:mod:`.lipsync`, written over the loudness jaw by the pipeline), the live mouth recognises phones
as the audio arrives (:class:`.lipsync.StreamingMouth`). With the same seed both give the same
blinks, gaze, brows and head motion.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..core.track import MotionTrack
from .blinks import BlinkPass
from .brows import BrowPass
from .controls import Controls
from .emotion import EmotionPass
from .engine import MotionEngine, MotionPass, run_clip
from .gaze import GazePass
from .head import HeadPass
from .lipsync import StreamingMouth
from .mouth_loudness import LoudnessMouth


def behaviour_passes() -> list[MotionPass]:
    """Everything but the mouth, in order (the head reads the eyes the gaze pass wrote)."""
    return [BlinkPass(), GazePass(), HeadPass(), BrowPass(), EmotionPass()]


def file_passes() -> list[MotionPass]:
    return [LoudnessMouth(), *behaviour_passes()]


def live_passes() -> list[MotionPass]:
    return [StreamingMouth(), *behaviour_passes()]


def motion_from_audio(
    audio: np.ndarray | Iterable[np.ndarray],
    fps: float = 25.0,
    n_frames: int | None = None,
    seed: int = 0,
    controls: Controls | None = None,
    passes: list[MotionPass] | None = None,
    **control_values,
) -> MotionTrack:
    """16 kHz float32 speech (one array or blocks) → track; seeded and deterministic.

    ``n_frames`` defaults to round(duration × fps) for an array (required for blocks).
    Controls come as a :class:`Controls` or as its fields (``motion_scale=0.5``, ``emotion="happy"``).
    """
    if isinstance(audio, np.ndarray):
        n_frames = n_frames if n_frames is not None else max(1, int(round(len(audio) / 16000 * fps)))
        audio = [audio]
    if n_frames is None:
        raise ValueError("n_frames is needed when the audio comes in blocks")
    controls = controls or Controls(**control_values)
    engine = MotionEngine(passes if passes is not None else file_passes(), fps, seed, controls)
    track = run_clip(engine, audio, n_frames)
    track.meta.update(source="audio", seed=str(seed), emotion=controls.emotion)
    return track
