"""Gaze: the iris moves inside the eye opening; sclera fills where it was; lids clip it.

Built once per eye from the photo: the iris disc (Face Landmarker's iris centre and ring),
its texture completed where the lid hid it, the eye with the iris painted out (sclera only),
and the catchlights, which stay where the light puts them while the iris turns under them.
Per frame the eye is redrawn only when the gaze is off centre, so a still gaze gives the
photo's own eye, pixel for pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..core import topology as T
from ..core.track import CHANNEL_INDEX
from .polygons import coverage

#: iris travel at channel value 1, as a share of the eye's width (≈ 30–35° of eye rotation)
HORIZONTAL_TRAVEL = 0.26
VERTICAL_TRAVEL = 0.14
#: luma spread of the visible sclera above which the eye is drawn in ink (line art, sketches):
#: photos and paintings measure 20–45, flat-colour cartoons ≈ 65, line art 75–110. A drawn eye
#: has no iris disc to move (sliding its strokes smears them), so it keeps its drawn gaze.
DRAWN_EYE_SPREAD = 70.0


@dataclass(frozen=True)
class EyeModel:
    """One eye, in a patch of the photo at (x0, y0)."""

    x0: int
    y0: int
    sclera: np.ndarray  # (h, w, 3) float32: the eye with the iris painted out
    iris: np.ndarray  # (h, w, 3) float32: iris texture, completed under the lid
    iris_alpha: np.ndarray  # (h, w) float32 soft disc
    catchlight: np.ndarray  # (h, w) float32 alpha of the photo's own highlights
    photo: np.ndarray  # (h, w, 3) float32: the patch as photographed (catchlight colours)
    width: float  # eye width in pixels (corner to corner)
    travel: float  # 0–1: how far this iris may move (little visible sclera → little room)
    hole: tuple[int, ...]  # landmark indices of the eye opening
    side: str  # "Left" or "Right" (the subject's)


def _disc(h: int, w: int, cx: float, cy: float, r: float) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    dist = np.hypot(xs - cx, ys - cy)
    return np.clip(r + 0.5 - dist, 0, 1)


def build_eye(image: np.ndarray, landmarks: np.ndarray, side: str) -> EyeModel | None:
    hole = T.LEFT_EYE_HOLE if side == "Left" else T.RIGHT_EYE_HOLE
    iris_idx = T.LEFT_IRIS if side == "Left" else T.RIGHT_IRIS
    pts = landmarks[list(hole), :2]
    centre = landmarks[iris_idx[0], :2]
    radius = float(np.linalg.norm(landmarks[list(iris_idx[1:]), :2] - centre, axis=1).mean())
    width = float(np.linalg.norm(pts[0] - pts[len(pts) // 2]))  # corner to corner (hole starts at a corner)
    width = float(np.ptp(pts[:, 0])) if width < 1 else width
    if radius < 1.5 or width < 6:
        return None
    pad = int(np.ceil(radius * 1.5 + width * 0.35))
    x0 = max(int(np.floor(pts[:, 0].min())) - pad, 0)
    y0 = max(int(np.floor(min(pts[:, 1].min(), centre[1] - radius))) - pad, 0)
    x1 = min(int(np.ceil(pts[:, 0].max())) + pad, image.shape[1])
    y1 = min(int(np.ceil(max(pts[:, 1].max(), centre[1] + radius))) + pad, image.shape[0])
    patch = np.ascontiguousarray(image[y0:y1, x0:x1])
    h, w = patch.shape[:2]
    opening = np.zeros((h, w), np.uint8)
    cv2.fillPoly(opening, [np.round(pts - (x0, y0)).astype(np.int32)], 255)
    disc = _disc(h, w, centre[0] - x0, centre[1] - y0, radius)
    visible_iris = ((disc > 0.3) & (opening > 0)).astype(np.uint8) * 255
    # catchlights: the brightest specks on the visible iris
    luma = patch.astype(np.float32).mean(2)
    iris_luma = luma[visible_iris > 0]
    catch = np.zeros((h, w), np.float32)
    if len(iris_luma) > 4:
        thresh = max(170.0, float(np.median(iris_luma)) + 70.0)
        catch = ((luma > thresh) & (visible_iris > 0)).astype(np.float32)
        catch = cv2.GaussianBlur(catch, (3, 3), 0.6)
    visible = luma[(opening > 0) & (disc < 0.02)]
    if visible.size and float(visible.std()) > DRAWN_EYE_SPREAD:
        return None
    sclera = _paint_out_iris(patch, opening > 0, disc)
    visible_sclera = float(((opening > 0) & (disc < 0.02)).sum())
    travel = float(np.clip(visible_sclera / max(0.6 * float((opening > 0).sum()), 1.0), 0.3, 1.0))
    # iris texture: visible iris, with the lid-hidden part and the catchlights painted from the iris itself
    hidden = ((disc > 0) & ((opening == 0) | (catch > 0.2))).astype(np.uint8) * 255
    iris = cv2.inpaint(patch, hidden, max(2, int(radius / 2)), cv2.INPAINT_TELEA)
    return EyeModel(
        x0, y0, sclera, iris.astype(np.float32), disc, catch,
        patch.astype(np.float32), width, travel, tuple(hole), side,
    )  # fmt: skip


def _paint_out_iris(patch: np.ndarray, opening: np.ndarray, disc: np.ndarray) -> np.ndarray:
    """The eye with its iris replaced by sclera: each row takes the colour of that row's own
    visible sclera (so the shadow under the upper lid is kept); rows without any borrow from
    the nearest row that has some. Inpainting from all sides would drag lash colour in."""
    img = patch.astype(np.float32)
    sclera = opening & (disc < 0.02)
    rows = np.full((img.shape[0], 3), np.nan, np.float32)
    for y in np.flatnonzero(sclera.any(1)):
        px = img[y][sclera[y]]
        bright = px[px.mean(1) >= np.percentile(px.mean(1), 60)]  # the sclera, not the shadowed corners
        rows[y] = bright.mean(0)
    known = np.flatnonzero(~np.isnan(rows[:, 0]))
    if len(known) == 0:
        return img
    for c in range(3):
        rows[:, c] = np.interp(np.arange(len(rows)), known, rows[known, c])
    rows = cv2.GaussianBlur(rows[:, None, :], (1, 0), sigmaX=0.1, sigmaY=1.5)[:, 0, :]
    fill = np.broadcast_to(rows[:, None, :], img.shape)
    # cover a little past the iris edge so no ghost of its dark rim is left behind
    a = cv2.dilate(np.clip(disc * 1.5, 0, 1), np.ones((5, 5), np.uint8))[..., None] * opening[..., None]
    return img * (1 - a) + fill * a


def gaze_offset(weights: np.ndarray, eye: EyeModel) -> tuple[float, float]:
    """Iris offset in the face's own frame (+u toward the subject's left, +v down), photo pixels."""
    s = eye.side
    inward = weights[CHANNEL_INDEX[f"eyeLookIn{s}"]]
    outward = weights[CHANNEL_INDEX[f"eyeLookOut{s}"]]
    up = weights[CHANNEL_INDEX[f"eyeLookUp{s}"]]
    down = weights[CHANNEL_INDEX[f"eyeLookDown{s}"]]
    # looking "out" moves the subject's left iris toward their left (+u), the right iris toward −u
    toward_left = (outward - inward) if s == "Left" else (inward - outward)
    reach = eye.travel * eye.width
    return float(toward_left * HORIZONTAL_TRAVEL * reach), float((down - up) * VERTICAL_TRAVEL * reach)


def draw_eye(
    frame: np.ndarray, eye: EyeModel, hole_xy: np.ndarray, affine: np.ndarray, offset_xy: np.ndarray
) -> None:
    """Redraw one eye in place: sclera and catchlights follow the head, the iris also by ``offset_xy``
    (photo pixels, before the head's motion).

    ``affine`` (2, 3) maps photo pixels to frame pixels (the eye's rigid motion with the head);
    ``hole_xy`` the deformed eye opening in the frame, which clips everything drawn here.
    """
    x0 = int(np.floor(hole_xy[:, 0].min())) - 2
    y0 = int(np.floor(hole_xy[:, 1].min())) - 2
    x1 = int(np.ceil(hole_xy[:, 0].max())) + 3
    y1 = int(np.ceil(hole_xy[:, 1].max())) + 3
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    w, h = x1 - x0, y1 - y0
    if w < 2 or h < 2:
        return
    # patch coords → frame ROI coords: frame = A @ (patch + (ex0, ey0)); roi = frame − (x0, y0)
    a = affine.astype(np.float64).copy()
    a[:, 2] += a[:, :2] @ np.array([eye.x0, eye.y0]) - np.array([x0, y0])
    moved = a.copy()
    moved[:, 2] += a[:, :2] @ offset_xy

    def warp(img: np.ndarray, m: np.ndarray) -> np.ndarray:
        return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    sclera = warp(eye.sclera, a)
    iris = warp(eye.iris, moved)
    iris_a = warp(eye.iris_alpha, moved)[..., None]
    catch_a = warp(eye.catchlight, a)[..., None]
    catch_rgb = warp(eye.photo, a)
    content = sclera * (1 - iris_a) + iris * iris_a
    content = content * (1 - catch_a * iris_a) + catch_rgb * (catch_a * iris_a)
    alpha = coverage(hole_xy, x0, y0, w, h)[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(region * (1 - alpha) + content * alpha + 0.5, 0, 255).astype(np.uint8)
