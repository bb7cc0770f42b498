"""Every user mistake: one clear line on stderr, a non-zero exit, and no output file left behind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from talkingface.io.audio import save_wav


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "talkingface", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def assert_clean_failure(proc: subprocess.CompletedProcess, folder, *needles: str) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not list(folder.glob("*.mp4")) and not list(folder.glob(".*.part"))


@pytest.fixture()
def out_dir(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_no_face(tmp_path, out_dir, speech_clip):
    path = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()).save(path)
    assert_clean_failure(run_cli("generate", path, speech_clip, "-o", out_dir / "x.mp4"), out_dir, "no face")


def test_face_too_small(tmp_path, out_dir, speech_clip, astronaut_rgb):
    canvas = np.full((320, 320, 3), 200, np.uint8)  # a 20 px face: found, but too small even to enlarge
    canvas[:112, :112] = cv2.resize(astronaut_rgb, (112, 112), interpolation=cv2.INTER_AREA)
    path = tmp_path / "small.png"
    Image.fromarray(canvas).save(path)
    proc = run_cli("generate", path, speech_clip, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "px wide", "larger or closer")


def test_corrupt_image(tmp_path, out_dir, speech_clip):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    assert_clean_failure(
        run_cli("generate", path, speech_clip, "-o", out_dir / "x.mp4"), out_dir, "not a readable image"
    )


def test_corrupt_audio(tmp_path, out_dir, samples):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF" + bytes(range(256)) * 20)
    proc = run_cli("generate", samples.astronaut, path, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "broken.wav")


def test_empty_audio_file(tmp_path, out_dir, samples):
    path = tmp_path / "empty.mp3"
    path.write_bytes(b"")
    assert_clean_failure(
        run_cli("generate", samples.astronaut, path, "-o", out_dir / "x.mp4"), out_dir, "empty"
    )


def test_zero_length_audio(tmp_path, out_dir, samples):
    path = tmp_path / "zero.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    proc = run_cli("generate", samples.astronaut, path, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "no sound")


@pytest.mark.parametrize("level", [0.0, 1e-4])
def test_audio_without_speech(tmp_path, out_dir, samples, level):
    rng = np.random.default_rng(0)
    path = save_wav(tmp_path / "quiet.wav", (rng.standard_normal(48000) * level).astype(np.float32), 16000)
    proc = run_cli("generate", samples.astronaut, path, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "no speech")


def test_audio_longer_than_the_limit(out_dir, samples, speech_clip):
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4", "--max-duration", "3")
    assert_clean_failure(proc, out_dir, "limit is 3 s", "--max-duration")


def test_output_not_writable(tmp_path, out_dir, samples, speech_clip):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", blocker / "x.mp4")
    assert_clean_failure(proc, out_dir, "output folder")


def test_output_equal_to_input_is_refused_and_input_untouched(tmp_path, samples, speech_clip):
    # a video with sound is a valid audio input; writing over it must be refused
    video = tmp_path / "talk.mp4"
    import talkingface

    talkingface.generate(samples.astronaut, speech_clip, video, size=128)
    before = video.read_bytes()
    proc = run_cli("generate", samples.astronaut, video, "-o", video)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and "same file as the input" in lines[0]
    assert video.read_bytes() == before


def test_wrong_output_extension(out_dir, samples, speech_clip):
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.avi")
    assert_clean_failure(proc, out_dir, ".mp4")


def test_bad_option_value(out_dir, samples, speech_clip):
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4", "--fps", "0")
    assert_clean_failure(proc, out_dir, "--fps")


def test_missing_model_names_the_fix(tmp_path, out_dir, samples, speech_clip, monkeypatch):
    monkeypatch.setenv("TALKINGFACE_CACHE", str(tmp_path / "empty-cache"))
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "talkingface models fetch")


def test_missing_matte_model_names_the_fix_and_the_way_around(
    tmp_path, out_dir, samples, speech_clip, monkeypatch
):
    from talkingface.models import default_face_model_path

    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    shutil.copyfile(default_face_model_path(), cache / "models" / "face_landmarker.task")
    monkeypatch.setenv("TALKINGFACE_CACHE", str(cache))
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "MODNet", "models fetch", "--no-matte")


def test_corrupt_model_is_detected(tmp_path, out_dir, samples, speech_clip, monkeypatch):
    from talkingface.models import default_face_model_path

    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    shutil.copyfile(default_face_model_path(), cache / "models" / "face_landmarker.task")
    with open(cache / "models" / "face_landmarker.task", "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00" * 64)
    monkeypatch.setenv("TALKINGFACE_CACHE", str(cache))
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "corrupt", "models fetch")


def test_verify_refuses_what_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    proc = run_cli("verify", path)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ")
    proc = run_cli("verify", tmp_path / "missing.mp4")
    assert (
        proc.returncode != 0 and proc.stderr.strip().startswith("error: ") and "does not exist" in proc.stderr
    )
