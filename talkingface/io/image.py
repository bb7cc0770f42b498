"""Load a portrait as an RGB uint8 array, whatever the file looks like."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageTooLargeError, InputError, UnreadableImageError
from .files import check_input_file

#: Anything larger is refused before decoding (decompression bombs, accidental scans).
MAX_PIXELS = 80_000_000
MAX_SIDE = 16384


def check_image_header(
    path: str | Path, max_pixels: int = MAX_PIXELS, what: str = "portrait"
) -> tuple[int, int]:
    """(width, height) as the file's header declares them, refusing a missing file, a folder, an
    empty or unreadable file and anything over :data:`MAX_PIXELS` / :data:`MAX_SIDE` before a
    single pixel is decoded (a 74-byte PNG can declare 100000×100000)."""
    path = Path(path)
    check_input_file(path, what, UnreadableImageError, "an image file")
    try:
        with warnings.catch_warnings():  # the size is judged below, in one line, not by a warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:  # reads the header only
                w, h = im.size
    except Image.DecompressionBombError:
        w = h = MAX_SIDE * 1000  # Pillow's own limit: far beyond ours
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _unreadable(path, what, exc) from exc
    if w * h > max_pixels or max(w, h) > MAX_SIDE:
        size = f"{w}×{h} pixels" if w < MAX_SIDE * 1000 else "larger than Pillow's own limit"
        raise ImageTooLargeError(
            f"{what} {path} is {size}; the limit is {MAX_SIDE} px per side and "
            f"{max_pixels / 1_000_000:g} MP: downscale it first",
            path=path,
        )
    return w, h


def _unreadable(path: Path, what: str, exc: Exception) -> UnreadableImageError:
    return UnreadableImageError(
        f"{what} {path} is not a readable image ({exc.__class__.__name__}): "
        "use a JPEG, PNG, WebP or BMP file",
        path=path,
    )


def load_portrait(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP/… honouring EXIF rotation; greyscale and alpha become RGB.

    Transparent pixels are composited over white so a cut-out portrait keeps a clean background;
    16-bit and 32-bit greyscale are scaled to 8 bits (not clipped to white).
    """
    path = Path(path)
    check_image_header(path, max_pixels=max_pixels)
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
                im = _to_8bit_grey(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                im = im.convert("RGBA")
                canvas = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(canvas, im)
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _unreadable(path, "portrait", exc) from exc
    if min(rgb.shape[:2]) < 32:
        raise InputError(
            f"portrait {path} is only {rgb.shape[1]}×{rgb.shape[0]} pixels: use a larger photo", path=path
        )
    return np.ascontiguousarray(rgb)


def _to_8bit_grey(im: Image.Image) -> Image.Image:
    """A high-bit-depth greyscale image as 8-bit "L": 16-bit values scaled by 1/257, floats in
    0–1 by 255 (Pillow's own convert clips them, turning a 16-bit photo almost white)."""
    values = np.asarray(im, dtype=np.float64)
    if im.mode == "F":
        scale = 255.0 if values.max(initial=0) <= 1.0 else 1.0
    else:
        scale = 1 / 257 if values.max(initial=0) > 255 else 1.0
    return Image.fromarray(np.clip(values * scale + 0.5, 0, 255).astype(np.uint8), "L")
