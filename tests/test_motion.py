"""The first motion model on real speech: mouth from loudness, blinks, idle head."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from talkingface.audio.features import audio_features
from talkingface.io.audio import iter_audio, load_audio
from talkingface.motion.generate import motion_from_audio

from .conftest import SPEECH_END, SPEECH_START

FPS = 25


@pytest.fixture(scope="module")
def features(speech_clip):
    return audio_features(iter_audio(speech_clip), 16000, FPS)


@pytest.fixture(scope="module")
def audio(speech_clip):
    return load_audio(speech_clip)


def test_vad_finds_the_speech_and_the_padding(features):
    t = (np.arange(len(features)) + 0.5) / FPS
    assert not features.speech[t < SPEECH_START - 0.1].any()
    assert not features.speech[t > SPEECH_END + 0.25].any()
    inside = (t > SPEECH_START + 0.3) & (t < SPEECH_END - 0.3)
    assert features.speech[inside].mean() > 0.6


def test_frame_count_follows_the_audio_length(features, speech_clip):
    # the length as the WAV header states it, read without our decoder
    with wave.open(str(speech_clip)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert features.duration == pytest.approx(seconds, abs=1 / 16000)
    assert len(features) == round(seconds * FPS)


def test_mouth_is_exactly_neutral_in_silence_and_moves_with_speech(features, audio):
    track = motion_from_audio(audio, FPS, len(features), seed=1)
    jaw = track.channel("jawOpen")
    t = (np.arange(len(track)) + 0.5) / FPS
    silent = (t < SPEECH_START - 0.25) | (t > SPEECH_END + 0.5)
    assert np.all(jaw[silent] == 0.0)
    speaking = features.speech
    assert jaw[speaking].max() > 0.4 and jaw[speaking].std() > 0.08
    # louder frames open the jaw further
    assert np.corrcoef(jaw[speaking], features.rms_db[speaking])[0, 1] > 0.5


def test_track_is_deterministic_per_seed(features, audio):
    a, b, c = (motion_from_audio(audio, FPS, len(features), seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.pose, b.pose) and np.array_equal(a.blendshapes, b.blendshapes)
    assert not np.array_equal(a.pose, c.pose)


def test_motion_scale_zero_keeps_the_head_still(features, audio):
    track = motion_from_audio(audio, FPS, len(features), seed=2, motion_scale=0.0)
    assert np.all(track.pose[:, :3] == 0) and np.all(track.pose[:, 5] == 1)
    assert track.channel("jawOpen").max() > 0.3  # lips still alive


def test_head_angles_stay_within_a_speakers_reach(features, audio):
    """Real speakers turn with a yaw std of 3–7°: a few seconds of speech stay within about twice
    that, well inside the ±16° soft clamp."""
    pose = motion_from_audio(audio, FPS, len(features), seed=3).pose
    assert np.abs(pose[:, :3]).max() < 12.0
    assert 0.01 < np.abs(np.diff(pose[:, :3], axis=0)).mean() < 0.5  # degrees per frame: alive, not jittery


def test_long_audio_is_read_in_blocks_that_add_up_to_the_whole(samples):
    from talkingface.io.audio import load_audio
    from talkingface.pipeline.generate import audio_blocks

    feats = audio_features(iter_audio(samples.sonnet), 16000, FPS)
    blocks = list(audio_blocks(samples.sonnet, feats, seconds=10))
    assert len(blocks) >= 4
    assert blocks[0][0] == 0 and blocks[-1][1] == len(feats)
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:], strict=False))
    assert np.array_equal(np.concatenate([x for _, _, x in blocks]), load_audio(samples.sonnet))
    # cuts fall in quiet moments, not mid-word
    for _, stop, _ in blocks[:-1]:
        assert feats.rms_db[stop] < np.percentile(feats.rms_db, 40)
