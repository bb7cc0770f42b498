"""One engine for files and live: the same seed gives the same face, the live mouth follows the file's."""

from __future__ import annotations

import numpy as np
import pytest

from talkingface.core.track import CHANNEL_INDEX
from talkingface.errors import ProtocolError
from talkingface.io.audio import load_audio
from talkingface.motion.controls import Controls
from talkingface.motion.generate import motion_from_audio
from talkingface.motion.lipsync import mouth_frames
from talkingface.motion.rules import MOUTH_CHANNELS
from talkingface.stream.engine import StreamEngine
from talkingface.stream.protocol import LiveParams, SetControls, Stop, parse_text

FPS = 25
MOUTH = [CHANNEL_INDEX[c] for c in MOUTH_CHANNELS]
BEHAVIOUR = [i for i in range(51) if i not in MOUTH]


def live(audio: np.ndarray, seed: int = 0, chunk: int = 320, **controls):
    engine = StreamEngine(FPS, seed, Controls(**controls))
    frames = []
    for i in range(0, len(audio), chunk):  # 20 ms chunks, as a microphone delivers them
        frames += engine.push(audio[i : i + chunk])
    return np.array([f.pose for f in frames]), np.array([f.weights for f in frames])


@pytest.fixture(scope="module")
def sonnet(samples) -> np.ndarray:
    return load_audio(samples.sonnet, 16000)[: 30 * 16000]


@pytest.fixture(scope="module")
def sonnet_live(sonnet):
    return live(sonnet, seed=7, emotion="happy", emotion_strength=0.5)


def test_file_and_live_give_the_same_blinks_gaze_brows_and_head(sonnet, sonnet_live):
    pose, weights = sonnet_live
    track = motion_from_audio(sonnet, FPS, seed=7, emotion="happy", emotion_strength=0.5)
    n = len(pose)
    assert n >= len(track) - 5
    assert np.array_equal(pose, track.pose[:n])
    assert np.array_equal(weights[:, BEHAVIOUR], track.blendshapes[:n, BEHAVIOUR])
    blink = weights[:, CHANNEL_INDEX["eyeBlinkRight"]]
    assert ((blink[1:] > 0.5) & (blink[:-1] <= 0.5)).sum() >= 5  # there is something to agree on
    assert pose[:, :3].std(0).min() > 0.3
    # another seed is another performance
    other = motion_from_audio(sonnet[: 10 * 16000], FPS, seed=8, emotion="happy", emotion_strength=0.5)
    assert not np.array_equal(other.pose, track.pose[: len(other)])


def test_live_mouth_follows_the_file_mouth(sonnet, sonnet_live):
    _, weights = sonnet_live
    offline = mouth_frames(sonnet, 30 * FPS, FPS, language="en").values
    n = len(weights)
    jaw = CHANNEL_INDEX["jawOpen"]
    # measured 0.90 (0.897 since dips close the lips only before a labial release, the same frames
    # live and file); what differs is where the live recogniser puts a phrase's first phones, a frame
    # early here and late there. One frame of lag gives 0.73: the two are in step.
    assert np.corrcoef(weights[:, jaw], offline[:n, 0])[0, 1] >= 0.88
    silent = offline[:n, 0] == 0
    assert np.abs(weights[silent, jaw]).mean() < 0.05


def test_live_lips_close_on_p_b_m_of_synthetic_english():
    espeak = pytest.importorskip("talkingface.eval.espeak")
    if not espeak.available():
        pytest.skip("espeak-ng is not installed")
    from talkingface.io.audio import save_wav

    parts = [
        espeak.speak(t, "en") for t in ("Maybe Bob paid me back by the bank.", "My brother bought a map.")
    ]
    rate = parts[0].sample_rate
    gap = np.zeros(int(0.8 * rate), np.float32)
    audio, bilabials, t = [gap], [], len(gap) / rate
    for p in parts:
        bilabials += [
            (q.start + t, q.end + t) for q in espeak.as_arpabet_bilabials(p.phones) if q.label in "PBM"
        ]
        audio += [p.samples, gap]
        t += (len(p.samples) + len(gap)) / rate
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        x = load_audio(save_wav(Path(tmp) / "e.wav", np.concatenate(audio), rate), 16000)
    _, weights = live(x)
    # closed: the lips sealed (closure ≥ 0.9), or the mouth at rest (jaw under 0.05: no gap to see)
    shut = (weights[:, CHANNEL_INDEX["mouthPressLeft"]] >= 0.9) | (
        weights[:, CHANNEL_INDEX["jawOpen"]] < 0.05
    )
    closed = [shut[int(a * FPS) : int(np.ceil(b * FPS)) + 1].any() for a, b in bilabials]
    assert len(closed) >= 8 and np.mean(closed) >= 0.75, f"{sum(closed)}/{len(closed)} p/b/m closed"


