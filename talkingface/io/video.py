"""Streaming MP4 writer: H.264 video + the original audio as AAC, in constant memory.

Frames go straight to the encoder; audio is decoded from the source file and interleaved as
the video advances, so an hour of speech needs no more memory than a second. The file is
written under a temporary name beside the target and renamed only when complete, so a crash
or a Ctrl-C never leaves a half-written video under the user's name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import OutputError
from .audio import iter_audio, probe_audio

_AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)

#: H.264 settings chosen by measurement (scripts/bench_speed.py, BENCHMARKS.md "Encoder"): on a
#: talking head over a still background, macroblock-tree rate control with a short look-ahead
#: is what keeps files small (x264's "veryfast" gets its size from it); "superfast" plus it
#: encodes in about two thirds of veryfast's time at nearly its size and PSNR.
PRESET = "superfast"
X264_PARAMS = "mbtree=1:rc-lookahead=10"


#: converting only the moving box pays when it is less than this share of the frame (full mode:
#: a few percent; crop mode's box is most of the frame, where the extra copies cost more)
STILL_SHARE = 0.5


def _area(box: tuple[int, int, int, int]) -> int:
    return max(box[2] - box[0], 0) * max(box[3] - box[1], 0)


class YuvFrames:
    """RGB frames as the encoder's YUV 4:2:0 pictures, converted here on one thread (the encoder
    would convert them on its worker threads: the same bytes for more CPU, a 512² frame being too
    small to share out).

    With ``still`` (a box x0, y0, x1, y1 outside which every frame is the same) the first frame is
    converted whole and each later one over the box only (widened to even pixels and by a margin:
    the chroma filter reads a row and a column around each pixel), whose inside is copied into the
    previous picture: the same bytes as converting the whole frame (tested), since swscale's
    conversion is local. The encoder copies a picture when it is handed one, so one is reused."""

    MARGIN = 8  # pixels converted around the box and thrown away (the filters reach 2)

    def __init__(self, width: int, height: int, still: tuple[int, int, int, int] | None = None) -> None:
        self._size = (width, height)
        self._whole, self._part = VideoReformatter(), VideoReformatter()
        self._picture: av.VideoFrame | None = None
        self._inner = self._outer = None
        if still is not None:
            x0, y0, x1, y1 = still
            ix0, iy0 = max(x0 - x0 % 2, 0), max(y0 - y0 % 2, 0)
            ix1, iy1 = min(x1 + x1 % 2, width), min(y1 + y1 % 2, height)
            m = self.MARGIN
            self._inner = (ix0, iy0, ix1, iy1)
            self._outer = (max(ix0 - m, 0), max(iy0 - m, 0), min(ix1 + m, width), min(iy1 + m, height))

    def frame(self, rgb: np.ndarray) -> av.VideoFrame:
        width, height = self._size
        if self._picture is None or self._outer is None:
            whole = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            self._picture = self._whole.reformat(whole, width, height, "yuv420p")
            return self._picture
        ox0, oy0, ox1, oy1 = self._outer
        part = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[oy0:oy1, ox0:ox1]), format="rgb24")
        part = self._part.reformat(part, ox1 - ox0, oy1 - oy0, "yuv420p")
        ix0, iy0, ix1, iy1 = self._inner
        for k, (src, dst) in enumerate(zip(part.planes, self._picture.planes, strict=True)):
            s = 1 if k == 0 else 2  # chroma planes are half size
            src_rows = np.frombuffer(src, np.uint8).reshape(-1, src.line_size)
            dst_rows = np.frombuffer(dst, np.uint8).reshape(-1, dst.line_size)
            dst_rows[iy0 // s : iy1 // s, ix0 // s : ix1 // s] = src_rows[
                (iy0 - oy0) // s : (iy1 - oy0) // s, (ix0 - ox0) // s : (ix1 - ox0) // s
            ]
        return self._picture


class VideoWriter:
    """Write RGB frames to ``path``; call :meth:`close` to finish or :meth:`abort` to discard.

    Usable as a context manager: leaving the block with an exception aborts.
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float,
        audio_path: str | Path | None = None,
        crf: int = 18,
        preset: str = PRESET,
        x264_params: str | None = X264_PARAMS,
        metadata: dict[str, str] | None = None,
        before_publish: Callable[[Path], None] | None = None,
        still_outside: tuple[int, int, int, int] | None = None,
    ) -> None:
        """``still_outside``: the box (x0, y0, x1, y1) outside which every frame is the same (a
        renderer's region of interest): each frame after the first is converted to the encoder's
        YUV 4:2:0 only over that box (and a margin its chroma filter reads), into the previous
        frame's picture: the same picture, for a cost that follows the box (:class:`YuvFrames`;
        only when the box is under ``STILL_SHARE`` of the frame)."""
        if width % 2 or height % 2:
            raise ValueError("H.264 4:2:0 needs even frame sizes")
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        self._before_publish = before_publish  # e.g. signing: runs on the finished temp file
        try:
            self._container = av.open(str(self._tmp), "w", format="mp4", options={"movflags": "+faststart"})
        except (av.error.FFmpegError, OSError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from exc
        for key, value in (metadata or {}).items():
            self._container.metadata[key] = value
        self._video = self._container.add_stream("libx264", rate=self.fps)
        self._video.width, self._video.height = width, height
        self._video.pix_fmt = "yuv420p"
        options = {"crf": str(crf), "preset": preset}
        if x264_params:
            options["x264-params"] = x264_params
        self._video.options = options
        self._frames = 0
        if still_outside is not None and _area(still_outside) >= STILL_SHARE * width * height:
            still_outside = None
        self._yuv = YuvFrames(width, height, still_outside)
        self._audio_blocks: Iterator[np.ndarray] | None = None
        self._audio_written = 0
        if audio_path is not None:
            info = probe_audio(audio_path)
            rate = info.sample_rate if info.sample_rate in _AAC_RATES else 48000
            self._layout = "mono" if info.channels == 1 else "stereo"
            self._audio = self._container.add_stream("aac", rate=rate, layout=self._layout)
            self._audio_rate = rate
            self._audio_total = round(info.duration * rate)
            self._audio_blocks = iter_audio(audio_path, rate, self._layout)

    @property
    def frames_written(self) -> int:
        return self._frames

    def write(self, rgb: np.ndarray) -> None:
        frame = self._yuv.frame(rgb)
        frame.pts = self._frames
        frame.time_base = 1 / self.fps
        self._container.mux(self._video.encode(frame))
        self._frames += 1
        if self._audio_blocks is not None:
            self._write_audio_until(float(self._frames / self.fps))

    def _write_audio_until(self, seconds: float | None) -> None:
        limit = (
            self._audio_total
            if seconds is None
            else min(self._audio_total, round(seconds * self._audio_rate))
        )
        assert self._audio_blocks is not None
        while self._audio_written < limit:
            block = next(self._audio_blocks, None)
            if block is None:
                break
            block = np.atleast_2d(block)
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(block), format="fltp", layout=self._layout
            )
            frame.sample_rate = self._audio_rate
            frame.pts = self._audio_written
            frame.time_base = Fraction(1, self._audio_rate)
            self._container.mux(self._audio.encode(frame))
            self._audio_written += block.shape[-1]

    def close(self) -> Path:
        """Flush encoders, finish the file and move it into place."""
        try:
            self._container.mux(self._video.encode(None))
            if self._audio_blocks is not None:
                self._write_audio_until(None)
                self._container.mux(self._audio.encode(None))
                self._audio_blocks.close()
            self._container.close()
            if self._before_publish is not None:
                self._before_publish(self._tmp)
            self._tmp.replace(self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Discard everything written so far (the target path is never touched)."""
        if self._audio_blocks is not None:
            self._audio_blocks.close()
        with contextlib.suppress(Exception):  # the file is being thrown away anyway
            self._container.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
