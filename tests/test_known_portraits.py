"""The portrait cache: a picture analysed before gives the same frames without a face search or a
matte, and anything its analysis depends on (pixels, framing, model file) names another entry."""

from __future__ import annotations

import numpy as np
import pytest

import talkingface
import talkingface.render.setup as setup
from talkingface.face import known
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.frames import iter_frames
from talkingface.motion.generate import motion_from_audio
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


class NoSearch:
    """Stands for the face and matting models where a cached analysis must be used instead."""

    def __init__(self, *args, **kwargs) -> None:
        raise AssertionError("the portrait was analysed again")


def test_a_known_portrait_renders_the_same_frames_without_analysis(folder, astronaut_rgb, landmarker, track):
    cold, cold_renderer = prepare_face(astronaut_rgb, landmarker, known=True)
    assert len(list(folder.glob("*.npz"))) == 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(setup, "FaceLandmarker", NoSearch)
        mp.setattr(setup, "PersonMatte", NoSearch)
        warm, warm_renderer = prepare_face(astronaut_rgb, known=True)
    plain, plain_renderer = prepare_face(astronaut_rgb, landmarker)
    for framed in (cold, warm):
        assert np.array_equal(framed.image, plain.image) and framed.crop_box == plain.crop_box
        assert np.array_equal(framed.face.landmarks, plain.face.landmarks)
        assert framed.notes == plain.notes
    assert np.array_equal(warm_renderer.rig.vertices, plain_renderer.rig.vertices)
    expected = frames_of(plain_renderer, track)
    for renderer in (cold_renderer, warm_renderer):
        assert all(np.array_equal(a, b) for a, b in zip(frames_of(renderer, track), expected, strict=True))


def test_a_changed_picture_or_framing_is_analysed_anew(
    folder, astronaut_rgb, landmarker, monkeypatch, tmp_path
):
    prepare_face(astronaut_rgb, landmarker, known=True)
    touched = astronaut_rgb.copy()
    touched[10, 10] ^= 1  # one pixel's lowest bit
    monkeypatch.setattr(setup, "PersonMatte", NoSearch)  # from here on without a matte
    framed, _ = prepare_face(touched, landmarker, matte=False, known=True)
    assert len(list(folder.glob("*.npz"))) == 2
    keys = {
        known.analysis_key(image, mode=mode, size=size, face=face, matte=matte)
        for image in (astronaut_rgb, touched)
        for mode, size in (("crop", 512), ("crop", 256), ("full", 512))
        for face in (None, "1")
        for matte in (True, False)
    }
    assert len(keys) == 24
    full = [known.analysis_key(astronaut_rgb, mode="full", size=n, face=None, matte=False) for n in (64, 256)]
    assert full[0] == full[1]  # full mode has no size
    # another matting model file: every entry made with the old one is stale
    before = known.analysis_key(astronaut_rgb, mode="crop", size=512, face=None, matte=True)
    other = tmp_path / "other.onnx"
    other.write_bytes(b"another model")
    monkeypatch.setenv("TALKINGFACE_MATTE_MODEL", str(other))
    known._code_and_models.cache_clear()
    try:
        assert known.analysis_key(astronaut_rgb, mode="crop", size=512, face=None, matte=True) != before
    finally:
        monkeypatch.delenv("TALKINGFACE_MATTE_MODEL")
        known._code_and_models.cache_clear()


def test_a_damaged_entry_is_a_miss_and_is_replaced(folder, astronaut_rgb, landmarker):
    good, _ = prepare_face(astronaut_rgb, landmarker, matte=False, known=True)
    (entry,) = folder.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])
    again, _ = prepare_face(astronaut_rgb, landmarker, matte=False, known=True)
    assert np.array_equal(again.face.landmarks, good.face.landmarks)
    assert known.load_analysis(entry.stem, astronaut_rgb, "crop", 512) is not None  # written anew


def test_only_the_newest_entries_are_kept(folder, astronaut_rgb, landmarker, monkeypatch):
    monkeypatch.setattr(known, "MAX_ENTRIES", 2)
    framed, _ = prepare_face(astronaut_rgb, landmarker, matte=False, known=True)
    for size in (256, 384, 128):
        key = known.analysis_key(astronaut_rgb, mode="crop", size=size, face=None, matte=False)
        known.save_analysis(key, framed, None)
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
