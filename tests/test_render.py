"""The warp renderer on a real portrait: exactness at rest, a still background, commands that show."""

from __future__ import annotations

import numpy as np

from talkingface.core.track import channel_vector as weights

REST = np.array([0, 0, 0, 0, 0, 1.0])


def test_rest_pose_reproduces_the_photo_exactly(renderer, portrait):
    assert np.array_equal(renderer.render(REST, weights()), portrait.image)


def test_pixels_outside_the_region_of_interest_never_change(renderer, portrait):
    x0, y0, x1, y1 = renderer.rig.roi
    outside = np.ones(portrait.image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    commands = [
        (np.array([6, -4, 3, 0.1, 0, 1.05]), weights(jawOpen=0.8, eyeBlinkLeft=1)),
        (np.array([-8, 6, -6, -0.1, 0.1, 0.95]), weights(mouthSmileLeft=1, browInnerUp=1)),
        (np.array([0, 0, 0, 0, 0, 1.0]), weights(eyeLookOutLeft=1, mouthFunnel=0.7, jawOpen=0.4)),
    ]
    for pose, w in commands:
        frame = renderer.render(pose, w)
        assert np.array_equal(frame[outside], portrait.image[outside])


def test_rendering_is_deterministic(renderer):
    pose, w = np.array([3, 2, -1, 0, 0, 1.0]), weights(jawOpen=0.5, mouthPucker=0.4)
    assert np.array_equal(renderer.render(pose, w), renderer.render(pose, w))


def test_jaw_sweep_is_measured_back_monotonically(renderer, landmarker):
    gaps, scores = [], []
    for jaw in (0.0, 0.25, 0.5, 0.75, 1.0):
        face = landmarker.detect(renderer.render(REST, weights(jawOpen=jaw)))[0]
        lm = face.landmarks
        gaps.append(lm[14, 1] - lm[13, 1])
        scores.append(face.blendshape("jawOpen"))
    assert np.all(np.diff(gaps) > 0), gaps
    assert np.all(np.diff(scores) > 0), scores


def test_blink_closes_the_eyes_as_measured(renderer, landmarker):
    open_face = landmarker.detect(renderer.render(REST, weights()))[0]
    shut_face = landmarker.detect(renderer.render(REST, weights(eyeBlinkLeft=1, eyeBlinkRight=1)))[0]
    for upper, lower, name in ((159, 145, "eyeBlinkRight"), (386, 374, "eyeBlinkLeft")):
        before = open_face.landmarks[lower, 1] - open_face.landmarks[upper, 1]
        after = shut_face.landmarks[lower, 1] - shut_face.landmarks[upper, 1]
        assert after < 0.5 * before
        assert shut_face.blendshape(name) > open_face.blendshape(name) + 0.3


def test_head_yaw_moves_the_nose_the_commanded_way(renderer, landmarker):
    nose = []
    for yaw in (-8, 0, 8):
        face = landmarker.detect(renderer.render(np.array([yaw, 0, 0, 0, 0, 1.0]), weights()))[0]
        lm = face.landmarks
        nose.append(lm[1, 0] - (lm[234, 0] + lm[454, 0]) / 2)
    assert nose[0] < nose[1] < nose[2]


def test_gaze_sweep_is_measured_back(renderer, landmarker):
    """eyeLookOut on the subject's left eye + eyeLookIn on the right: both irises toward image +x."""
    outs, ins = [], []
    for value in (0.0, 0.5, 1.0):
        frame = renderer.render(REST, weights(eyeLookOutLeft=value, eyeLookInRight=value))
        face = landmarker.detect(frame)[0]
        outs.append(face.blendshape("eyeLookOutLeft"))
        ins.append(face.blendshape("eyeLookInRight"))
    assert np.all(np.diff(outs) > 0.1) and np.all(np.diff(ins) > 0.1), (outs, ins)
    frame = renderer.render(REST, weights(eyeLookInLeft=1.0, eyeLookOutRight=1.0))
    face = landmarker.detect(frame)[0]
    assert face.blendshape("eyeLookInLeft") > 0.5 and face.blendshape("eyeLookOutRight") > 0.5


def test_rounded_and_sealed_mouths_over_an_open_smile(renderer, landmarker):
    """The astronaut smiles with parted lips: a wide rounded vowel (its opening narrower than the
    photo's, head turned) and the lip-sync pass's p/b/m seal both render and read back as such."""
    from talkingface.motion.rules import MOUTH_CHANNELS, Target, seal_lips

    def gap(frame):
        lm = landmarker.detect(frame)[0].landmarks
        return lm[14, 1] - lm[13, 1]

    rest = gap(renderer.render(REST, weights()))
    turned = np.array([3.881, 0.059, -1.844, 0, 0, 1.0])  # a frame of the sonnet, aligned
    rounded = weights(jawOpen=0.879, mouthFunnel=0.365, mouthPucker=0.219, mouthStretchLeft=0.15,
                      mouthStretchRight=0.15, mouthUpperUpLeft=0.15, mouthUpperUpRight=0.15)  # fmt: skip
    assert gap(renderer.render(turned, rounded)) > 2 * rest
    sealed = seal_lips(Target(close=1.0, press=0.7).to_arkit()[None, :].copy())[0]
    w = weights(**{name: float(v) for name, v in zip(MOUTH_CHANNELS, sealed, strict=True)})
    assert gap(renderer.render(turned, w)) < 0.5 * rest
