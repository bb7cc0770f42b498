"""Closed lids are the photo's own lid skin: as textured as it, as bright as it, on every kind of
portrait (colour, greyscale print with glasses, low-key shadowed eyes), measured in rendered frames.

A painted lid (a smooth shaded oval) has almost no fine texture; a lid that is really the photo's
skin carries its pores, wrinkles, grain and print texture. The measure: the median absolute
high-pass (fine texture) of the closed lid over the eye, against the same measure on the lid skin
of the photo (crease to lash line) it must be made of.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkingface.eval import portraits
from talkingface.face import topology as T
from talkingface.face.portrait import prepare_portrait
from talkingface.io.image import load_portrait
from talkingface.motion.track import channel_vector as weights
from talkingface.render.renderer import Renderer
from talkingface.render.rig import build_rig

REST = np.array([0, 0, 0, 0, 0, 1.0])
SIDES = {
    "Right": (T.RIGHT_EYE_UPPER, T.RIGHT_EYE_LOWER, T.RIGHT_LID_CREASE),
    "Left": (T.LEFT_EYE_UPPER, T.LEFT_EYE_LOWER, T.LEFT_LID_CREASE),
}
KINDS = {
    "astronaut": lambda s: load_portrait(s.astronaut),
    "greyscale hopper, glasses": lambda s: portraits.greyscale(load_portrait(s.grace_hopper)),
    "low-key hopper": lambda s: portraits.low_key(load_portrait(s.grace_hopper)),
    "low-key astronaut": lambda s: portraits.low_key(load_portrait(s.astronaut)),
}


@pytest.fixture(scope="module", params=list(KINDS))
def case(request, samples, landmarker):
    framed = prepare_portrait(KINDS[request.param](samples), landmarker, "crop", 512)
    return framed, Renderer(build_rig(framed.image, framed.face))


def _band(lm: np.ndarray, top: np.ndarray, bottom: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Polygon between two corner-to-corner chains, from share t0 to t1 of the way top → bottom,
    over the middle 70 % of the eye's width (the corners are the corners' own business)."""
    xs = np.linspace(lm[bottom, 0].min(), lm[bottom, 0].max(), 40)[6:-6]

    def at(chain):
        order = np.argsort(lm[chain, 0])
        return np.interp(xs, lm[chain, 0][order], lm[chain, 1][order])

    yt, yb = at(top), at(bottom)
    upper = np.column_stack([xs, yt + t0 * (yb - yt)])
    lower = np.column_stack([xs, yt + t1 * (yb - yt)])
    return np.concatenate([upper, lower[::-1]])


def _measure(image: np.ndarray, poly: np.ndarray) -> tuple[float, float]:
    """(fine texture, median luma) inside a polygon."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    luma = image.astype(np.float32).mean(2)
    fine = luma - cv2.GaussianBlur(luma, (0, 0), 1.0)
    inside = mask > 0
    return float(np.median(np.abs(fine[inside]))), float(np.median(luma[inside]))


def _lids(framed, frame):
    """Per eye: (closed lid texture / photo lid texture, closed lid luma / photo lid luma)."""
    lm = framed.face.landmarks[:, :2]
    out = []
    for upper, lower, crease in SIDES.values():
        upper, lower, crease = list(upper), list(lower), list(crease)
        # over the eye: the upper 60 % of the opening (the seam and lashes below are not skin)
        shut = _measure(frame, _band(lm, upper, lower, 0.0, 0.6))
        # the photo's lid skin: crease to lash line, without the lash line
        skin = _measure(framed.image, _band(lm, crease, upper, 0.1, 0.6))
        out.append((shut[0] / max(skin[0], 1e-3), shut[1] / max(skin[1], 1e-3)))
    return out


def test_closed_lid_has_the_texture_and_tone_of_the_lid_skin(case):
    framed, renderer = case
    for texture, tone in _lids(framed, renderer.render(REST, weights(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))):
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
    for upper, lower, _ in SIDES.values():
        centre = lm[list(upper) + list(lower)].mean(0)
        r = 0.12 * np.linalg.norm(lm[263] - lm[33])
        box = np.array([centre - (r, r * 0.4), centre + (r, r * 0.2)]).round().astype(int)
        patch = frame[box[0, 1] : box[1, 1], box[0, 0] : box[1, 0]].astype(np.float32).mean(2)
        fine = patch - cv2.GaussianBlur(patch, (0, 0), 1.0)
        assert np.median(np.abs(fine)) > 0.2


def test_half_blink_lowers_the_lid_part_way(case, landmarker):
    """A half-closed lid: the re-detected upper lid sits between open and shut, and the lower part
    of the eye (iris, sclera) is still the photo's own eye, not a band painted across it."""
    framed, renderer = case
    gaps = []
    for closure in (0.0, 0.5, 1.0):
        face = landmarker.detect(renderer.render(REST, weights(eyeBlinkLeft=closure, eyeBlinkRight=closure)))[
            0
        ]
        lm = face.landmarks
        gaps.append(np.mean([lm[145, 1] - lm[159, 1], lm[374, 1] - lm[386, 1]]))
    assert gaps[0] > gaps[1] > gaps[2], gaps
    assert 0.25 < (gaps[0] - gaps[1]) / (gaps[0] - gaps[2]) < 0.85, gaps
