"""Audio-driven behaviour as pure functions: pitch, accents, nods, blinks, gaze, brows, emotion, controls."""

from __future__ import annotations

import numpy as np
import pytest

from talkingface.audio.features import audio_features
from talkingface.audio.pitch import PitchTracker, f0_hops
from talkingface.io.audio import iter_audio
from talkingface.motion import blinks as B
from talkingface.motion import gaze as G
from talkingface.motion.generate import motion_from_audio
from talkingface.motion.head import NOD_LAG_S, nods
from talkingface.motion.prosody import Accent, Prosody, analyse_prosody

FPS = 25


@pytest.fixture(scope="module")
def features(speech_clip):
    return audio_features(iter_audio(speech_clip), 16000, FPS)


def tone(f0: float, seconds: float = 1.0, sr: int = 16000) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3))).astype(np.float32)


@pytest.mark.parametrize("f0", [85.0, 140.0, 260.0])
def test_pitch_tracker_recovers_harmonic_tones(f0):
    hops = f0_hops([tone(f0)])
    assert len(hops) == 100
    assert np.isfinite(hops[5:-5]).all()
    assert np.nanmedian(np.abs(hops / f0 - 1)) < 0.01


def test_pitch_tracker_is_block_size_invariant_and_silent_on_silence():
    x = np.concatenate([np.zeros(8000, np.float32), tone(180.0, 0.5)])
    whole = f0_hops([x])
    tracker = PitchTracker()
    for i in range(0, len(x), 777):
        tracker.push(x[i : i + 777])
    assert np.array_equal(np.isnan(whole), np.isnan(tracker.hops()))
    assert np.allclose(np.nan_to_num(whole), np.nan_to_num(tracker.hops()))
    assert np.isnan(whole[:45]).all() and np.isfinite(whole[55:-5]).all()


def test_real_speech_has_plausible_pitch_and_accents(features):
    voiced = np.isfinite(features.f0)
    assert 0.3 < voiced[features.speech].mean() < 0.95 and not voiced[~features.speech].mean() > 0.1
    assert 70 < np.nanmedian(features.f0) < 300
    prosody = analyse_prosody(features)
    rate = len(prosody.accents) / features.speech.sum() * FPS
    assert 0.5 < rate < 3.0, rate  # stressed syllables per second of speech
    assert all(features.speech[a.frame] for a in prosody.accents)


def test_nod_apex_lags_the_accent_by_about_30_ms():
    fps = 100.0  # fine grid so the lag is visible
    prosody = Prosody([Accent(200, 1.0, 2.0)], [(150, 260)], [(150, 260)], np.zeros(400))
    pitch = nods(prosody, 400, fps, np.random.default_rng(0))[:, 1]
    apex_s = (np.argmax(pitch) + 0.5) / fps
    assert pitch.max() > 1.0  # nose down by degrees
    assert abs(apex_s - (200.5 / fps + NOD_LAG_S)) <= 0.011


def test_head_settles_in_silence_and_stays_within_the_clamp(features):
    track = motion_from_audio(features, seed=4, motion_scale=3.0)
    speed = np.linalg.norm(np.diff(track.pose[:, :3], axis=0), axis=1)
    speaking = features.speech[1:]
    assert speed[~speaking].mean() < 0.6 * speed[speaking].mean()
    assert np.abs(track.pose[:, :2]).max() < 8.0 and np.abs(track.pose[:, 2]).max() < 6.0


def test_blinks_rate_shape_partials_and_pauses():
    speech = np.ones(20 * 60 * FPS, bool)  # 20 minutes of speech …
    for start in range(0, len(speech), 10 * FPS):
        speech[start : start + FPS] = False  # … with a 1 s pause every 10 s
    events = B.blink_times(speech, FPS, np.random.default_rng(1), 22.0)
    starts = np.array([int(e[0] * FPS) for e in events])
    in_speech = speech[starts]
    speech_rate = in_speech.sum() / speech.sum() * FPS * 60
    pause_rate = (~in_speech).sum() / (~speech).sum() * FPS * 60
    assert 19 <= speech_rate <= 26, speech_rate
    assert pause_rate > 2 * speech_rate
    close, hold, open_ = (np.array([e[k] for e in events]) for k in (2, 3, 4))
    assert close.min() >= 0.07 and close.max() <= 0.10 and open_.min() >= 0.15 and open_.max() <= 0.24
    partial = np.mean([e[1] < 1 for e in events])
    assert 0.3 <= partial <= 0.5
    curves = B.blinks(speech[: 60 * FPS], FPS, np.random.default_rng(2), 22.0)
    r, left = curves["eyeBlinkRight"], curves["eyeBlinkLeft"]
    t = np.arange(len(r))
    assert r.max() == pytest.approx(1.0, abs=0.05)
    assert 0 < (t * left).sum() / left.sum() - (t * r).sum() / r.sum() < 0.5  # left lags, by < half a frame


