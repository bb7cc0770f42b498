"""The REST API end to end, over real HTTP, with real files: jobs, bad uploads, limits, restarts."""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from talkingface.io.audio import load_audio, save_wav
from talkingface.pipeline.options import GenerateOptions
from talkingface.provenance import verify_video
from talkingface.server import ServerConfig

from .server_helpers import running_server, wait_for_job


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = ServerConfig(data_dir=tmp_path_factory.mktemp("data"), workers=1, max_audio_mb=1.0)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def _files(portrait: Path, audio: Path, **extra):
    return {
        "portrait": (portrait.name, portrait.read_bytes()),
        "audio": (audio.name, audio.read_bytes()),
        **extra,
    }


def test_job_end_to_end(server, samples, short_speech, tmp_path):
    data = {"size": 256, "seed": 3, "label": "AI-generated"}  # what the page sends by default
    r = server.post("/api/jobs", files=_files(samples.astronaut, short_speech), data=data)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and job["id"]
    done = wait_for_job(server, job["id"])
    assert done["status"] == "done", done
    assert done["progress"] == 1.0 and done["options"]["size"] == 256
    video = server.get(done["result_url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(video.content)) as c:
        assert c.streams.video[0].width == 256 and c.streams.audio
        assert abs(float(c.duration / 1e6) - 2.5) < 0.15
    assert done["options"]["label"] == "AI-generated"
    saved = tmp_path / "job.mp4"
    saved.write_bytes(video.content)
    report = verify_video(saved)
    assert report.watermark.found and report.manifest.valid  # server outputs are marked too
    assert any(j["id"] == job["id"] for j in server.get("/api/jobs").json())
    assert server.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert server.get(f"/api/jobs/{job['id']}").status_code == 404


def test_bad_uploads_are_clear_4xx(server, samples, short_speech, tmp_path):
    text = tmp_path / "notes.png"  # a text file with an image's name: refused by content
    text.write_text("hello, not a picture")
    r = server.post("/api/jobs", files=_files(text, short_speech))
    assert r.status_code == 415 and "checked by content" in r.json()["detail"]

    photo_as_wav = tmp_path / "speech.wav"  # a JPEG named .wav
    photo_as_wav.write_bytes(samples.grace_hopper.read_bytes())
    r = server.post("/api/jobs", files=_files(samples.astronaut, photo_as_wav))
    assert r.status_code == 415 and "audio" in r.json()["detail"]

    blank = tmp_path / "blank.png"  # a real image without a face
    Image.fromarray(np.full((300, 300, 3), 200, np.uint8)).save(blank)
    r = server.post("/api/jobs", files=_files(blank, short_speech))
    assert r.status_code == 422 and "no face" in r.json()["detail"]

    silence = save_wav(tmp_path / "silence.wav", np.zeros(16000 * 2, np.float32), 16000)
    r = server.post("/api/jobs", files=_files(samples.astronaut, silence))
    assert r.status_code == 422 and "no speech" in r.json()["detail"]

    big = save_wav(tmp_path / "long.wav", load_audio(samples.sonnet, 16000)[: 16000 * 40], 16000)  # 1.3 MB
    r = server.post("/api/jobs", files=_files(samples.astronaut, big))
    assert r.status_code == 413 and "MB" in r.json()["detail"]

    r = server.post("/api/jobs", files=_files(samples.astronaut, short_speech), data={"fps": 500})
    assert r.status_code == 422 and "fps" in r.json()["detail"]

    r = server.post("/api/jobs", files={"portrait": ("a.png", samples.astronaut.read_bytes())})
    assert r.status_code == 422 and "audio" in r.json()["detail"]

    assert server.get("/api/jobs/nope").status_code == 404
    assert server.get("/api/jobs").json() == []  # nothing bad was kept


def test_portraits_info_and_openapi(server, samples, tmp_path):
    r = server.post("/api/portraits", files={"portrait": ("x.jpg", samples.grace_hopper.read_bytes())})
    assert r.status_code == 201, r.text
    preview = server.get(r.json()["preview_url"])
    assert preview.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(preview.content)).size == (512, 512)
    info = server.get("/api/info").json()
    assert "WAV" in info["formats"]["audio"] and info["token_required"] is False
    # the job form is the options dataclass: every scalar option, its default and its help
    defaults = {f.name: f.default for f in dataclasses.fields(GenerateOptions)}
    assert {"fps", "size", "seed", "motion_scale", "blink_rate", "emotion", "gaze"} <= set(info["options"])
    for name, entry in info["options"].items():
        expected = defaults[name]
        assert entry["default"] == (list(expected) if isinstance(expected, tuple) else expected)
    assert "max_duration" not in info["options"]  # the server sets its own limit
    spec = server.get("/openapi.json").json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/result", "/api/portraits"} <= set(
        spec["paths"]
    )
    form = spec["components"]["schemas"]
    submit = next(v for k, v in form.items() if k.startswith("Body_submit_job"))
    assert set(info["options"]) <= set(submit["properties"])
    # every error a route can answer is documented, with the token scheme
    codes = {path: {m: set(op["responses"]) for m, op in ops.items()} for path, ops in spec["paths"].items()}
    assert {"202", "401", "403", "413", "415", "422", "503"} <= codes["/api/jobs"]["post"]
    assert {"404", "409", "401"} <= codes["/api/jobs/{job_id}/result"]["get"]
    assert {"404", "401"} <= codes["/api/jobs/{job_id}"]["delete"]
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "Bearer" in spec["info"]["description"]
    # /docs is served from the package, nothing from a CDN
    docs = server.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert not re.findall(r"""(?:src|href)=["']https?://""", docs.text), "docs load something from the net"
    for asset in re.findall(r"""(?:src|href)=["'](/docs/[^"']+)""", docs.text):
        assert server.get(asset).status_code == 200, asset
    page = server.get("/", follow_redirects=True)
    assert page.status_code == 200 and "talkingface" in page.text


