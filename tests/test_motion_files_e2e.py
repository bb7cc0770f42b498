"""End to end: --export-motion, --motion (render a given track), --driver, and the control flags."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import talkingface
from talkingface.cli import app
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.frames import iter_frames, probe_video
from talkingface.motion.track_io import load_track
from talkingface.provenance import ProvenanceOptions


@pytest.fixture(scope="module")
def short_clip(speech_clip, tmp_path_factory):
    audio = load_audio(speech_clip)[int(1.2 * 16000) : int(4.2 * 16000)]
    return save_wav(tmp_path_factory.mktemp("e2e") / "three_seconds.wav", audio, 16000)


def frames(path) -> np.ndarray:
    return np.stack([f for _, f in iter_frames(path)]).astype(np.float32)


def test_exported_track_renders_back_the_same_video(samples, short_clip, tmp_path):
    unmarked = ProvenanceOptions(watermark=False, sign=False)  # the watermark carries a per-run id
    kw = dict(
        fps=25, size=256, seed=2, lipsync="loudness", emotion="happy", gaze=(10.0, 0.0), provenance=unmarked
    )
    first = talkingface.generate(
        samples.astronaut, short_clip, tmp_path / "a.mp4", export_motion=tmp_path / "t.json", **kw
    )
    track = load_track(tmp_path / "t.json")
    assert len(track) == first.frames and track.channel("mouthSmileLeft").min() > 0.4
    second = talkingface.generate(
        samples.astronaut, short_clip, tmp_path / "b.mp4", fps=25, size=256, motion=tmp_path / "t.json",
        export_motion=tmp_path / "t.csv", provenance=unmarked,
    )  # fmt: skip
    assert second.frames == first.frames
    assert np.abs(frames(first.path) - frames(second.path)).mean() < 1.0  # H.264 noise only
    assert np.allclose(load_track(tmp_path / "t.csv").blendshapes, track.blendshapes, atol=1e-5)


def test_driver_mode_on_the_carphone_clip(samples, short_clip, tmp_path):
    result = talkingface.generate(
        samples.astronaut, short_clip, tmp_path / "d.mp4", fps=25, size=256, driver=samples.carphone
    )
    info = probe_video(result.path)
    assert info.frames == 75 and info.audio_duration == pytest.approx(3.0, abs=0.05)  # audio still muxed


def test_driver_moves_the_head_and_the_audio_moves_the_lips(samples, speech_clip, tmp_path):
    """The 4 s carphone driver on 8.5 s of speech (silent for its first 1.5 s): the man talks
    from the first frame, so his jaw moves while the audio is still silent."""
    kw = dict(fps=25, size=256, driver=samples.carphone)
    lips = talkingface.generate(
        samples.astronaut, speech_clip, tmp_path / "a.mp4", export_motion=tmp_path / "a.json", **kw
    )
    talkingface.generate(
        samples.astronaut, speech_clip, tmp_path / "b.mp4", export_motion=tmp_path / "b.json",
        driver_mouth=True, **kw,
    )  # fmt: skip
    a, b = load_track(tmp_path / "a.json"), load_track(tmp_path / "b.json")
    assert len(a) == probe_video(lips.path).frames == round(8.5 * 25)
    silent = slice(0, 30)  # the audio's leading silence
    assert np.all(a.channel("jawOpen")[silent] == 0) and b.channel("jawOpen")[silent].std() > 0.01
    assert a.channel("jawOpen")[50:150].max() > 0.3  # speech opens the mouth
    assert np.array_equal(a.pose[:100], b.pose[:100])  # the head is the driver's either way
    assert a.pose[:100, :3].std(0).max() > 0.5
    # the driver ends at 4 s: one note, and the motion glides on from the audio instead of freezing
    assert [n for n in lips.notes if "hands over" in n] and len(
        [n for n in lips.notes if "motion lasts" in n]
    ) == 1
    assert np.abs(np.diff(a.pose[150:, :3], axis=0)).sum() > 1.0
    step = np.abs(np.diff(a.pose[:, :3], axis=0)).max(1)
    assert step[100:116].max() <= step[60:100].max()  # no jump at the hand-over (faster than the driver)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--emotion", "smug"], "--emotion 'smug' is unknown"),
        (["--gaze", "10"], "--gaze '10' is not two numbers"),
        (["--gaze", "40,0"], "out of range"),
        (["--head-distance", "3"], "--head-distance 3 is out of range"),
        (["--export-motion", "t.txt"], ".json or .csv"),
        (["--motion", "nope.json"], "does not exist"),
    ],
)
def test_control_flags_fail_with_one_line(samples, short_clip, tmp_path, flags, message):
    result = CliRunner().invoke(
        app,
        ["generate", str(samples.astronaut), str(short_clip), "-o", str(tmp_path / "x.mp4"), "-q", *flags],
    )
    assert result.exit_code != 0
    assert message in result.output and result.output.count("error:") == 1
    assert not (tmp_path / "x.mp4").exists()


def test_motion_extract_command_writes_a_track(samples, tmp_path):
    out = tmp_path / "carphone.csv"
    result = CliRunner().invoke(app, ["motion", "extract", str(samples.carphone), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "120 frames" in result.output
    track = load_track(out)
    assert len(track) == 120 and track.fps == pytest.approx(29.97, abs=0.05)
    assert np.all(track.pose[0, :5] == pytest.approx(0, abs=0.5))  # relative to the first frame
