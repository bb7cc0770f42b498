"""Read frames back from a video (ours or anyone's), one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class VideoInfo:
    frames: int
    fps: float
    width: int
    height: int
    duration: float  # seconds of video
    audio_duration: float | None  # seconds of the audio stream, None without one


def probe_video(path: str | Path) -> VideoInfo:
    """Counts frames by decoding (container headers can lie); audio length from its packets."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"{path} has no video track")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            width, height = stream.codec_context.width, stream.codec_context.height
            frames = sum(1 for _ in container.decode(stream))
        audio_duration = None
        with av.open(str(path)) as container:
            if container.streams.audio:
                a = container.streams.audio[0]
                samples = sum(f.samples for f in container.decode(a))
                audio_duration = samples / a.codec_context.sample_rate
    except av.error.FFmpegError as exc:
        raise InputError(f"{path} is not a readable video: {exc}") from exc
    return VideoInfo(frames, fps, width, height, frames / fps, audio_duration)


def iter_frames(path: str | Path, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """(index, RGB uint8 frame) for every ``step``-th frame."""
    try:
        with av.open(str(path)) as container:
            for i, frame in enumerate(container.decode(container.streams.video[0])):
                if i % step == 0:
                    yield i, frame.to_ndarray(format="rgb24")
    except av.error.FFmpegError as exc:
        raise InputError(f"{path} is not a readable video: {exc}") from exc
