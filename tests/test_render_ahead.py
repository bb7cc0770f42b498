"""Rendering runs ahead of encoding in worker threads: same frames, same order, bounded, errors
surface in the caller, and leaving early stops the workers."""

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
    ahead = list(render_ahead(lambda k: renderer.render(*track.frame(k)), len(track), threads=2, depth=3))
    assert len(ahead) == len(track)
    for k, frame in enumerate(ahead):
        assert np.array_equal(frame, renderer.render(*track.frame(k)))


def test_the_workers_never_run_more_than_depth_frames_ahead():
    made = []

    def render(k: int) -> int:
        made.append(k)
        return k

    for consumed, k in enumerate(render_ahead(render, 100, threads=2, depth=4), start=1):
        assert k == consumed - 1
        assert len(made) - consumed <= 4 + 1  # the frames waiting plus the one just handed over
        if consumed == 10:
            break
    assert len(made) <= 15  # nothing more was started after the loop left
    assert not any(t.name.startswith("render-ahead") for t in threading.enumerate())  # stopped


def test_an_error_while_rendering_reaches_the_caller():
    def render(k: int) -> int:
        if k == 3:
            raise ValueError("rig broke")
        return k

    with pytest.raises(ValueError, match="rig broke"):
        list(render_ahead(render, 10))


@pytest.mark.parametrize("mode", ["full", "crop"])
def test_converting_only_the_moving_box_writes_the_same_file(samples, landmarker, tmp_path, mode):
    """generate() tells the writer the renderer's region of interest (outside it every frame is
    the photo): converting each later frame to YUV only there gives the very same MP4, byte for
    byte, in full mode (a small box in a 1080p frame: converted alone) and crop mode (most of
    the frame: converted whole), also with the box's edges on odd pixels; and the same frames as
    handing the encoder the RGB frames to convert itself."""
    import av

    from talkingface.core.track import CHANNEL_INDEX, MotionTrack
    from talkingface.eval.portraits import in_large_picture
    from talkingface.io.image import load_portrait
    from talkingface.io.video import PRESET, X264_PARAMS, VideoWriter
    from talkingface.render.setup import prepare_face

    photo = load_portrait(samples.astronaut)
    image = in_large_picture(photo) if mode == "full" else photo
    _, renderer = prepare_face(image, landmarker, mode=mode, matte=False)
    h, w = renderer.rig.image.shape[:2]
    track = MotionTrack.neutral(10, 25.0)
    track.pose[:, 0] = np.linspace(-20, 20, 10)
    track.blendshapes[:, CHANNEL_INDEX["jawOpen"]] = np.linspace(0, 0.8, 10)
    frames = [renderer.render(*track.frame(k)) for k in range(len(track))]
    x0, y0, x1, y1 = renderer.rig.roi
    written = []
    for name, box in (("whole", None), ("box", (x0, y0, x1, y1)), ("odd", (x0 | 1, y0 | 1, x1 | 1, y1 | 1))):
        with VideoWriter(tmp_path / f"{name}.mp4", w, h, 25.0, samples.sonnet, still_outside=box) as out:
            for frame in frames:
                out.write(frame)
        written.append((tmp_path / f"{name}.mp4").read_bytes())
    assert written[0] == written[1] == written[2]
    # the encoder handed the RGB frames themselves (it converts them on its own threads)
    with av.open(str(tmp_path / "theirs.mp4"), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "18", "preset": PRESET, "x264-params": X264_PARAMS}
        for k, frame in enumerate(frames):
            rgb = av.VideoFrame.from_ndarray(frame, format="rgb24")
            rgb.pts = k
            out.mux(stream.encode(rgb))
        out.mux(stream.encode(None))
    ours, theirs = (_decoded(tmp_path / name) for name in ("whole.mp4", "theirs.mp4"))
    assert len(ours) == len(frames) and all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def _decoded(path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_a_still_box_converts_only_that_box_and_gives_the_whole_frames_picture(samples):
    """The writer's converter itself, on a box whose edges fall on odd pixels in a frame that
    changes only there: each picture is the whole frame's own conversion."""
    import av

    from talkingface.eval.portraits import in_large_picture
    from talkingface.io.image import load_portrait
    from talkingface.io.video import YuvFrames

    frame = in_large_picture(load_portrait(samples.astronaut))
    h, w = frame.shape[:2]
    box = (601, 297, 1003, 779)
    still = YuvFrames(w, h, box)
    rng = np.random.default_rng(5)
    for k in range(4):
        if k:
            frame[box[1] : box[3], box[0] : box[2]] = rng.integers(
                0, 256, (box[3] - box[1], box[2] - box[0], 3)
            )
        whole = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(w, h, "yuv420p")
        picture = still.frame(frame)
        for mine, theirs in zip(picture.planes, whole.planes, strict=True):
            assert bytes(mine) == bytes(theirs)
