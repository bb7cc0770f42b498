"""Find every face in any kind of picture: photos, crowds, wide frames, drawings and line art.

Face Landmarker's detector looks at a 128-pixel copy of the whole image, so a face narrower than
about a sixth of the picture's side is invisible to it, and a face drawn only in lines has no
shading for it to find. So the search runs in passes, each only when the last leaves a doubt:

1. the whole picture (a small copy of it when it is large);
2. square windows over it, halving in size down to a few face-widths, when the picture is wide or
   the faces found are small next to it (crowds, group photos, two people side by side);
3. when still nothing is found, altered copies: softened (line art and sketches become shading),
   contrast-equalised (dark or faded prints) and padded (a face that fills the whole frame).

Faces are numbered left to right by their centres (``--face 2`` is the second from the left).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import InputError
from .choice import FaceChoice
from .landmarker import FaceLandmarker, FaceObservation

WHOLE_MAX_SIDE = 1280  # the whole-picture pass looks at a copy no larger than this
MIN_WINDOW = 160  # smallest square window of the windowed pass, in pixels of the picture
WINDOW_FACE_RATIO = 2.5  # windows shrink down to this many widths of the smallest face found


@dataclass(frozen=True)
class FoundFaces:
    """Every face found, numbered left to right, and how the search had to look (for a note)."""

    faces: list[FaceObservation]
    how: str = ""  # "" when the picture needed no help; else e.g. "after softening its lines"

    def pick(self, choice: FaceChoice | None, name: str = "the picture") -> tuple[int, FaceObservation]:
        """The chosen face and its 1-based number; the largest when no choice is given."""
        if choice is None:
            best = max(range(len(self.faces)), key=lambda i: self.faces[i].width)
            return best + 1, self.faces[best]
        if choice.index is not None:
            if choice.index > len(self.faces):
                raise InputError(
                    f"--face {choice.index}: {name} shows {_count(len(self.faces))}; "
                    f"use a number from 1 to {len(self.faces)} (1 = leftmost)"
                )
            return choice.index, self.faces[choice.index - 1]
        x, y = choice.point
        inside = [i for i, f in enumerate(self.faces) if _contains(f, x, y)]
        if inside:
            best = min(inside, key=lambda i: self.faces[i].width)
        else:
            best = min(range(len(self.faces)), key=lambda i: _distance(self.faces[i], x, y))
            if _distance(self.faces[best], x, y) > 1.5 * self.faces[best].width:
                raise InputError(
                    f"--face {x:g},{y:g} is on no face: {name} shows {_count(len(self.faces))} at "
                    f"{describe_positions(self.faces)}; give a pixel on one of them or its number"
                )
        return best + 1, self.faces[best]


def find_faces(landmarker: FaceLandmarker, rgb: np.ndarray) -> FoundFaces:
    """All faces in the picture, numbered left to right (see the module docstring for the passes)."""
    faces = _whole(landmarker, rgb)
    if _needs_windows(rgb, faces):
        faces = _merge(faces, _windows(landmarker, rgb, faces))
    how = ""
    if not faces:
        for label, alter in ALTERATIONS:
            image, undo = alter(rgb)
            found = _whole(landmarker, image) or _windows(landmarker, image, [])
            if found:
                faces = [undo(f) for f in found]
                how = label
                break
    return FoundFaces(_reading_order(faces), how)


def describe_positions(faces: list[FaceObservation]) -> str:
    """``1 at 120,80; 2 at 410,95`` — face centres, so a user can pick one."""
    return "; ".join(f"{i} at {_centre(f)[0]:.0f},{_centre(f)[1]:.0f}" for i, f in enumerate(faces, 1))


def _count(n: int) -> str:
    return "1 face" if n == 1 else f"{n} faces"


def _centre(face: FaceObservation) -> np.ndarray:
    x0, y0, x1, y1 = face.bbox
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2])


def _contains(face: FaceObservation, x: float, y: float) -> bool:
    x0, y0, x1, y1 = face.bbox
    return x0 <= x <= x1 and y0 <= y <= y1


def _distance(face: FaceObservation, x: float, y: float) -> float:
    return float(np.linalg.norm(_centre(face) - (x, y)))


def _reading_order(faces: list[FaceObservation]) -> list[FaceObservation]:
    """Left to right by face centre (top first where two share a column)."""
    return sorted(faces, key=lambda f: (float(_centre(f)[0]), float(_centre(f)[1])))


def _shifted(face: FaceObservation, dx: float, dy: float, k: float = 1.0) -> FaceObservation:
    """Landmarks of a face found in a window (at offset dx, dy, scaled by k) in picture pixels."""
    lm = face.landmarks / np.float32(k) + np.array([dx, dy, 0], np.float32)
    return FaceObservation(lm, face.blendshapes, face.matrix)


def _whole(landmarker: FaceLandmarker, rgb: np.ndarray) -> list[FaceObservation]:
    h, w = rgb.shape[:2]
    longest = max(h, w)
    if longest <= WHOLE_MAX_SIDE:
        return landmarker.detect(rgb)
    k = WHOLE_MAX_SIDE / longest
    small = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    return [_shifted(f, 0, 0, k) for f in landmarker.detect(small)]


def _needs_windows(rgb: np.ndarray, faces: list[FaceObservation]) -> bool:
    """Windows are worth their cost when the picture is wide or its faces are small next to it."""
    h, w = rgb.shape[:2]
    short, long_ = min(h, w), max(h, w)
    if not faces:
        return True
    if long_ > 1.4 * short:
        return True
    return min(f.width for f in faces) < short / 5


def _windows(
    landmarker: FaceLandmarker, rgb: np.ndarray, seed: list[FaceObservation]
) -> list[FaceObservation]:
    """Square windows at halving sizes, each looked at on its own (at most 512 px across)."""
    h, w = rgb.shape[:2]
    floor = MIN_WINDOW
    if seed:
        floor = max(MIN_WINDOW, WINDOW_FACE_RATIO * min(f.width for f in seed))
    found: list[FaceObservation] = []
    side = min(h, w)
    while True:
        step = max(1, side * 3 // 4)
        for y in _starts(h, side, step):
            for x in _starts(w, side, step):
                window = np.ascontiguousarray(rgb[y : y + side, x : x + side])
                k = min(1.0, 512 / side)
                if k < 1.0:
                    window = cv2.resize(
                        window, (round(side * k), round(side * k)), interpolation=cv2.INTER_AREA
                    )
                found = _merge(found, [_shifted(f, x, y, k) for f in landmarker.detect(window)])
        if side // 2 < floor:
            return found
        side //= 2


def _starts(length: int, side: int, step: int) -> list[int]:
    if length <= side:
        return [0]
    starts = list(range(0, length - side, step))
    return starts + [length - side]


def _merge(found: list[FaceObservation], new: list[FaceObservation]) -> list[FaceObservation]:
    """The same face seen twice (centres within half a face) is kept once: the wider sighting,
    since a face cut by a window's border comes back narrower."""
    out = list(found)
    for face in new:
        same = [i for i, g in enumerate(out) if _distance(g, *_centre(face)) < 0.5 * max(g.width, face.width)]
        if not same:
            out.append(face)
        elif face.width > out[same[0]].width:
            out[same[0]] = face
    return out


Alteration = Callable[[np.ndarray], tuple[np.ndarray, Callable[[FaceObservation], FaceObservation]]]


def _identity(face: FaceObservation) -> FaceObservation:
    return face


def _soften(rgb: np.ndarray):
    """Line art has edges but no shading: a blur of a few tenths of a percent of the picture turns
    strokes into the soft gradients the detector was trained on."""
    sigma = max(1.5, 0.005 * max(rgb.shape[:2]))
    return cv2.GaussianBlur(rgb, (0, 0), sigma), _identity


def _equalise(rgb: np.ndarray):
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), _identity


def _pad(rgb: np.ndarray):
    h, w = rgb.shape[:2]
    m = max(h, w) // 3
    padded = cv2.copyMakeBorder(rgb, m, m, m, m, cv2.BORDER_REPLICATE)
    return padded, lambda f: _shifted(f, -m, -m)


#: tried in this order when the picture as given shows no face, each with how the note says it
ALTERATIONS: tuple[tuple[str, Alteration], ...] = (
    ("after softening its lines (a drawing or sketch)", _soften),
    ("after evening out its contrast", _equalise),
    ("after adding a margin around it", _pad),
)
