"""`talkingface batch`: real manifests, real renders, local processes and a real local Ray head.

Short cuts of the LibriVox sonnet keep the renders quick; every assertion is on the files made
(decoded frame counts, the face re-detected, the provenance read back) or on results.jsonl.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from talkingface.batch import Manifest, option_columns
from talkingface.batch.localray import local_head
from talkingface.cli import app
from talkingface.io.audio import load_audio, probe_audio, save_wav
from talkingface.io.frames import probe_video
from talkingface.pipeline.options import GenerateOptions
from talkingface.provenance import verify_video

BIN = Path(sys.executable).parent
FPS = 25


def cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "talkingface"), *args], capture_output=True, text=True, env=env, timeout=300, **kw
    )


def local_env() -> dict:
    return {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}


def results(out: Path) -> dict[str, dict]:
    """Last record per output file name."""
    last = {}
    for line in (out / "results.jsonl").read_text().splitlines():
        rec = json.loads(line)
        last[Path(rec["output"]).name if rec["output"] else f"row{rec['row']}"] = rec
    return last


@pytest.fixture(scope="module")
def media(samples, tmp_path_factory) -> Path:
    """A folder with portraits and speech (3 s, 8 s), a silent clip and a faceless image."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("media")
    speech = load_audio(samples.sonnet, 16000)
    save_wav(folder / "short.wav", speech[3 * 16000 : 6 * 16000], 16000)
    save_wav(folder / "long.wav", speech[3 * 16000 : 11 * 16000], 16000)
    save_wav(folder / "silence.wav", np.zeros(2 * 16000, np.float32), 16000)
    shutil.copy(samples.astronaut, folder / "astronaut.png")
    shutil.copy(samples.grace_hopper, folder / "hopper.jpg")
    Image.new("RGB", (400, 400), (128, 140, 150)).save(folder / "wall.png")
    return folder


def check_video(path: Path, audio: Path, generation: str, landmarker) -> None:
    """A finished video of the audio's length, with a face, carrying this row's generation id."""
    import av

    info = probe_video(path)
    assert abs(info.frames - probe_audio(audio).duration * FPS) <= 1
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert landmarker.detect(frame), f"no face in the first frame of {path}"
    report = verify_video(path, max_windows=1)
    assert report.manifest.valid and generation in (report.metadata_tag or "")
    assert not list(path.parent.glob(f".{path.name}.*.part"))


# -- manifest ----------------------------------------------------------------------------------


def test_columns_are_the_generate_options(media, tmp_path):
    names = set(option_columns())
    fields = {f for f in GenerateOptions.__dataclass_fields__ if f != "provenance"}
    assert fields <= names and "label" in names
    (media / "m.csv").write_text(
        "portrait,audio,gaze,seed,motion_scale,label,no_watermark,transcript\n"
        'astronaut.png,short.wav,"5,-3",7,0.5,AI-generated,true,Shall I compare thee\n'
        "astronaut.png,short.wav,,,,,,\n"
        "astronaut.png,short.wav,,x,,,,\n"
    )
    first, second, third = Manifest(media / "m.csv", tmp_path).rows()
    assert first.portrait == media / "astronaut.png" and first.output == tmp_path / "00001-short.mp4"
    opts = first.options
    assert (opts.gaze, opts.seed, opts.motion_scale) == ((5.0, -3.0), 7, 0.5)
    assert opts.marks().label == "AI-generated" and opts.marks().watermark is False
    assert opts.transcript == "Shall I compare thee"
    assert second.options == GenerateOptions()
    assert "'seed'" in third.error and third.row == 3


