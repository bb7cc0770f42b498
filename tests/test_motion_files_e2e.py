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
