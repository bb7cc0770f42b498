"""A spread of portrait kinds made from the real sample photos, for tests, sheets and benchmarks.

No registry package ships a painting or a drawing of a face, so those are renditions of the real
photos by OpenCV's own filters (oil painting, stylisation, pencil); greyscale and sepia are the
usual conversions; the edge and large-picture cases re-frame a real photo; the face made of
flowers is built from scikit-learn's real flower photo. Each says what it is.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def greyscale(rgb: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.repeat(grey[..., None], 3, axis=2)


def sepia(rgb: np.ndarray) -> np.ndarray:
    m = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
    return np.clip(rgb.astype(np.float32) @ m.T, 0, 255).astype(np.uint8)


def oil_painting(rgb: np.ndarray) -> np.ndarray:
    """Brush-stroke rendition (cv2.xphoto.oilPainting) plus a little canvas texture."""
    out = cv2.xphoto.oilPainting(rgb, 3, 1)
    rng = np.random.default_rng(0)
    canvas = cv2.GaussianBlur(rng.normal(0, 6, rgb.shape[:2]).astype(np.float32), (0, 0), 0.8)
    return np.clip(out.astype(np.float32) * 0.95 + 8 + canvas[..., None], 0, 255).astype(np.uint8)


def drawing(rgb: np.ndarray) -> np.ndarray:
    """Flat-colour digital-art rendition with inked edges (cv2.stylization)."""
    return cv2.stylization(rgb, sigma_s=60, sigma_r=0.45)


def pencil(rgb: np.ndarray) -> np.ndarray:
    """Coloured-pencil drawing: pencil strokes and hatching over paper (cv2.pencilSketch)."""
    _, colour = cv2.pencilSketch(rgb, sigma_s=40, sigma_r=0.08, shade_factor=0.06)
    return colour


def low_key(rgb: np.ndarray) -> np.ndarray:
    """The photo under dim light raking from one side: two stops darker, the far side in shadow,
    so the eyes sit in dark sockets (the case where painted lids turned into dark glasses)."""
    linear = (rgb.astype(np.float32) / 255.0) ** 2.2
    w = rgb.shape[1]
    light = np.linspace(0.35, 0.08, w, dtype=np.float32)[None, :, None]
    return np.clip(255.0 * (linear * light) ** (1 / 2.2), 0, 255).astype(np.uint8)


def near_edge(rgb: np.ndarray) -> np.ndarray:
    """The face pushed against the left border: the left third of the photo is cut away."""
    w = rgb.shape[1]
    return np.ascontiguousarray(rgb[:, w // 3 :])


def in_large_picture(rgb: np.ndarray, size: tuple[int, int] = (1920, 1080)) -> np.ndarray:
    """The photo small inside a large frame: a wall in the photo's border colours around it."""
    h, w = rgb.shape[:2]
    width, height = size
    left, top = (width - w) // 3, (height - h) // 2
    corners = np.array([rgb[:8, :8].mean((0, 1)), rgb[:8, -8:].mean((0, 1)), rgb[-8:, :8].mean((0, 1)),
                        rgb[-8:, -8:].mean((0, 1))], np.float32)  # fmt: skip
    wall = cv2.resize(corners.reshape(2, 2, 3), (width, height), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(1)
    wall += cv2.GaussianBlur(rng.normal(0, 4, (height, width)).astype(np.float32), (0, 0), 2.0)[..., None]
    out = np.clip(wall, 0, 255).astype(np.uint8)
    out[top : top + h, left : left + w] = rgb
    return out


def line_art(rgb: np.ndarray) -> np.ndarray:
    """Black strokes on white paper, no shading (an ink or pencil line drawing)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    lines = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, 8)
    return np.repeat(lines[..., None], 3, axis=2)


def cartoon(rgb: np.ndarray, levels: int = 6) -> np.ndarray:
    """Flat colour fields with dark outlines: few colours, no texture (cel shading)."""
    smooth = cv2.bilateralFilter(cv2.bilateralFilter(rgb, 9, 60, 9), 9, 60, 9)
    step = 256 // levels
    flat = (smooth // step * step + step // 2).astype(np.uint8)
    edges = cv2.adaptiveThreshold(
        cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 7), 255, cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY, 9, 4,
    )  # fmt: skip
    return np.where(edges[..., None] > 0, flat, 30).astype(np.uint8)


def blossom(flowers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest bright flower of a photo, cut out round: (its light around 1, its disc mask)."""
    hsv = cv2.cvtColor(flowers, cv2.COLOR_RGB2HSV)
    bright = ((hsv[..., 2] > 150) & (hsv[..., 1] > 60)).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(bright)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    (cx, cy), r = cv2.minEnclosingCircle(
        np.column_stack(np.nonzero(labels == largest)[::-1]).astype(np.float32)
    )
    r, cx, cy = int(r * 0.95), int(cx), int(cy)
    grey = cv2.cvtColor(flowers[cy - r : cy + r, cx - r : cx + r], cv2.COLOR_RGB2GRAY).astype(np.float32)
    yy, xx = np.mgrid[-r:r, -r:r]
    disc = (np.hypot(xx, yy) < r).astype(np.float32)
    return grey / max(float(grey[disc > 0].mean()), 1.0), disc


def flower_face(rgb: np.ndarray, flowers: np.ndarray, size: int = 6) -> np.ndarray:
    """A face made of flowers, after Arcimboldo's *Flora*: the portrait rebuilt from a few thousand
    copies of one real blossom (``size`` px in radius, ±30 %), each tinted with the colour of the
    portrait under it, over a dark ground. No registry package ships an Arcimboldo painting."""
    light, disc = blossom(flowers)
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(2)
    out = cv2.GaussianBlur(rgb, (0, 0), size / 2).astype(np.float32) * 0.35
    colour = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), size / 4)
    for _ in range(int(2.2 * h * w / size**2)):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(size * rng.uniform(0.7, 1.3))
        x0, y0, x1, y1 = max(x - r, 0), max(y - r, 0), min(x + r, w), min(y + r, h)
        cut = (slice(y0 - y + r, y1 - y + r), slice(x0 - x + r, x1 - x + r))
        petals = cv2.resize(light, (2 * r, 2 * r), interpolation=cv2.INTER_AREA)[cut]
        mask = cv2.resize(disc, (2 * r, 2 * r), interpolation=cv2.INTER_AREA)[cut][..., None]
        flower = np.clip(petals[..., None] * colour[y, x], 0, 255)
        out[y0:y1, x0:x1] = mask * flower + (1 - mask) * out[y0:y1, x0:x1]
    return np.clip(out, 0, 255).astype(np.uint8)


def group(photos: list[np.ndarray], size: tuple[int, int] = (1600, 900), widths=(300, 260, 320, 240, 300)):
    """Several real portraits side by side on a grey wall: a group photo with faces of 55–95 px."""
    width, height = size
    canvas = np.full((height, width, 3), 120, np.uint8)
    x = 20
    for i, w in enumerate(widths):
        src = photos[i % len(photos)]
        h = round(w * src.shape[0] / src.shape[1])
        canvas[200 : 200 + h, x : x + w] = cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA)[
            : height - 200
        ]
        x += w + (width - 40 - sum(widths)) // (len(widths) - 1)
    return canvas


KINDS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "greyscale": greyscale,
    "sepia": sepia,
    "oil painting": oil_painting,
    "digital drawing": drawing,
    "coloured-pencil drawing": pencil,
    "low-key, shadowed": low_key,
    "face at the edge": near_edge,
    "line art": line_art,
    "cartoon": cartoon,
}
