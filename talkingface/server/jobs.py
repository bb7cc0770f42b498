"""REST jobs kept on disk, rendered by a bounded pool of worker threads.

Each job is a folder ``<data_dir>/jobs/<id>/`` holding ``job.json`` (written atomically on every
state change), the uploaded portrait and audio, and ``result.mp4`` when done. A job is on disk
before its id is returned, so a restart loses nothing that was accepted: jobs found queued or
running at start-up are queued again in their original order, except one that was running through
more than ``max_restarts`` restarts (it may be what brought the server down): that one is failed.

Hygiene: half-written ``*.part`` files are removed at start-up; places in the queue are taken
atomically (:meth:`JobStore.admit`) before the uploads are analysed; a delete marks the job gone at
once and the worker removes the folder when it lets go; a retention pass removes finished jobs
older than ``keep_hours`` and, beyond ``max_storage_mb``, the oldest finished ones.

Rendering goes through one callable, ``render(portrait, audio, output, options, reporter)``
(server/executor.py: a child process per job in the server, or the calling thread), so another
executor can take its place.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import TalkingFaceError
from .executor import RenderCrash, render_locally
from .forms import options_from

STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")


class JobCancelled(Exception):
    pass


class QueueFull(Exception):
    pass


@dataclass
class Job:
    id: str
    portrait: str  # file names inside the job folder
    audio: str
    options: dict
    status: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    frames_done: int = 0
    frames_total: int = 0
    duration: float | None = None  # seconds of video made
    render_seconds: float | None = None
    restarts: int = 0  # times the server stopped while this job was running

    def public(self, queue_position: int | None = None) -> dict:
        d = asdict(self)
        d.pop("portrait"), d.pop("audio")
        d["progress"] = round(self.frames_done / self.frames_total, 4) if self.frames_total else 0.0
        d["queue_position"] = queue_position
        d["result_url"] = f"/api/jobs/{self.id}/result" if self.status == "done" else None
        return d


class _Progress:
    """Reporter for :func:`generate`: counts frames and stops the render when the job is cancelled."""

    def __init__(self, job: Job, cancel: threading.Event) -> None:
        self.job, self.cancel = job, cancel

    def start(self, total: int) -> None:
        self.job.frames_total = total
        self._check()

    def advance(self, n: int = 1) -> None:
        self.job.frames_done += n
        self._check()

    def note(self, message: str) -> None:
        self._check()

    def check(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.cancel.is_set():
            raise JobCancelled()


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


class JobStore:
    """Jobs on disk plus the worker pool that renders them."""

    def __init__(
        self,
        root: Path,
        workers: int,
        max_queue: int,
        max_restarts: int = 2,
        render: Callable = render_locally,
    ) -> None:
        self.root = root / "jobs"
        self.workers = workers
        self.max_queue = max_queue
        self.max_restarts = max_restarts
        self.render = render
        self._jobs: dict[str, Job] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._deleted: set[str] = set()  # running jobs deleted: their worker removes the folder
        self._reserved = 0  # places taken by submissions still being analysed
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._order: list[str] = []  # queued ids in order (for queue positions)
        self._lock = threading.RLock()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- persistence -------------------------------------------------------------------------
    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def _save(self, job: Job) -> None:
        folder = self.folder(job.id)
        if not folder.is_dir() or job.id in self._deleted:
            return
        path = folder / "job.json"
        tmp = path.with_suffix(".json.part")
        tmp.write_text(json.dumps(asdict(job), indent=1))
        os.replace(tmp, path)

    def load(self) -> int:
        """Read every job from disk; re-queue the ones that were waiting or interrupted.

        Removes what a killed server left behind: ``*.part`` files, deleted jobs, folders of uploads
        that never became a job. Returns how many jobs were queued again.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        for part in self.root.glob("*/*.part"):
            part.unlink(missing_ok=True)
        found = []
        for folder in self.root.iterdir():
            try:
                job = Job(**json.loads((folder / "job.json").read_text()))
            except (OSError, ValueError, TypeError):
                _remove_tree(folder)  # an upload that never completed, or a deleted job
                continue
            found.append(job)
        requeued = 0
        for job in sorted(found, key=lambda j: j.created):
            self._jobs[job.id] = job
            if job.status == "running":
                job.restarts += 1
                if job.restarts > self.max_restarts:
                    job.status, job.finished = "failed", time.time()
                    job.error = (
                        f"the server stopped {job.restarts} times while rendering this job, "
                        "so it was not tried again: check the inputs, or submit it again"
                    )
                    self._save(job)
                    continue
            if job.status in ("queued", "running"):
                job.status, job.frames_done, job.started = "queued", 0, None
                self._save(job)
                self._enqueue(job.id)
                requeued += 1
        return requeued

    # -- API ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a place in the queue while a submission is analysed; QueueFull when none is left.

        Counting and taking the place happen under one lock, so concurrent submissions can never
        overfill the queue. :meth:`add` inside the block turns the place into the job.
        """
        with self._lock:
            if self._pending() + self._reserved >= self.max_queue:
                raise QueueFull(f"the queue is full ({self.max_queue} jobs): try again later")
            self._reserved += 1
        try:
            yield
        finally:
            with self._lock:
                self._reserved -= 1

    def new_folder(self) -> tuple[str, Path]:
        job_id = secrets.token_hex(8)
        folder = self.folder(job_id)
        folder.mkdir(parents=True)
        return job_id, folder

    def _pending(self) -> int:
        return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    def pending(self) -> int:
        with self._lock:
            return self._pending()

    def add(self, job: Job) -> Job:
        with self._lock:
            self._save(job)
            self._jobs[job.id] = job
            self._enqueue(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created)

    def position(self, job_id: str) -> int | None:
        with self._lock:
            return self._order.index(job_id) if job_id in self._order else None

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status == "queued":
                job.status, job.finished = "cancelled", time.time()
                if job_id in self._order:
                    self._order.remove(job_id)
                self._save(job)
            elif job.status == "running":
                self._cancel[job_id].set()  # the worker marks it cancelled
        return job

    def delete(self, job_id: str) -> bool:
        """Forget a job and its files at once; a running one is cancelled and its worker cleans up."""
        with self._lock:
            job = self.cancel(job_id)
            if job is None:
                return False
            self._jobs.pop(job_id, None)
            folder = self.folder(job_id)
            if job_id in self._cancel:  # still running (perhaps deep in analysis): never wait for it
                self._deleted.add(job_id)
                (folder / "job.json").unlink(missing_ok=True)  # a restart then drops the folder
                return True
        _remove_tree(folder)
        return True

    def cleanup(self, keep_seconds: float, max_bytes: int, now: float | None = None) -> list[str]:
        """Remove finished jobs older than ``keep_seconds`` (0: none), then the oldest finished ones
        while all jobs take more than ``max_bytes`` (0: no cap). Returns the ids removed."""
        now = time.time() if now is None else now
        with self._lock:
            finished = sorted(
                (j for j in self._jobs.values() if j.status in FINISHED),
                key=lambda j: j.finished or j.created,
            )
        removed = []
        if keep_seconds > 0:
            for job in finished:
                if now - (job.finished or job.created) > keep_seconds:
                    self.delete(job.id)
                    removed.append(job.id)
        if max_bytes > 0:
            left = [j for j in finished if j.id not in removed]
            total = _size(self.root) if self.root.is_dir() else 0
            while left and total > max_bytes:
                job = left.pop(0)
                total -= _size(self.folder(job.id))
                self.delete(job.id)
                removed.append(job.id)
        return removed

    # -- workers -----------------------------------------------------------------------------
    def _enqueue(self, job_id: str) -> None:
        with self._lock:
            self._order.append(job_id)
        self._queue.put(job_id)

    def start(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"talkingface-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers; a job being rendered goes back to 'queued' on disk (resumed at restart)."""
        self._stopping.set()
        with self._lock:
            for ev in self._cancel.values():
                ev.set()
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def _work(self) -> None:
        while not self._stopping.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.status != "queued" or self._stopping.is_set():
                    continue
                self._order.remove(job_id)
                job.status, job.started, job.frames_done = "running", time.time(), 0
                cancel = self._cancel[job_id] = threading.Event()
                self._save(job)
            try:
                self._run(job, cancel)
            except Exception:  # never lose a worker (e.g. the disk filled up while saving)
                job.status, job.error = "failed", "internal error while saving the job"
            finally:
                with self._lock:
                    self._cancel.pop(job_id, None)
                    deleted = job_id in self._deleted
                    self._deleted.discard(job_id)
                if deleted:
                    _remove_tree(self.folder(job_id))

    def _run(self, job: Job, cancel: threading.Event) -> None:
        folder = self.folder(job.id)
        try:
            result = self.render(
                folder / job.portrait,
                folder / job.audio,
                folder / "result.mp4",
                options_from(job.options),
                _Progress(job, cancel),
            )
        except JobCancelled:
            if self._stopping.is_set():
                job.status, job.started = "queued", None  # resumed after a restart
            else:
                job.status, job.finished = "cancelled", time.time()
        except TalkingFaceError as exc:
            job.status, job.error, job.finished = (
                "failed",
                str(exc).replace(str(folder) + os.sep, ""),
                time.time(),
            )
        except Exception as exc:  # a bug: keep the server up, tell the client
            job.status, job.finished = "failed", time.time()
            job.error = f"internal error: {exc if isinstance(exc, RenderCrash) else exc.__class__.__name__}"
        else:
            job.status, job.finished = "done", time.time()
            job.duration, job.render_seconds = result.duration, result.seconds
        with self._lock:
            self._save(job)
