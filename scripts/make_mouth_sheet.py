"""Contact sheet of open mouths on many portrait kinds (docs/mouth_kinds.png), to look at.

Portraits: the sample photos, their renditions (greyscale print, sepia, oil painting, digital
drawing, glasses), real video frames out of the fetched clips (a webcam speaker, an open-mouth
smile, a mouth open mid-word, a dark-skinned face in a broadcast shot). Each row: the lower face
at rest, then ah-like openings of growing size, an upper-lip raise and a wide smile.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from talkingface.core.track import CHANNEL_INDEX, MotionTrack
from talkingface.eval import portraits
from talkingface.eval.sheet import contact_sheet
from talkingface.face.landmarker import FaceLandmarker
from talkingface.render.setup import prepare_face
from talkingface.samples import fetch_real_clips, fetch_samples

#: (label, channel values) per column
POSES = (
    ("rest", {}),
    ("jaw 0.25", {"jawOpen": 0.25}),
    ("jaw 0.5", {"jawOpen": 0.5}),
    ("jaw 0.8", {"jawOpen": 0.8}),
    ("jaw 0.4 + upper lip up", {"jawOpen": 0.4, "mouthUpperUpLeft": 0.6, "mouthUpperUpRight": 0.6}),
    ("jaw 0.3 + smile", {"jawOpen": 0.3, "mouthSmileLeft": 0.8, "mouthSmileRight": 0.8}),
    (
        "jaw 0.85 + rounded (oh)",
        {
            "jawOpen": 0.85,
            "mouthFunnel": 0.45,
            "mouthPucker": 0.2,
            "mouthStretchLeft": 0.2,
            "mouthStretchRight": 0.2,
            "mouthUpperUpLeft": 0.2,
            "mouthUpperUpRight": 0.2,
        },
    ),  # fmt: skip
)


def frame_at(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(container.streams.video[0])):
            if i == index:
                return frame.to_ndarray(format="rgb24")
    raise ValueError(f"{path} has no frame {index}")


def with_glasses(rgb: np.ndarray, landmarker: FaceLandmarker) -> np.ndarray:
    """The photo with thin dark spectacle frames drawn over the eyes (a rendition, like the painting)."""
    lm = landmarker.detect(rgb)[0].landmarks[:, :2]
    out = rgb.copy()
    iod = float(np.linalg.norm(lm[[362, 263]].mean(0) - lm[[33, 133]].mean(0)))
    for corners in ((33, 133), (362, 263)):
        c = lm[list(corners)].mean(0) + (0, 0.05 * iod)
        axes = (int(0.36 * iod), int(0.26 * iod))
        cv2.ellipse(
            out, tuple(int(v) for v in c), axes, 0, 0, 360, (25, 22, 20), max(2, int(0.04 * iod)), cv2.LINE_AA
        )
    a, b = lm[133] + (0.1 * iod, 0), lm[362] - (0.1 * iod, 0)
    cv2.line(
        out,
        tuple(int(v) for v in a),
        tuple(int(v) for v in b),
        (25, 22, 20),
        max(2, int(0.035 * iod)),
        cv2.LINE_AA,
    )
    return out


def portrait_set(landmarker: FaceLandmarker) -> list[tuple[str, np.ndarray]]:
    samples, clips = fetch_samples(), fetch_real_clips()
    astronaut = np.asarray(Image.open(samples.astronaut).convert("RGB"))
    hopper = np.asarray(Image.open(samples.grace_hopper).convert("RGB"))
    obama = frame_at(clips.obama, 2745)[40:360, 214:534]
    return [
        ("photo (astronaut)", astronaut),
        ("photo (Grace Hopper)", hopper),
        ("greyscale print", portraits.greyscale(hopper)),
        ("sepia", portraits.sepia(astronaut)),
        ("oil painting", portraits.oil_painting(astronaut)),
        ("digital drawing", portraits.drawing(hopper)),
        ("glasses", with_glasses(frame_at(clips.franck, 500), landmarker)),
        ("webcam, beard (psychopy)", frame_at(clips.psychopy, 0)),
        ("open-mouth photo: talking (psychopy)", frame_at(clips.psychopy, 41)),
        ("open-mouth photo: smile (franck)", frame_at(clips.franck, 4000)),
        ("dark skin, broadcast frame (Obama)", obama),
    ]


def lower_face(frame: np.ndarray, lm: np.ndarray, size: int = 200) -> np.ndarray:
    iod = float(np.linalg.norm(lm[[362, 263], :2].mean(0) - lm[[33, 133], :2].mean(0)))
    centre = lm[[13, 14], :2].mean(0)
    half = 0.85 * iod
    x0, y0 = centre - half
    s = size / (2 * half)
    m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]])
    return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/mouth_kinds.png")
    parser.add_argument("--only", type=int, nargs="*", help="row numbers to draw (all by default)")
    args = parser.parse_args()
    tiles, labels = [], []
    with FaceLandmarker() as landmarker:
        kinds = portrait_set(landmarker)
        for k, (name, rgb) in enumerate(kinds):
            if args.only and k not in args.only:
                continue
            framed, renderer = prepare_face(rgb, landmarker, matte=False)
            lm = framed.face.landmarks
            for label, values in POSES:
                pose, weights = MotionTrack.neutral(1, 25.0).frame(0)
                weights = weights.copy()
                for channel, v in values.items():
                    weights[CHANNEL_INDEX[channel]] = v
                tiles.append(lower_face(renderer.render(pose, weights), lm))
                labels.append(name if label == "rest" else label)
    sheet = contact_sheet(tiles, columns=len(POSES), labels=labels, width=170)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    # an adaptive 256-colour palette keeps the sheet small enough for the repository
    Image.fromarray(sheet).quantize(256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
