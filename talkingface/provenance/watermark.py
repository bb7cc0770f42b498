"""Invisible watermark: a tiled, band-limited spread-spectrum pattern in luma, found by correlation.

Why our own scheme
------------------
``invisible-watermark`` (the usual choice) depends on ``opencv-python``, which would install a
second ``cv2`` beside the ``opencv-contrib-python`` that mediapipe pulls, and its DWT-DCT
marks are per-image, not built to survive cropping, rescaling and H.264 together. The scheme
below is a classic self-synchronising tiled spread-spectrum mark, small enough to read in full.

The mark
--------
* **Payload** (64 bits): an 8-bit magic number (``0x54``, "talkingface"), 8 bits of tool
  version (major·16 + minor), a 32-bit generation id and a CRC-16/CCITT of those 48 bits. The
  64 bits are XOR-scrambled with a fixed pseudo-random word, then protected by a rate-1/3,
  constraint-length-9 convolutional code (generators 557, 663, 711 octal, as in IS-95; zero
  tail): (64 + 8) × 3 = 216 coded bits, decoded with a soft-decision Viterbi decoder.
* **Chips**: a square tile of 32 × 32 chips. A fixed 15 % of them (154) carry a known ±1
  *synchronisation* sequence; the other 870 carry the coded bits, each bit spread over 4
  chips at pseudo-random places with pseudo-random signs.
* **Tile**: the chip array is interpolated to a ``P × P`` pixel tile by zero-padding its 2-D
  spectrum (band-limited, perfectly periodic, no block edges; a cosine taper on the top 10 % of
  chip frequencies). ``P`` = a third of the frame's short side, so a 512² frame holds 3 × 3
  tiles of 5.3-pixel chips and a 1080p frame 5.3 × 3 tiles of 11-pixel chips: the mark lives
  in low-to-mid spatial frequencies that survive H.264, downscaling and blur.
* **Embedding**: the same tile is repeated over the frame from its top-left corner and added to
  R, G and B alike (a luma-only change), scaled per frame by a **perceptual mask**
  (:func:`texture_mask`), computed on a working copy of the frame: its green channel (≈ luma) sampled
  every k-th pixel, k the integer factor that brings its short side nearest 256 px
  (:func:`working_luma`):

  - per 8-px cell (at 512²), the local detail (mean |luma − 5-px box blur|, after a 3 × 3-cell
    morphological opening so a lone edge or ink line does not count) maps through the table
    ``MASK_DETAIL → MASK_GAIN``: 0 for flat colour, full ``strength`` (2.5 grey levels RMS)
    from 0.5 grey levels of detail up; times a luminance factor (0.7 at black, 1 from 60 up);
  - per working pixel, a pixel whose 3 × 3 neighbourhood has no detail at all gets **no mark**:
    the flat fills of a cartoon, a clean digital backdrop, clipped black or white stay
    bit-identical (tested), so there is no pattern to see at any zoom;
  - **energy kept**: what flat colour cannot take goes to the textured part, raised by
    1/√(share of busy pixels), at most ``MAX_BOOST`` (1.25×, ≈ 2 dB: a stronger boost made
    the fills beside a cartoon's edges mottle at 3×), so a cartoon's mark carries the energy of a
    photo's up to its PSNR cap (the cartoon lost half its windows after crop + half + CRF 28
    with 29 % of it flat and 44 dB of PSNR left at 42 dB of target);
  - the frame's added RMS is capped at ``MAX_RMS`` (2.5: PSNR ≥ 40.1 dB) and, when ≥ 10 % of
    the frame is flat colour (flat art), at ``MAX_RMS_FLAT_ART`` (2.0: PSNR ≥ 42.1 dB), checked
    on the quantised gain map with the exact power of the rounded pattern at each gain level.

  The same :class:`Watermarker` marks files and live frames (``FrameMarker``). Per frame size
  it precomputes the pattern in signed steps (int8); per frame it computes the mask on the
  working copy (8-bit OpenCV operations only; the power cap read through one 256-entry look-up,
  starting from the previous frame's scale), expands it to the frame (a k × k block repeat done
  as an integer-width trick), and multiplies it by that table and adds it to the frame in one
  compiled, vectorised pass (:mod:`.kernels`, numba; see BENCHMARKS.md). Where only a region
  of the frames moves (:class:`StillOutsideMarker`), only the region and the pixels whose gain
  changed are marked anew.

Detection (per window of frames, 2 s by default)
------------------------------------------------
1. Average the window's luma (the mark is static; moving content and coding noise average out),
   resample so a tile at the expected size is 128 px (4 px per chip), and whiten it: a
   difference of Gaussians at chip scale times (the mask estimated from the window itself)
   divided by the local variance: the matched filter for a mark of that amplitude in
   non-stationary host "noise" (the portrait itself is suppressed, flat colour counts nothing).
2. **Scale search**: cropping shrinks the frame's short side by up to 20 % and downscaling keeps
   the tile's size relative to the frame, so the tile's observed size is 1/3 – 0.417 of the
   short side (searched: 0.315–0.445). For each of 71 geometric scale steps (0.5 %) the image is
   rescaled to exactly 128 px per tile and **folded** (all tiles averaged into one), which turns
   any crop offset into a cyclic shift.
3. **Shift search**: circular cross-correlation of the fold with the synchronisation tile (FFT)
   over all 128² shifts. The 3 best peaks of every scale are each aligned (sub-pixel), reduced
   to 32 × 32 chip values (inverse of the band-limited interpolation) and despread into 216 soft
   bits; they are ranked by sync z-score plus the z-score of the despread energy (a chance-free
   test that uses the data chips too, so the sync needs only a small share of the energy).
   The ``candidates`` (= 8) best have their scale refined to 0.1 % and are Viterbi-decoded; the
   first that decodes wins.
4. **Second hypothesis, when the whole picture moves** (:func:`host_residual`): if the plain
   mean does not decode, the frames are aligned on the picture (corners tracked by Lucas–Kanade,
   a similarity transform per frame); the aligned mean is a sharp host with the mark smeared
   out, moved back to every frame's position it is the host the plain mean holds, and the mean
   minus it is the mark without the host (cartoon edges, texture a sway does not average away).
   Steps 1–3 run again on that residual, whitened without the division by the local variance
   (a floor of ``RESIDUAL_VAR_FLOOR`` under it): with the host gone, the local variance is mostly
   the mark's own and the coding noise, and dividing by it suppressed the mark where it is
   strongest, along a cartoon's edges (swaying cartoon, crop + half + CRF 28: the mean match z over
   12 windows rose from 6.7 to 7.5, the lowest from 4.1 to 5.9; photos unchanged). A window that
   does not move (our renders' background) skips it.
5. The window **counts as marked only if** the decoded word carries the magic number and a
   matching CRC-16 — or, once the video's payload is known, it *matches* (step 7).
6. **Pooling** (:class:`VideoEvidence`): a crop or rescale is the whole video's, so the mark
   sits at the same place in every window; the windows' folds (low band, each scaled to unit
   RMS) are summed, and the sum is decoded like one window (sub-pixel shift chosen by the data
   chips' despread energy) after windows 2, 3, 4, 6, 8, 12, … until a payload decodes. When the
   whole picture moves, H.264 at CRF 28 after halving leaves too little in one window to decode
   (strength 0.53–0.6), while 3–6 windows pooled decode.
7. **Matching**: with a payload known (from one window or the pool) and its geometry refined on
   the pool (:meth:`WatermarkDetector.locate`), a window that did not decode alone is tested for
   that payload's *whole* pattern (sync and data chips, ~6× the sync's energy) at that geometry
   (± 1 px: :meth:`WatermarkDetector.match`). Its z-score against the window's own correlation
   surface is ≈ N(0, 1) on unmarked windows (measured); ``MATCH_Z`` = 5. A moving window's
   evidence is its residual's (step 4) plus its plain mean's, each weighted by the z of the
   pattern in its pooled sum (fixed per video, so still one correlation per position): a photo's
   mark survives in both (its lowest window z rose from 5.8 to 6.7 after crop + half + CRF 28),
   a cartoon's only in the residual (plain weight ≈ 0.1 of the residual's).

False-positive bound
--------------------
On content we did not mark, the decoder's output is a pseudo-random 64-bit word (the host image
is unrelated to the fixed spreading sequences, and the word is scrambled, so flat or periodic
frames do not decode to structured words). The probability that it carries both the 8-bit magic
and a valid 16-bit CRC is 2⁻²⁴ ≈ 6·10⁻⁸ per decoding attempt. We decode at most 8 candidates
per hypothesis and 2 hypotheses per window, so **P(false window) ≤ 16 · 2⁻²⁴ ≈ 9.5·10⁻⁷**, and
for a video of ``n`` windows P(any false window) ≤ n · 9.5·10⁻⁷ (≈ 2·10⁻³ for an hour). The
sync z-score and the decoding strength are reported but are not part of the decision, so the
bound needs no assumption about the image beyond "not marked by us". (Measured: decoding
strength ≤ 0.6 on unmarked video, ≥ 0.7 on marked video that decodes.) Pooling adds
3 · 8 attempts per pooled decoding, at ~2·log₂(n) points of an n-window video. Matching adds no
false *video*: it only runs once a payload has passed magic + CRC. Within a marked video, a
window that does not carry the mark (an unmarked part spliced in) is claimed with probability
≤ 9 · P(N(0, 1) ≥ 5) ≈ 2.6·10⁻⁶ (9 positions; measured on unmarked windows: SD ≈ 1, none ≥ 5;
tested on a spliced video).

Visibility against robustness (measured, see ``scripts/bench_provenance.py``)
----------------------------------------------------------------------------
Nearly all of the detector's evidence comes from *smooth* areas: a photo's walls, skin and
grainy backdrops, where the host picture adds little noise at chip scale (on the astronaut, the
6 % of cells with the least detail give ~60 % of the matched-filter SNR; busy texture, 70 % of
the area, gives ~2 %). A mask that also removed the mark from smooth-but-grainy areas (tried:
gain ramping up to detail 2–6) lost every window after CRF 23 with the frame swaying. So the
mask removes the mark only where the picture is *exactly* flat (digital flat colour, clipped
black/white), where it was visible (the "maze" mottling on cartoons), and keeps it on a
photo's plain but grainy backdrop, where the grain hides it at 1× (and mostly at 3×; see
``docs/watermark_visibility.png``).

Each of CRF 23/28 re-encoding, half-size downscaling and 10 %/side cropping is survived in
every 2-s window at 512² and up, also with the whole picture swaying, and half size + CRF 28
and crop + half + CRF 28 on our renderer's output with its head motion. A flat-colour
cartoon keeps the mark only along its edges and shading, which move with the picture: the
plain mean cannot separate those edges from the mark; the motion-compensated hypothesis
(detection step 4) can.

With the whole picture moving, half size + CRF 28 (and crop + half + CRF 28) leave too little
in one window to decode: the encoder's motion compensation drags the 2.7-px chips along with
the picture between key frames and CRF 28 quantises away what it would have to correct; the
cartoon fails even *still* (strength 0.53). Measured at the true alignment, the soft bits'
correlation with the codeword is 0.62–0.69 (photo) and 0.45–0.50 (cartoon) after motion
compensation, against ≈ 0.7 needed to decode. Tried and measured no better for a single
window: larger chips, a lower spectral taper, ECC-refined alignment, hosts built from frames a
chip or more away, aligning the window on the picture (the dragged copy blurs with each
sub-pixel prediction). What does work is evidence from more frames at a known geometry
(detection steps 6–7): the known pattern's z-score at the true geometry is 5–12 in most such windows
against ≈ N(0, 1) on unmarked ones, and 3–6 windows pooled decode the payload. Measured over
12-s videos (``scripts/bench_provenance.py``): every window after half + CRF 28 of the swaying
512² photo, 600×400 photo and cartoon (lowest match z 8.5–9.2), and after crop + half + CRF 28
of the swaying photos (z ≥ 6.3), of our renders and of the swaying cartoon (a 204² result whose
mark sits on edges only: z ≥ 5.6; over three payloads × 12 windows of 24-s videos, 36 of 36,
z ≥ 5.2). The cartoon had 3 of 6 before its energy was kept and the plain mean's evidence added
to the match, and 4–5 of 6 (z down to 4.1) before the residual's whitening stopped dividing by
its local variance (detection step 4). A lower-frequency carrier would not help: after half +
CRF 28 of a swaying picture the pooled evidence's signal-to-noise density is about flat over
chip-frequency rings 4–13 (of 16) and 5–10× lower in rings 1–3, where the host's residue is, so
the white chip spectrum already puts the energy where it survives. (Cutting the spectrum's
corners, a circular taper from 0.75 to 1 of chip Nyquist, raised the swaying cartoon's mean
match z after crop + half + CRF 28 by 4 % and after half + CRF 28 by 1 %; from 0.6 to 0.9 it
lost 6–8 %.)

What it is not
--------------
The spreading sequences are public (fixed seed): this is a disclosure mark that honest tools
can read, not DRM. Anyone who knows the scheme can estimate and subtract it; what it survives
is ordinary handling (re-encoding, resizing, cropping). Rotation, flipping, strong
aspect-ratio changes and heavy blur are outside its design. Flat art that was JPEG-compressed
has noise in its fills, so those fills count as (barely) textured and carry the mark.
"""

