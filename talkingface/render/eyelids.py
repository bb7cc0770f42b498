"""Closing lids made of the photo's own lid skin, slid down over the eye.

A blink is not painted: the upper-lid skin between the crease and the lash line is mapped down
over the eye, column by column, in the face's own frame. The lash zone (the lash line and the
lid margin) is carried down unstretched, so the photo's real lashes sit at the new margin; the
skin above it stretches to cover what the eye showed. Stretching would smooth the skin's grain
away, so only the skin's smooth part is stretched and its fine texture (the photo's high-pass
residual, from the same band, mirrored inside it) is laid back unstretched: the closed lid keeps
the blur, grain, paint or print texture of the skin around it. What in the band is not lid skin
(stray lashes, a glasses rim, ink, the dark of a painted socket) gives way to the lid skin's own
colour. Below the margin the real lashes hang down (mirrored) as the lid shuts and a soft shadow
falls on the eye. The lower lid's small rise is the mesh's (``bases``); the iris and sclera under
the lid are never warped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..core import topology as T
from .polygons import pixels_inside

#: skin above the crease that also takes part (share of the inter-ocular distance): a taller
#: source band stretches less, so hooded eyes and thin lids still have skin to slide down
#: Gaussian sigma (columns) of the per-column lid profiles, after a 5-column median
LID_SMOOTH = 2.5
REACH = 0.04
#: the lid band (crease to lash line) is never taken thinner than this (share of the iod)
MIN_BAND = 0.07
#: the lash zone carried unstretched with the margin (share of the iod)
LASH = 0.032
#: … and the thickest: a longer dark run above the margin is shadowed lid skin, not lashes
LASH_MAX = 0.06
#: a pixel above the margin is lash while darker than this share of the way from lash to skin
LASH_THRESHOLD = 0.7
#: above the crease, luma this far from the lid skin's (in lash-to-skin contrasts) is an edge
OBSTACLE = 0.6
#: the stretched lid skin keeps within this many lash-to-skin contrasts of the lid skin's luma
SKIN_RANGE = 0.35
#: the grain is laid a little stronger than measured: placing the lid on the frame (one more
#: interpolation) averages part of it away again
GRAIN_GAIN = 1.3
#: each fold of the grain source shifts it sideways by this many lash widths
GRAIN_SHIFT = 2.3
#: the stretched lid skin is never darker than this share of the skin under the eye
LID_FLOOR = 0.5
#: … and where the band is ink-dark the lid is the cheek's colour at this share of its brightness
LID_FILL = 0.85
#: how far past the lower lid's margin a shut upper lid reaches (share of the eye's opening)
TUCK = 0.05
#: extra light on the middle of a shut lid, where it curves over the cornea
BULGE = 0.07
#: how far the lashes of a shutting lid hang below its margin (lash widths)
HANG = 1.2
#: the lid's shadow on the eye just below a half-closed margin: darkening at the margin
SHADOW = 0.35
#: skin (above the lash zone) that the lid band always has, from above the crease if need be
MIN_SKIN = 0.03
#: scale of the photo's fine texture (Gaussian sigma, pixels) restored on the stretched skin
GRAIN_SIGMA = 1.2
#: the grain is clipped at this many robust sigmas: pores and grain pass, crease lines and rims do not
GRAIN_CLIP = 2.5


_EDGE = cv2.BORDER_REPLICATE


@dataclass(frozen=True)
class Columns:
    """Per-column float32 constants: where each column starts in the patch, its weights."""

    a: np.ndarray  # (n,) a of each column
    x: np.ndarray  # (n,) patch x of (a, b = 0)
    y: np.ndarray  # (n,) patch y of (a, b = 0)
    x0: float  # patch x of (0, 0)
    y0: float  # patch y of (0, 0)
    ux: float
    uy: float
    vx: float
    vy: float
    inside: np.ndarray  # (n,) 0 at the eye's corners, 1 a pixel and a half in
    across: np.ndarray  # (n,) sine bump, 1 mid-eye: where the lid bulges over the cornea


def _columns(cols: np.ndarray, origin: np.ndarray, axes: np.ndarray, patch_xy: tuple[int, int]) -> Columns:
    (ux, uy), (vx, vy) = axes
    x0, y0 = origin[0] - patch_xy[0], origin[1] - patch_xy[1]
    f = np.float32
    inside = np.clip((cols - cols[0]) / 1.5, 0, 1) * np.clip((cols[-1] - cols) / 1.5, 0, 1)
    across = np.sin(np.pi * np.clip((cols - cols[0]) / max(cols[-1] - cols[0], 1.0), 0, 1))
    return Columns(
        a=cols.astype(f), x=(x0 + cols * ux).astype(f), y=(y0 + cols * uy).astype(f), x0=float(x0),
        y0=float(y0), ux=float(ux), uy=float(uy), vx=float(vx), vy=float(vy), inside=inside.astype(f),
        across=across.astype(f),
    )  # fmt: skip


@dataclass(frozen=True)
class LidModel:
    """One upper lid, in the photo's face frame: ``a`` across the eye, ``b`` down the face.

    Per column ``cols`` (one per pixel, corner to corner) the rest lid margin, the top of the skin
    that slides and the height of the lash zone; and a patch of the photo around the eye.
    """

    side: str
    upper: np.ndarray  # landmark indices of the upper-lid margin, corner to corner
    lower: np.ndarray  # … of the lower-lid margin
    hole: np.ndarray  # … of the eye opening (the lid follows the eye's rigid motion)
    hole_rest: np.ndarray  # (k, 2) the eye opening in the photo
    origin: np.ndarray  # (2,) photo pixels
    axes: np.ndarray  # (2, 2) rows: u (across), v (down), photo axes
    cols: np.ndarray  # (n,) a of each column
    margin: np.ndarray  # (n,) float32 b of the rest upper-lid margin
    top: np.ndarray  # (n,) float32 b of the top of the skin that slides (a little above the crease)
    lash: np.ndarray  # (n,) float32 height of the lash zone above the margin, pixels
    columns: Columns  # per-column constants of the frame-time maths
    patch: np.ndarray  # (h, w, 6) float32: the lid skin smoothed and kept in range | the photo
    grain: np.ndarray  # (h, w, 3) float32: the photo's fine texture (high-pass, clipped)
    patch_xy: tuple[int, int]  # top-left corner of both in the photo
    lash_px: float  # the thinnest lash zone: sizes the soft edges, the hanging lashes, the shadow
    skin_luma: float  # the lid skin's median luma: what counts as dark (lashes) below the margin


def _sorted_chain(ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(ab[:, 0])
    return ab[order, 0].astype(np.float64), ab[order, 1].astype(np.float64)


def build_lid(image: np.ndarray, landmarks: np.ndarray, side: str, iod: float) -> LidModel:
    upper_idx = T.LEFT_EYE_UPPER if side == "Left" else T.RIGHT_EYE_UPPER
    lower_idx = T.LEFT_EYE_LOWER if side == "Left" else T.RIGHT_EYE_LOWER
    crease_idx = T.LEFT_LID_CREASE if side == "Left" else T.RIGHT_LID_CREASE
    hole_idx = T.LEFT_EYE_HOLE if side == "Left" else T.RIGHT_EYE_HOLE
    xy = landmarks[:, :2].astype(np.float64)
    right_eye, left_eye = xy[[33, 133]].mean(0), xy[[362, 263]].mean(0)
    u = (left_eye - right_eye) / max(float(np.linalg.norm(left_eye - right_eye)), 1e-6)
    axes = np.array([u, [-u[1], u[0]]])
    origin = xy[list(upper_idx)].mean(0)

    def local(idx) -> np.ndarray:
        return (xy[list(idx)] - origin) @ axes.T

    a_cols, margin = _sorted_chain(local(upper_idx))
    # the crease chain runs corner to corner a little wider than the lid: read it at the lid's columns
    cols = np.arange(a_cols[0], a_cols[-1] + 0.5, 1.0)
    up_c = np.interp(cols, a_cols, margin)
    crease = np.minimum(np.interp(cols, *_sorted_chain(local(crease_idx))), up_c - MIN_BAND * iod)

    # a luma profile per column, upward from the margin to a little above the crease
    steps = np.arange(0.0, float((up_c - crease).max() + (REACH + MIN_SKIN) * iod) + 0.5, 0.5)[:, None]
    bb = up_c[None, :] - steps
    luma = cv2.GaussianBlur(image.astype(np.float32).mean(2), (0, 0), 0.7)
    mx = (origin[0] + cols[None, :] * axes[0, 0] + bb * axes[1, 0]).astype(np.float32)
    my = (origin[1] + cols[None, :] * axes[0, 1] + bb * axes[1, 1]).astype(np.float32)
    profile = cv2.remap(luma, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    band = (bb >= crease[None, :]) & (steps >= LASH * iod)
    skin_luma = float(np.median(profile[band])) if band.any() else float(profile.mean())
    colours = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    skin_rgb = np.median(colours[band], 0).astype(np.float32) if band.any() else np.full(3, skin_luma)
    dark_luma = float(np.percentile(profile[bb >= crease[None, :]], 3))
    contrast = max(skin_luma - dark_luma, 0.15 * skin_luma, 1.0)

    # how far the dark lash line (lashes, liner, ink) reaches above the margin: it is carried
    # down whole, only the skin above it stretches, or the lashes would smear into streaks
    skin = profile >= dark_luma + LASH_THRESHOLD * contrast
    skin[:-1] &= skin[1:]  # two samples in a row: a pore or a lone lash does not end the lash line
    lash = np.where(skin.any(0), steps[np.argmax(skin, 0), 0], LASH_MAX * iod)
    lash = np.clip(_smooth(lash), LASH * iod, LASH_MAX * iod)
    # the top of the skin that slides: a little above the crease, but never across an edge there
    # (a glasses rim, a brow) that would be dragged down over the lid
    off = np.abs(profile - skin_luma) > OBSTACLE * contrast
    off &= (bb < crease[None, :] - 0.5) & (bb >= crease[None, :] - REACH * iod)
    blocked = np.where(off.any(0), bb[np.argmax(off, 0), np.arange(len(cols))] + 1.0, crease - REACH * iod)
    top = np.minimum(_smooth(blocked), up_c - lash - MIN_SKIN * iod)

    # the photo's fine texture around the eye, clipped so no edge (rim, brow hair) comes along
    pts = np.concatenate([xy[list(crease_idx)], xy[list(lower_idx)]])
    pad = int(np.ceil(0.25 * iod))
    x0, y0 = np.maximum(np.floor(pts.min(0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(pts.max(0)).astype(int) + pad, (image.shape[1], image.shape[0]))
    patch = image[y0:y1, x0:x1].astype(np.float32)
    low = cv2.GaussianBlur(patch, (0, 0), GRAIN_SIGMA)
    residual = patch - low
    spread = 1.4826 * float(np.median(np.abs(residual))) + 1e-3
    # what stretches is lid skin only: anything in it far darker (a stray lash, a rim, the eye's
    # paint) or brighter (a reflection) than the lid skin gives way to the lid skin's own colour
    # (not rescaled: a dark red corner brightened would turn orange)
    low_luma = low.mean(2, keepdims=True)
    off = np.abs(low_luma - skin_luma) - SKIN_RANGE * contrast
    t = np.clip(off / (SKIN_RANGE * contrast), 0, 1)
    low = low * (1 - t) + skin_rgb * t
    # a band far darker than the skin under the eye is no skin at all (ink, a painted socket):
    # there the lid takes the cheek's colour, a little shaded
    cheek = _under_eye(image, xy[list(lower_idx)], axes[1], iod)
    lid_floor = LID_FLOOR * float(cheek.mean())
    low_luma = np.maximum(low.mean(2, keepdims=True), 1.0)
    t = np.clip((lid_floor - low_luma) / (0.5 * lid_floor + 1e-3), 0, 1)
    low = low * (1 - t) + cheek * LID_FILL * t
    return LidModel(
        side=side,
        upper=np.array(upper_idx),
        lower=np.array(lower_idx),
        hole=np.array(hole_idx),
        hole_rest=xy[list(hole_idx)],
        origin=origin,
        axes=axes,
        cols=cols,
        margin=up_c.astype(np.float32),
        top=top.astype(np.float32),
        lash=lash.astype(np.float32),
        columns=_columns(cols, origin, axes, (int(x0), int(y0))),
        patch=np.concatenate([low, patch], 2).astype(np.float32),
        grain=(GRAIN_GAIN * np.clip(residual, -GRAIN_CLIP * spread, GRAIN_CLIP * spread)).astype(np.float32),
        patch_xy=(int(x0), int(y0)),
        lash_px=max(1.0, LASH * iod),
        skin_luma=max(skin_luma, 1.0),
    )


def _under_eye(image: np.ndarray, lower: np.ndarray, down: np.ndarray, iod: float) -> np.ndarray:
    """(3,) median colour of the skin a little under the lower lid: the face's own skin tone."""
    band = np.concatenate([lower + 0.1 * iod * down, (lower + 0.22 * iod * down)[::-1]])
    pix = pixels_inside(image, band).astype(np.float32)
    if not len(pix):
        return np.full(3, 128.0, np.float32)
    luma = pix.mean(1)
    return np.median(pix[luma >= np.median(luma)], 0)  # the skin, not the ink or lashes among it