def test_gaze_averts_at_long_utterance_starts_and_returns_at_ends():
    n = 40 * FPS
    speech = np.zeros(n, bool)
    utterances = [(a, a + 4 * FPS) for a in range(FPS, n - 5 * FPS, 6 * FPS)]
    for a, b in utterances:
        speech[a:b] = True
    averted_start, back_end = [], []
    for seed in range(12):
        ang = G.gaze_angles(speech, FPS, np.random.default_rng(seed), utterances)
        for a, b in utterances:
            averted_start.append(np.linalg.norm(ang[a + 3]) > 3.0)
            back_end.append(np.linalg.norm(ang[b + 3]) < 2.0)
    assert np.mean(averted_start) > 0.55 and np.mean(back_end) > 0.55


def test_saccades_follow_the_main_sequence_and_microsaccades_are_small():
    events = [(0.0, np.zeros(2)), (0.5, np.array([10.0, 0.0]))]
    fine = G.saccade_path(events, 1000, 1000.0)
    moving = np.flatnonzero((fine[:, 0] > 0.05) & (fine[:, 0] < 9.95))
    assert 0.040 <= len(moving) / 1000.0 <= 0.055  # 25 ms + 2.5 ms/° × 10° = 50 ms
    speech = np.zeros(60 * FPS, bool)
    fix = G.fixations(speech, FPS, np.random.default_rng(3))
    steps = [np.linalg.norm(b[1] - a[1]) for a, b in zip(fix, fix[1:], strict=False)]
    micro = [s for s in steps if s < 1.0]
    assert 45 <= len(micro) <= 160 and max(micro) <= 1.0  # 1–2 per second


def test_gaze_control_sets_the_main_direction_and_head_follows(features):
    base = motion_from_audio(features, seed=5)
    turned = motion_from_audio(features, seed=5, gaze=(15.0, -8.0))
    shift = G.angles_from_channels(turned.blendshapes) - G.angles_from_channels(base.blendshapes)
    assert np.median(shift, 0) == pytest.approx([15.0, -8.0], abs=0.5)
    assert np.median(turned.pose[:, 0] - base.pose[:, 0]) > 1.5  # head turns a little the same way


def test_brows_rise_on_pitch_accents(features):
    track = motion_from_audio(features, seed=6)
    brow = track.channel("browInnerUp")
    prosody = analyse_prosody(features)
    assert brow.max() > 0.15
    near = np.zeros(len(brow), bool)
    for a in prosody.accents:
        near[max(0, a.frame - 4) : a.frame + 12] = True
    assert brow[~near].max() < 0.05 and (brow[~features.speech] == 0).mean() > 0.9


def test_emotion_is_an_offset_on_top_of_the_audio_driven_face(features):
    neutral = motion_from_audio(features, seed=7)
    assert np.array_equal(
        neutral.blendshapes, motion_from_audio(features, seed=7, emotion_strength=0).blendshapes
    )
    happy = motion_from_audio(features, seed=7, emotion="happy")
    assert happy.channel("mouthSmileLeft").min() > 0.4 and happy.channel("cheekSquintLeft").min() > 0.2
    sad = motion_from_audio(features, seed=7, emotion="sad")
    assert sad.channel("browInnerUp").mean() > neutral.channel("browInnerUp").mean() + 0.3
    assert sad.pose[:, 1].mean() > neutral.pose[:, 1].mean() + 1.5  # head drops
    angry = motion_from_audio(features, seed=7, emotion="angry", emotion_strength=0.5)
    assert angry.channel("browDownLeft").min() == pytest.approx(0.4, abs=0.01)
    surprised = motion_from_audio(features, seed=7, emotion="surprised")
    assert surprised.channel("eyeWideLeft").min() > 0.1 and surprised.channel("browOuterUpLeft").min() >= 0.39
    assert max(surprised.channel(c).max() for c in ("browInnerUp", "browOuterUpLeft")) <= 0.4
    # the mouth is the lip sync's: emotion leaves the shared jaw alone
    assert np.array_equal(happy.channel("jawOpen"), neutral.channel("jawOpen"))


def test_controls_are_independent_and_motion_scale_zero_keeps_eyes_alive(features):
    a = motion_from_audio(features, seed=8)
    b = motion_from_audio(features, seed=8, blink_rate=40)
    assert np.array_equal(a.pose, b.pose)
    assert not np.array_equal(a.channel("eyeBlinkLeft"), b.channel("eyeBlinkLeft"))
    still = motion_from_audio(features, seed=8, motion_scale=0.0)
    assert np.all(still.pose[:, :3] == 0)
    assert np.abs(G.angles_from_channels(still.blendshapes)).max() > 3  # eyes still move
    assert still.channel("eyeBlinkRight").max() > 0.5
    near = motion_from_audio(features, seed=8, head_distance=0.8)
    assert np.allclose(near.pose[:, 5], 1.25)