from __future__ import annotations

import binascii
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..errors import InputError

MAGIC = 0x54
CHIPS = 32  # chips per tile side
TILES_PER_SHORT_SIDE = 3
CANON_TILE = 128  # detector's tile size in pixels (4 px per chip)
SYNC_FRACTION = 0.15
TAPER_START = 0.9  # chip-frequency fraction where the spectral taper begins
PAYLOAD_BITS = 64
_K = 9  # convolutional code constraint length
_GENERATORS = (0o557, 0o663, 0o711)
CODED_BITS = (PAYLOAD_BITS + _K - 1) * len(_GENERATORS)  # 216
DEFAULT_KEY = 0x7A1C_F00D
DEFAULT_STRENGTH = 2.5  # RMS grey levels where the mask is 1 (busy texture)
MAX_RMS = 2.5  # cap on a frame's added RMS: PSNR ≥ 40.1 dB on any frame
MAX_RMS_FLAT_ART = 2.0  # … and on frames with ≥ FLAT_ART_SHARE flat colour: PSNR ≥ 42.1 dB
#: Most the textured part of a frame with flat colour is raised above ``strength`` (energy kept).
MAX_BOOST = 1.25
FLAT_ART_SHARE = 0.1
ANALYSIS_SHORT = 256  # the masking model looks at a copy this many px on its short side
CELL = 4  # mask cell, working-image px (8 px at 512²)
#: The masking table: a cell's mean |detail| (grey levels, see :func:`texture_mask`) → gain.
#: Flat colour (≤ 0.15: flat art, clipped black/white, a clean digital backdrop) gets nothing.
MASK_DETAIL = (0.15, 0.5)
MASK_GAIN = (0.0, 1.0)
#: A cell's mean luma → gain factor (less in the dark).
MASK_LUMA = (0.0, 60.0)
MASK_LUMA_GAIN = (0.7, 1.0)
#: Fixed point of the embedder: the pattern in signed steps of PAT_STEP (±14: the unit-RMS pattern
#: clipped at ±3.5) times the gain map in steps of GAIN_STEP grey levels (0–34: up to 4.25), divided
#: by PRODUCT_DIV with rounding: at most ±15 grey levels, so the delta is int8. (Eighth-grey gain
#: steps let a capped frame come within 0.04 dB of its cap; quarter steps left up to 0.9 dB unused.)
PAT_STEP = 0.25
PAT_MAX = 14
GAIN_STEP = 0.125
GAIN_MAX = 34
PRODUCT_DIV = round(1.0 / (PAT_STEP * GAIN_STEP))  # 32
_SHIFT = PRODUCT_DIV.bit_length() - 1  # the division is a shift (rounded halves away from zero)
GAIN_SUBSTEPS = 7  # the mask's working map resolves a GAIN_STEP in 7 (GAIN_MAX × 7 ≤ 255)
#: Observed tile size / short side searched by the detector: 1/3 untouched, 0.417 after a 10 %/side crop.
RATIO_RANGE = (0.315, 0.445)
RATIO_STEP = 1.005
PEAKS = 3  # sync peaks per coarse scale ranked by the data-energy test
#: Motion-compensated host removal (second hypothesis): frames are aligned with a similarity
#: transform found by tracking corners; below MC_MIN_MOTION px of motion the window is static.
MC_MIN_MOTION = 0.75
MC_CORNERS = 200  # 400 gave the same decoding strengths (±0.001) at twice the tracking time
MC_MASK_STEP = 5
HYPOTHESES = 2
#: The whitening's floor under the local band variance (grey levels², see :func:`_whiten`): on a
#: plain mean the variance is the host's, and dividing by it suppresses busy texture; on the
#: motion-compensated residual the host is gone and the local variance is mostly the mark's own
#: plus coding noise (≤ 2 at the 99th percentile), so dividing by it would suppress the mark
#: where it is strongest (a cartoon's edges): there the floor keeps the weighting nearly plain.
VAR_FLOOR = 0.2
RESIDUAL_VAR_FLOOR = 4.0
#: Probability that one decoding attempt on unmarked content passes the magic + CRC check.
P_FALSE_DECODE = 2.0**-24
#: Pooled decoding (evidence of several windows summed, see :class:`VideoEvidence`): decoding
#: attempts per try (best candidates × 3 scales) and the sub-pixel grid searched around each.
POOL_CANDIDATES = 8
POOL_SUBPIXEL = np.arange(-1.0, 1.01, 0.25)
#: A window that did not decode alone counts as marked when, at the video's geometry (± MATCH_REACH
#: canonical px: H.264 and the window's own motion move the peak by up to a pixel), the known
#: pattern of the video's payload correlates with it at z ≥ MATCH_Z. On unmarked windows the z
#: of one position is ≈ N(0, 1) (measured: see BENCHMARKS.md), so the 9 positions give
#: P(false match) ≤ 9 · P(N(0, 1) ≥ 5) ≈ 2.6·10⁻⁶ per window.
MATCH_Z = 5.0
MATCH_REACH = 1
P_FALSE_MATCH = 9 * 2.9e-7
#: Windows whose evidence is kept for a later match while the video's payload is still unknown
#: (~0.3 MB each): the memory of a scan does not grow with the video's length.
POOL_KEEP = 64


