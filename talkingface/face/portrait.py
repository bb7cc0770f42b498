"""Find the face to animate and frame it: crop mode (a square around the face) or full mode.

Runs once per portrait. In crop mode the face is re-detected in the resized crop, so the
landmarks are as precise as the output resolution allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..errors import FaceTooSmallError, InputError, NoFaceError
from .choice import FaceChoice, parse_face_choice
from .detect import describe_positions, find_faces
from .landmarker import FaceLandmarker, FaceObservation

MIN_FACE_PX = 24  # narrower faces have too few pixels even to upscale convincingly
UPSCALE_NOTE = 4.0  # crop mode enlarges the face more than this: say that it will look soft
MAX_FULL_SIDE = 4096  # full mode renders at the photo's own size; beyond 4K, crop mode is the answer
CROP_FACE_SCALE = 2.1  # crop side / landmark height (forehead to chin): head, hair and shoulders


@dataclass(frozen=True)
class Portrait:
    """The image to animate (crop or full, even-sized) and its face.

    ``crop_box`` x0, y0, side in the original photo's pixels (None in full mode);
    ``n_faces`` how many faces the photo shows (the largest is animated unless one is chosen).
    """

    image: np.ndarray
    face: FaceObservation
    n_faces: int
    crop_box: tuple[int, int, int] | None
    face_number: int = 1  # which face (1 = leftmost) is animated
    notes: tuple[str, ...] = ()  # what a user should know: several faces, upscaled, found only after help


def prepare_portrait(
    rgb: np.ndarray,
    landmarker: FaceLandmarker,
    mode: str = "crop",
    size: int = 512,
    name: str = "portrait",
    face: FaceChoice | str | int | None = None,
) -> Portrait:
    """Find the faces, take the chosen one (the largest by default) and frame it for ``mode``."""
    found = find_faces(landmarker, rgb)
    if not found.faces:
        raise NoFaceError(
            f"no face found in {name} (also tried it softened, contrast-evened and with a margin): "
            "use a picture where a face is clearly visible and turned toward the viewer"
        )
    number, chosen = found.pick(parse_face_choice(face), name)
    notes = []
    if found.how:
        notes.append(f"the face in {name} was found {found.how}")
    if len(found.faces) > 1:
        notes.append(
            f"{len(found.faces)} faces found in {name} ({describe_positions(found.faces)}); "
            f"animating face {number}"
            + ("" if face is not None else ", the largest: choose another with --face")
        )
    if chosen.width < MIN_FACE_PX:
        raise FaceTooSmallError(
            f"the face in {name} is only {chosen.width:.0f} px wide; at least {MIN_FACE_PX} px are needed: "
            "use a larger or closer photo"
        )
    if mode == "full":
        portrait = _full(rgb, chosen, len(found.faces), landmarker, name)
    elif mode == "crop":
        portrait = _crop(rgb, chosen, len(found.faces), landmarker, size)
        k = size / portrait.crop_box[2]
        if k > UPSCALE_NOTE:
            notes.append(
                f"the face in {name} is {chosen.width:.0f} px wide: enlarged {k:.1f}× for the {size}² video, "
                "so it will look softer than the photo"
            )
    else:
        raise InputError(f"unknown mode {mode!r}: use 'crop' or 'full'")
    return replace(portrait, face_number=number, notes=tuple(notes))


def check_full_size(width: int, height: int, name: str) -> None:
    """Full mode renders at the photo's own size: refuse (before any detection) what is too big."""
    if max(width, height) > MAX_FULL_SIDE:
        raise InputError(
            f"{name} is {width}×{height}; full mode renders at most {MAX_FULL_SIDE} px per side: "
            "use --mode crop or downscale"
        )


def full_image(rgb: np.ndarray) -> np.ndarray:
    """The picture full mode animates: the photo itself, trimmed to even sides (H.264 4:2:0)."""
    h, w = rgb.shape[:2]
    return np.ascontiguousarray(rgb[: h - h % 2, : w - w % 2])


def _full(rgb: np.ndarray, face: FaceObservation, n: int, landmarker: FaceLandmarker, name: str) -> Portrait:
    h, w = rgb.shape[:2]
    check_full_size(w, h, name)
    return Portrait(full_image(rgb), face, n, None)


def crop_box(face: FaceObservation, width: int, height: int) -> tuple[int, int, int]:
    """A square around the face, shifted (not shrunk) to stay inside the photo where it can."""
    x0, y0, x1, y1 = face.bbox
    side = min(int(round(CROP_FACE_SCALE * (y1 - y0))), width, height)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.06 * side  # a little more room above for hair
    bx = int(round(np.clip(cx - side / 2, 0, width - side)))
    by = int(round(np.clip(cy - side / 2, 0, height - side)))
    return bx, by, side


def crop_image(rgb: np.ndarray, box: tuple[int, int, int], size: int) -> np.ndarray:
    """The ``size``² picture crop mode animates: the square ``box`` (x0, y0, side) of the photo."""
    bx, by, side = box
    patch = rgb[by : by + side, bx : bx + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(patch, (size, size), interpolation=interp))


def _crop(rgb: np.ndarray, face: FaceObservation, n: int, landmarker: FaceLandmarker, size: int) -> Portrait:
    if size < 128 or size > 2048 or size % 2:
        raise InputError(f"--size {size} is not supported: use an even number from 128 to 2048")
    h, w = rgb.shape[:2]
    bx, by, side = crop_box(face, w, h)
    image = crop_image(rgb, (bx, by, side), size)
    found = landmarker.detect(image)
    if found:
        cropped = found[0]
    else:  # the detector can miss a face it found in the full photo; carry the landmarks over
        k = size / side
        lm = (face.landmarks - np.array([bx, by, 0], np.float32)) * np.float32(k)
        cropped = FaceObservation(lm, face.blendshapes, face.matrix)
    return Portrait(image, cropped, n, (bx, by, side))
