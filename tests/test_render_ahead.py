"""Rendering runs ahead of encoding in a worker thread: same frames, same order, bounded, errors
surface in the caller, and leaving early stops the worker."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from talkingface.pipeline.generate import render_ahead
from talkingface.render.renderer import Renderer


def test_frames_come_out_in_order_and_identical(renderer: Renderer):
    from talkingface.core.track import MotionTrack

    rng = np.random.default_rng(0)
    pose = np.tile([0.0, 0, 0, 0, 0, 1], (12, 1)) + rng.normal(0, 1, (12, 6)) * [2, 2, 1, 0, 0, 0]
    shapes = np.clip(rng.normal(0.2, 0.2, (12, 51)), 0, 1).astype(np.float32)
    track = MotionTrack(25.0, pose.astype(np.float32), shapes)
    ahead = list(render_ahead(renderer.render_track(track), depth=3))
    assert len(ahead) == len(track)
    for k, frame in enumerate(ahead):
        assert np.array_equal(frame, renderer.render(*track.frame(k)))


def test_the_worker_never_runs_more_than_depth_frames_ahead():
    made = []

    def frames():
        for k in range(100):
            made.append(k)
            yield k

    for consumed, _ in enumerate(render_ahead(frames(), depth=4), start=1):
        assert len(made) - consumed <= 4 + 1  # the queue plus the one being put
        if consumed == 10:
            break
    assert not any(t.name == "render-ahead" for t in threading.enumerate())  # stopped, not leaked


def test_an_error_while_rendering_reaches_the_caller():
    def frames():
        yield 1
        raise ValueError("rig broke")

    with pytest.raises(ValueError, match="rig broke"):
        list(render_ahead(frames()))
