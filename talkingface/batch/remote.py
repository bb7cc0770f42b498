"""Render one server job on a Ray cluster (``talkingface serve --ray ADDRESS``).

Unlike a batch, a server job's files live on the server's own disk, so they travel through Ray's
object store: the portrait and audio bytes go to the task, the finished MP4's bytes come back and
the server writes them under a temporary name and renames. No shared storage is needed. A job is
bounded by the server's upload limits (tens of MB), and at most ``--workers`` jobs are in flight.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import TalkingFaceError
from ..pipeline.generate import GenerateResult
from ..pipeline.options import GenerateOptions
from .runners import MAX_ATTEMPTS, check_reachable
from .work import worker_landmarker, worker_matte


@dataclass(frozen=True)
class Shipped:
    """What comes back from the cluster: the video's bytes and its facts, or a one-line error."""

    video: bytes = b""
    result: GenerateResult | None = None
    error: str = ""


def render_shipped(
    portrait_name: str, portrait: bytes, audio_name: str, audio: bytes, options: GenerateOptions
) -> Shipped:
    """Runs on a Ray worker: inputs into a private temp folder, render, hand the MP4 back."""
    from ..pipeline.generate import generate

    with tempfile.TemporaryDirectory(prefix="talkingface-job") as tmp:
        folder = Path(tmp)
        (folder / portrait_name).write_bytes(portrait)
        (folder / audio_name).write_bytes(audio)
        out = folder / "result.mp4"
        try:
            result = generate(
                folder / portrait_name, folder / audio_name, out, options,
                landmarker=worker_landmarker(), matte_model=worker_matte(options),
            )  # fmt: skip
        except TalkingFaceError as exc:
            return Shipped(error=str(exc).replace(str(folder) + os.sep, ""))
        return Shipped(out.read_bytes(), replace(result, path=Path(out.name)))


class RayRender:
    """A drop-in for :func:`generate` in the server's job workers that renders on a Ray cluster.

    The reporter is checked while the task runs, so cancelling a job cancels its Ray task.
    """

    def __init__(self, address: str) -> None:
        import ray

        check_reachable(address)
        if not ray.is_initialized():
            ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        self._ray = ray
        self._task = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(render_shipped)

    def __call__(self, portrait, audio, output, options: GenerateOptions, reporter=None) -> GenerateResult:
        portrait, audio, output = Path(portrait), Path(audio), Path(output)
        started = time.perf_counter()
        ref = self._task.remote(portrait.name, portrait.read_bytes(), audio.name, audio.read_bytes(), options)
        try:
            while not self._ray.wait([ref], timeout=0.5)[0]:
                if reporter is not None:
                    reporter.advance(0)  # raises if the job was cancelled
            shipped: Shipped = self._ray.get(ref)
        except BaseException:
            self._ray.cancel(ref, force=True)
            raise
        if shipped.result is None:
            raise TalkingFaceError(shipped.error)
        tmp = output.with_name(f".{output.name}.{os.getpid()}.part")
        try:
            tmp.write_bytes(shipped.video)
            os.replace(tmp, output)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if reporter is not None:
            reporter.start(shipped.result.frames)
            reporter.advance(shipped.result.frames)
        return replace(shipped.result, path=output, seconds=time.perf_counter() - started)
