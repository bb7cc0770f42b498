"""Motion track files: round trips, files from other tools, bad files, resampling to the audio."""

from __future__ import annotations

import json

import numpy as np
import pytest

from talkingface.core.track import ARKIT_CHANNELS, MotionTrack
from talkingface.errors import TalkingFaceError
from talkingface.motion.track_io import MotionFileError, load_track, resample_track, save_track


def random_track(n: int = 40, fps: float = 25.0) -> MotionTrack:
    rng = np.random.default_rng(0)
    pose = np.column_stack([rng.normal(0, 3, (n, 3)), rng.normal(0, 0.1, (n, 2)), 1 + rng.normal(0, 0.05, n)])
    track = MotionTrack(fps, pose, rng.uniform(0, 1, (n, len(ARKIT_CHANNELS))))
    track.meta["source"] = "test"
    return track


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_round_trip(tmp_path, suffix):
    track = random_track()
    back = load_track(save_track(track, tmp_path / f"t{suffix}"))
    assert back.fps == pytest.approx(25.0) and len(back) == len(track)
    assert np.allclose(back.pose, track.pose, atol=1e-5) and np.allclose(
        back.blendshapes, track.blendshapes, atol=1e-5
    )
    if suffix == ".json":
        assert back.meta["source"] == "test"
        doc = json.loads((tmp_path / "t.json").read_text())
        assert doc["columns"][:7] == ["time", "yaw", "pitch", "roll", "tx", "ty", "scale"]
        assert "jawOpen" in doc["columns"] and len(doc["rows"]) == 40
        assert len(doc["columns"]) == 1 + 6 + 52 and doc["columns"][-1] == "tongueOut"


def test_files_from_other_tools_may_leave_columns_out(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("time,jawOpen,yaw\n0,0.5,1\n0.04,0.25,2\n0.08,0,3\n")
    track = load_track(path)
    assert track.fps == pytest.approx(25.0)
    assert np.allclose(track.channel("jawOpen"), [0.5, 0.25, 0]) and np.allclose(
        track.pose_column("yaw"), [1, 2, 3]
    )
    assert np.all(track.pose_column("scale") == 1) and np.all(track.channel("eyeBlinkLeft") == 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,jawOpn\n0,1\n0.04,1\n", "unknown column 'jawOpn'"),
        ("time,jawOpen\n0,1\n0.04\n", "frame 1 has 1 values"),
        ("time,jawOpen\n0,1\n0.04,x\n", "not a number"),
        ("time,jawOpen\n0,1\n0,1\n", "times must increase"),
        ("time,jawOpen\n0,nan\n0.04,1\n", "NaN"),
        ("time,scale\n0,0\n0.04,1\n", "scale must be positive"),
        ('{"format": "talkingface-motion", "version": 1, "fps": 25, "columns": ["time"], "rows": 3}', "rows"),
        ('{"format": "other"}', "not a talkingface motion track"),
        ('{"format": ', "not valid JSON"),
        ("", "empty"),
    ],
)
def test_bad_files_get_one_line_errors(tmp_path, text, message):
    path = tmp_path / ("bad.json" if text.startswith("{") else "bad.csv")
    path.write_text(text)
    with pytest.raises(MotionFileError, match=message) as info:
        load_track(path)
    assert isinstance(info.value, TalkingFaceError) and "\n" not in str(info.value)


def test_missing_file_and_bad_export_name(tmp_path):
    with pytest.raises(MotionFileError, match="does not exist"):
        load_track(tmp_path / "nope.json")
    with pytest.raises(MotionFileError, match=".json or .csv"):
        save_track(random_track(), tmp_path / "t.txt")


def test_resampling_holds_the_last_frame_and_cuts_long_tracks():
    track = random_track(30, 30.0)  # 1 s at 30 fps
    out = resample_track(track, 25.0, 50)  # 2 s at 25 fps
    assert len(out) == 50 and out.fps == 25.0
    assert np.allclose(out.pose[0], track.pose[0]) and np.allclose(out.pose[-1], track.pose[-1], atol=1e-5)
    assert np.allclose(out.pose[10, 0], np.interp(0.4, np.arange(30) / 30, track.pose[:, 0]), atol=1e-4)
    cut = resample_track(track, 30.0, 10)
    assert np.array_equal(cut.pose, track.pose[:10])
