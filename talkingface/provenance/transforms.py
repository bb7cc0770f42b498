"""Ordinary things people do to a video, for measuring how well our marks survive them.

Used by the tests and by the benchmark: re-encode with H.264 at a given CRF, downscale,
crop a fraction off each side. Decoding and encoding go through PyAV, as a platform would.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


@dataclass(frozen=True)
class Transform:
    name: str
    crf: int = 23
    scale: float = 1.0  # 0.5 = half size
    crop: float = 0.0  # fraction cut from each side


#: The transformations issue #7 asks the watermark to survive.
STANDARD = (
    Transform("re-encode CRF 23", crf=23),
    Transform("re-encode CRF 28", crf=28),
    Transform("half size (CRF 23)", crf=23, scale=0.5),
    Transform("crop 10 %/side (CRF 23)", crf=23, crop=0.10),
    Transform("crop 10 %/side + half + CRF 28", crf=28, scale=0.5, crop=0.10),
)


def apply_transform(src: str | Path, dst: str | Path, t: Transform) -> Path:
    """Decode ``src``, crop/scale each frame, re-encode video as H.264 (audio is dropped)."""
    with av.open(str(src)) as inp:
        stream = inp.streams.video[0]
        rate = stream.average_rate or Fraction(25)
        w, h = stream.codec_context.width, stream.codec_context.height
        x0, y0 = int(round(w * t.crop)), int(round(h * t.crop))
        cw, ch = w - 2 * x0, h - 2 * y0
        ow, oh = int(round(cw * t.scale)) // 2 * 2, int(round(ch * t.scale)) // 2 * 2
        with av.open(str(dst), "w", format="mp4") as out:
            vs = out.add_stream("libx264", rate=rate)
            vs.width, vs.height, vs.pix_fmt = ow, oh, "yuv420p"
            vs.options = {"crf": str(t.crf), "preset": "veryfast"}
            for i, frame in enumerate(inp.decode(stream)):
                rgb = frame.to_ndarray(format="rgb24")[y0 : y0 + ch, x0 : x0 + cw]
                if (ow, oh) != (cw, ch):
                    rgb = cv2.resize(rgb, (ow, oh), interpolation=cv2.INTER_AREA)
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
                vf.pts = i
                vf.time_base = 1 / rate
                out.mux(vs.encode(vf))
            out.mux(vs.encode(None))
    return Path(dst)


def gentle_motion(image: np.ndarray, frames: int, fps: float = 25.0, shift: float = 6.0, zoom: float = 0.02):
    """Yield ``frames`` RGB frames of ``image`` slowly swaying (±``shift`` px) and breathing (±``zoom``).

    Test material standing in for a rendered talking head: every frame differs, as in our output.
    """
    h, w = image.shape[:2]
    for i in range(frames):
        t = i / fps
        s = 1.0 + zoom * np.sin(2 * np.pi * t / 3.0)
        dx, dy = shift * np.sin(2 * np.pi * t / 2.3), 0.6 * shift * np.cos(2 * np.pi * t / 1.7)
        m = np.array([[s, 0.0, (1 - s) * w / 2 + dx], [0.0, s, (1 - s) * h / 2 + dy]])
        yield cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def flat_colour(rgb: np.ndarray) -> np.ndarray:
    """A flat-colour cartoon of a photo (test material): OpenCV's stylisation, posterised, then
    median-filtered, so it is made of flat fills and edges as cel art is."""
    drawn = cv2.stylization(rgb, sigma_s=60, sigma_r=0.45)
    return cv2.medianBlur(((drawn.astype(np.int32) // 48) * 48 + 24).astype(np.uint8), 7)


def even_rgb(image: np.ndarray) -> np.ndarray:
    """RGB uint8 with even width and height (H.264 4:2:0), from grey/RGBA/odd-sized images."""
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    h, w = image.shape[:2]
    return np.ascontiguousarray(image[: h // 2 * 2, : w // 2 * 2, :3]).astype(np.uint8)


def talking_motion(image: np.ndarray, frames: int, fps: float = 25.0):
    """Like our renderer's output: a still background, the central region (the "head") moving.

    The middle 40 % × 45 % of the frame sways and breathes as in :func:`gentle_motion`; the rest
    of the frame stays still, so the encoder can skip it as it does for real talking heads.
    """
    h, w = image.shape[:2]
    y0, y1, x0, x1 = int(0.15 * h), int(0.6 * h), int(0.3 * w), int(0.7 * w)
    for moved in gentle_motion(image, frames, fps, shift=4.0, zoom=0.03):
        out = image.copy()
        out[y0:y1, x0:x1] = moved[y0:y1, x0:x1]
        yield out
