"""The person apart from the background: MODNet portrait matting, once per portrait.

Returns a soft alpha (hair strands are partly transparent), so the head, hair and shoulders can
move as a layer over a background that stays where it is (see :mod:`talkingface.render.layers`).
The network sees the picture at about 512 px on its short side, as it was trained.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..core import topology as T
from ..models import MATTE_MODEL, model_path
from .landmarker import FaceObservation

REF_SIDE = 512  # MODNet's training resolution (short side)
#: a matte that covers less of the found face than this (on average) missed the person (line art
#: on white paper, say): moving only what it covers would leave the head where it is
MIN_FACE_COVER = 0.6
#: a notch in the matte's head (above the eyes) that its convex hull closes is filled when smaller
#: than this (square inter-ocular distances: a missed piece of hat or hair; a larger bay is background
#: the head frames, or lies between it and a stray blob), widened by NOTCH_GROW inter-ocular
#: distances to take in what sticks out past the hull's chord
NOTCH_MAX_AREA = 0.5
NOTCH_GROW = 0.08
PERSON_LEVEL = 0.5  # matte level of the person's solid part (the soft fringe lies below)


def matte_of_person(
    model: PersonMatte, image: np.ndarray, face: FaceObservation
) -> tuple[np.ndarray | None, str | None]:
    """The matte of the person whose ``face`` was found, or None and a note saying why not: a
    matte that missed the face would keep the head still, so the picture moves as without one."""
    return person_of_matte(model(image), face)


def person_of_matte(alpha: np.ndarray, face: FaceObservation) -> tuple[np.ndarray | None, str | None]:
    """:func:`matte_of_person` from the model's ``alpha`` of the picture, computed beforehand
    (full mode mattes the whole picture while the face is still being looked for)."""
    cover = face_cover(alpha, face)
    if cover >= MIN_FACE_COVER:
        alpha = closed_head(alpha, face)
    if cover < MIN_FACE_COVER:
        return None, (
            f"the person matte covers only {cover:.0%} of the face (its model knows photographed "
            "people, not every drawing): the background moves a little with the head, as with --no-matte"
        )
    return alpha, None


def closed_head(alpha: np.ndarray, face: FaceObservation) -> np.ndarray:
    """The matte with the small notches of the head above the eyes filled out to its convex hull
    (and a little past it).

    A matting model can miss part of a hat or of pale hair (Grace Hopper's white crown against a
    flag): that part stays in the background plate, so when the head turns a pale ghost of it is
    left beside the moved head, and the plate's fill spreads it into a halo. A head seen from the
    front is convex above the eyes; below them the neck and shoulders are not, so they are left
    as they are, and so are bays too large to be a missed piece of the head."""
    lm = face.landmarks.astype(np.float64)
    person = (alpha > PERSON_LEVEL).astype(np.uint8)
    _, labels = cv2.connectedComponents(person)
    cx, cy = np.clip(np.round(lm[list(T.FACE_OVAL), :2].mean(0)), 0, [alpha.shape[1] - 1, alpha.shape[0] - 1])
    label = labels[int(cy), int(cx)]
    if label == 0:
        return alpha
    eyes = lm[[33, 133, 362, 263], :2]
    across = eyes[2:].mean(0) - eyes[:2].mean(0)
    down = np.array([-across[1], across[0]]) / max(float(np.linalg.norm(across)), 1e-6)
    ys, xs = np.nonzero(labels == label)
    head = np.column_stack([xs, ys])
    head = head[(head - eyes.mean(0)) @ down < 0]
    if len(head) < 3:
        return alpha
    grow = int(round(NOTCH_GROW * face.inter_ocular))
    # work in the head's box (a small face in a large picture stays cheap)
    x0, y0 = np.maximum(head.min(0) - grow - 4, 0)
    x1, y1 = np.minimum(head.max(0) + grow + 5, [alpha.shape[1], alpha.shape[0]])
    hull = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull((head - [x0, y0]).astype(np.int32)), 1)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    above = ((xx - eyes[:, 0].mean()) * down[0] + (yy - eyes[:, 1].mean()) * down[1] < 0).astype(np.uint8)
    # the slivers between the hull and a soft edge go: widened, they would thicken the whole outline
    gaps = cv2.morphologyEx(
        hull & (1 - person[y0:y1, x0:x1]) & above, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
    )
    _, parts, stats, _ = cv2.connectedComponentsWithStats(gaps)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < NOTCH_MAX_AREA * face.inter_ocular**2)
    notches = np.isin(parts, small[small > 0]).astype(np.uint8)
    if not notches.any():
        return alpha
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    filled = cv2.dilate(notches, disc).astype(np.float32)
    out = alpha.copy()
    box = out[y0:y1, x0:x1]
    np.maximum(box, cv2.GaussianBlur(filled, (0, 0), 1.0) * above, out=box)
    return out


def face_cover(alpha: np.ndarray, face: FaceObservation) -> float:
    """Mean matte inside the face's oval: how much of the face the matte says is the person."""
    oval = np.round(face.landmarks[list(T.FACE_OVAL), :2]).astype(np.int32)
    inside = np.zeros(alpha.shape, np.uint8)
    cv2.fillPoly(inside, [oval], 1)
    return float(alpha[inside > 0].mean()) if inside.any() else 0.0


class PersonMatte:
    """``with PersonMatte() as m: alpha = m(rgb)`` — float32 (h, w) in [0, 1], 1 on the person."""

    def __init__(self, path: str | Path | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        # the matte runs beside phone recognition on a small machine: idle threads sleep instead
        # of spinning on the cores the other work needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(path or model_path(MATTE_MODEL)), options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        k = REF_SIDE / min(h, w)
        nh, nw = (max(32, round(side * k / 32) * 32) for side in (h, w))
        small = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
        x = (small.astype(np.float32) - 127.5) / 127.5
        (out,) = self._session.run(None, {self._input: x.transpose(2, 0, 1)[None]})
        alpha = cv2.resize(out[0, 0], (w, h), interpolation=cv2.INTER_LINEAR)
        return np.clip(alpha, 0.0, 1.0)

    def __enter__(self) -> PersonMatte:
        return self

    def __exit__(self, *exc) -> None:
        self._session = None
