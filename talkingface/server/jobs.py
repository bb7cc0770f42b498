"""REST jobs kept on disk, rendered by a bounded pool of worker threads.

Each job is a folder ``<data_dir>/jobs/<id>/`` holding ``job.json`` (written atomically on every
state change), the uploaded portrait and audio, and ``result.mp4`` when done. A job is on disk
before its id is returned, so a restart loses nothing that was accepted: jobs found queued or
running at start-up are queued again in their original order.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import TalkingFaceError

STATES = ("queued", "running", "done", "failed", "cancelled")


class JobCancelled(Exception):
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
    restarts: int = 0

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
        pass

    def _check(self) -> None:
        if self.cancel.is_set():
            raise JobCancelled()


class JobStore:
    """Jobs on disk plus the worker pool that renders them."""

    def __init__(self, root: Path, workers: int, max_queue: int, ray_address: str | None = None) -> None:
        self.root = root / "jobs"
        self.workers = workers
        self._render = None  # None: generate() in this process's worker threads
        if ray_address:  # each worker thread hands its job to the Ray cluster and waits for it
            from ..batch.remote import RayRender

            self._render = RayRender(ray_address)
        self.max_queue = max_queue
        self._jobs: dict[str, Job] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._order: list[str] = []  # queued ids in order (for queue positions)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- persistence -------------------------------------------------------------------------
    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def _save(self, job: Job) -> None:
        folder = self.folder(job.id)
        if not folder.is_dir():  # deleted meanwhile
            return
        path = folder / "job.json"
        tmp = path.with_suffix(".json.part")
        tmp.write_text(json.dumps(asdict(job), indent=1))
        os.replace(tmp, path)

    def load(self) -> int:
        """Read every job from disk; re-queue the ones that were waiting or interrupted."""
        self.root.mkdir(parents=True, exist_ok=True)
        found = []
        for path in self.root.glob("*/job.json"):
            try:
                job = Job(**json.loads(path.read_text()))
            except (OSError, ValueError, TypeError):
                continue  # a folder from an upload that never completed
            found.append(job)
        requeued = 0
        for job in sorted(found, key=lambda j: j.created):
            self._jobs[job.id] = job
            if job.status in ("queued", "running"):
                if job.status == "running":
                    job.restarts += 1
                job.status, job.frames_done, job.started = "queued", 0, None
                self._save(job)
                self._enqueue(job.id)
                requeued += 1
        return requeued

    # -- API ---------------------------------------------------------------------------------
    def new_folder(self) -> tuple[str, Path]:
        job_id = secrets.token_hex(8)
        folder = self.folder(job_id)
        folder.mkdir(parents=True)
        return job_id, folder

    def pending(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))

    def add(self, job: Job) -> Job:
        self._save(job)
        with self._lock:
            self._jobs[job.id] = job
        self._enqueue(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.created)

    def position(self, job_id: str) -> int | None:
        with self._lock:
            return self._order.index(job_id) if job_id in self._order else None

    def cancel(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None:
            return None
        with self._lock:
            if job.status == "queued":
                job.status, job.finished = "cancelled", time.time()
                if job_id in self._order:
                    self._order.remove(job_id)
                self._save(job)
            elif job.status == "running":
                self._cancel[job_id].set()  # the worker marks it cancelled
        return job

    def delete(self, job_id: str) -> bool:
        """Forget a finished job and its files (cancel it first if it is still pending)."""
        job = self.cancel(job_id)
        if job is None:
            return False
        deadline = time.time() + 30
        while job_id in self._cancel and time.time() < deadline:  # the worker lets go of it
            time.sleep(0.05)
        with self._lock:
            self._jobs.pop(job_id, None)
            if job_id in self._order:
                self._order.remove(job_id)
            folder = self.folder(job_id)
            for f in folder.glob("*"):
                f.unlink(missing_ok=True)
            folder.rmdir()
        return True

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
        for ev in list(self._cancel.values()):
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

    def _run(self, job: Job, cancel: threading.Event) -> None:
        from ..pipeline.generate import generate

        folder = self.folder(job.id)
        try:
            result = (self._render or generate)(
                folder / job.portrait,
                folder / job.audio,
                folder / "result.mp4",
                job_options(job.options),
                reporter=_Progress(job, cancel),
            )
        except JobCancelled:
            if self._stopping.is_set():
                job.status, job.started = "queued", None  # resumed after a restart
            else:
                job.status, job.finished = "cancelled", time.time()
        except TalkingFaceError as exc:
            job.status, job.error, job.finished = "failed", str(exc), time.time()
        except Exception as exc:  # a bug: keep the server up, tell the client
            job.status, job.finished = "failed", time.time()
            job.error = f"internal error: {exc.__class__.__name__}: {exc}"
        else:
            job.status, job.finished = "done", time.time()
            job.duration, job.render_seconds = result.duration, result.seconds
        with self._lock:
            self._save(job)


def job_options(stored: dict):
    """GenerateOptions from a job's stored (JSON) options. Marks stay on; ``label`` is the visible one."""
    from ..pipeline.options import GenerateOptions
    from ..provenance import ProvenanceOptions

    options = dict(stored)
    label = options.pop("label", None)
    return GenerateOptions(**options, provenance=ProvenanceOptions(label=label))
