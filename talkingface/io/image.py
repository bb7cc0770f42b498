"""Load a portrait as an RGB uint8 array, whatever the file looks like."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ImageTooLargeError, InputError, UnreadableImageError

#: Anything larger is refused before decoding (decompression bombs, accidental scans).
MAX_PIXELS = 80_000_000
MAX_SIDE = 16384


def check_image_header(path: str | Path, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(width, height) read from the header alone; refuses pictures too large to decode safely.

    Nothing is decoded, so a decompression bomb (a few bytes declaring gigapixels) costs nothing.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
    except Image.DecompressionBombError:
        w = h = 0  # PIL refused it for its size before we could look: report it the same way
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(
            f"portrait {path} is not a readable image ({exc.__class__.__name__}): "
            "use a JPEG, PNG, WebP or BMP file"
        ) from exc
    if not w or w * h > max_pixels or max(w, h) > MAX_SIDE:
        size = f"{w}×{h} pixels" if w else "larger than PIL will open"
        raise ImageTooLargeError(
            f"portrait {path} is {size}; the limit is {MAX_SIDE} px per side and "
            f"{max_pixels / 1_000_000:g} MP: downscale it first"
        )
    return w, h


def load_portrait(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP/… honouring EXIF rotation; greyscale and alpha become RGB.

    Transparent pixels are composited over white so a cut-out portrait keeps a clean background.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableImageError(f"portrait {path} does not exist")
    if path.stat().st_size == 0:
        raise UnreadableImageError(f"portrait {path} is an empty file")
    check_image_header(path, max_pixels)
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                im = im.convert("RGBA")
                canvas = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(canvas, im)
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise UnreadableImageError(
            f"portrait {path} is not a readable image ({exc.__class__.__name__}): "
            "use a JPEG, PNG, WebP or BMP file"
        ) from exc
    if min(rgb.shape[:2]) < 32:
        raise InputError(f"portrait {path} is only {rgb.shape[1]}×{rgb.shape[0]} pixels: use a larger photo")
    return np.ascontiguousarray(rgb)
