"""docs/controls.png: what each motion control does, rendered on the astronaut portrait.

Row 1: --gaze; row 2: --head-distance and head pose; row 3: --emotion (strength 1).
Run: python scripts/make_controls_sheet.py
"""

from __future__ import annotations

import numpy as np

from talkingface.core.track import MotionTrack
from talkingface.eval.sheet import contact_sheet, save_png
from talkingface.io.image import load_portrait
from talkingface.motion.brows import limit_brows, squint_with_smile
from talkingface.motion.emotion import apply_emotion
from talkingface.motion.gaze import gaze_channels
from talkingface.render.setup import prepare_face
from talkingface.samples import fetch_samples


def one(gaze=(0.0, 0.0), distance=1.0, pose=(0.0, 0.0, 0.0), emotion="neutral") -> MotionTrack:
    track = MotionTrack.neutral(1, 25.0)
    for name, curve in gaze_channels(np.array([gaze], np.float64)).items():
        track.channel(name)[:] = curve
    track.pose[0, :3] = pose
    track.pose[0, 5] = 1.0 / distance
    apply_emotion(track, emotion, 1.0)
    squint_with_smile(track)
    limit_brows(track)
    return track


def main() -> None:
    samples = fetch_samples()
    framed, renderer = prepare_face(load_portrait(samples.astronaut), matte=False)
    cells = [
        ("--gaze -20,0", one(gaze=(-20, 0))),
        ("--gaze 0,0", one()),
        ("--gaze 20,0", one(gaze=(20, 0))),
        ("--gaze 0,-20", one(gaze=(0, -20))),
        ("--gaze 0,20", one(gaze=(0, 20))),
        ("--head-distance 0.8", one(distance=0.8)),
        ("--head-distance 1.25", one(distance=1.25)),
        ("yaw -8", one(pose=(-8, 0, 0))),
        ("yaw +8", one(pose=(8, 0, 0))),
        ("pitch +6 (nod)", one(pose=(0, 6, 0))),
        ("--emotion neutral", one()),
        ("--emotion happy", one(emotion="happy")),
        ("--emotion sad", one(emotion="sad")),
        ("--emotion angry", one(emotion="angry")),
        ("--emotion surprised", one(emotion="surprised")),
    ]
    frames = [renderer.render(*track.frame(0)) for _, track in cells]
    sheet = contact_sheet(frames, columns=5, labels=[name for name, _ in cells], width=240)
    print(save_png(sheet, "docs/controls.png"))


if __name__ == "__main__":
    main()