def _smooth(values: np.ndarray) -> np.ndarray:
    """A per-column profile smoothed along the lid (median first: one odd column is no lash)."""
    median = np.median(np.lib.stride_tricks.sliding_window_view(np.pad(values, 2, mode="edge"), 5), axis=1)
    radius = int(4 * LID_SMOOTH + 0.5)  # a Gaussian cut at four sigmas
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / LID_SMOOTH) ** 2)
    return np.convolve(np.pad(median, radius, mode="edge"), kernel / kernel.sum(), mode="valid")


def _reflect(x: np.ndarray, lo: np.ndarray, span: np.ndarray) -> np.ndarray:
    """``x`` folded back into [lo, lo + span] (mirrored at both ends: a triangle wave)."""
    return lo + span - np.abs(np.mod(x - lo, 2 * span) - span)


def _unit(x: np.ndarray) -> np.ndarray:
    """``x`` clipped to [0, 1] (np.clip costs more than the arithmetic on arrays this small)."""
    return np.minimum(np.maximum(x, 0), 1)


def _affine(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Least-squares (3, 2) affine ``[x, y, 1] @ A`` taking points ``dst`` onto ``src``."""
    a = np.column_stack([dst, np.ones(len(dst))])
    return np.linalg.solve(a.T @ a, a.T @ src)


def draw_lid(frame: np.ndarray, lid: LidModel, xy: np.ndarray, rigid: np.ndarray, closure: float) -> None:
    """Close one eye by ``closure`` (0 open … 1 shut), in place.

    ``xy`` the frame's deformed landmarks, ``rigid`` the rest landmarks moved by the head alone:
    the lid is built on a grid in the photo's face frame (one row per ``b``, one column per ``a``)
    and laid onto the frame through the eye's rigid motion, as the eye itself is.
    """
    if closure <= 0.02:
        return
    closure = min(closure, 1.0)
    frame_to_photo = _affine(rigid[lid.hole], lid.hole_rest)  # (3, 2)
    to_local = frame_to_photo @ lid.axes.T
    to_local[2] -= lid.origin @ lid.axes.T

    def column_b(idx: np.ndarray) -> np.ndarray:
        ab = np.column_stack([xy[idx], np.ones(len(idx))]) @ to_local
        return np.interp(lid.cols, *_sorted_chain(ab)).astype(np.float32)

    up_d, lo_d = column_b(lid.upper), column_b(lid.lower)
    # a shut lid tucks a little past the lower lid's margin (its wet rim), so no sclera survives
    margin = up_d + np.float32(closure * (1.0 + TUCK)) * (lo_d - up_d)
    hang_len = HANG * lid.lash_px
    b0 = float(np.floor(lid.top.min())) - 1.0
    rows = np.arange(b0, np.ceil(margin.max() + hang_len) + 2.0, dtype=np.float32)[:, None]
    top, up_r, s1, c = lid.top, lid.margin, lid.margin - lid.lash, lid.columns

    # per column: the lash zone's top lands at d1 (from s1); the skin above it stretches to reach
    d1 = margin - lid.lash
    shift = d1 - s1
    inv_stretch = np.maximum(s1 - top, 1e-3) / np.maximum(d1 - top, 1e-3)
    from_top = rows - top
    skin = from_top < d1 - top
    below = rows - margin
    # source rows: skin stretched, lash zone slid, and under the margin the lashes hanging (mirrored)
    slid = rows - shift
    b_src = np.where(skin, top + from_top * inv_stretch, slid)
    b_src = np.where(below > 0, up_r - np.minimum(below, hang_len), b_src)
    # the grain the stretch smoothed away, unstretched: the band's own, mirrored inside it, shifted
    # sideways at each fold so no pore repeats straight down into a streak
    span = np.maximum(s1 - top, 1.0)
    folds = np.floor((s1 - slid) / span)
    width = float(c.a[-1] - c.a[0]) + 1.0
    grain_a = c.a[0] + np.mod(c.a - c.a[0] + (GRAIN_SHIFT * lid.lash_px) * folds, width)
    grain_b = _reflect(slid, top, span)

    both = cv2.remap(lid.patch, c.x + b_src * c.vx, c.y + b_src * c.vy, cv2.INTER_LINEAR, borderMode=_EDGE)
    # (grain by nearest pixel: interpolating noise at random phases would average half of it away)
    gx = c.x0 + grain_a * c.ux + grain_b * c.vx
    gy = c.y0 + grain_a * c.uy + grain_b * c.vy
    grain = cv2.remap(lid.grain, gx, gy, cv2.INTER_NEAREST, borderMode=_EDGE)
    photo = both[..., 3:]
    # (a soft seam between stretched skin and slid lash line: a hard one shows every column's step)
    w = _unit(0.5 + (d1 - rows) * (1 / 1.5)) * _unit(from_top * (0.5 / lid.lash_px))
    lid_rgb = photo + (both[..., :3] + grain - photo) * w[..., None]
    # the lid now lies over the cornea's bulge: a little more light on its middle, most when shut
    height = _unit(from_top / np.maximum(margin - top, 1.0))
    lid_rgb *= (1.0 + (4 * BULGE * closure) * c.across * height * (1 - height))[..., None]

    alpha = _unit(from_top * (1 / lid.lash_px)) * _unit(0.5 - below) * c.inside
    # the lid's soft shadow on what is just under its margin, and the lashes hanging over it
    fade = 1.0 - _unit(below * (1 / hang_len))
    hang = min(max((closure - 0.55) / 0.45, 0.0), 1.0)
    # (strongest on the eye of a half-closed lid; a shut lid's seam is the lash line's own)
    shade = 1.0 - (SHADOW * (1.0 - 0.6 * hang)) * fade * fade * (below > -0.5) * c.inside
    dark = _unit(1.5 - photo.sum(2) * (0.5 / lid.skin_luma))
    lash_a = dark * fade * (below > 0) * (hang * c.inside)
    # out = ((frame · shade) over lashes) over lid  =  frame · keep + add
    under = 1 - alpha
    layer = np.empty(alpha.shape + (4,), np.float32)
    layer[..., :3] = photo * (lash_a * under)[..., None] + lid_rgb * alpha[..., None]
    layer[..., 3] = shade * (1 - lash_a) * under

    # grid (column i, row j) → photo → frame, and the frame box it covers
    (ux, uy), (vx, vy) = lid.axes
    grid_to_photo = np.array(
        [[ux, vx, lid.origin[0] + c.a[0] * ux + b0 * vx], [uy, vy, lid.origin[1] + c.a[0] * uy + b0 * vy]]
    )
    photo_to_frame = np.linalg.inv(np.vstack([frame_to_photo.T, [0, 0, 1]]))[:2]
    grid_to_frame = photo_to_frame[:, :2] @ grid_to_photo
    grid_to_frame[:, 2] += photo_to_frame[:, 2]
    h, w_ = layer.shape[:2]
    corners = np.array([[0, 0, 1], [w_, 0, 1], [0, h, 1], [w_, h, 1]], np.float64) @ grid_to_frame.T
    x0, y0 = np.maximum(np.floor(corners.min(0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(corners.max(0)).astype(int) + 1, (frame.shape[1], frame.shape[0]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    grid_to_frame[:, 2] -= (x0, y0)
    placed = cv2.warpAffine(
        layer, grid_to_frame, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 1),
    )  # fmt: skip
    region = frame[y0:y1, x0:x1].astype(np.float32)
    region *= _unit(placed[..., 3:])
    region += placed[..., :3]
    frame[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
