"""Every user mistake: one clear line on stderr, a non-zero exit, and no output file left behind."""

from __future__ import annotations

import shutil
import signal
import struct
import subprocess
import sys
import time
import wave
import zlib

import av
import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from talkingface.errors import InputError
from talkingface.io.audio import load_audio, probe_audio, save_wav
from talkingface.io.image import check_image_header, load_portrait
from talkingface.samples import fetch_samples


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


# --- found by probing the CLI as a user would (issue #14) --------------------------------------


def _png_header_only(path, width: int, height: int) -> None:
    """A tiny PNG whose header declares ``width``×``height`` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_from_its_header(tmp_path, out_dir, speech_clip):
    bomb = tmp_path / "bomb.png"
    _png_header_only(bomb, 100_000, 100_000)
    assert bomb.stat().st_size < 100
    proc = run_cli("generate", bomb, speech_clip, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "bomb.png", "16384 px per side", "downscale")
    _png_header_only(tmp_path / "wide.png", 20_000, 100)
    with pytest.raises(InputError, match="20000×100 pixels"):
        check_image_header(tmp_path / "wide.png")
    assert check_image_header(fetch_samples().astronaut) == (512, 512)


def test_huge_picture_in_full_mode_is_refused_before_decoding_or_detection(
    tmp_path, speech_clip, monkeypatch
):
    import talkingface.pipeline.generate as pipeline

    big = tmp_path / "big.png"
    Image.new("RGB", (4200, 3000), (90, 120, 150)).save(big)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the picture was decoded or searched for faces")

    monkeypatch.setattr(pipeline, "load_portrait", must_not_run)
    monkeypatch.setattr(pipeline, "FaceLandmarker", must_not_run)
    with pytest.raises(InputError, match="full mode renders at most 4096 px"):
        pipeline.generate(big, speech_clip, tmp_path / "x.mp4", mode="full")


def test_sixteen_bit_greyscale_keeps_its_tones(tmp_path, astronaut_rgb, landmarker):
    grey = np.asarray(Image.fromarray(astronaut_rgb).convert("L"))
    path = tmp_path / "grey16.png"
    Image.fromarray(grey.astype(np.uint16) * 257).save(path)  # 16-bit, full range
    assert Image.open(path).mode.startswith("I")
    rgb = load_portrait(path)
    assert np.abs(rgb[..., 0].astype(int) - grey).max() <= 1 and (rgb[..., 0] == rgb[..., 2]).all()
    assert landmarker.detect(rgb)  # a face, not a white sheet


@pytest.mark.parametrize("kind", ["photo", "audio"])
def test_a_folder_given_as_input_is_named_as_one(tmp_path, out_dir, samples, speech_clip, kind):
    folder = tmp_path / "holiday"
    folder.mkdir()
    args = (folder, speech_clip) if kind == "photo" else (samples.astronaut, folder)
    proc = run_cli("generate", *args, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "holiday is a directory")


def test_bad_input_leaves_no_new_folders(tmp_path, speech_clip):
    coffee = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()).save(coffee)
    proc = run_cli("generate", coffee, speech_clip, "-o", tmp_path / "new" / "deeper" / "out.mp4")
    assert proc.returncode == 1 and "no face" in proc.stderr
    assert not (tmp_path / "new").exists()


def test_transcript_files_are_checked_and_capped(tmp_path, out_dir, samples, speech_clip):
    base = ["generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4"]
    proc = run_cli(*base, "--transcript-file", tmp_path / "missing.txt")
    assert_clean_failure(proc, out_dir, "missing.txt does not exist")
    proc = run_cli(*base, "--transcript-file", "/dev/zero")
    assert_clean_failure(proc, out_dir, "/dev/zero is larger than 1 MB")
    words = tmp_path / "words.txt"
    words.write_text("shall I compare thee")
    proc = run_cli(*base, "--transcript", "hello", "--transcript-file", words)
    assert_clean_failure(proc, out_dir, "either --transcript or --transcript-file")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--language", "klingon"], ["'klingon' is not a language code", "auto, en", "fr, de"]),
        (["--motion-scale", "nan"], ["--motion-scale nan is not a finite number"]),
        (["--gaze", "nan,0"], ["--gaze nan"]),
        (["--max-duration", "nan"], ["--max-duration nan"]),
        (["--seed", "-1"], ["--seed -1 is out of range"]),
        (["--fps", "abc"], ["--fps 'abc' is not a number"]),
    ],
)
def test_impossible_values_are_one_line(out_dir, samples, speech_clip, args, needles):
    proc = run_cli("generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4", *args)
    assert_clean_failure(proc, out_dir, *needles)


def test_signing_certificate_is_checked_before_rendering(tmp_path, out_dir, samples, speech_clip):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from talkingface.provenance.credentials import generate_self_signed_chain

    chain, key = generate_self_signed_chain("studio")
    root = x509.load_pem_x509_certificates(chain)[1].public_bytes(serialization.Encoding.PEM)
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "root.pem").write_bytes(root)  # the CA alone: it cannot sign a manifest
    base = ["generate", samples.astronaut, speech_clip, "-o", out_dir / "x.mp4"]
    proc = run_cli(*base, "--sign-cert", tmp_path / "nope.pem", "--sign-key", tmp_path / "key.pem")
    assert_clean_failure(proc, out_dir, "nope.pem: does not exist", "end-entity signing certificate")
    proc = run_cli(*base, "--sign-cert", tmp_path / "root.pem", "--sign-key", tmp_path / "key.pem")
    assert_clean_failure(proc, out_dir, "root.pem", "end-entity")
    assert ".part" not in proc.stderr


def _flac_declaring(path, seconds: float, rate: int = 8000) -> None:
    """One second of silence encoded by PyAV, its STREAMINFO then saying ``seconds`` long
    (as a FLAC of hours of silence says; the test file stays small and quick to make)."""
    with av.open(str(path), "w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, rate), np.int16), format="s16", layout="mono")
        frame.sample_rate = rate
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    raw = bytearray(path.read_bytes())
    assert raw[:4] == b"fLaC" and raw[4] & 0x7F == 0  # STREAMINFO first
    fields = int.from_bytes(raw[18:26], "big")  # rate 20 bits, channels 3, bits 5, samples 36
    raw[18:26] = ((fields & ~((1 << 36) - 1)) | int(seconds * rate)).to_bytes(8, "big")
    path.write_bytes(bytes(raw))


def test_audio_length_comes_from_the_container(tmp_path, out_dir, samples):
    flac = tmp_path / "hundred_hours.flac"
    _flac_declaring(flac, 100 * 3600)
    assert flac.stat().st_size < 100_000
    assert probe_audio(flac).duration == pytest.approx(100 * 3600)
    proc = run_cli("generate", samples.astronaut, flac, "-o", out_dir / "x.mp4")
    assert_clean_failure(proc, out_dir, "360000 s long", "limit is 3600 s")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_termination_mid_render_leaves_no_part_file(tmp_path, samples, speech_clip, signum):
    minute = save_wav(tmp_path / "minute.wav", np.tile(load_audio(speech_clip), 8), 16000)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "talkingface", "generate", samples.astronaut, minute, "-o", out / "x.mp4"],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240  # a bound on waiting, not a measurement
    while not list(out.glob(".*.part")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "finished before it could be interrupted"
    proc.send_signal(signum)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + signum
    assert "Traceback" not in stderr and "interrupted; no output was written" in stderr
    assert not list(out.iterdir())
