"""Find the face to animate and frame it: crop mode (a square around the face) or full mode.

Runs once per portrait. In crop mode the face is re-detected in the resized crop, so the
landmarks are as precise as the output resolution allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import FaceTooSmallError, InputError, NoFaceError
from .landmarker import FaceLandmarker, FaceObservation

MIN_FACE_PX = 64  # narrower faces have too few pixels to animate convincingly
MAX_FULL_SIDE = 4096  # full mode renders at the photo's own size; beyond 4K, crop mode is the answer
CROP_FACE_SCALE = 2.1  # crop side / landmark height (forehead to chin): head, hair and shoulders


@dataclass(frozen=True)
class Portrait:
    """The image to animate (crop or full, even-sized) and its face.

    ``crop_box`` x0, y0, side in the original photo's pixels (None in full mode);
    ``n_faces`` how many faces the photo shows (the largest is animated).
    """

    image: np.ndarray
    face: FaceObservation
    n_faces: int
    crop_box: tuple[int, int, int] | None


def _detect(landmarker: FaceLandmarker, rgb: np.ndarray) -> list[FaceObservation]:
    """All faces, largest first. Face Landmarker looks at a small copy of the whole image, so a
    small face in a big picture is searched for again in overlapping full-resolution tiles."""
    h, w = rgb.shape[:2]
    longest = max(h, w)
    if longest <= 1600:
        return landmarker.detect(rgb)
    k = 1280 / longest
    small = cv2.resize(rgb, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    faces = [
        FaceObservation(f.landmarks / np.float32(k), f.blendshapes, f.matrix)
        for f in landmarker.detect(small)
    ]
    return faces or _detect_tiled(landmarker, rgb)


def _detect_tiled(landmarker: FaceLandmarker, rgb: np.ndarray, tile: int = 512) -> list[FaceObservation]:
    h, w = rgb.shape[:2]
    step = tile * 3 // 4
    found: list[FaceObservation] = []
    for y in range(0, max(h - tile, 0) + step, step):
        for x in range(0, max(w - tile, 0) + step, step):
            y0, x0 = min(y, max(h - tile, 0)), min(x, max(w - tile, 0))
            for f in landmarker.detect(np.ascontiguousarray(rgb[y0 : y0 + tile, x0 : x0 + tile])):
                lm = f.landmarks + np.array([x0, y0, 0], np.float32)
                centre = lm[:, :2].mean(0)
                if all(np.linalg.norm(centre - g.landmarks[:, :2].mean(0)) > 0.5 * g.width for g in found):
                    found.append(FaceObservation(lm, f.blendshapes, f.matrix))
    return sorted(found, key=lambda f: f.width, reverse=True)


def prepare_portrait(
    rgb: np.ndarray, landmarker: FaceLandmarker, mode: str = "crop", size: int = 512, name: str = "portrait"
) -> Portrait:
    faces = _detect(landmarker, rgb)
    if not faces:
        raise NoFaceError(
            f"no face found in {name}: use a photo where a face is clearly visible and facing the camera"
        )
    face = faces[0]
    if face.width < MIN_FACE_PX:
        raise FaceTooSmallError(
            f"the face in {name} is only {face.width:.0f} px wide; at least {MIN_FACE_PX} px are needed: "
            "use a larger or closer photo"
        )
    if mode == "full":
        return _full(rgb, face, len(faces), landmarker, name)
    if mode != "crop":
        raise InputError(f"unknown mode {mode!r}: use 'crop' or 'full'")
    return _crop(rgb, face, len(faces), landmarker, size)


def check_full_size(width: int, height: int, name: str) -> None:
    """Full mode renders at the photo's own size: refuse (before any detection) what is too big."""
    if max(width, height) > MAX_FULL_SIDE:
        raise InputError(
            f"{name} is {width}×{height}; full mode renders at most {MAX_FULL_SIDE} px per side: "
            "use --mode crop or downscale"
        )


def _full(rgb: np.ndarray, face: FaceObservation, n: int, landmarker: FaceLandmarker, name: str) -> Portrait:
    h, w = rgb.shape[:2]
    check_full_size(w, h, name)
    even = np.ascontiguousarray(rgb[: h - h % 2, : w - w % 2])
    return Portrait(even, face, n, None)


def crop_box(face: FaceObservation, width: int, height: int) -> tuple[int, int, int]:
    """A square around the face, shifted (not shrunk) to stay inside the photo where it can."""
    x0, y0, x1, y1 = face.bbox
    side = min(int(round(CROP_FACE_SCALE * (y1 - y0))), width, height)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.06 * side  # a little more room above for hair
    bx = int(round(np.clip(cx - side / 2, 0, width - side)))
    by = int(round(np.clip(cy - side / 2, 0, height - side)))
    return bx, by, side


def _crop(rgb: np.ndarray, face: FaceObservation, n: int, landmarker: FaceLandmarker, size: int) -> Portrait:
    if size < 128 or size > 2048 or size % 2:
        raise InputError(f"--size {size} is not supported: use an even number from 128 to 2048")
    h, w = rgb.shape[:2]
    bx, by, side = crop_box(face, w, h)
    patch = rgb[by : by + side, bx : bx + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    image = np.ascontiguousarray(cv2.resize(patch, (size, size), interpolation=interp))
    found = landmarker.detect(image)
    if found:
        cropped = found[0]
    else:  # the detector can miss a face it found in the full photo; carry the landmarks over
        k = size / side
        lm = (face.landmarks - np.array([bx, by, 0], np.float32)) * np.float32(k)
        cropped = FaceObservation(lm, face.blendshapes, face.matrix)
    return Portrait(image, cropped, n, (bx, by, side))