@dataclass(frozen=True)
class Payload:
    """What the mark says: which tool, which version, which generation."""

    generation_id: int  # 32 bits
    version: int = 0x01  # major * 16 + minor, 8 bits
    magic: int = MAGIC

    def __post_init__(self) -> None:
        if not 0 <= self.generation_id < 2**32:
            raise InputError(f"watermark generation id must fit in 32 bits, got {self.generation_id}")
        if not 0 <= self.version < 256:
            raise InputError(f"watermark version code must fit in 8 bits, got {self.version}")

    @property
    def tool(self) -> str:
        return "talkingface" if self.magic == MAGIC else f"unknown tool 0x{self.magic:02x}"

    @property
    def version_text(self) -> str:
        return f"{self.version >> 4}.{self.version & 15}"

    def to_dict(self) -> dict[str, object]:
        return {"tool": self.tool, "version": self.version_text, "generation_id": f"{self.generation_id:08x}"}


def version_code(version: str) -> int:
    """``"0.1.0"`` → 0x01: major and minor in one byte (each clipped to 0–15)."""
    parts = [int(p) if p.isdigit() else 0 for p in (version.split(".") + ["0", "0"])[:2]]
    return (min(parts[0], 15) << 4) | min(parts[1], 15)


# --------------------------------------------------------------------------------------------
# Payload ↔ bits ↔ coded bits (pure functions)


def _scramble_word(key: int) -> int:
    return int(np.random.default_rng([key, 1]).integers(0, 2**63, dtype=np.int64)) * 2 + 1


def payload_to_bits(payload: Payload, key: int = DEFAULT_KEY) -> np.ndarray:
    body = bytes([payload.magic, payload.version]) + payload.generation_id.to_bytes(4, "big")
    crc = binascii.crc_hqx(body, 0xFFFF)
    word = int.from_bytes(body + crc.to_bytes(2, "big"), "big") ^ (_scramble_word(key) & (2**64 - 1))
    return np.array([(word >> (63 - i)) & 1 for i in range(64)], dtype=np.uint8)


def bits_to_payload(bits: np.ndarray, key: int = DEFAULT_KEY) -> Payload | None:
    """The payload, or ``None`` when the magic number or the CRC does not match."""
    word = 0
    for b in bits[:64]:
        word = (word << 1) | int(b)
    raw = (word ^ (_scramble_word(key) & (2**64 - 1))).to_bytes(8, "big")
    if raw[0] != MAGIC or binascii.crc_hqx(raw[:6], 0xFFFF) != int.from_bytes(raw[6:], "big"):
        return None
    return Payload(generation_id=int.from_bytes(raw[2:6], "big"), version=raw[1], magic=raw[0])


def _trellis() -> tuple[np.ndarray, np.ndarray]:
    """outputs[state, bit] → coded symbols (±1), next_state[state, bit]."""
    n_states = 1 << (_K - 1)
    outputs = np.zeros((n_states, 2, len(_GENERATORS)), dtype=np.float32)
    next_state = np.zeros((n_states, 2), dtype=np.int64)
    for s in range(n_states):
        for b in range(2):
            reg = (b << (_K - 1)) | s
            for j, g in enumerate(_GENERATORS):
                outputs[s, b, j] = 1.0 - 2.0 * (bin(reg & g).count("1") & 1)
            next_state[s, b] = reg >> 1
    return outputs, next_state


_TRELLIS = _trellis()


def conv_encode(bits: np.ndarray) -> np.ndarray:
    """Rate-1/3 K=9 convolutional code with a zero tail → 0/1 array of coded bits."""
    outputs, next_state = _TRELLIS
    state, out = 0, []
    for b in list(bits.astype(int)) + [0] * (_K - 1):
        out.extend((1 - outputs[state, b]) / 2)
        state = next_state[state, b]
    return np.array(out, dtype=np.uint8)


def viterbi_decode(soft: np.ndarray) -> np.ndarray:
    """Soft-decision Viterbi. ``soft``: one value per coded bit, positive means 0."""
    outputs, _ = _TRELLIS
    n_states, n_out = outputs.shape[0], outputs.shape[2]
    steps = len(soft) // n_out
    y = soft[: steps * n_out].reshape(steps, n_out).astype(np.float64)
    metric = np.full(n_states, -np.inf)
    metric[0] = 0.0
    ns = np.arange(n_states)
    bit_in = ns >> (_K - 2)  # input bit that leads into each next state
    preds = np.stack([((ns << 1) & (n_states - 1)) | lsb for lsb in (0, 1)], axis=1)  # (ns, 2)
    decisions = np.zeros((steps, n_states), dtype=np.uint8)
    for t in range(steps):
        branch = outputs[preds, bit_in[:, None]] @ y[t]  # (ns, 2)
        cand = metric[preds] + branch
        choice = np.argmax(cand, axis=1)
        decisions[t] = choice
        metric = cand[ns, choice]
    state, bits = 0, np.zeros(steps, dtype=np.uint8)
    for t in range(steps - 1, -1, -1):
        bits[t] = state >> (_K - 2)
        state = preds[state, decisions[t, state]]
    return bits[: steps - (_K - 1)]


# --------------------------------------------------------------------------------------------
# Chip layout and tiles


@dataclass(frozen=True)
class _Layout:
    sync_mask: np.ndarray  # (CHIPS, CHIPS) bool
    sync: np.ndarray  # (CHIPS, CHIPS) ±1 on sync chips, 0 elsewhere
    bit_of_chip: np.ndarray  # (CHIPS, CHIPS) int, coded-bit index, -1 on sync chips
    sign: np.ndarray  # (CHIPS, CHIPS) ±1 spreading signs


def _layout(key: int) -> _Layout:
    rng = np.random.default_rng([key, 2])
    n = CHIPS * CHIPS
    order = rng.permutation(n)
    n_sync = int(round(n * SYNC_FRACTION))
    sync_mask = np.zeros(n, bool)
    sync_mask[order[:n_sync]] = True
    sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=n)
    bit_of_chip = np.full(n, -1, dtype=np.int64)
    bit_of_chip[order[n_sync:]] = np.arange(n - n_sync) % CODED_BITS
    sync = np.where(sync_mask, sign, 0.0).astype(np.float32)
    shape = (CHIPS, CHIPS)
    return _Layout(
        sync_mask.reshape(shape), sync.reshape(shape), bit_of_chip.reshape(shape), sign.reshape(shape)
    )


def _chip_taper(size: int) -> np.ndarray:
    """Spectral weights (size, size//2+1) for a band-limited tile: cosine taper near chip Nyquist."""
    fy = np.abs(np.fft.fftfreq(size, d=1.0 / size))[:, None] / (CHIPS / 2)
    fx = np.fft.rfftfreq(size, d=1.0 / size)[None, :] / (CHIPS / 2)
    r = np.maximum(fy, fx)
    t0 = TAPER_START
    taper = np.where(r <= t0, 1.0, np.where(r < 1.0, 0.5 + 0.5 * np.cos(np.pi * (r - t0) / (1.0 - t0)), 0.0))
    taper[0, 0] = 0.0  # no DC: the mark does not change brightness
    return taper


def _upsample_chips(chips: np.ndarray, size: int) -> np.ndarray:
    """Band-limited periodic interpolation of a CHIPS×CHIPS array to size×size (Fourier zero-pad)."""
    spec = np.fft.fft2(chips.astype(np.float64))
    big = np.zeros((size, size), dtype=np.complex128)
    h = CHIPS // 2
    big[:h, :h], big[:h, -h:], big[-h:, :h], big[-h:, -h:] = (
        spec[:h, :h],
        spec[:h, -h:],
        spec[-h:, :h],
        spec[-h:, -h:],
    )
    tile = np.fft.ifft2(big).real * (size * size) / (CHIPS * CHIPS)
    return np.fft.irfft2(np.fft.rfft2(tile) * _chip_taper(size), s=(size, size))


def chip_array(payload: Payload, key: int = DEFAULT_KEY) -> np.ndarray:
    """The ±1 chip values of one tile for ``payload``."""
    lay = _layout(key)
    coded = 1.0 - 2.0 * conv_encode(payload_to_bits(payload, key)).astype(np.float32)
    data = np.where(lay.bit_of_chip >= 0, coded[np.maximum(lay.bit_of_chip, 0)] * lay.sign, 0.0)
    return (lay.sync + data).astype(np.float32)


def tile_size(width: int, height: int) -> int:
    return max(CHIPS * 2, int(round(min(width, height) / TILES_PER_SHORT_SIDE)))


