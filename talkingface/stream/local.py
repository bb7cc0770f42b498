"""`talkingface stream`: a microphone (or a file played at real-time pace) → a window or an MP4.

Same engine as the server's WebSocket: chunks of 20 ms in, frames out as soon as their audio has
arrived, older frames skipped when rendering falls behind so latency stays bounded.
"""

from __future__ import annotations

import itertools
import os
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..errors import AudioDeviceError
from ..io.audio import iter_audio
from .engine import SAMPLE_RATE, LiveRenderer, StreamEngine
from .protocol import LIVE_LATE_S

CHUNK_SECONDS = 0.02


def file_chunks(
    path: str | Path, realtime: bool = True, chunk: float = CHUNK_SECONDS
) -> Iterator[np.ndarray]:
    """16 kHz float32 chunks of ``chunk`` s from a file, paced like a microphone when ``realtime``."""
    n = int(round(chunk * SAMPLE_RATE))
    carry = np.zeros(0, np.float32)
    start, sent = time.perf_counter(), 0
    for block in iter_audio(path, SAMPLE_RATE):
        carry = np.concatenate([carry, block])
        while len(carry) >= n:
            piece, carry = carry[:n], carry[n:]
            sent += n
            if realtime:  # a microphone delivers a chunk once its last sample has been heard
                delay = start + sent / SAMPLE_RATE - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            yield piece
    if len(carry):
        yield carry


def mic_chunks(device: str | int | None = None, chunk: float = CHUNK_SECONDS) -> Iterator[np.ndarray]:
    """16 kHz float32 chunks from a microphone (sounddevice / PortAudio)."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        raise AudioDeviceError(
            f"no audio input available ({exc.__class__.__name__}: {str(exc).strip()[:80]}): "
            "use --audio FILE to stream a file instead"
        ) from None
    try:
        sd.query_devices(device, kind="input")
    except (ValueError, sd.PortAudioError) as exc:
        raise AudioDeviceError(
            f"no microphone found ({str(exc).strip()[:80]}): use --audio FILE to stream a file instead"
        ) from None
    q: queue.Queue[np.ndarray] = queue.Queue()

    def callback(indata, frames, timing, flags) -> None:
        q.put(indata[:, 0].copy())

    try:
        stream = sd.InputStream(
            samplerate=SAMPLE_RATE, blocksize=int(round(chunk * SAMPLE_RATE)), channels=1,
            dtype="float32", device=device, callback=callback,
        )  # fmt: skip
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot open the microphone ({exc}): use --audio FILE instead") from None
    with stream:
        while True:
            yield q.get()


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class WindowSink:
    """An OpenCV window; closing it or pressing q / Esc stops the stream."""

    name = "talkingface (q to quit)"

    def __init__(self) -> None:
        cv2.namedWindow(self.name, cv2.WINDOW_AUTOSIZE)
        self.closed = False

    def write(self, rgb: np.ndarray) -> None:
        cv2.imshow(self.name, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), 27) or cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1:
            self.closed = True

    def close(self) -> None:
        cv2.destroyWindow(self.name)


class FileSink:
    """Frames to an MP4 (with the file's audio when streaming a file)."""

    def __init__(
        self, path: Path, width: int, height: int, fps: float, audio: Path | None, metadata=None
    ) -> None:
        from ..io.video import VideoWriter

        self.writer = VideoWriter(path, width, height, fps, audio, metadata=metadata)
        self.closed = False
        self.last: np.ndarray | None = None

    def write(self, rgb: np.ndarray) -> None:
        self.writer.write(rgb)
        self.last = rgb

    def fill(self, n: int) -> None:
        """Repeat the last frame for dropped frames, so the file keeps its timeline."""
        for _ in range(n):
            if self.last is not None:
                self.writer.write(self.last)

    def close(self) -> None:
        self.writer.close()


@dataclass
class StreamStats:
    frames: int = 0
    dropped: int = 0
    latencies: list[float] = field(default_factory=list)  # s: the frame's audio arrived → frame shown
    seconds: float = 0.0

    def summary(self) -> str:
        lat = np.array(self.latencies) * 1000 if self.latencies else np.zeros(1)
        fps = self.frames / max(self.seconds, 1e-9)
        return (
            f"{self.frames} frames in {self.seconds:.1f} s ({fps:.1f} fps), {self.dropped} dropped; "
            f"latency median {np.median(lat):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms "
            "(voice to lips: the audio at a frame's centre arrived → the frame shown)"
        )


def run_stream(
    chunks: Iterator[np.ndarray],
    engine: StreamEngine,
    live: LiveRenderer,
    sink,
    duration: float | None = None,
    realtime: bool = True,
    late: float = LIVE_LATE_S,
) -> StreamStats:
    """Drive ``chunks`` through the engine into ``sink`` until the audio ends, ``duration`` passes
    or the sink closes. ``realtime``: the chunks come at the pace of speech (a microphone, a file
    played in real time), so a chunk arrived when its last sample was spoken, and a frame later than
    ``late`` s is skipped (the file repeats the previous one) so latency stays bounded."""
    stats = StreamStats()
    start = time.perf_counter()
    ended = object()
    for chunk in itertools.chain(chunks, [ended]):
        if chunk is ended:  # the audio ended: its last frames need look-ahead past the end
            pending = engine.flush()
        else:
            spoken = start + (engine.samples_in + len(chunk)) / SAMPLE_RATE if realtime else None
            pending = engine.push(chunk, spoken)
        for m in pending:
            if realtime and chunk is not ended and time.perf_counter() - m.ready_at > late:
                stats.dropped += 1
                if isinstance(sink, FileSink):
                    sink.fill(1)
                continue
            sink.write(live.rgb(m))
            stats.frames += 1
            stats.latencies.append(time.perf_counter() - m.spoken_at)
        if sink.closed or (duration is not None and engine.audio_seconds >= duration):
            break
    stats.seconds = time.perf_counter() - start
    return stats
