"""Closed loop: commanded motion, rendered, re-measured by Face Landmarker from the frames."""

from __future__ import annotations

import numpy as np
import pytest

from talkingface.core.track import CHANNEL_INDEX, MotionTrack
from talkingface.eval.measure import measure_frames
from talkingface.eval.motion_stats import (
    eye_aperture,
    head_angles_from_landmarks,
    iris_offset,
    motion_statistics,
)
from talkingface.io.audio import load_audio
from talkingface.motion.driver import track_from_measures, track_from_video
from talkingface.motion.gaze import gaze_channels
from talkingface.motion.generate import motion_from_audio

SWEEP = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])


def render_measure(renderer, landmarker, track: MotionTrack):
    frames = [renderer.render(*track.frame(i)) for i in range(len(track))]
    return measure_frames(enumerate(frames), landmarker)


def sweep_track(n: int) -> MotionTrack:
    return MotionTrack.neutral(n, 25.0)


def slope(x, y) -> float:
    return float(np.polyfit(x, y, 1)[0])


@pytest.mark.parametrize(("axis", "lo", "hi"), [(0, 0.6, 1.1), (1, 0.6, 1.1), (2, 0.85, 1.1)])
def test_head_angle_sweep_comes_back_monotonic(renderer, landmarker, portrait, axis, lo, hi):
    """Measured/commanded slope within [lo, hi] (the 2D warp turns a face ≈ 70–80 % as far in
    yaw/pitch as a real head would look), strictly monotonic, other axes within 1.5°."""
    track = sweep_track(len(SWEEP))
    track.pose[:, axis] = 8.0 * SWEEP
    m = render_measure(renderer, landmarker, track)
    ang = head_angles_from_landmarks(m.landmarks, portrait.face.landmarks)
    assert np.all(np.diff(ang[:, axis]) > 0), ang
    assert lo <= slope(track.pose[:, axis], ang[:, axis]) <= hi
    others = [k for k in range(3) if k != axis]
    assert np.abs(ang[:, others]).max() < 1.5


def test_jaw_blink_and_gaze_sweeps_come_back_monotonic(renderer, landmarker):
    values = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    track = sweep_track(15)
    track.blendshapes[0:5, CHANNEL_INDEX["jawOpen"]] = values
    track.blendshapes[5:10, CHANNEL_INDEX["eyeBlinkLeft"]] = values
    track.blendshapes[5:10, CHANNEL_INDEX["eyeBlinkRight"]] = values
    gaze = np.column_stack([20.0 * SWEEP, np.zeros(5)])
    for name, curve in gaze_channels(gaze).items():
        track.blendshapes[10:15, CHANNEL_INDEX[name]] = curve
    m = render_measure(renderer, landmarker, track)
    assert np.all(np.diff(m.gap[0:5]) > 0), m.gap[0:5]
    aperture = eye_aperture(m.landmarks[5:10]).mean(1)
    assert np.all(np.diff(aperture[:4]) < 0) and aperture[-1] < 0.35 * aperture[0], aperture
    iris = iris_offset(m.landmarks[10:15])[:, 0]  # eye widths, + toward image +x
    assert np.all(np.diff(iris) > 0), iris
    assert iris[-1] - iris[0] > 0.05


def test_head_distance_scales_the_face(renderer, landmarker, portrait):
    track = sweep_track(3)
    track.pose[:, 5] = 1.0 / np.array([0.8, 1.0, 1.25])
    m = render_measure(renderer, landmarker, track)
    eyes = m.landmarks[:, [33, 263], :2]
    iod = np.linalg.norm(eyes[:, 0] - eyes[:, 1], axis=1)
    assert iod / iod[1] == pytest.approx(track.pose[:, 5], rel=0.05)


def test_generated_motion_is_measured_back_from_the_frames(renderer, landmarker, portrait, speech_clip):
    track = motion_from_audio(load_audio(speech_clip), 25, seed=11)
    m = render_measure(renderer, landmarker, track)
    ang = head_angles_from_landmarks(m.landmarks, portrait.face.landmarks)
    for axis in (0, 2):  # yaw and roll are measured cleanly; pitch is noisier (the jaw moves the fit)
        assert np.corrcoef(ang[:, axis], track.pose[:, axis])[0, 1] > 0.85
    stats = motion_statistics(m, 25.0, portrait.face.landmarks)
    closed = track.channel("eyeBlinkRight")
    commanded = int(((closed[1:] > 0.5) & (closed[:-1] <= 0.5)).sum())
    assert abs(stats["blinks"] - commanded) <= 1, (stats["blinks"], commanded)
    assert 0.15 <= stats["blink_duration_s"] <= 0.4
    assert stats["delta_p"] > 0.1


def test_driver_video_motion_transfers_to_another_portrait(samples, renderer, landmarker):
    driver = track_from_video(samples.carphone, landmarker)
    assert len(driver) == 120 and driver.fps == pytest.approx(29.97, abs=0.01)
    m = render_measure(renderer, landmarker, driver)
    again = track_from_measures(m, driver.fps)
    jaw = CHANNEL_INDEX["jawOpen"]
    assert np.corrcoef(driver.blendshapes[:, jaw], again.blendshapes[:, jaw])[0, 1] > 0.7
    axis = int(np.argmax(driver.pose[:, :3].std(0)))
    assert driver.pose[:, axis].std() > 1.0  # he does move his head
    assert np.corrcoef(driver.pose[:, axis], again.pose[:, axis])[0, 1] > 0.7