def pattern(width: int, height: int, payload: Payload, key: int = DEFAULT_KEY) -> np.ndarray:
    """Float32 (height, width) unit-RMS luma pattern (tiled, clipped at ±3.5 RMS)."""
    p = tile_size(width, height)
    tile = _upsample_chips(chip_array(payload, key), p)
    tile /= max(float(np.sqrt(np.mean(tile**2))), 1e-9)
    tile = np.clip(tile, -3.5, 3.5)
    reps = (-(-height // p), -(-width // p))
    return np.tile(tile, reps)[:height, :width].astype(np.float32)


def _factor(width: int, height: int) -> int:
    """The working copy's integer reduction: short side nearest ANALYSIS_SHORT px."""
    return max(1, round(min(width, height) / ANALYSIS_SHORT))


def working_copy(image: np.ndarray) -> np.ndarray:
    """Luma ``image`` area-averaged by an integer factor k (short side nearest ANALYSIS_SHORT px).

    Exact k × k blocks (the last < k rows/columns are left out) keep OpenCV on its fast path
    (a non-integer INTER_AREA on a 1080p frame costs 20+ ms) and map a working pixel to exactly
    k × k frame pixels, so flat pixels found here are flat pixels in the frame.
    """
    h, w = image.shape[:2]
    return _reduced(image, _factor(w, h))


def _reduced(image: np.ndarray, k: int) -> np.ndarray:
    """``image`` area-averaged over k × k blocks (the last < k rows/columns left out)."""
    if k == 1:
        return image
    h, w = image.shape[:2]
    return cv2.resize(image[: h // k * k, : w // k * k], (w // k, h // k), interpolation=cv2.INTER_AREA)


def working_luma(frame: np.ndarray) -> np.ndarray:
    """The embedder's working copy of an RGB frame: its green channel (≈ luma: 0.59 of it, and
    flat colour is flat in every channel) at every k-th pixel (k as in :func:`working_copy`).

    Sampling instead of averaging costs one strided copy (0.02 ms at 512², against 0.11 ms for
    a luma conversion and an area reduction). Both ways only *exact* flatness turns the mark
    off; a sample can miss a one-pixel detail between its neighbours, which then gets no mark
    (the safe side for visibility).
    """
    h, w = frame.shape[:2]
    k = _factor(w, h)
    return np.ascontiguousarray(frame[: h // k * k : k, : w // k * k : k, 1])


def texture_mask(luma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The perceptual mask of one frame: (gain per CELL × CELL cell, float32; busy pixels).

    ``luma``: the working copy's luma (uint8, :func:`working_copy`). Two cheap stand-ins for the
    textbook JND model:

    * **texture** (per cell): the mean absolute deviation from a 5-px box blur, after a 3 × 3-cell
      morphological opening (a lone edge or ink outline between flat fills is not texture),
      mapped by the ``MASK_DETAIL`` → ``MASK_GAIN`` table; times a **luminance** factor
      (``MASK_LUMA`` → ``MASK_LUMA_GAIN``: less in the dark);
    * **flat colour** (per working pixel, uint8 0/255): a pixel whose 3 × 3 neighbourhood has no
      detail at all (a flat fill, a clean digital backdrop, clipped black or white) gets no mark,
      even inside a busy cell, so the flat fills between the ink lines of a cartoon stay
      bit-identical. (Only *exact* flatness: a photo's smooth but grainy areas are where the
      detector finds most of the mark, see the module notes.)
    """
    detail8 = cv2.absdiff(luma, cv2.blur(luma, (5, 5)))
    # Cell means in 1/16 grey levels, in uint8: detail above 16 saturates, where the table's
    # gain is 1 already, so nothing is lost and the whole mask stays in fast 8-bit operations.
    detail16 = cv2.convertScaleAbs(detail8, alpha=16.0)
    act = cv2.morphologyEx(_cell_means(detail16), cv2.MORPH_OPEN, _KERNEL3, borderType=cv2.BORDER_REPLICATE)
    lum = _cell_means(luma)
    gain = cv2.multiply(cv2.LUT(act, _DETAIL_LUT), cv2.LUT(lum, _LUMA_LUT))
    _, busy = cv2.threshold(cv2.dilate(detail8, _KERNEL3), 0, 255, cv2.THRESH_BINARY)
    return gain, busy


def _cell_means(img: np.ndarray) -> np.ndarray:
    """Mean of each CELL × CELL cell (uint8; the last < CELL rows/columns left out), as repeated
    exact halvings: OpenCV's 2× area path is ~3× faster than its 4× one."""
    h, w = img.shape
    cells = (max(1, w // CELL), max(1, h // CELL))
    out = img[: cells[1] * CELL, : cells[0] * CELL]
    while out.shape[1] > cells[0] and out.shape[0] > cells[1] and CELL & (CELL - 1) == 0:
        out = cv2.resize(out, (out.shape[1] // 2, out.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if out.shape[::-1] != cells:
        out = cv2.resize(out, cells, interpolation=cv2.INTER_AREA)
    return out


#: The masking tables as 256-entry look-ups: cell detail (1/16 grey levels) and cell luma → gain.
_DETAIL_LUT = np.interp(np.arange(256) / 16.0, MASK_DETAIL, MASK_GAIN).astype(np.float32).reshape(1, 256)
_LUMA_LUT = np.interp(np.arange(256), MASK_LUMA, MASK_LUMA_GAIN).astype(np.float32).reshape(1, 256)
_KERNEL3 = np.ones((3, 3), np.uint8)
_LEVELS = np.arange(256, dtype=np.float32)


class Watermarker:
    """Adds the mark to RGB ``uint8`` frames of one size, masked by each frame's own texture.

    The unit pattern is computed once; per frame the mask is computed on a 256-px working copy,
    scaled so the frame's added RMS never exceeds ``max_rms`` (PSNR ≥ 20·log10(255/max_rms)),
    and applied with saturating ``uint8`` arithmetic.

    >>> wm = Watermarker(512, 512, Payload(generation_id=0x1234ABCD))
    >>> marked = wm.apply(frame)          # new array; ``apply(frame, inplace=True)`` reuses it
    """

    def __init__(
        self,
        width: int,
        height: int,
        payload: Payload,
        strength: float = DEFAULT_STRENGTH,
        key: int = DEFAULT_KEY,
        max_rms: float = MAX_RMS,
    ) -> None:
        if width < 2 * CHIPS or height < 2 * CHIPS:
            raise InputError(f"frames of {width}x{height} are too small to watermark (need ≥ {2 * CHIPS} px)")
        if not 0.0 < strength <= 8.0:
            raise InputError(f"watermark strength must be in (0, 8] grey levels, got {strength}")
        self.width, self.height, self.payload = width, height, payload
        self.strength, self.max_rms = strength, max_rms
        unit = pattern(width, height, payload, key)
        # Per-size table, once: the pattern in signed steps of PAT_STEP (int8), so that a frame
        # costs one int8 multiply by the gain map, scaled by 1/PRODUCT_DIV and rounded.
        mag = np.clip(np.rint(np.abs(unit) / PAT_STEP), 0, PAT_MAX)
        self._table = np.where(unit > 0, mag, -mag).astype(np.int8)
        # mean square the frame gains where the gain map is g: exact, rounding included
        share = np.bincount(mag.astype(np.int64).ravel(), minlength=PAT_MAX + 1) / mag.size
        levels = np.arange(PAT_MAX + 1)
        lut = np.zeros(256, np.float32)
        rounded = [(levels * g + PRODUCT_DIV // 2) // PRODUCT_DIV for g in range(GAIN_MAX + 1)]
        lut[: GAIN_MAX + 1] = [share @ (r**2) for r in rounded]
        self._power_lut = lut.reshape(1, 256)
        self._scratch = threading.local()
        from . import kernels  # numba: loaded with the first marker, not by ``import talkingface``

        kernels.warm()  # compiled (or loaded from the disk cache) here rather than in the first frame
        self._kernel = kernels.mark_box

    def gain(self, frame: np.ndarray) -> np.ndarray:
        """The mark's amplitude per working pixel, in GAIN_STEPs (uint8), capped.

        The cap is checked on this very map (quantised, zero on flat pixels) with the exact mean
        square the quantised, rounded pattern adds at each gain level, so a frame's PSNR is at
        least 20·log10(255 / cap) whatever the picture.
        """
        return self.gain_of_luma(working_luma(frame))

    def gain_of_luma(self, luma: np.ndarray) -> np.ndarray:
        """:meth:`gain` from the frame's :func:`working_luma`."""
        cells, busy = texture_mask(luma)
        # In 1/GAIN_SUBSTEPS of a GAIN_STEP as uint8 from here on: the per-pixel map is only
        # 8-bit OpenCV operations (a float map at the working size cost 3× more).
        steps = np.minimum(cells * np.float32(self.strength / GAIN_STEP), np.float32(GAIN_MAX))
        work = mark_map(cv2.convertScaleAbs(steps, alpha=GAIN_SUBSTEPS), busy)
        busy_share = cv2.countNonZero(busy) / busy.size
        flat_art = busy_share <= 1.0 - FLAT_ART_SHARE
        cap2 = min(self.max_rms, MAX_RMS_FLAT_ART) ** 2 if flat_art else self.max_rms**2
        # The energy flat colour cannot take goes to the textured part: up to 1/√(busy share) of
        # the nominal strength there (at most MAX_BOOST), so a frame's mark keeps the energy of a
        # frame textured all over, within the cap. Start from the scale the previous frame of this
        # size ended with (frames of a video are alike, so one look-up usually confirms it); grow
        # once if it leaves > 5 % of the cap unused.
        full = min(MAX_BOOST, 1.0 / np.sqrt(max(busy_share, 1e-3))) / GAIN_SUBSTEPS
        scale = min(full, getattr(self._scratch, "scale", full))
        fits, grown = np.zeros(256, np.uint8), False
        for _ in range(5):  # rounding makes the power a step function of the scale
            steps = np.minimum(np.rint(_LEVELS * scale), GAIN_MAX).astype(np.uint8)  # work → GAIN_STEPs
            power = cv2.mean(cv2.LUT(work, self._power_lut[:, steps]))[0]  # the frame's added mean square
            if power <= cap2:
                fits = steps
                if grown or scale >= full or power >= 0.95 * cap2:
                    break
                scale, grown = min(full, scale * 0.995 * float(np.sqrt(cap2 / max(power, 1e-9)))), True
            else:
                scale *= 0.995 * float(np.sqrt(cap2 / power))
        self._scratch.scale = scale
        return cv2.LUT(work, fits)

    def apply(self, frame: np.ndarray, inplace: bool = False) -> np.ndarray:
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise InputError(
                f"watermark expects {self.width}x{self.height} RGB uint8 frames, "
                f"got shape {frame.shape} {frame.dtype}"
            )
        full = to_frame(self.gain(frame), self.width, self.height)
        src = np.ascontiguousarray(frame)
        return self.add_mark(src, full, out=src if inplace and src is frame else None)

    def add_mark(
        self, frame: np.ndarray, full: np.ndarray, out: np.ndarray | None = None, box=None
    ) -> np.ndarray:
        """``frame`` plus the pattern scaled by the frame-size gain map ``full``, written to ``out``
        (may be ``frame``; default a new array); within ``box`` (``(rows, cols)`` slices) only,
        when given, the rest of ``out`` left as it is. One compiled pass (:mod:`.kernels`)."""
        frame = np.ascontiguousarray(frame)
        if out is None:
            out = np.empty_like(frame) if box is None else frame.copy()
        rows, cols = box if box is not None else (slice(0, self.height), slice(0, self.width))
        y0, y1, _ = rows.indices(self.height)
        x0, x1, _ = cols.indices(self.width)
        flat = (self.height, 3 * self.width)
        self._kernel(frame.reshape(flat), self._table, full, y0, y1, x0, x1, _SHIFT, out.reshape(flat))
        return out


class StillOutsideMarker:
    """:meth:`Watermarker.apply` for frames that differ from one another only inside ``box``
    (x0, y0, x1, y1): a renderer's region of interest, outside which every frame is the photo's
    own pixels. The same pixels, at a cost that follows the box, not the frame: the working luma
    is updated over the box only, the mask (at the working size, cheap) is computed whole, and
    only where the frame or its gain changed is it marked anew. In full mode a 1080p photo's
    head moves in a few percent of it.

    Returns one buffer, overwritten by the next call (copy it to keep it)."""

    def __init__(self, marker: Watermarker, box: tuple[int, int, int, int]) -> None:
        self._wm = marker
        self._k = _factor(marker.width, marker.height)
        x0, y0, x1, y1 = box
        k = self._k
        self._work_box = (x0 // k, y0 // k, -(-x1 // k), -(-y1 // k))  # working pixels the box touches
        self._box = box
        self._luma: np.ndarray | None = None
        self._gain: np.ndarray | None = None
        self._out: np.ndarray | None = None

    def apply(self, frame: np.ndarray) -> np.ndarray:
        wm, k = self._wm, self._k
        if self._luma is None:  # the first frame: everything
            self._luma = working_luma(frame)  # its own array (a contiguous copy of a strided view)
            self._gain = wm.gain_of_luma(self._luma)
            self._out = wm.add_mark(frame, to_frame(self._gain, wm.width, wm.height))
            return self._out
        luma = self._luma
        wx0, wy0, wx1, wy1 = self._work_box
        wx1, wy1 = min(wx1, luma.shape[1]), min(wy1, luma.shape[0])
        if wx1 > wx0 and wy1 > wy0:
            luma[wy0:wy1, wx0:wx1] = frame[wy0 * k : wy1 * k : k, wx0 * k : wx1 * k : k, 1]  # as working_luma
        gain = wm.gain_of_luma(luma)
        changed = cv2.boundingRect((gain != self._gain).view(np.uint8))
        self._gain = gain
        x0, y0, x1, y1 = self._box
        if changed[2]:  # working pixels → frame pixels (the last row and column reach the frame's edge)
            cx, cy, cw, ch = changed
            x0, y0 = min(x0, cx * k), min(y0, cy * k)
            x1 = max(x1, wm.width if cx + cw == gain.shape[1] else (cx + cw) * k)
            y1 = max(y1, wm.height if cy + ch == gain.shape[0] else (cy + ch) * k)
        full = to_frame(gain, wm.width, wm.height)
        wm.add_mark(frame, full, out=self._out, box=(slice(y0, y1), slice(x0, x1)))
        return self._out


def mark_map(cell_map: np.ndarray, busy: np.ndarray) -> np.ndarray:
    """A per-cell map at the working size, 0 on flat cells (no spill) and on flat pixels."""
    size = (busy.shape[1], busy.shape[0])
    work = cv2.resize(cell_map, size, interpolation=cv2.INTER_LINEAR)
    cv2.min(work, _blocks(cell_map, CELL, *size), dst=work)
    return cv2.min(work, busy) if work.dtype == busy.dtype else work * (busy > 0)


def to_frame(work: np.ndarray, width: int, height: int) -> np.ndarray:
    """Working-size uint8 map → frame size: each working pixel to its k × k block, edges replicated."""
    return _blocks(work, _factor(width, height), width, height)


def _blocks(img: np.ndarray, k: int, width: int, height: int) -> np.ndarray:
    """Each pixel of ``img`` to a k × k block, cropped or edge-replicated to width × height.

    For k = 2 or 4 on uint8 the horizontal repeat is a multiply by 0x0101… into a k-byte integer
    (the same byte k times) and the vertical one a row repeat: ~5× faster than a nearest-neighbour
    resize.
    """
    wide = {2: np.uint16, 4: np.uint32}.get(k)
    if wide is not None and img.dtype == np.uint8:
        ones = int.from_bytes(b"\x01" * k, "little")
        full = np.repeat(img.astype(wide) * wide(ones), k, axis=0).view(np.uint8)
    else:
        full = cv2.resize(img, (img.shape[1] * k, img.shape[0] * k), interpolation=cv2.INTER_NEAREST)
    full = full[:height, :width]
    pad_y, pad_x = height - full.shape[0], width - full.shape[1]
    if pad_y or pad_x:
        full = cv2.copyMakeBorder(full, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
    return full


def embed(frame: np.ndarray, payload: Payload, strength: float = DEFAULT_STRENGTH) -> np.ndarray:
    """Mark one frame (recomputes the pattern: use :class:`Watermarker` for a video)."""
    return Watermarker(frame.shape[1], frame.shape[0], payload, strength).apply(frame)


# --------------------------------------------------------------------------------------------
# Detection


@dataclass(frozen=True)
class WindowResult:
    """The detector's verdict on one window of frames."""

    found: bool
    payload: Payload | None
    sync_z: float  # peak-to-surface z-score of the synchronisation correlation
    strength: float  # correlation of the soft bits with the decoded codeword, 0..1
    scale: float  # observed tile size / frame short side at the best hypothesis
    shift: tuple[float, float]  # tile offset (y, x) in canonical pixels
    frames: int
    #: How the window was found: "decoded" (its own payload decoded), "matched" (the video's
    #: payload correlates at the video's geometry, :meth:`WatermarkDetector.match`), or "".
    how: str = ""
    match_z: float = 0.0  # the known-pattern z of a match
    #: The window's folds at every coarse scale (low band, normalised; :class:`VideoEvidence`).
    evidence: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: When ``evidence`` is the motion-compensated residual's: the plain mean's folds, which the
    #: match adds in by the weight the pooled windows give them (:meth:`VideoEvidence.weights`).
    plain_evidence: np.ndarray | None = field(default=None, repr=False, compare=False)


class WatermarkDetector:
    """Reads the mark from windows of luma frames (any size, any crop/scale within the design)."""

    def __init__(self, key: int = DEFAULT_KEY, candidates: int = 8) -> None:
        self.key = key
        self.candidates = candidates
        self._layout = _layout(key)
        sync_tile = _upsample_chips(self._layout.sync, CANON_TILE)
        self._sync_hat = np.conj(np.fft.rfft2(sync_tile / np.sqrt(np.mean(sync_tile**2))))
        n = int(np.ceil(np.log(RATIO_RANGE[1] / RATIO_RANGE[0]) / np.log(RATIO_STEP))) + 1
        self.ratios = np.exp(np.linspace(np.log(RATIO_RANGE[0]), np.log(RATIO_RANGE[1]), n))
        self._pattern_hats: dict[Payload, np.ndarray] = {}

    @property
    def false_positive_bound(self) -> float:
        """Upper bound on P(an unmarked window is reported as marked): two hypotheses (plain
        mean, motion-compensated residual), ``candidates`` decodings each."""
        return HYPOTHESES * self.candidates * P_FALSE_DECODE

    def detect(self, frames: Iterable[np.ndarray]) -> WindowResult:
        """``frames``: 2-D uint8 luma (or RGB, converted) arrays of one size (one window)."""
        grays = [f if f.ndim == 2 else cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        if not grays:
            raise InputError("no frames to look for a watermark in")
        total = np.zeros(grays[0].shape, np.float32)
        for gray in grays:
            cv2.accumulate(gray, total)
        return self.detect_window(total / len(grays), grays)

    def detect_window(self, mean: np.ndarray, frames: Sequence[np.ndarray] = ()) -> WindowResult:
        """Both hypotheses on one window: the plain mean, then (when the whole picture moves) the
        mean minus the motion-compensated host (:func:`host_residual`). ``frames``: the window's
        uint8 luma frames at ``mean``'s size (none: the plain mean only)."""
        plain = self.detect_mean(mean, max(1, len(frames)))
        if plain.found or len(frames) < 3:
            return plain
        found = host_residual(frames, mean)
        if found is None:
            return plain
        residual, weight = found
        moving = self.detect_mean(residual, len(frames), weight=weight, floor=RESIDUAL_VAR_FLOOR)
        # not found: the residual's evidence is the one to pool (the host is out of it); the plain
        # mean's is kept for the match (a photo's mark survives in it too, a cartoon's does not)
        if moving.found:
            return moving
        return replace(plain, evidence=moving.evidence, plain_evidence=plain.evidence)

    def detect_mean(
        self, mean: np.ndarray, frames: int = 1, weight: np.ndarray | None = None, floor: float = VAR_FLOOR
    ) -> WindowResult:
        """One hypothesis: ``mean`` holds the mark (plus host). ``weight``: the mask at ``mean``'s
        size (default: estimated from ``mean`` itself); ``floor``: the whitening's variance floor
        (:func:`_whiten`)."""
        h, w = mean.shape
        short = min(h, w)
        if short < 2 * CHIPS:
            return WindowResult(False, None, 0.0, 0.0, 0.0, (0.0, 0.0), frames)
        mid = float(np.sqrt(self.ratios[0] * self.ratios[-1]))
        f0 = CANON_TILE / (mid * short)
        base_size = (max(8, int(round(w * f0))), max(8, int(round(h * f0))))
        interp = cv2.INTER_AREA if f0 < 1 else cv2.INTER_LINEAR
        base = cv2.resize(mean.astype(np.float32), base_size, interpolation=interp)
        fx, fy = base_size[0] / w, base_size[1] / h
        if weight is None:
            weight = self._weight(mean)
        white = _whiten(base, cv2.resize(weight, base_size, interpolation=cv2.INTER_LINEAR), floor)

        surfaces: dict[float, tuple[np.ndarray, np.ndarray, float, float]] = {}

        def surface(ratio: float) -> tuple[np.ndarray, np.ndarray, float, float]:
            """Fold at ``ratio`` and its sync correlation (candidates of one scale share theirs)."""
            if ratio not in surfaces:
                g = (CANON_TILE / (ratio * short)) / np.array([fx, fy])  # base → canonical, per axis
                fold_hat = np.fft.rfft2(_fold(white, g))
                corr = np.fft.irfft2(fold_hat * self._sync_hat, s=(CANON_TILE, CANON_TILE))
                surfaces[ratio] = (fold_hat, corr, float(corr.mean()), float(corr.std() + 1e-12))
            return surfaces[ratio]

        def score(
            ratio: float, fold_hat, corr, mean, std, idx: int
        ) -> tuple[float, float, tuple, np.ndarray]:  # noqa: E501
            """Sync z-score plus the despread energy of the data chips (uses all of the mark)."""
            z = (corr.flat[idx] - mean) / std
            shift = _subpixel_peak(corr, idx)
            soft, z_energy = self._soft_bits(fold_hat, shift)
            return z + z_energy, z, shift, soft

        # Stage 1: every coarse scale, its PEAKS best sync shifts, ranked by sync + data energy.
        cands = []
        lows = np.empty((len(self.ratios), *_LOW_SHAPE), np.complex64)
        for i, ratio in enumerate(self.ratios):
            fold_hat, corr, mean, std = surface(ratio)
            lows[i] = _normalised_low(fold_hat)
            for idx in _top_peaks(corr, PEAKS):
                total, z, shift, soft = score(ratio, fold_hat, corr, mean, std, idx)
                cands.append((total, float(ratio), z, shift, soft))
        cands.sort(key=lambda c: -c[0])
        # Stage 2: refine the scale of the best candidates to 0.1 % and decode.
        best = None
        for _, ratio, _, shift, _ in cands[: self.candidates]:
            fine = []
            for r in ratio * RATIO_STEP ** np.linspace(-0.6, 0.6, 7):
                fold_hat, corr, mean, std = surface(r)
                y, x = int(round(shift[0])) % CANON_TILE, int(round(shift[1])) % CANON_TILE
                win = np.roll(np.roll(corr, 2 - y, axis=0), 2 - x, axis=1)[:5, :5]  # ±2 px around
                dy, dx = np.unravel_index(int(np.argmax(win)), win.shape)
                idx = ((y + dy - 2) % CANON_TILE) * CANON_TILE + (x + dx - 2) % CANON_TILE
                fine.append((*score(r, fold_hat, corr, mean, std, idx), float(r)))
            total, z, fshift, soft, fratio = max(fine, key=lambda c: c[0])
            payload, strength = self._decode(soft)
            how = "decoded" if payload is not None else ""
            result = WindowResult(
                payload is not None, payload, float(z), strength, fratio, fshift, frames, how, evidence=lows
            )
            if payload is not None:
                return result
            best = best or result
        assert best is not None
        return best

    def pooled_decode(self, total: np.ndarray) -> tuple[Payload, int, tuple[float, float], float] | None:
        """Decode the summed evidence of several windows (:class:`VideoEvidence`): the mark sits
        at the same place in every frame of a video (crop and scale are the video's), so the
        windows' folds add up coherently while the host and coding noise do not.

        Returns (payload, coarse scale index, shift, strength) or ``None``. Each call makes at
        most ``3 · POOL_CANDIDATES`` decoding attempts (the candidates' scale ± one step, each at
        the sub-pixel shift whose despread energy is highest).
        """
        cands = []
        for i, low in enumerate(total):
            fold_hat = _padded(low)
            corr = np.fft.irfft2(fold_hat * self._sync_hat, s=(CANON_TILE, CANON_TILE))
            mean, std = float(corr.mean()), float(corr.std() + 1e-12)
            for idx in _top_peaks(corr, PEAKS):
                shift = _subpixel_peak(corr, idx)
                _, z_energy = self._soft_bits(fold_hat, shift)
                cands.append(((corr.flat[idx] - mean) / std + z_energy, i, shift))
        cands.sort(key=lambda c: -c[0])
        for _, i, shift in cands[:POOL_CANDIDATES]:
            for j in range(max(0, i - 1), min(len(total), i + 2)):
                fold_hat = _padded(total[j])
                best: tuple[float, tuple[float, float], np.ndarray] | None = None
                for dy in POOL_SUBPIXEL:
                    for dx in POOL_SUBPIXEL:
                        soft, z_energy = self._soft_bits(fold_hat, (shift[0] + dy, shift[1] + dx))
                        if best is None or z_energy > best[0]:
                            best = (z_energy, (shift[0] + dy, shift[1] + dx), soft)
                assert best is not None
                _, at, soft = best
                payload, strength = self._decode(soft)
                if payload is not None:
                    return payload, j, at, strength
        return None

    def _pattern_hat(self, payload: Payload) -> np.ndarray:
        if payload not in self._pattern_hats:
            tile = _upsample_chips(chip_array(payload, self.key), CANON_TILE)
            self._pattern_hats[payload] = np.conj(np.fft.rfft2(tile / np.sqrt(np.mean(tile**2))))
        return self._pattern_hats[payload]

    def locate(
        self, total: np.ndarray, payload: Payload, index: int, shift: tuple[float, float]
    ) -> tuple[int, tuple[float, float]]:
        """The geometry (coarse scale index, sub-pixel shift) where ``payload``'s whole pattern
        peaks in pooled evidence, near a first estimate (± 2 scale steps, ± 2 px)."""
        best = (-np.inf, index, shift)
        y, x = int(round(shift[0])), int(round(shift[1]))
        reach = np.arange(-2, 3)
        for j in range(max(0, index - 2), min(len(total), index + 3)):
            corr = np.fft.irfft2(_padded(total[j]) * self._pattern_hat(payload), s=(CANON_TILE, CANON_TILE))
            rows, cols = (y + reach) % CANON_TILE, (x + reach) % CANON_TILE
            near = corr[np.ix_(rows, cols)]
            dy, dx = np.unravel_index(int(np.argmax(near)), near.shape)
            z = (near[dy, dx] - corr.mean()) / (corr.std() + 1e-12)
            if z > best[0]:
                best = (z, j, _subpixel_peak(corr, int(rows[dy]) * CANON_TILE + int(cols[dx])))
        return best[1], best[2]

    def match(self, evidence: np.ndarray, payload: Payload, index: int, shift: tuple[float, float]) -> float:
        """z-score of ``payload``'s whole pattern (sync and data chips) in one window's
        ``evidence`` at a known geometry (coarse scale ``index``, ``shift`` ± MATCH_REACH px):
        the best of those (2·MATCH_REACH + 1)² correlations against the window's own correlation
        surface. Each is ≈ N(0, 1) on unmarked windows."""
        product = _padded(evidence[index]) * self._pattern_hat(payload)
        corr = np.fft.irfft2(product, s=(CANON_TILE, CANON_TILE))
        reach = np.arange(-MATCH_REACH, MATCH_REACH + 1)
        y, x = int(round(shift[0])), int(round(shift[1]))
        near = corr[np.ix_((y + reach) % CANON_TILE, (x + reach) % CANON_TILE)]
        return float((near.max() - corr.mean()) / (corr.std() + 1e-12))

    @staticmethod
    def _weight(mean: np.ndarray) -> np.ndarray:
        """Where the embedder put the mark, estimated from the received picture (same mask model)."""
        return mask_at(mean)

    def _soft_bits(self, fold_hat: np.ndarray, shift: tuple[float, float]) -> tuple[np.ndarray, float]:
        """Despread soft bits at ``shift`` and the z-score of their energy against chance."""
        chips = _chips_at(fold_hat, shift)
        lay = self._layout
        data = lay.bit_of_chip >= 0
        soft = np.bincount(lay.bit_of_chip[data], weights=(chips * lay.sign)[data], minlength=CODED_BITS)
        chance = np.bincount(lay.bit_of_chip[data], weights=(chips * chips)[data], minlength=CODED_BITS)
        ratio = float(np.sum(soft**2) / (np.sum(chance) + 1e-12))  # ≈ 1 unmarked, > 1 marked
        return soft, (ratio - 1.0) * np.sqrt(CODED_BITS / 2.0)

    def _decode(self, soft: np.ndarray) -> tuple[Payload | None, float]:
        soft = soft / (np.std(soft) + 1e-12)
        bits = viterbi_decode(soft)
        codeword = 1.0 - 2.0 * conv_encode(bits).astype(np.float64)
        strength = float(np.dot(codeword, soft) / (np.linalg.norm(soft) * np.sqrt(len(soft)) + 1e-12))
        return bits_to_payload(bits, self.key), max(strength, 0.0)


class VideoEvidence:
    """The windows of one video, read in order: each decoded on its own, and all pooled.

    The mark sits at the same place in every frame (a crop or a rescale is the whole video's),
    so the windows' folds (:attr:`WindowResult.evidence`) add up coherently. While no payload is
    known, the pooled sum is decoded after every window (:meth:`WatermarkDetector.pooled_decode`);
    once a payload and its geometry are known (from one window or from the pool), every window
    that did not decode alone is tested for that payload's whole pattern at that geometry
    (:meth:`WatermarkDetector.match`): the ~4× more chips and no search (9 positions instead of
    ~10⁶) find windows whose own decoding fails. Evidence waiting for a payload is kept for
    the last ``POOL_KEEP`` windows only: memory does not grow with the video.
    """

    def __init__(self, detector: WatermarkDetector) -> None:
        self.detector = detector
        self.results: list[WindowResult] = []
        self.total: np.ndarray | None = None
        self.plain_total: np.ndarray | None = None  # the plain means' evidence, where it is separate
        self.geometry: tuple[Payload, int, tuple[float, float]] | None = None
        self.weights = (1.0, 0.0)  # (evidence, plain evidence) in a match, set with the geometry
        self.pooled_attempts = 0  # decoding attempts on the pool (for the false-alarm bound)
        self._pending: list[int] = []

    def add(self, result: WindowResult) -> None:
        det = self.detector
        index = len(self.results)
        self.results.append(result)
        if result.evidence is None:
            return
        evidence = result.evidence.astype(np.complex128)
        self.total = evidence if self.total is None else self.total + evidence
        if result.plain_evidence is not None:
            plain = result.plain_evidence.astype(np.complex128)
            self.plain_total = plain if self.plain_total is None else self.plain_total + plain
        first = None
        if self.geometry is None and result.found and result.payload is not None:
            first = (result.payload, int(np.argmin(np.abs(np.log(det.ratios / result.scale)))), result.shift)
        elif self.geometry is None and _pool_now(len(self.results)):
            first = self._pooled()
        self._settle(first, index)

    def finish(self) -> None:
        """After the last window: one more pooled decoding if the last ones came earlier."""
        if self.geometry is None and self.total is not None and not _pool_now(len(self.results)):
            self._settle(self._pooled(), None)

    def _pooled(self) -> tuple[Payload, int, tuple[float, float]] | None:
        assert self.total is not None
        self.pooled_attempts += 3 * POOL_CANDIDATES
        pooled = self.detector.pooled_decode(self.total)
        return None if pooled is None else pooled[:3]

    def _settle(self, first: tuple[Payload, int, tuple[float, float]] | None, index: int | None) -> None:
        """Fix the geometry once a payload is known; match the windows that wait for it."""
        if first is not None:
            assert self.total is not None
            self.geometry = (first[0], *self.detector.locate(self.total, *first))
            self.weights = self._weights()
        if self.geometry is None:
            if index is not None:
                self._pending.append(index)
            for old in self._pending[:-POOL_KEEP]:
                self.results[old] = _without_evidence(self.results[old])
            self._pending = self._pending[-POOL_KEEP:]
            return
        for i in [*self._pending, *([] if index is None else [index])]:
            self.results[i] = self._matched(self.results[i])
        self._pending = []

    def _weights(self) -> tuple[float, float]:
        """How much a window's residual and plain evidence count in its match: each by the z of
        the payload's pattern in its pooled sum at the video's geometry (the weights of the best
        linear combination of two estimates of one signal, each normalised). Fixed per video, so
        on a window without the mark the match is still one correlation against its own surface."""
        assert self.geometry is not None and self.total is not None
        payload, coarse, shift = self.geometry
        det = self.detector
        main = max(det.match(self.total, payload, coarse, shift), 0.0)
        plain = 0.0 if self.plain_total is None else det.match(self.plain_total, payload, coarse, shift)
        return (main, max(plain, 0.0)) if main > 0.0 else (1.0, 0.0)

    def _matched(self, result: WindowResult) -> WindowResult:
        assert self.geometry is not None
        if result.found or result.evidence is None:
            return _without_evidence(result)
        payload, coarse, shift = self.geometry
        z = self.detector.match(combined_evidence(result, self.weights), payload, coarse, shift)
        if z < MATCH_Z:
            return _without_evidence(replace(result, match_z=z))
        return _without_evidence(replace(result, found=True, payload=payload, how="matched", match_z=z))

    def false_alarm_bound(self) -> float:
        """P(≥ 1 window of an unmarked video of this many windows is reported as marked): a
        payload must first pass magic + CRC in some decoding attempt (windows and pool)."""
        n = len(self.results) * self.detector.false_positive_bound + self.pooled_attempts * P_FALSE_DECODE
        return min(1.0, n)


def _pool_now(n: int) -> bool:
    """Whether to decode the pool after window ``n``: 2, 3, 4, 6, 8, 12, 16, 24, … (the attempts,
    and with them the false-alarm bound, grow with the log of the length, not the length)."""
    m = n // 3 if n % 3 == 0 else n
    return n >= 2 and m & (m - 1) == 0


def _without_evidence(result: WindowResult) -> WindowResult:
    if result.evidence is None and result.plain_evidence is None:
        return result
    return replace(result, evidence=None, plain_evidence=None)


def combined_evidence(result: WindowResult, weights: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """A window's evidence for a match: its (residual) evidence and, where the window has it
    separately, its plain mean's, weighted (:meth:`VideoEvidence._weights`)."""
    assert result.evidence is not None
    if result.plain_evidence is None or weights[1] <= 0.0:
        return result.evidence
    return weights[0] * result.evidence + weights[1] * result.plain_evidence


def global_motion(frames: Sequence[np.ndarray]) -> list[np.ndarray] | None:
    """Per frame, the 2 × 3 similarity transform from the middle frame's coordinates to its own
    (corners tracked by pyramidal Lucas–Kanade, fitted with RANSAC); ``None`` without enough
    texture to track."""
    ref = frames[len(frames) // 2]
    pts = cv2.goodFeaturesToTrack(ref, MC_CORNERS, 0.01, 6)
    if pts is None or len(pts) < 12:
        return None
    out = []
    for frame in frames:
        nxt, ok, _ = cv2.calcOpticalFlowPyrLK(ref, frame, pts, None, winSize=(21, 21), maxLevel=3)
        ok = ok[:, 0] == 1
        if ok.sum() < 12:
            return None
        a, _ = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC, ransacReprojThreshold=1.0)
        if a is None:
            return None
        out.append(a)
    return out


def mask_at(picture: np.ndarray) -> np.ndarray:
    """The embedder's mask (per cell, before strength) for a float luma ``picture``, at its size."""
    gain, _ = texture_mask(working_copy(np.clip(picture, 0, 255).astype(np.uint8)))
    return cv2.resize(gain, (picture.shape[1], picture.shape[0]), interpolation=cv2.INTER_LINEAR)


def host_residual(frames: Sequence[np.ndarray], mean: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(The window's mean minus its host, the mask where the mark was) when the whole picture
    moves; ``None`` when it does not.

    The mark stays put in the frame while the picture moves under it, so aligning the frames on
    the picture (:func:`global_motion`) gives a sharp host with the mark smeared out; that host,
    moved back to every frame's position and averaged, is what the plain mean holds besides the
    mark. Their difference keeps the mark (less its doubly smeared copy) without the host:
    cartoon edges and the texture that a sway does not average away. (H.264 drags part of the
    mark along with the picture between key frames; what stays put is what this finds.)
    """
    motion = global_motion(frames)
    if motion is None:
        return None
    h, w = mean.shape
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
    travel = max(float(np.abs(a @ corners - corners[:2]).max()) for a in motion)
    if travel < MC_MIN_MOTION:
        return None
    aligned = np.zeros((h, w), np.float32)
    # Lanczos both ways: a sharper host, less left over. (Bicubic is 3× faster but moved windows
    # near the threshold either way by ±0.05 of decoding strength, and lost one more than it won.)
    flags = cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP
    for frame, a in zip(frames, motion, strict=True):
        moved = cv2.warpAffine(np.float32(frame), a, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT)
        cv2.accumulate(moved, aligned)
    aligned /= len(frames)
    host = np.zeros((h, w), np.float32)
    for a in motion:
        back = cv2.warpAffine(aligned, a, (w, h), flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REFLECT)
        cv2.accumulate(back, host)
    residual = mean - host / len(motion)
    edge = int(np.ceil(2 * travel)) + 2  # where the warps reached outside the picture
    residual[:edge], residual[-edge:], residual[:, :edge], residual[:, -edge:] = 0, 0, 0, 0
    # The mask of the sharp picture, moved with it: where the mark went (a smooth weight: every
    # MC_MASK_STEP-th frame's position is enough).
    mask = mask_at(aligned)
    weight = np.zeros((h, w), np.float32)
    moves = motion[MC_MASK_STEP // 2 :: MC_MASK_STEP]
    for a in moves:
        cv2.accumulate(cv2.warpAffine(mask, a, (w, h), borderMode=cv2.BORDER_REFLECT), weight)
    return residual, weight / len(moves)


def _top_peaks(corr: np.ndarray, n: int) -> list[int]:
    """Flat indices of the ``n`` highest local maxima (5×5 circular suppression)."""
    c = corr.copy()
    out = []
    for _ in range(n):
        idx = int(np.argmax(c))
        out.append(idx)
        y, x = divmod(idx, c.shape[1])
        rows = np.arange(y - 2, y + 3) % c.shape[0]
        cols = np.arange(x - 2, x + 3) % c.shape[1]
        c[np.ix_(rows, cols)] = -np.inf
    return out


def _whiten(img: np.ndarray, weight: np.ndarray, floor: float = VAR_FLOOR) -> np.ndarray:
    """Band-pass at chip scale weighted by mark amplitude / local variance: suppresses the host.

    ``weight`` × band / variance is the matched filter for a mark of amplitude ∝ ``weight`` in
    non-stationary noise: flat regions (no mark) count nothing, busy ones by their clean share.
    """
    band = cv2.GaussianBlur(img, (0, 0), 0.6) - cv2.GaussianBlur(img, (0, 0), 3.0)
    var = cv2.GaussianBlur(band * band, (0, 0), 3.0)
    return (band * (weight + 0.05) / (var + floor)).astype(np.float32)


def _fold(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Rescale ``img`` by (gx, gy) and sum all CANON_TILE-periodic tiles into one (zero mean)."""
    h, w = img.shape
    tw, th = int(np.ceil(w * g[0] / CANON_TILE)), int(np.ceil(h * g[1] / CANON_TILE))
    m = np.array([[g[0], 0.0, 0.5 * g[0] - 0.5], [0.0, g[1], 0.5 * g[1] - 0.5]], dtype=np.float64)
    out_w, out_h = tw * CANON_TILE, th * CANON_TILE
    scaled = cv2.warpAffine(img, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    vw, vh = min(out_w, int(np.floor(w * g[0]))), min(out_h, int(np.floor(h * g[1])))
    s = scaled.reshape(th, CANON_TILE, out_w).sum(axis=0).reshape(CANON_TILE, tw, CANON_TILE).sum(axis=1)
    pos = np.arange(CANON_TILE)  # how many tiles of the picture cover each fold row / column
    rows, cols = np.maximum(0, -(-(vh - pos) // CANON_TILE)), np.maximum(0, -(-(vw - pos) // CANON_TILE))
    fold = s / np.maximum(np.outer(rows, cols), 1.0)
    return (fold - fold.mean()).astype(np.float64)


def _subpixel_peak(corr: np.ndarray, idx: int) -> tuple[float, float]:
    n = corr.shape[0]
    y, x = divmod(idx, corr.shape[1])

    def refine(a: float, b: float, c: float) -> float:
        d = a - 2 * b + c
        return 0.0 if d >= 0 else 0.5 * (a - c) / d

    dy = refine(corr[(y - 1) % n, x], corr[y, x], corr[(y + 1) % n, x])
    dx = refine(corr[y, (x - 1) % n], corr[y, x], corr[y, (x + 1) % n])
    return (y + dy, x + dx)


#: Rows of the fold's half spectrum that hold its lowest CHIPS × CHIPS frequencies: ky = 0 … 16 and
#: −16 … −1 (ky = +16 too, whose conjugate gives the (−16, −kx) corner); where each chip-spectrum row
#: ky reads ky and −ky.
_LOW_ROWS = np.r_[0 : CHIPS // 2 + 1, CANON_TILE - CHIPS // 2 : CANON_TILE]
_LOW_KY = np.fft.fftfreq(CANON_TILE)[_LOW_ROWS][:, None]
_LOW_KX = np.fft.rfftfreq(CANON_TILE)[None, : CHIPS // 2 + 1]
_KY_ROW = np.r_[0 : CHIPS // 2, CHIPS // 2 + 1 : CHIPS + 1]
_MINUS_KY_ROW = np.r_[
    0, CHIPS + 1 - np.arange(1, CHIPS // 2), CHIPS // 2, CHIPS - np.arange(CHIPS // 2 + 1, CHIPS)
]


_LOW_SHAPE = (len(_LOW_ROWS), CHIPS // 2 + 1)


def _normalised_low(fold_hat: np.ndarray) -> np.ndarray:
    """The band of a fold's half spectrum that holds the mark, scaled to unit RMS (the host and
    coding noise of one window weigh as much as those of another when windows are pooled)."""
    low = fold_hat[_LOW_ROWS, : CHIPS // 2 + 1]
    return low / np.sqrt(np.mean(np.abs(low) ** 2) + 1e-24)


def _padded(low: np.ndarray) -> np.ndarray:
    """A low band (:func:`_normalised_low`) back in a fold's half spectrum, zeros elsewhere."""
    out = np.zeros((CANON_TILE, CANON_TILE // 2 + 1), np.complex128)
    out[_LOW_ROWS, : CHIPS // 2 + 1] = low
    return out


def _chips_at(fold_hat: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """The fold shifted by ``shift`` (sub-pixel) and reduced to CHIPS × CHIPS chip values: the
    inverse of :func:`_upsample_chips`, i.e. the lowest CHIPS × CHIPS frequencies of the shifted
    fold, read straight from its half spectrum (no 128² transforms)."""
    h = CHIPS // 2
    low = fold_hat[_LOW_ROWS, : h + 1] * np.exp(2j * np.pi * (_LOW_KY * shift[0] + _LOW_KX * shift[1]))
    small = np.empty((CHIPS, CHIPS), dtype=np.complex128)
    small[:, :h] = low[_KY_ROW, :h]
    # columns kx = −h … −1: the conjugate of (−ky, h … 1) (a real image's spectrum is Hermitian)
    small[:, h:] = np.conj(low[_MINUS_KY_ROW, h:0:-1])
    return np.fft.ifft2(small).real
