"""End to end: a real portrait and real speech through the whole pipeline, measured on the output."""

from __future__ import annotations

import os

import av
import numpy as np
import pytest

import talkingface
from talkingface.eval.measure import measure_video, mouth_gap
from talkingface.face.portrait import prepare_portrait
from talkingface.io.frames import probe_video
from talkingface.io.image import load_portrait

from .conftest import SPEECH_END, SPEECH_START

FPS = 25


@pytest.fixture(scope="module")
def crop_video(samples, speech_clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "astronaut.mp4"
    result = talkingface.generate(samples.astronaut, speech_clip, out, fps=FPS, size=512, seed=3)
    return result


def test_api_returns_a_finished_path(crop_video):
    assert os.fspath(crop_video) == str(crop_video.path) and crop_video.path.is_file()
    assert crop_video.realtime_factor > 0 and "frames" in crop_video.summary()
    assert not list(crop_video.path.parent.glob(".*.part"))


def test_streams_codecs_and_lengths(crop_video, speech_clip):
    info = probe_video(crop_video.path)
    audio_seconds = talkingface.io.audio.probe_audio(speech_clip).duration
    assert (info.width, info.height) == (512, 512)
    assert abs(info.frames - audio_seconds * FPS) <= 1
    assert info.audio_duration is not None and abs(info.audio_duration - audio_seconds) <= 1 / FPS
    with av.open(str(crop_video.path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.audio[0].codec_context.name == "aac"


@pytest.fixture(scope="module")
def measures(crop_video, landmarker):
    return measure_video(crop_video.path, landmarker, step=2)


def test_face_stays_where_the_portrait_has_it(samples, crop_video, measures, landmarker):
    framed = prepare_portrait(load_portrait(samples.astronaut), landmarker, "crop", 512)
    rest = framed.face.landmarks[:, :2]
    assert measures.found.all()
    # eye corners and nose bridge: small head motion only (a couple of degrees ≈ a few px)
    stable = [33, 133, 362, 263, 168]
    drift = np.linalg.norm(measures.landmarks[:, stable, :2] - rest[stable], axis=2)
    iod = framed.face.inter_ocular
    assert np.median(drift) < 0.08 * iod and drift.max() < 0.25 * iod


def test_mouth_opens_during_speech_and_rests_in_silence(samples, measures, landmarker):
    framed = prepare_portrait(load_portrait(samples.astronaut), landmarker, "crop", 512)
    rest_gap = mouth_gap(framed.face)
    t = measures.index / FPS
    silence = (t < SPEECH_START - 0.3) | (t > SPEECH_END + 0.4)
    speech = (t > SPEECH_START + 0.2) & (t < SPEECH_END - 0.2)
    gap_speech, gap_silence = measures.gap[speech], measures.gap[silence]
    assert np.percentile(gap_speech, 75) > np.percentile(gap_silence, 75) + 0.08
    assert abs(np.median(gap_silence) - rest_gap) < 0.03  # the photo's own mouth in silence
    assert np.std(gap_silence) < 0.02  # and still


def test_same_seed_same_video_different_seed_different_motion(samples, speech_clip, crop_video, tmp_path):
    again = talkingface.generate(samples.astronaut, speech_clip, tmp_path / "again.mp4", fps=FPS, seed=3)
    other = talkingface.generate(samples.astronaut, speech_clip, tmp_path / "other.mp4", fps=FPS, seed=4)

    def frames(path):
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="rgb24") for i, f in enumerate(c.decode(video=0)) if i % 40 == 20]

    a, b, c = frames(crop_video.path), frames(again.path), frames(other.path)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert any(not np.array_equal(x, z) for x, z in zip(a, c, strict=True))


def test_full_mode_animates_in_place_at_the_photo_size(samples, speech_clip, tmp_path, landmarker):
    result = talkingface.generate(
        samples.grace_hopper, speech_clip, tmp_path / "full.mp4", mode="full", fps=FPS
    )
    photo = load_portrait(samples.grace_hopper)
    assert (result.width, result.height) == (
        photo.shape[1] - photo.shape[1] % 2,
        photo.shape[0] - photo.shape[0] % 2,
    )
    with av.open(str(result.path)) as c:
        frame = next(f for i, f in enumerate(c.decode(video=0)) if i == 10).to_ndarray(format="rgb24")
    # the corners of the photo (far from the head) are the photo's own pixels, up to H.264 noise
    corner = (slice(0, 40), slice(0, 40))
    assert np.abs(frame[corner].astype(int) - photo[corner].astype(int)).mean() < 4
    face = landmarker.detect(frame)[0]
    ref = landmarker.detect(photo)[0]
    assert np.linalg.norm(face.landmarks[168, :2] - ref.landmarks[168, :2]) < 0.2 * ref.inter_ocular


def test_output_is_marked_and_signed_by_default(crop_video):
    from talkingface.provenance import verify_video

    report = verify_video(crop_video.path)
    assert report.watermark.found and report.watermark.payload["generation_id"] == crop_video.generation_id
    assert report.manifest.present and report.manifest.valid
    assert report.metadata_tag and crop_video.generation_id in report.metadata_tag


def test_marks_can_be_turned_off_explicitly(samples, speech_clip, tmp_path):
    from talkingface.provenance import ProvenanceOptions, verify_video

    off = ProvenanceOptions(watermark=False, sign=False)
    result = talkingface.generate(
        samples.astronaut, speech_clip, tmp_path / "bare.mp4", size=256, provenance=off
    )
    report = verify_video(result.path)
    assert not report.watermark.found and not report.manifest.present


def test_every_option_is_a_keyword_of_generate():
    """``generate(..., matte=False)`` must reach the options: no parameter of its own may take an
    option's name (a ``matte`` model parameter once swallowed ``matte=False``)."""
    import dataclasses
    import inspect

    from talkingface.pipeline.options import GenerateOptions

    own = set(inspect.signature(talkingface.generate).parameters) - {"option_overrides"}
    assert not own & {f.name for f in dataclasses.fields(GenerateOptions)}
    assert GenerateOptions.build(None, matte=False).matte is False
