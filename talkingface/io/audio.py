"""Decode any audio (or the audio track of a video) with PyAV, streaming, at the rate we ask for."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..errors import UnreadableAudioError

#: Internal analysis format (DESIGN §2): float32 mono 16 kHz.
ANALYSIS_RATE = 16000


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    duration: float  # seconds, measured by decoding when the container does not say
    sample_rate: int
    channels: int


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise UnreadableAudioError(f"audio {path} does not exist")
    if path.stat().st_size == 0:
        raise UnreadableAudioError(f"audio {path} is an empty file")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise UnreadableAudioError(
            f"audio {path} is not a readable audio file: use WAV, FLAC, MP3, OGG, M4A or a video with sound"
        ) from exc
    if not container.streams.audio:
        container.close()
        raise UnreadableAudioError(f"{path} has no audio track")
    return container


def iter_audio(
    path: str | Path, sample_rate: int = ANALYSIS_RATE, layout: str = "mono"
) -> Iterator[np.ndarray]:
    """Yield float32 blocks, shape (samples,) for mono or (channels, samples), in file order.

    Memory stays constant however long the file is.
    """
    path = Path(path)
    container = _open(path)
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
    try:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                yield _as_array(out, layout)
        for out in resampler.resample(None):
            yield _as_array(out, layout)
    except av.error.FFmpegError as exc:
        raise UnreadableAudioError(f"audio {path} is corrupt: it could not be decoded ({exc})") from exc
    finally:
        container.close()


def _as_array(frame: av.AudioFrame, layout: str) -> np.ndarray:
    arr = frame.to_ndarray().astype(np.float32, copy=False)
    return arr[0] if layout == "mono" else arr


def load_audio(path: str | Path, sample_rate: int = ANALYSIS_RATE) -> np.ndarray:
    """The whole file as float32 mono. For short clips; long ones should use :func:`iter_audio`."""
    blocks = list(iter_audio(path, sample_rate))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def probe_audio(path: str | Path) -> AudioInfo:
    """Duration, rate and channel count, from the container's header when it states a duration.

    Only the first packet is decoded then, to confirm the stream is audio we can read: a 100-hour
    file is refused for its length at once. Without a stated duration the stream is decoded.
    """
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate or ANALYSIS_RATE
        channels = stream.codec_context.channels or 1
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = None
        if duration is not None:
            try:
                next(container.decode(stream), None)
            except av.error.FFmpegError as exc:
                raise UnreadableAudioError(
                    f"audio {path} is corrupt: it could not be decoded ({exc})"
                ) from exc
    finally:
        container.close()
    if duration is None:
        duration = sum(block.shape[-1] for block in iter_audio(path, ANALYSIS_RATE)) / ANALYSIS_RATE
    return AudioInfo(path, duration, int(rate), int(channels))


def save_wav(path: str | Path, samples: np.ndarray, sample_rate: int, layout: str = "mono") -> Path:
    """Write float32 samples ((n,) mono or (channels, n)) as 16-bit PCM WAV."""
    data = np.atleast_2d(np.asarray(samples, np.float32))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=sample_rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return Path(path)
