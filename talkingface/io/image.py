"""Load a portrait as an RGB uint8 array, whatever the file looks like."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InputError, UnreadableImageError

#: Anything larger is refused before decoding (decompression bombs, accidental scans).
MAX_PIXELS = 80_000_000
MAX_SIDE = 16384


def load_portrait(path: str | Path) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP/… honouring EXIF rotation; greyscale and alpha become RGB.

    Transparent pixels are composited over white so a cut-out portrait keeps a clean background.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableImageError(f"portrait {path} does not exist")
    if path.stat().st_size == 0:
        raise UnreadableImageError(f"portrait {path} is an empty file")
    try:
        with Image.open(path) as im:
            w, h = im.size
            if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
                raise InputError(
                    f"portrait {path} is {w}×{h} pixels; the limit is {MAX_SIDE} px per side and "
                    f"{MAX_PIXELS // 1_000_000} MP: downscale it first"
                )
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
