"""Closed lids are the photo's own lid skin: as textured as it, as bright as it, on every kind of
portrait (colour, greyscale print with glasses, low-key shadowed eyes), measured in rendered frames
(talkingface.eval.lids): a painted oval has almost no fine texture, a charcoal patch the wrong tone.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkingface.core.track import channel_vector as weights
from talkingface.eval import portraits
from talkingface.eval.lids import SIDES, shut_lid_match
from talkingface.io.image import load_portrait
from talkingface.render.setup import prepare_face

REST = np.array([0, 0, 0, 0, 0, 1.0])
KINDS = {
    "astronaut": lambda s: load_portrait(s.astronaut),
    "greyscale hopper, glasses": lambda s: portraits.greyscale(load_portrait(s.grace_hopper)),
    "low-key hopper": lambda s: portraits.low_key(load_portrait(s.grace_hopper)),
    "low-key astronaut": lambda s: portraits.low_key(load_portrait(s.astronaut)),
}


@pytest.fixture(scope="module", params=list(KINDS))
def case(request, samples, landmarker):
    return prepare_face(KINDS[request.param](samples), landmarker, matte=False)


def test_closed_lid_has_the_texture_and_tone_of_the_lid_skin(case):
    framed, renderer = case
    shut = renderer.render(REST, weights(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
    for texture, tone in shut_lid_match(framed.image, framed.face.landmarks, shut):
        assert 0.5 < texture < 1.8, texture  # not a smooth painted oval, not sharper than the photo
        assert 0.75 < tone < 1.4, tone  # not a charcoal patch, not a pale sticker


def test_turned_head_keeps_a_textured_lid(case, landmarker):
    framed, renderer = case
    turned = np.array([8, -4, 3, 0, 0, 1.0])

    def blink(face) -> float:
        return (face.blendshape("eyeBlinkLeft") + face.blendshape("eyeBlinkRight")) / 2

    frame = renderer.render(turned, weights(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
    face = landmarker.detect(frame)[0]
    assert blink(face) > blink(landmarker.detect(renderer.render(turned, weights()))[0]) + 0.15
    # the lid moved with the head: measure it where the re-detected face puts the eyes now
    lm = face.landmarks[:, :2]
    for upper, lower, _ in SIDES:
        centre = lm[list(upper) + list(lower)].mean(0)
        r = 0.12 * np.linalg.norm(lm[263] - lm[33])
        box = np.array([centre - (r, r * 0.4), centre + (r, r * 0.2)]).round().astype(int)
        patch = frame[box[0, 1] : box[1, 1], box[0, 0] : box[1, 0]].astype(np.float32).mean(2)
        fine = patch - cv2.GaussianBlur(patch, (0, 0), 1.0)
        assert np.median(np.abs(fine)) > 0.2


def test_half_blink_lowers_the_lid_part_way(case, landmarker):
    """A half-closed lid: the re-detected upper lid sits between open and shut; what covers the top
    of the eye is the lid's own textured skin, not a band painted across it."""
    framed, renderer = case
    half = renderer.render(REST, weights(eyeBlinkLeft=0.5, eyeBlinkRight=0.5))
    for texture, tone in shut_lid_match(framed.image, framed.face.landmarks, half, share=0.25):
        assert 0.5 < texture < 1.8, texture
        assert 0.6 < tone < 1.4, tone  # (the lash line coming down sits just under this band)
    gaps = []
    for closure in (0.0, 0.5, 1.0):
        face = landmarker.detect(renderer.render(REST, weights(eyeBlinkLeft=closure, eyeBlinkRight=closure)))[
            0
        ]
        lm = face.landmarks
        gaps.append(np.mean([lm[145, 1] - lm[159, 1], lm[374, 1] - lm[386, 1]]))
    assert gaps[0] > gaps[1] > gaps[2], gaps
    assert 0.25 < (gaps[0] - gaps[1]) / (gaps[0] - gaps[2]) < 0.85, gaps