def test_controls_change_live_and_glide():
    engine = StreamEngine(FPS, seed=1)
    before = engine.pad_silence(2.0)
    engine.set_controls(emotion="happy", head_distance=0.8, gaze=(10.0, 0.0), motion_scale=0.0)
    after = engine.pad_silence(2.0)
    smile = np.array([f.weights[CHANNEL_INDEX["mouthSmileLeft"]] for f in before + after])
    k = len(before)
    assert smile[:k].max() == 0 and smile[-1] == pytest.approx(0.55, abs=0.01)
    first = int(np.flatnonzero(smile)[0])  # frames already waiting for their look-ahead keep the old value
    assert first - k <= 4 and 0 < smile[first] < smile[first + 3] < smile[-1]  # glides, no jump
    assert after[-1].pose[5] == pytest.approx(1.25, abs=0.01)
    assert abs(after[-1].pose[0]) < abs(before[-1].pose[0]) + 1e-6 or abs(after[-1].pose[0]) < 0.1
    with pytest.raises(ValueError, match="blink_rate"):
        engine.set_controls(blink_rate=100)


def test_protocol_validates_every_message():
    assert isinstance(parse_text('{"type": "stop"}'), Stop)
    message = parse_text('{"type": "set", "emotion": "sad", "gaze": [5, -3], "blink_rate": 10}')
    assert isinstance(message, SetControls)
    controls = message.apply(Controls())
    assert controls.emotion == "sad" and controls.gaze == (5.0, -3.0) and controls.blink_rate == 10
    bad = {
        "not json": "JSON",
        "[1, 2]": "object",
        '{"type": "dance"}': "unknown message type",
        '{"type": "set"}': "at least one control",
        '{"type": "set", "blink_rate": "fast"}': "blink_rate",
        '{"type": "set", "motion_scale": NaN}': "finite",
        '{"type": "set", "motion_scale": 9}': "out of range",
        '{"type": "set", "emotion": "bored"}': "emotion",
        '{"type": "set", "gaze": 5}': "gaze",
        '{"type": "set", "volume": 1}': "unknown control",
        '{"type": "set", "head_distance": true}': "head_distance",
    }
    for text, words in bad.items():
        with pytest.raises(ProtocolError, match=words):
            parse_text(text)
    p = LiveParams.parse(
        {"portrait": "ab", "fps": "30", "emotion": "happy", "gaze": "3,4", "motion_scale": "0.5"}
    )
    assert (
        p.fps == 30
        and p.controls.emotion == "happy"
        and p.controls.gaze == (3.0, 4.0)
        and p.motion_scale == 0.5
    )
    for query, words in ({"fps": "500"}, "fps"), ({"size": "300"}, "size"), ({"fps": "inf"}, "finite"), (
        {"idle": "maybe"}, "flag"), ({"seed": "1.5"}, "whole"), ({}, "portrait"):  # fmt: skip
        with pytest.raises(ProtocolError, match=words):
            LiveParams.parse(({"portrait": "ab"} if words != "portrait" else {}) | query)


def test_language_changes_live_between_phones_and_acoustic_cues(sonnet):
    engine = StreamEngine(FPS, seed=2)
    parts = []
    for language, (a, b) in zip(("en", "fr", "en"), ((3, 7), (7, 11), (11, 15)), strict=True):
        engine.set_controls(language=language)
        frames = []
        for i in range(a * 16000, b * 16000, 320):
            frames += engine.push(sonnet[i : i + 320])
        parts.append(np.array([f.weights for f in frames[4:]]))  # the first few were made before the switch
    for w in parts:  # the mouth keeps moving with the speech whichever way it is read
        jaw = w[:, CHANNEL_INDEX["jawOpen"]]
        assert jaw.max() > 0.3 and jaw.std() > 0.05 and np.isfinite(w).all()
