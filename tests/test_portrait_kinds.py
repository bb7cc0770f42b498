"""Any portrait: greyscale, sepia, painting, drawing, a face at the edge, a tilted face, a small face
in a 4K picture. Each must animate: mouth and lids measured back from the rendered frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkingface.core.track import channel_vector as weights
from talkingface.errors import TalkingFaceError
from talkingface.eval import portraits
from talkingface.face.matte import PersonMatte, matte_of_person
from talkingface.face.portrait import prepare_portrait
from talkingface.io.image import load_portrait
from talkingface.render.setup import prepare_face

REST = np.array([0, 0, 0, 0, 0, 1.0])


def tilted(rgb: np.ndarray, degrees: float = 20.0) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)


KINDS = {
    "sepia astronaut": (lambda s: portraits.sepia(load_portrait(s.astronaut)), "crop"),
    "oil-painting hopper": (lambda s: portraits.oil_painting(load_portrait(s.grace_hopper)), "crop"),
    "drawing astronaut": (lambda s: portraits.drawing(load_portrait(s.astronaut)), "crop"),
    "astronaut at the edge": (lambda s: portraits.near_edge(load_portrait(s.astronaut)), "full"),
    "astronaut tilted 20°": (lambda s: tilted(load_portrait(s.astronaut)), "crop"),
    "small face in 4K": (
        lambda s: portraits.in_large_picture(load_portrait(s.astronaut), (3840, 2160)),
        "full",
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_of_portrait_animates(samples, landmarker, kind):
    make, mode = KINDS[kind]
    framed, renderer = prepare_face(make(samples), landmarker, mode=mode, matte=False)
    assert np.array_equal(renderer.render(REST, weights()), framed.image)
    x0, y0, x1, y1 = renderer.rig.roi
    pad = 40

    def face_in(frame):
        crop = np.ascontiguousarray(frame[max(y0 - pad, 0) : y1 + pad, max(x0 - pad, 0) : x1 + pad])
        faces = landmarker.detect(crop)
        assert faces, f"{kind}: face lost"
        return faces[0]

    rest = face_in(framed.image)
    talking = face_in(renderer.render(np.array([6, 3, 0, 0, 0, 1.0]), weights(jawOpen=0.8)))
    shut = face_in(renderer.render(REST, weights(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)))
    # measured rises: 0.13–0.20 on the photo kinds; 0.057 on the drawing, whose drawn teeth and ink
    # outline the detector already reads as a mouth open at rest (jawOpen 0.16, lip gap 0.31 of the
    # eye distance), and which fell from 0.097 when the upper lip began to bend into the dropping
    # corners (render.bases.CORNER_BEND: an oval opening, no longer a box, reads a little less open)
    assert talking.blendshape("jawOpen") > rest.blendshape("jawOpen") + 0.04
    blink = (shut.blendshape("eyeBlinkLeft") + shut.blendshape("eyeBlinkRight")) / 2
    assert blink > (rest.blendshape("eyeBlinkLeft") + rest.blendshape("eyeBlinkRight")) / 2 + 0.15
    if mode == "full":  # in place: everything outside the head's region is the photo's own pixels
        frame = renderer.render(np.array([10, -6, 4, 0, 0, 1.05]), weights(jawOpen=1.0))
        outside = np.ones(frame.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(frame[outside], framed.image[outside])


@pytest.mark.parametrize("size, must_find", [(6, True), (14, False)])
def test_a_face_made_of_flowers_renders_or_is_refused_with_a_reason(samples, landmarker, size, must_find):
    """Arcimboldo-like: the astronaut rebuilt from copies of the dahlia in scikit-learn's flower
    photo. Small flowers still read as a face (found after softening) and the head turns; with
    big ones the face is lost, and the refusal says what to do."""
    picture = portraits.flower_face(load_portrait(samples.astronaut), load_portrait(samples.flower), size)
    try:
        framed, renderer = prepare_face(picture, landmarker)  # matted, as generate does
    except TalkingFaceError as exc:
        assert "use a picture where a face is clearly visible" in str(exc)
        return
    turned = renderer.render(np.array([15, 0, 0, 0, 0, 1.0]), weights(jawOpen=0.5))
    x0, y0, x1, y1 = renderer.rig.roi
    assert np.abs(turned.astype(int) - framed.image)[y0:y1, x0:x1].mean() > 2  # it moves


def test_a_matte_that_misses_the_face_is_dropped_with_a_note(samples, landmarker):
    """Line art of Grace Hopper: the matting model sees no person, which would keep the head
    still; the picture is animated without the matte, and the user is told."""
    drawing = portraits.line_art(load_portrait(samples.grace_hopper))
    framed = prepare_portrait(drawing, landmarker, "crop", 512)
    with PersonMatte() as model:
        alpha, note = matte_of_person(model, framed.image, framed.face)
        photo = prepare_portrait(load_portrait(samples.grace_hopper), landmarker, "crop", 512)
        photo_alpha, photo_note = matte_of_person(model, photo.image, photo.face)
    assert alpha is None and "--no-matte" in note
    assert photo_alpha is not None and photo_note is None
