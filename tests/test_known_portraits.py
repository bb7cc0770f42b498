"""The portrait cache: a picture prepared before gives the same frames without a face search, a
matte or a rig build, and anything its preparation depends on (pixels, framing, model file) names
another entry."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

import talkingface
import talkingface.render.setup as setup
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.frames import iter_frames
from talkingface.motion.generate import motion_from_audio
from talkingface.render import known
from talkingface.render.setup import prepare_face


@pytest.fixture
def folder(tmp_path, monkeypatch):
    where = tmp_path / "portraits"
    monkeypatch.setattr(known, "folder", lambda: where)
    return where


@pytest.fixture(scope="module")
def track(speech_clip):
    from talkingface.audio.features import audio_features
    from talkingface.io.audio import iter_audio

    features = audio_features(iter_audio(speech_clip, 16000), 16000, 25)
    return motion_from_audio(iter_audio(speech_clip, 16000), 25, len(features), seed=1)


def frames_of(renderer, track, step: int = 9) -> list[np.ndarray]:
    return [renderer.render(*track.frame(k)) for k in range(0, len(track), step)]


def not_again(*args, **kwargs):
    """Stands for the face and matting models and the rig builder where the cache must serve."""
    raise AssertionError("the portrait was prepared again")


def test_a_known_portrait_renders_the_same_frames_without_preparing_it(
    folder, astronaut_rgb, landmarker, track
):
    cold, cold_renderer = prepare_face(astronaut_rgb, landmarker, known=True)
    assert len(list(folder.glob("*.npz"))) == 1
    with pytest.MonkeyPatch.context() as mp:
        for name in ("FaceLandmarker", "PersonMatte", "build_rig", "background_layer"):
            mp.setattr(setup, name, not_again)
        warm, warm_renderer = prepare_face(astronaut_rgb, known=True)
    plain, plain_renderer = prepare_face(astronaut_rgb, landmarker)
    for framed in (cold, warm):
        assert np.array_equal(framed.image, plain.image) and framed.crop_box == plain.crop_box
        assert np.array_equal(framed.face.landmarks, plain.face.landmarks)
        assert framed.notes == plain.notes
    for f in fields(plain_renderer.rig):
        a, b = getattr(warm_renderer.rig, f.name), getattr(plain_renderer.rig, f.name)
        assert type(a) is type(b) and np.array_equal(a, b), f.name
        assert getattr(a, "dtype", None) == getattr(b, "dtype", None), f.name
    expected = frames_of(plain_renderer, track)
    for renderer in (cold_renderer, warm_renderer):
        assert all(np.array_equal(a, b) for a, b in zip(frames_of(renderer, track), expected, strict=True))


def test_a_changed_picture_or_framing_is_prepared_anew(
    folder, astronaut_rgb, landmarker, monkeypatch, tmp_path
):
    prepare_face(astronaut_rgb, landmarker, known=True)
    touched = astronaut_rgb.copy()
    touched[10, 10] ^= 1  # one pixel's lowest bit
    monkeypatch.setattr(setup, "PersonMatte", not_again)  # from here on without a matte
    framed, _ = prepare_face(touched, landmarker, matte=False, known=True)
    assert len(list(folder.glob("*.npz"))) == 2
    keys = {
        known.portrait_key(image, mode=mode, size=size, face=face, matte=matte)
        for image in (astronaut_rgb, touched)
        for mode, size in (("crop", 512), ("crop", 256), ("full", 512))
        for face in (None, "1")
        for matte in (True, False)
    }
    assert len(keys) == 24
    full = [known.portrait_key(astronaut_rgb, mode="full", size=n, face=None, matte=False) for n in (64, 256)]
    assert full[0] == full[1]  # full mode has no size
    # another matting model file: every entry made with the old one is stale
    before = known.portrait_key(astronaut_rgb, mode="crop", size=512, face=None, matte=True)
    other = tmp_path / "other.onnx"
    other.write_bytes(b"another model")
    monkeypatch.setenv("TALKINGFACE_MATTE_MODEL", str(other))
    known._code_and_models.cache_clear()
    try:
        assert known.portrait_key(astronaut_rgb, mode="crop", size=512, face=None, matte=True) != before
    finally:
        monkeypatch.delenv("TALKINGFACE_MATTE_MODEL")
        known._code_and_models.cache_clear()


def test_a_damaged_entry_is_a_miss_and_is_replaced(folder, astronaut_rgb, landmarker):
    good, _ = prepare_face(astronaut_rgb, landmarker, matte=False, known=True)
    (entry,) = folder.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])
    again, _ = prepare_face(astronaut_rgb, landmarker, matte=False, known=True)
    assert np.array_equal(again.face.landmarks, good.face.landmarks)
    assert known.load_prepared(entry.stem, astronaut_rgb, "crop", 512) is not None  # written anew


def test_only_the_newest_entries_are_kept(folder, astronaut_rgb, landmarker, monkeypatch):
    monkeypatch.setattr(known, "MAX_ENTRIES", 2)
    framed, renderer = prepare_face(astronaut_rgb, landmarker, matte=False, known=True)
    for size in (256, 384, 128):
        key = known.portrait_key(astronaut_rgb, mode="crop", size=size, face=None, matte=False)
        known.save_prepared(key, framed, renderer.rig, None)
    assert len(list(folder.glob("*.npz"))) == 2 and (folder / f"{key}.npz").is_file()


def test_generate_makes_the_same_video_with_and_without_the_cache(folder, samples, speech_clip, tmp_path):
    clip = save_wav(tmp_path / "two_seconds.wav", load_audio(speech_clip)[24000:56000], 16000)
    videos = []
    for name, cached in (("off", False), ("cold", True), ("warm", True)):
        out = tmp_path / f"{name}.mp4"
        talkingface.generate(samples.astronaut, clip, out, cache=cached)
        videos.append([f for _, f in iter_frames(out)])
        assert len(list(folder.glob("*.npz"))) == (1 if cached else 0)
    off, cold, warm = videos
    assert len(off) == len(cold) == len(warm) == 50
    assert all(np.array_equal(a, b) and np.array_equal(a, c) for a, b, c in zip(off, cold, warm, strict=True))


def test_server_jobs_leave_nothing_in_the_portrait_cache():
    from talkingface.server.forms import option_fields, options_from

    assert "cache" not in {f.name for f in option_fields()}  # not a client's choice
    assert options_from({"cache": True, "fps": 25}).cache is False
