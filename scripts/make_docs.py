"""Regenerate the pictures in docs/ from the sample media: what the README shows is what we make.

Each sheet: frames of a real generated video (speech), plus the renderer under commanded
poses (blink, head turns, jaw) so every feature is visible at a glance.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import talkingface
from talkingface.eval.sheet import contact_sheet, save_png
from talkingface.face.landmarker import FaceLandmarker
from talkingface.face.portrait import prepare_portrait
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.frames import iter_frames
from talkingface.io.image import load_portrait
from talkingface.motion.track import CHANNEL_INDEX
from talkingface.render.renderer import Renderer
from talkingface.render.rig import build_rig
from talkingface.samples import fetch_samples

DOCS = Path(__file__).resolve().parent.parent / "docs"


def commanded(portrait: Path) -> tuple[list[np.ndarray], list[str]]:
    with FaceLandmarker() as fl:
        framed = prepare_portrait(load_portrait(portrait), fl, "crop", 512)
    renderer = Renderer(build_rig(framed.image, framed.face))
    shots = [
        ("photo", (0, 0, 0), {}),
        ("jawOpen 0.7", (0, 0, 0), {"jawOpen": 0.7}),
        ("blink", (0, 0, 0), {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}),
        ("yaw -10°", (-10, 0, 0), {}),
        ("yaw +10°", (10, 0, 0), {}),
        ("pitch +8°, roll 6°", (0, 8, 6), {"jawOpen": 0.3}),
    ]
    frames, labels = [], []
    for label, (yaw, pitch, roll), channels in shots:
        w = np.zeros(52, np.float32)
        for name, value in channels.items():
            w[CHANNEL_INDEX[name]] = value
        frames.append(renderer.render(np.array([yaw, pitch, roll, 0, 0, 1.0]), w))
        labels.append(label)
    return frames, labels


def spoken(portrait: Path, clip: Path, tmp: Path, picks: int = 6) -> tuple[list[np.ndarray], list[str]]:
    video = talkingface.generate(portrait, clip, tmp / f"{portrait.stem}.mp4", fps=25, seed=1)
    frames = list(iter_frames(video.path))
    chosen = np.linspace(20, len(frames) - 20, picks).astype(int)
    return [frames[i][1] for i in chosen], [f"speech t={i / 25:.2f}s" for i in chosen]


def main() -> None:
    samples = fetch_samples()
    tmp = Path(tempfile.mkdtemp())
    clip = save_wav(tmp / "clip.wav", load_audio(samples.sonnet)[3 * 16000 : 9 * 16000], 16000)
    for name in ("astronaut", "grace_hopper"):
        portrait = getattr(samples, name)
        f1, l1 = commanded(portrait)
        f2, l2 = spoken(portrait, clip, tmp)
        path = save_png(
            contact_sheet(f1 + f2, columns=6, labels=l1 + l2, width=240), DOCS / f"sheet_{name}.png"
        )
        print(path)


if __name__ == "__main__":
    main()
