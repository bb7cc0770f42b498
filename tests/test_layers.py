"""The person moves, the background does not: matting + background plate (render/layers.py).

Measured on rendered frames of a real photo (Grace Hopper before a flag, whose pole bends behind
a turning head when the background is warped with it)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkingface.core.track import ARKIT_CHANNELS
from talkingface.face.matte import PersonMatte
from talkingface.face.portrait import prepare_portrait
from talkingface.io.image import load_portrait
from talkingface.render.layers import background_layer
from talkingface.render.renderer import Renderer
from talkingface.render.rig import build_rig

TURNS = [(20, 0), (-20, 0), (0, 15), (0, -15), (14, 10)]  # yaw, pitch in degrees


@pytest.fixture(scope="module")
def hopper(samples, landmarker):
    framed = prepare_portrait(load_portrait(samples.grace_hopper), landmarker, "crop", 512)
    with PersonMatte() as matte:
        alpha = matte(framed.image)
    plain = Renderer(build_rig(framed.image, framed.face))
    layered = Renderer(build_rig(framed.image, framed.face, alpha), background_layer(framed.image, alpha))
    return framed.image, alpha, plain, layered


def _pose(yaw=0.0, pitch=0.0):
    return np.array([yaw, pitch, 0, 0, 0, 1], np.float32)


NEUTRAL = np.zeros(len(ARKIT_CHANNELS), np.float32)


def test_matte_separates_the_person(hopper):
    image, alpha, *_ = hopper
    h, w = alpha.shape
    assert alpha[h // 2, w // 2] > 0.9  # the face
    assert alpha[: h // 8, : w // 8].mean() < 0.05  # the flag in the top-left corner
    assert 0.2 < alpha.mean() < 0.8


def test_rest_pose_is_the_photo(hopper):
    image, _, _, layered = hopper
    assert np.array_equal(layered.render(_pose(), NEUTRAL), image)


@pytest.mark.parametrize("yaw, pitch", TURNS)
def test_background_stays_still_while_the_head_turns(hopper, yaw, pitch):
    image, alpha, plain, layered = hopper
    frame = layered.render(_pose(yaw, pitch), NEUTRAL).astype(np.int16)
    # background: clear of the person by a margin the head cannot reach at these angles
    reach = cv2.dilate((alpha > 0.02).astype(np.uint8), np.ones((61, 61), np.uint8)) == 0
    assert reach.sum() > 5000
    assert np.abs(frame - image)[reach].mean() < 0.1
    # and right next to the person too: no background pixel moves more than the fill shows
    near = (alpha < 0.02) & ~reach
    moved_plain = np.abs(plain.render(_pose(yaw, pitch), NEUTRAL).astype(np.int16) - image)[near]
    moved_layer = np.abs(frame - image)[near]
    assert moved_layer.mean() < 0.5 * moved_plain.mean()  # the plain warp drags the background


def test_corners_unchanged(hopper):
    image, _, _, layered = hopper
    for yaw, pitch in TURNS:
        frame = layered.render(_pose(yaw, pitch), NEUTRAL).astype(np.int16)
        for ys, xs in ((slice(0, 48), slice(0, 48)), (slice(0, 48), slice(-48, None))):
            assert np.abs(frame[ys, xs] - image[ys, xs]).mean() < 0.1


@pytest.mark.parametrize("scale", [1.3, 0.78])
def test_hair_keeps_its_shape_when_the_head_comes_closer_or_goes_away(samples, landmarker, scale):
    """--head-distance scales the head; the hair must scale with it (no helmet dome, no squeeze):
    the matte of the rendered frame matches the photo's matte scaled about the head centre."""
    framed = prepare_portrait(load_portrait(samples.astronaut), landmarker, "crop", 512)
    with PersonMatte() as matte:
        alpha = matte(framed.image)
        layer = background_layer(framed.image, alpha)
        lm = framed.face.landmarks[:, :2]
        centre = (lm.min(0) + lm.max(0)) / 2
        eyes_y = int(lm[[33, 263], 1].mean())

        def top_of_head_iou(rig) -> float:
            frame = Renderer(rig, layer).render(np.array([0, 0, 0, 0, 0, scale], np.float32), NEUTRAL)
            seen = matte(frame)[:eyes_y] > 0.5
            m = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), 0.0, scale)
            expected = cv2.warpAffine(alpha, m, alpha.shape[::-1])[:eyes_y] > 0.5
            return (seen & expected).sum() / max((seen | expected).sum(), 1)

        with_hair = top_of_head_iou(build_rig(framed.image, framed.face, alpha))
        face_only = top_of_head_iou(build_rig(framed.image, framed.face))
    assert with_hair > 0.9
    assert with_hair > face_only


