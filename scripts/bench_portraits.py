"""Every kind of portrait: does it animate, or is it refused with a reason a user can act on?

For each kind: the faces found, the face animated, what Face Landmarker reads back from our
rendered frames (jaw opening and blink, commanded vs the photo at rest), and the tear measure
(talkingface/eval/tear.py) at ±20° yaw, ±15° pitch and head distance 0.75 / 1.35, and over the
120 frames of a real driving video (carphone, as ``--driver``). Also writes
docs/sheet_kinds.png: each kind as given, talking with a blink, and turned 20° (person matte on).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from benchmd import stamp, write_section

from talkingface.core.track import channel_vector
from talkingface.errors import TalkingFaceError
from talkingface.eval import portraits
from talkingface.eval.sheet import contact_sheet, save_png
from talkingface.eval.tear import TEAR_POSES, TearMeter
from talkingface.face.detect import find_faces
from talkingface.face.landmarker import FaceLandmarker
from talkingface.face.matte import PersonMatte, matte_of_person
from talkingface.face.portrait import prepare_portrait
from talkingface.io.image import load_portrait
from talkingface.motion.driver import track_from_video
from talkingface.render.layers import background_layer
from talkingface.render.renderer import Renderer
from talkingface.render.rig import ENVELOPE_SHIFT, build_rig, envelope_poses, folded_triangles
from talkingface.samples import fetch_samples

DOCS = Path(__file__).resolve().parent.parent / "docs"
REST = np.array([0, 0, 0, 0, 0, 1.0])


def tilted(rgb: np.ndarray, degrees: float = 20.0) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)


def kinds(samples):
    a, g = load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)
    flowers = load_portrait(samples.flower)
    tiny = np.full((400, 400, 3), 200, np.uint8)
    tiny[:96, :96] = cv2.resize(a, (96, 96), interpolation=cv2.INTER_AREA)
    small = np.full((720, 1280, 3), 90, np.uint8)
    small[300:464, 600:740] = cv2.resize(g, (140, 164), interpolation=cv2.INTER_AREA)
    return [
        ("colour photo", a, "crop", None),
        ("glasses and hat", g, "crop", None),
        ("greyscale print", portraits.greyscale(g), "crop", None),
        ("sepia print", portraits.sepia(a), "crop", None),
        ("oil painting", portraits.oil_painting(g), "crop", None),
        ("digital drawing", portraits.drawing(a), "crop", None),
        ("cartoon (flat colour)", portraits.cartoon(a), "crop", None),
        ("line art", portraits.line_art(a), "crop", None),
        ("line art, glasses", portraits.line_art(g), "crop", None),
        ("face of 6 px flowers (Arcimboldo-like)", portraits.flower_face(a, flowers, 6), "crop", None),
        ("face of 14 px flowers", portraits.flower_face(a, flowers, 14), "crop", None),
        ("tilted 20°", tilted(a), "crop", None),
        ("face at the edge (full)", portraits.near_edge(a), "full", None),
        ("small face in 4K (full)", portraits.in_large_picture(a, (3840, 2160)), "full", None),
        ("group of 5, --face 2", portraits.group([a, g]), "crop", "2"),
        ("30 px face in 1280×720", small, "crop", None),
        ("tiny face (17 px)", tiny, "crop", None),
    ]


def readback(fl: FaceLandmarker, renderer: Renderer, frame: np.ndarray):
    x0, y0, x1, y1 = renderer.rig.roi
    crop = np.ascontiguousarray(frame[max(y0 - 40, 0) : y1 + 40, max(x0 - 40, 0) : x1 + 40])
    faces = find_faces(fl, crop).faces  # as the portrait was found: line art needs softening
    return max(faces, key=lambda f: f.width) if faces else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="BENCHMARKS.md")
    args = parser.parse_args()
    samples = fetch_samples()
    rows, tiles, labels = [], [], []
    with FaceLandmarker() as fl, PersonMatte() as matte:
        driver = track_from_video(samples.carphone, fl)
        for name, image, mode, face in kinds(samples):
            try:
                framed = prepare_portrait(image, fl, mode, 512, name=name, face=face)
            except TalkingFaceError as exc:
                rows.append(f"| {name} | – | refused: {exc} | – | – | – |")
                continue
            alpha, matte_note = matte_of_person(matte, framed.image, framed.face)
            background = None if alpha is None else background_layer(framed.image, alpha)
            renderer = Renderer(build_rig(framed.image, framed.face, alpha), background)
            talking = renderer.render(REST, channel_vector(jawOpen=0.7))
            shut = renderer.render(REST, channel_vector(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
            turned = renderer.render(np.array([20, 4, 0, 0, 0, 1.0]), channel_vector(jawOpen=0.3))
            rest, jaw, blink = (readback(fl, renderer, f) for f in (framed.image, talking, shut))
            if None in (rest, jaw, blink):
                measured = "face not re-detected in a rendered frame"
            else:
                d_jaw = jaw.blendshape("jawOpen") - rest.blendshape("jawOpen")
                d_blink = sum(
                    blink.blendshape(f"eyeBlink{s}") - rest.blendshape(f"eyeBlink{s}")
                    for s in ("Left", "Right")
                )
                at_rest = rest.blendshape("jawOpen")
                measured = f"jawOpen {d_jaw:+.2f} from {at_rest:.2f} at rest, eyeBlink {d_blink / 2:+.2f}"
            folds, moved = tear(renderer, alpha)
            driven = sum(
                bool(len(folded_triangles(renderer.rig, *p))) for p in map(driver.frame, range(len(driver)))
            )
            notes = "; ".join((*framed.notes, *filter(None, [matte_note]))).replace("|", "/") or "–"
            rows.append(
                f"| {name} | {framed.n_faces} | renders ({measured}); {notes} | {folds} | {moved} "
                f"| {driven} of {len(driver)} |"
            )
            for frame, label in (
                (framed.image, name),
                (talking, "jaw 0.7"),
                (shut, "blink"),
                (turned, "yaw 20°"),
            ):
                tiles.append(frame if mode == "crop" else _around_face(frame, renderer))
                labels.append(label)
    print(save_png(contact_sheet(tiles, columns=8, labels=labels, width=135), DOCS / "sheet_kinds.png"))
    body = "\n".join(
        [
            "## Every kind of portrait",
            "",
            stamp("make bench (scripts/bench_portraits.py)"),
            "",
            "Faces found, and what Face Landmarker reads back from our rendered frames (commanded "
            "jawOpen 0.7 and a full blink, minus the photo at rest). Sheet: `docs/sheet_kinds.png`. "
            "A picture that already reads open at rest has landmarks off its real lips (the digital "
            "drawing loses its lower lip: Face Landmarker puts the inner lower lip on the chin's "
            "shading and keeps it there however far the rendered jaw opens), so its jaw readback "
            "says little.",
            "",
            "Tear measure (`talkingface/eval/tear.py`), person matte on: **folds** = outer-mesh "
            "triangles turned over, summed over the six target poses (yaw ±20°, pitch ±15°, head "
            f"distance 0.75 and 1.35) / over the {2 * len(envelope_poses(ENVELOPE_SHIFT))} corners of "
            f"the rig's pose envelope (those turns with roll ±12°, head shifted ±{ENVELOPE_SHIFT:g} eye "
            "distances, scale 0.74–1.33, jaw shut and open); **moved** = background pixels, clear of the "
            "person in the photo and in the frame, that a 1-pixel shift of the photo cannot explain, "
            "summed over the six poses (of the pixels checked); **driven** = frames with a fold when the "
            "real carphone clip drives the portrait (`--driver`: he sways 0.6 eye distances, turns "
            "and tilts 10°; the driver's shift is held to a soft ±"
            f"{ENVELOPE_SHIFT:g}, motion/ranges.py). All must be 0.",
            "",
            "| kind | faces | result | folds | moved | driven |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    write_section(args.out, "portraits", body)
    print(body)


def tear(renderer: Renderer, alpha: np.ndarray | None) -> tuple[str, str]:
    """(folds at the six poses / at the envelope's corners, background pixels moved / checked)."""
    rig, jaw = renderer.rig, channel_vector(jawOpen=0.3)
    at_target = sum(len(folded_triangles(rig, p, jaw)) for p in TEAR_POSES.values())
    at_corners = sum(
        len(folded_triangles(rig, p, channel_vector(jawOpen=j)))
        for p in envelope_poses(rig.envelope_shift)
        for j in (0.0, 1.0)
    )
    if alpha is None:
        return f"{at_target} / {at_corners}", "no matte"
    meter = TearMeter(renderer, alpha)
    tears = [meter(p, jaw) for p in TEAR_POSES.values()]
    moved, checked = sum(t.displaced for t in tears), sum(t.checked for t in tears)
    return f"{at_target} / {at_corners}", f"{moved} of {checked}"


def _around_face(frame: np.ndarray, renderer: Renderer) -> np.ndarray:
    x0, y0, x1, y1 = renderer.rig.roi
    side = max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    h, w = frame.shape[:2]
    bx, by = (
        int(np.clip(cx - side // 2, 0, max(w - side, 0))),
        int(np.clip(cy - side // 2, 0, max(h - side, 0))),
    )
    return np.ascontiguousarray(frame[by : by + side, bx : bx + side])


if __name__ == "__main__":
    main()