def test_cancel_and_restart_keep_accepted_jobs(samples, short_speech, tmp_path):
    data = tmp_path / "data"
    # an instance that only queues (no workers): accepted jobs wait on disk
    with (
        running_server(ServerConfig(data_dir=data, workers=0)) as url,
        httpx.Client(base_url=url, timeout=60) as c,
    ):
        files = _files(samples.astronaut, short_speech)
        ids = [c.post("/api/jobs", files=files, data={"size": 256}).json()["id"] for _ in range(2)]
        assert [c.get(f"/api/jobs/{i}").json()["queue_position"] for i in ids] == [0, 1]
        assert c.post(f"/api/jobs/{ids[1]}/cancel").json()["status"] == "cancelled"
        assert c.get(f"/api/jobs/{ids[0]}/result").status_code == 409
    # restart with a worker: the accepted job is rendered, the cancelled one stays cancelled
    with (
        running_server(ServerConfig(data_dir=data, workers=1)) as url,
        httpx.Client(base_url=url, timeout=60) as c,
    ):
        assert wait_for_job(c, ids[0])["status"] == "done"
        assert c.get(f"/api/jobs/{ids[1]}").json()["status"] == "cancelled"
        assert c.get(f"/api/jobs/{ids[0]}/result").status_code == 200


def test_cancel_a_running_job(server, samples, speech_clip):
    r = server.post("/api/jobs", files=_files(samples.astronaut, speech_clip), data={"lipsync": "loudness"})
    job_id = r.json()["id"]
    deadline = time.time() + 60
    while server.get(f"/api/jobs/{job_id}").json()["status"] == "queued" and time.time() < deadline:
        time.sleep(0.05)
    assert server.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    job = wait_for_job(server, job_id)
    assert job["status"] == "cancelled" and job["progress"] < 1
    assert server.get(f"/api/jobs/{job_id}/result").status_code == 409


def test_importing_the_server_does_no_work(tmp_path):
    code = (
        "import sys, talkingface.server as s; assert 'fastapi' not in sys.modules; "
        f"app = s.create_app(s.ServerConfig(data_dir={str(tmp_path / 'd')!r})); "
        f"import os; assert not os.path.exists({str(tmp_path / 'd')!r})"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
