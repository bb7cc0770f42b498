"""Job hygiene: stale .part files, a restart limit per job, retention, deletes that never wait on
analysis, atomic queue admission."""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from talkingface.io.audio import save_wav
from talkingface.server import ServerConfig
from talkingface.server.jobs import Job, JobStore
from talkingface.server.portraits import PortraitStore

from .server_helpers import running_server, wait_for_job


def _files(samples, speech: Path) -> dict:
    return {"portrait": ("a.png", samples.astronaut.read_bytes()), "audio": ("s.wav", speech.read_bytes())}


def _job_on_disk(data: Path, job_id: str, **fields) -> Path:
    folder = data / "jobs" / job_id
    folder.mkdir(parents=True)
    job = Job(job_id, "portrait.png", "audio.wav", {"size": 256}, **fields)
    (folder / "job.json").write_text(json.dumps(job.__dict__))
    return folder


def test_start_up_removes_part_files_and_fails_jobs_that_keep_crashing_the_server(tmp_path):
    data = tmp_path / "data"
    crashed = _job_on_disk(data, "aaaa", status="running", restarts=2)  # killed mid-render twice before
    (crashed / ".result.mp4.4242.part").write_bytes(b"half a video")  # left by kill -KILL
    once = _job_on_disk(data, "bbbb", status="running", created=time.time() + 1)
    (data / "jobs" / "cccc").mkdir()  # an upload that never became a job
    with (
        running_server(ServerConfig(data_dir=data, workers=0, max_restarts=2)) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        first = c.get("/api/jobs/aaaa").json()
        assert first["status"] == "failed" and "stopped 3 times" in first["error"]
        second = c.get("/api/jobs/bbbb").json()
        assert second["status"] == "queued" and second["restarts"] == 1  # tried again, counted
    assert not list(crashed.glob("*.part")) and once.is_dir()
    assert not (data / "jobs" / "cccc").exists()


def test_retention_by_age_and_by_size(tmp_path):
    store = JobStore(tmp_path, workers=0, max_queue=10)
    now = time.time()
    old = _job_on_disk(tmp_path, "old0", status="done", created=now - 9 * 86400, finished=now - 9 * 86400)
    big = _job_on_disk(tmp_path, "big0", status="done", created=now - 3600, finished=now - 3600)
    new = _job_on_disk(tmp_path, "new0", status="done", created=now - 60, finished=now - 60)
    waiting = _job_on_disk(tmp_path, "wait", status="queued", created=now - 30 * 86400)
    for folder in (old, big, new):
        (folder / "result.mp4").write_bytes(b"\0" * 2**20)
    store.load()
    assert store.cleanup(keep_seconds=7 * 86400, max_bytes=0, now=now) == ["old0"]
    assert not old.exists() and big.is_dir()
    assert store.cleanup(keep_seconds=0, max_bytes=int(1.5 * 2**20), now=now) == ["big0"]  # oldest first
    assert new.is_dir() and waiting.is_dir()  # the newest stays; a pending job is never removed
    assert store.get("old0") is None and store.get("wait").status == "queued"

    portraits = PortraitStore(tmp_path, None, threading.Semaphore(), 10**6)
    portraits.root.mkdir()
    unused, recent = portraits.root / "aaaa.png", portraits.root / "bbbb.png"
    for path in (unused, recent):
        path.write_bytes(b"png")
    os.utime(unused, (now - 9 * 86400, now - 9 * 86400))
    assert portraits.cleanup(7 * 86400, now=now) == ["aaaa"] and recent.exists()


def test_delete_does_not_wait_for_the_analysis(samples, short_speech, tmp_path, monkeypatch):
    import talkingface.pipeline.generate as generate

    release = threading.Event()
    real = generate.analyse_audio

    def slow_in_workers(audio, options):  # the worker's analysis takes "forever" (16 s in the probe)
        if threading.current_thread().name.startswith("talkingface-job"):
            release.wait(60)
        return real(audio, options)

    monkeypatch.setattr(generate, "analyse_audio", slow_in_workers)
    data = tmp_path / "data"
    with (
        running_server(ServerConfig(data_dir=data, workers=1, job_process=False)) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        job_id = c.post("/api/jobs", files=_files(samples, short_speech), data={"size": 256}).json()["id"]
        for _ in range(300):
            if c.get(f"/api/jobs/{job_id}").json()["status"] == "running":
                break
            time.sleep(0.05)
        assert c.delete(f"/api/jobs/{job_id}").status_code == 204
        assert not release.is_set()  # answered while the analysis was still going on
        assert c.get(f"/api/jobs/{job_id}").status_code == 404
        release.set()
        for _ in range(600):  # the worker lets go and removes the folder
            if not (data / "jobs" / job_id).exists():
                break
            time.sleep(0.05)
        assert not (data / "jobs" / job_id).exists()
        # and the worker is free for the next job
        other = c.post("/api/jobs", files=_files(samples, short_speech), data={"size": 256}).json()["id"]
        assert wait_for_job(c, other)["status"] == "done"


def test_queue_admission_is_atomic(samples, short_speech, tmp_path):
    config = ServerConfig(data_dir=tmp_path / "data", workers=0, max_queue=2)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=120) as c:
        files = _files(samples, short_speech)
        with ThreadPoolExecutor(6) as pool:  # six at once: the check and the add were apart (a race)
            codes = list(
                pool.map(lambda _: c.post("/api/jobs", files=files, data={"size": 256}).status_code, range(6))
            )
        assert sorted(codes) == [202, 202, 503, 503, 503, 503], codes
        assert len(c.get("/api/jobs").json()) == 2
        r = c.post("/api/jobs", files=files)
        assert r.status_code == 503 and "queue is full" in r.json()["detail"]


def test_a_render_process_that_dies_fails_only_its_job(samples, short_speech, tmp_path):
    import multiprocessing

    import numpy as np

    from talkingface.errors import InputError
    from talkingface.pipeline.options import GenerateOptions
    from talkingface.server.executor import RenderCrash, render_in_subprocess

    class KillsTheChild:  # as a segfault or the kernel's OOM killer would, once frames start
        def start(self, total: int) -> None:
            for child in multiprocessing.active_children():
                child.kill()

        def advance(self, n: int = 1) -> None:
            pass

        def note(self, message: str) -> None:
            pass

    out = tmp_path / "out.mp4"
    with pytest.raises(RenderCrash, match="ended unexpectedly"):
        render_in_subprocess(samples.astronaut, short_speech, out, GenerateOptions(size=256), KillsTheChild())
    assert not out.exists() and not list(tmp_path.glob(".*.part"))  # nothing half-written is left

    silence = save_wav(tmp_path / "silence.wav", np.zeros(32000, np.float32), 16000)
    with pytest.raises(InputError, match="no speech"):  # a user mistake comes back as itself
        render_in_subprocess(samples.astronaut, silence, out, GenerateOptions(size=256), KillsTheChild())