def test_a_hat_the_matting_model_misses_moves_with_the_head(samples, landmarker):
    """MODNet leaves out the left of Grace Hopper's white crown: left in the background plate, it
    stayed put as a pale ghost beside the turned head. The matte we use closes the head above
    the eyes (convex there), and leaves the neck and shoulders below them as the model drew them."""
    from talkingface.face.matte import matte_of_person

    framed = prepare_portrait(load_portrait(samples.grace_hopper), landmarker, "crop", 512)
    with PersonMatte() as model:
        raw = model(framed.image)
        alpha, note = matte_of_person(model, framed.image, framed.face)
    assert note is None, note
    eyes = framed.face.landmarks[[33, 133, 362, 263], 1]
    top, bottom = int(eyes.min()), int(np.ceil(eyes.max())) + 10  # her eye line tilts a little
    ys, xs = np.nonzero(raw[:top] > 0.5)
    hull = np.zeros(raw.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.column_stack([xs, ys]).astype(np.int32)), 1)
    hull[top:] = 0
    # the notch: what the hull adds, less the slivers along the soft edge
    gap = ((raw <= 0.5) & (hull > 0)).astype(np.uint8)
    notch = cv2.morphologyEx(gap, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    missed_raw = int(notch.sum())
    assert missed_raw > 1000  # the crown
    assert (alpha[notch] <= 0.5).sum() < 0.1 * missed_raw
    assert np.array_equal(alpha[bottom:], raw[bottom:])
    # what it adds is a piece of hat (and a thin margin past the hull), not the flag
    added = int(((alpha > 0.5) & (raw <= 0.5)).sum())
    assert added < 0.5 * framed.face.inter_ocular**2
    assert np.array_equal(alpha[:top, :100], raw[:top, :100])  # the flag at the left


def _push_pull_whole(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The plate's push-pull fill with every pyramid level pulled up whole (the reference the
    region-bounded fill must equal pixel for pixel)."""
    known = (~hole).astype(np.float32)
    levels = [(rgb.astype(np.float32) * known[..., None], known)]
    while min(levels[-1][1].shape) > 4:
        a, w = levels[-1]
        levels.append((cv2.pyrDown(a), cv2.pyrDown(w)))
    a, w = levels[-1]
    filled = a / np.maximum(w, 1e-6)[..., None]
    for a, w in reversed(levels[:-1]):
        up = cv2.resize(filled, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR)
        trust = np.clip(w * 4.0, 0.0, 1.0)[..., None]
        filled = trust * (a / np.maximum(w, 1e-6)[..., None]) + (1 - trust) * up
    out = np.where(hole[..., None], filled, rgb.astype(np.float32))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def test_the_plate_is_filled_only_where_the_person_is_yet_exactly(hopper):
    """The plate pulls the pyramid up only over the person's box (in full mode a small part of a
    large photo): the pixels are those of the whole-picture fill, in a picture whose sides halve
    evenly down the pyramid, one whose do not, and with the person at the picture's edge."""
    from talkingface.eval.portraits import in_large_picture
    from talkingface.render.layers import HOLE_ALPHA, fill_holes

    image, alpha, _, _ = hopper
    big = in_large_picture(image)  # 1920×1080, the person a part of it
    big_alpha = np.zeros(big.shape[:2], np.float32)
    top, left = (big.shape[0] - alpha.shape[0]) // 2, (big.shape[1] - alpha.shape[1]) // 3  # where it put it
    big_alpha[top : top + alpha.shape[0], left : left + alpha.shape[1]] = alpha
    assert np.array_equal(big[top : top + image.shape[0], left : left + image.shape[1]], image)
    cases = [
        (image, alpha > HOLE_ALPHA),
        (big, big_alpha > HOLE_ALPHA),
        (image[7:450, 3:497], alpha[7:450, 3:497] > HOLE_ALPHA),  # odd sides
        (image[:, 200:], alpha[:, 200:] > HOLE_ALPHA),  # the person cut by the left edge
    ]
    for rgb, hole in cases:
        assert 0 < hole.mean() < 1
        plate = fill_holes(rgb, hole)
        assert np.array_equal(plate, _push_pull_whole(rgb, hole))
        assert np.array_equal(plate[~hole], rgb[~hole])


def test_pixels_inside_a_polygon_are_those_of_a_whole_picture_mask(hopper):
    from talkingface.render.polygons import pixels_inside

    image = hopper[0]
    rng = np.random.default_rng(3)
    for _ in range(200):
        poly = rng.uniform(-60, 570, 2) + rng.normal(0, rng.uniform(1, 200), (int(rng.integers(3, 9)), 2))
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        assert np.array_equal(pixels_inside(image, poly), image[mask > 0])