def test_unknown_column_stops_before_any_work(media, tmp_path):
    (media / "bad.csv").write_text("portrait,audio,colour\nastronaut.png,short.wav,red\n")
    result = CliRunner().invoke(app, ["batch", str(media / "bad.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "unknown column 'colour'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o" / "results.jsonl").exists()


# -- local processes ---------------------------------------------------------------------------


def test_local_batch_good_and_bad_rows_then_retry_failed(media, tmp_path, landmarker):
    manifest = media / "local.csv"
    manifest.write_text(
        "portrait,audio,output,size,seed,lipsync,label\n"
        "astronaut.png,short.wav,a.mp4,192,1,loudness,AI-generated\n"
        "hopper.jpg,short.wav,,192,2,loudness,\n"
        "astronaut.png,later.wav,later.mp4,192,,loudness,\n"
        "astronaut.png,silence.wav,silent.mp4,192,,,\n"
        "astronaut.png,short.wav,odd.mp4,255,,,\n"
    )
    out = tmp_path / "out"
    run = cli("batch", str(manifest), "--out", str(out), "--workers", "2", env=local_env())
    assert run.returncode == 1, run.stderr
    assert "3 of 5 rows failed" in run.stderr and "Traceback" not in run.stderr
    assert "2 rendered" in run.stdout
    rows = results(out)
    assert rows["a.mp4"]["status"] == rows["00002-short.mp4"]["status"] == "done"
    assert "later.wav does not exist" in rows["later.mp4"]["error"]
    assert "no speech" in rows["silent.mp4"]["error"]
    assert "--size 255" in rows["odd.mp4"]["error"]
    for name, portrait in (("a.mp4", "astronaut.png"), ("00002-short.mp4", "hopper.jpg")):
        assert rows[name]["portrait"] == str(media / portrait)
        check_video(out / name, media / "short.wav", rows[name]["generation_id"], landmarker)
    stamps = {n: (out / n).stat().st_mtime_ns for n in ("a.mp4", "00002-short.mp4")}

    shutil.copy(media / "short.wav", media / "later.wav")  # the user fixes the missing file
    rerun = cli(
        "batch", str(manifest), "--out", str(out), "--workers", "2", "--retry-failed", env=local_env()
    )
    assert rerun.returncode == 1 and "2 of 5 rows failed" in rerun.stderr
    assert "1 rendered, 2 skipped" in rerun.stdout
    rows = results(out)
    assert rows["later.mp4"]["status"] == "done" and rows["a.mp4"]["status"] == "skipped"
    check_video(out / "later.mp4", media / "later.wav", rows["later.mp4"]["generation_id"], landmarker)
    assert stamps == {n: (out / n).stat().st_mtime_ns for n in stamps}  # not rendered twice


# -- a real Ray head ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_head():
    """A real `ray start --head` with 2 CPUs and a small object store, stopped as a process group."""
    with local_head(cpus=2, object_store_bytes=80_000_000) as address:
        yield address


def test_ray_batch_survives_a_killed_worker_and_resumes(media, tmp_path, ray_head, landmarker):
    manifest = media / "ray.jsonl"
    rows_in = [
        dict(portrait="astronaut.png", audio="long.wav", output="long.mp4", size=192, lipsync="loudness"),
        dict(portrait="hopper.jpg", audio="short.wav", output="short.mp4", size=192, seed=4),
        dict(portrait="wall.png", audio="short.wav", output="wall.mp4", size=192),
    ]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows_in))
    out = tmp_path / "out"
    args = [str(BIN / "talkingface"), "batch", str(manifest), "--out", str(out), "--ray", ray_head]
    driver = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    try:
        deadline = time.monotonic() + 180
        while killed is None and driver.poll() is None and time.monotonic() < deadline:
            parts = list(out.glob(".long.mp4.*.part")) if out.is_dir() else []
            if parts:  # the writer names its temp file after the worker's pid
                killed = int(parts[0].name.split(".")[-2])
                assert "render_row" in Path(f"/proc/{killed}/cmdline").read_text()  # a Ray worker
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.2)
        stdout, stderr = driver.communicate(timeout=300)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert killed is not None, "the long row never started rendering"
    assert driver.returncode == 1 and "1 of 3 rows failed" in stderr, stderr
    assert "2 rendered" in stdout and "Ray cluster" in stdout
    rows = results(out)
    assert rows["long.mp4"]["status"] == "done" and not rows["long.mp4"]["worker"].endswith(f":{killed}")
    assert "no face" in rows["wall.mp4"]["error"]
    check_video(out / "long.mp4", media / "long.wav", rows["long.mp4"]["generation_id"], landmarker)
    check_video(out / "short.mp4", media / "short.wav", rows["short.mp4"]["generation_id"], landmarker)

    rerun = cli("batch", str(manifest), "--out", str(out), "--ray", ray_head)
    assert rerun.returncode == 1
    assert "0 rendered, 2 skipped (already done), 0 failed, 1 failed earlier" in rerun.stdout
    rows = results(out)
    assert rows["long.mp4"]["status"] == rows["short.mp4"]["status"] == "skipped"


def test_serve_ray_renders_rest_jobs_on_the_cluster(media, tmp_path, ray_head, landmarker):
    import httpx
    import ray

    from talkingface.server import ServerConfig

    from .server_helpers import running_server, wait_for_job

    config = ServerConfig(data_dir=tmp_path / "server", workers=2, ray_address=ray_head)
    try:
        with running_server(config) as url, httpx.Client(base_url=url, timeout=60) as client:
            jobs = []
            for portrait, audio in (("hopper.jpg", "short.wav"), ("astronaut.png", "long.wav")):
                files = {
                    "portrait": (portrait, (media / portrait).read_bytes()),
                    "audio": (audio, (media / audio).read_bytes()),
                }
                r = client.post("/api/jobs", files=files, data={"size": 192, "seed": 5})
                assert r.status_code == 202, r.text
                jobs.append(r.json()["id"])
            good, other = (wait_for_job(client, j, timeout=240) for j in jobs)
            assert good["status"] == other["status"] == "done" and good["progress"] == 1.0, good
            video = tmp_path / "job.mp4"
            video.write_bytes(client.get(good["result_url"]).content)
        assert ray.is_initialized()  # the server was a driver of the cluster
        generation = verify_video(video, max_windows=1).metadata_tag or ""
        check_video(video, media / "short.wav", generation.split("generation ")[1][:8], landmarker)
    finally:
        ray.shutdown()


def test_a_worker_loads_the_person_matte_once():
    """Rows that matte share the process's one matting model (a session per row costs 0.3 s)."""
    from talkingface.batch.work import worker_matte

    options = GenerateOptions.build()
    first = worker_matte(options)
    assert first is not None and worker_matte(options) is first
    assert worker_matte(GenerateOptions.build(matte=False)) is None
    rgb = np.zeros((64, 64, 3), np.uint8)
    assert first(rgb).shape == (64, 64)  # a working model, not a placeholder
