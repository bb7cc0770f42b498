"""Faces in any picture: crowds counted truly, a face chosen with --face, small faces enlarged,
line art found. Group pictures are composed from the real sample photos at several sizes."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from talkingface.errors import InputError
from talkingface.face.detect import find_faces
from talkingface.face.portrait import prepare_portrait
from talkingface.io.image import load_portrait

GROUP = [(20, 300), (340, 260), (620, 320), (960, 240), (1220, 300)]  # x, width of each photo


@pytest.fixture(scope="module")
def group(samples) -> np.ndarray:
    """Five real portraits side by side in a 1600×900 frame, faces 55–95 px wide."""
    photos = [load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)]
    canvas = np.full((900, 1600, 3), 120, np.uint8)
    for i, (x, width) in enumerate(GROUP):
        src = photos[i % 2]
        im = cv2.resize(
            src, (width, round(width * src.shape[0] / src.shape[1])), interpolation=cv2.INTER_AREA
        )
        canvas[200 : 200 + im.shape[0], x : x + width] = im
    return canvas


def _centre(face):
    x0, y0, x1, y1 = face.bbox
    return (x0 + x1) / 2, (y0 + y1) / 2


def test_every_face_of_a_group_is_counted_left_to_right(group, landmarker):
    found = find_faces(landmarker, group)
    assert len(found.faces) == 5 and found.how == ""
    xs = [_centre(f)[0] for f in found.faces]
    assert xs == sorted(xs)
    for (x, width), cx in zip(GROUP, xs, strict=True):
        assert x < cx < x + width


def test_two_faces_side_by_side_in_a_wide_picture(samples, landmarker):
    a = load_portrait(samples.astronaut)
    b = cv2.resize(load_portrait(samples.grace_hopper), (512, 512), interpolation=cv2.INTER_AREA)
    assert len(find_faces(landmarker, np.concatenate([a, b], axis=1)).faces) == 2


def test_face_chosen_by_number_and_by_point(group, landmarker):
    found = find_faces(landmarker, group)
    second = prepare_portrait(group, landmarker, "crop", 256, face="2")
    bx, by, side = second.crop_box
    cx, cy = _centre(found.faces[1])
    assert second.face_number == 2 and bx < cx < bx + side and by < cy < by + side
    assert any("5 faces found" in note and "animating face 2" in note for note in second.notes)
    x, y = _centre(found.faces[3])
    fourth = prepare_portrait(group, landmarker, "crop", 256, face=f"{x:.0f},{y:.0f}")
    assert fourth.face_number == 4
    default = prepare_portrait(group, landmarker, "crop", 256)
    widest = max(range(5), key=lambda i: found.faces[i].width)
    assert default.face_number == widest + 1


@pytest.mark.parametrize(
    "choice, needle", [("6", "from 1 to 5"), ("1590,20", "on no face"), ("0", "face number")]
)
def test_a_face_that_is_not_there_is_refused(group, landmarker, choice, needle):
    with pytest.raises(InputError, match=needle):
        prepare_portrait(group, landmarker, "crop", 256, face=choice)


def test_small_faces_are_enlarged_with_a_note(samples, landmarker):
    photo = cv2.resize(load_portrait(samples.grace_hopper), (140, 164), interpolation=cv2.INTER_AREA)
    canvas = np.full((720, 1280, 3), 90, np.uint8)
    canvas[300:464, 600:740] = photo
    framed = prepare_portrait(canvas, landmarker, "crop", 512)
    assert framed.face.width > 100  # re-detected in the enlarged crop
    assert any("enlarged" in note for note in framed.notes)


def test_line_art_is_found_after_softening(astronaut_rgb, landmarker):
    grey = cv2.cvtColor(astronaut_rgb, cv2.COLOR_RGB2GRAY)
    lines = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, 8)
    assert landmarker.detect(np.repeat(lines[..., None], 3, axis=2)) == []  # the detector alone misses it
    found = find_faces(landmarker, np.repeat(lines[..., None], 3, axis=2))
    assert len(found.faces) == 1 and "softening" in found.how


def test_generate_picks_the_face_from_the_command_line(group, tmp_path, speech_clip):
    path = tmp_path / "group.png"
    Image.fromarray(group).save(path)
    out = tmp_path / "second.mp4"
    proc = subprocess.run(
        [sys.executable, "-m", "talkingface", "generate", path, speech_clip, "-o", out, "--face", "2",
         "--size", "256", "--no-sign", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "5 faces found" in proc.stderr and "animating face 2" in proc.stderr
    assert out.is_file() and out.stat().st_size > 10_000


def test_drawn_eyes_keep_their_strokes_when_the_gaze_moves(astronaut_rgb, landmarker):
    """Line art has no iris disc to slide: a gaze shift must not smear grey across its eyes."""
    from talkingface.core.track import channel_vector
    from talkingface.eval.portraits import line_art
    from talkingface.render.setup import prepare_face

    framed, renderer = prepare_face(line_art(astronaut_rgb), landmarker, matte=False)
    lm = framed.face.landmarks
    y = int(lm[[33, 263], 1].mean())
    x0, x1 = int(lm[33, 0]) - 20, int(lm[263, 0]) + 20
    rest = np.array([0, 0, 0, 0, 0, 1.0])
    for look in (
        {"eyeLookOutLeft": 0.9, "eyeLookInRight": 0.9},
        {"eyeLookInLeft": 0.9, "eyeLookOutRight": 0.9},
    ):
        frame = renderer.render(rest, channel_vector(**look))
        eyes = frame[y - 25 : y + 25, x0:x1].mean(2)
        grey = ((eyes > 40) & (eyes < 215)).mean()
        photo = framed.image[y - 25 : y + 25, x0:x1].mean(2)
        assert grey <= ((photo > 40) & (photo < 215)).mean() + 0.01
