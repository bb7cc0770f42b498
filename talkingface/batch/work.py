"""What a worker process does with one row: skip it if its video is already ours, else render it.

The same function runs in a local process pool and as a Ray task. Each worker process loads the
face model on its first row and keeps it for every later row it is given (Ray and the process
pool both reuse their worker processes), so the model load is paid once per process.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import TalkingFaceError
from .manifest import RowJob


@dataclass(frozen=True)
class RowResult:
    """One line of results.jsonl."""

    row: int
    status: str  # "done", "skipped" (already ours), "failed"
    output: str
    portrait: str
    audio: str
    frames: int = 0
    duration: float = 0.0  # seconds of video
    seconds: float = 0.0  # wall-clock time spent on the row by its worker
    generation_id: str = ""
    error: str | None = None
    worker: str = ""  # host:pid of the process that finished the row


@functools.cache
def worker_landmarker():
    """The face model of this process, loaded once and closed when the process exits."""
    from ..face.landmarker import FaceLandmarker

    model = FaceLandmarker()
    # close it before MediaPipe's own helper threads are stopped at exit, or closing fails noisily
    register = getattr(threading, "_register_atexit", atexit.register)
    register(model.close)
    return model


def worker_matte(options):
    """The matting model of this process for rows that matte (loaded once, on the first)."""
    return _loaded_matte() if options.matte else None


@functools.cache
def _loaded_matte():
    from ..face.matte import PersonMatte

    return PersonMatte()


def expected_id(job: RowJob) -> str:
    from ..pipeline.generate import generation_id

    return f"{generation_id(job.portrait, job.audio, job.options):08x}"


def is_ours(path: Path, generation: str) -> bool:
    """The video carries our marks for this very generation (same inputs and options) and its
    C2PA manifest, if any, validates: then rendering it again would give the same file."""
    from ..provenance import exit_code, verify_video

    try:
        report = verify_video(path, max_windows=1)
    except TalkingFaceError:
        return False
    if exit_code(report) != 0:
        return False
    marks = [report.metadata_tag or ""]
    if report.watermark.payload:
        marks.append(str(report.watermark.payload.get("generation_id", "")))
    return any(generation in mark for mark in marks)


def remove_parts(output: Path) -> None:
    """Temporary files a killed worker left for this output (the writer names them .NAME.PID.part)."""
    for part in output.parent.glob(f".{output.name}.*.part"):
        with contextlib.suppress(OSError):
            part.unlink()


def render_row(job: RowJob) -> RowResult:
    """Render one row; every failure becomes a failed result with a one-line error, never a crash."""
    from ..pipeline.generate import generate

    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    base = {"row": job.row, "output": str(job.output), "portrait": str(job.portrait), "audio": str(job.audio)}
    try:
        if job.output.exists():
            generation = expected_id(job)
            if is_ours(job.output, generation):
                return RowResult(
                    **base, status="skipped", generation_id=generation, worker=worker,
                    seconds=round(time.perf_counter() - started, 3),
                )  # fmt: skip
        remove_parts(job.output)
        result = generate(
            job.portrait, job.audio, job.output, job.options,
            landmarker=worker_landmarker(), matte_model=worker_matte(job.options),
        )  # fmt: skip
    except TalkingFaceError as exc:
        error = str(exc)
    except OSError as exc:
        error = f"cannot read or write a file: {exc.strerror or exc} ({exc.filename or job.output})"
    except Exception as exc:  # noqa: BLE001 - a bug on one row must not stop the other rows
        error = f"internal error: {exc.__class__.__name__}: {exc}"
    else:
        return RowResult(
            **base, status="done", frames=result.frames, duration=round(result.duration, 3),
            seconds=round(time.perf_counter() - started, 3), generation_id=result.generation_id,
            worker=worker,
        )  # fmt: skip
    return RowResult(
        **base, status="failed", error=error, seconds=round(time.perf_counter() - started, 3), worker=worker
    )
