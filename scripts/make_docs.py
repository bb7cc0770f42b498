"""Regenerate the pictures in docs/ from the sample media: what the README shows is what we make.

One sheet per portrait kind: the photo, frames of a real generated video (speech), a blink, a
gaze shift and head turns, so every feature is visible at a glance.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import talkingface
from talkingface.core.track import channel_vector
from talkingface.eval import portraits
from talkingface.eval.sheet import contact_sheet, save_png
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.frames import iter_frames
from talkingface.io.image import load_portrait
from talkingface.render.setup import prepare_face
from talkingface.samples import fetch_samples

DOCS = Path(__file__).resolve().parent.parent / "docs"
SHOTS = [
    ("blink", (0, 0, 0), {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}),
    ("gaze left", (0, 0, 0), {"eyeLookOutLeft": 0.8, "eyeLookInRight": 0.8}),
    ("yaw -12°", (-12, 0, 0), {}),
    ("yaw +12° pitch 6°", (12, 6, 0), {"jawOpen": 0.3}),
]


def commanded(image: np.ndarray, mode: str) -> tuple[list[np.ndarray], list[str]]:
    framed, renderer = prepare_face(image, mode=mode, matte=False)
    frames, labels = [framed.image], ["photo"]
    for label, (yaw, pitch, roll), channels in SHOTS:
        w = channel_vector(**channels)
        frames.append(renderer.render(np.array([yaw, pitch, roll, 0, 0, 1.0]), w))
        labels.append(label)
    return frames, labels


def spoken(portrait: Path, clip: Path, text: str, tmp: Path, mode: str, picks: int = 3):
    video = talkingface.generate(
        portrait, clip, tmp / f"{portrait.stem}.mp4", fps=25, seed=1, mode=mode, transcript=text
    )
    wanted = set(np.linspace(30, video.frames - 30, picks).astype(int))
    frames = [(i, f) for i, f in iter_frames(video.path) if i in wanted]
    return [f for _, f in frames], [f"speech {i / 25:.1f}s" for i, _ in frames]


def main() -> None:
    samples = fetch_samples()
    tmp = Path(tempfile.mkdtemp())
    clip = save_wav(tmp / "clip.wav", load_audio(samples.sonnet)[int(2.4 * 16000) : int(8.8 * 16000)], 16000)
    text = "From fairest creatures we desire increase, That thereby beauty's rose might never die"
    astronaut, hopper = load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)
    cases = [
        ("astronaut", "colour photo", astronaut, "crop"),
        ("grace_hopper", "glasses and hat", hopper, "crop"),
        ("greyscale", "greyscale photo", portraits.greyscale(hopper), "crop"),
        ("sepia", "sepia photo", portraits.sepia(astronaut), "crop"),
        ("oil_painting", "oil-painting rendition", portraits.oil_painting(hopper), "crop"),
        ("drawing", "digital-art rendition", portraits.drawing(astronaut), "crop"),
        ("edge", "face at the image edge, full mode", portraits.near_edge(astronaut), "full"),
    ]
    for name, title, image, mode in cases:
        path = tmp / f"{name}.png"
        Image.fromarray(image).save(path)
        f1, l1 = commanded(image, mode)
        f2, l2 = spoken(path, clip, text, tmp, mode)
        labels = [f"{title}: {l1[0]}"] + l1[1:] + l2
        sheet = contact_sheet(f1 + f2, columns=8, labels=labels, width=200)
        print(save_png(sheet, DOCS / f"sheet_{name}.png"))


if __name__ == "__main__":
    main()
