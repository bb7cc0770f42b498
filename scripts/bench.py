"""`make bench`: speed of the renderer and of the whole pipeline, written to BENCHMARKS.md.

Speeds are reported next to a bare ``cv2.remap`` of the same frame size measured in the same
run (the practical ceiling of a warp renderer), so the ratios survive a noisy shared machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from benchmd import stamp, write_section

import talkingface
from talkingface.audio.features import audio_features
from talkingface.eval.portraits import in_large_picture
from talkingface.face.landmarker import FaceLandmarker
from talkingface.face.portrait import prepare_portrait
from talkingface.io.audio import iter_audio, load_audio, save_wav
from talkingface.io.image import load_portrait
from talkingface.motion.generate import motion_from_audio
from talkingface.render.renderer import Renderer
from talkingface.render.rig import build_rig
from talkingface.samples import fetch_samples


def time_per_call(fn, n: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def bench_renderer(image: np.ndarray, mode: str, size: int, track, n: int) -> dict:
    with FaceLandmarker() as fl:
        framed = prepare_portrait(image, fl, mode, size)
    renderer = Renderer(build_rig(framed.image, framed.face))
    h, w = framed.image.shape[:2]
    i = iter(range(10**9))
    render = time_per_call(lambda: renderer.render(*track.frame(next(i) % len(track))), n)
    mx, my = np.meshgrid(np.arange(w, dtype=np.float32) + 0.3, np.arange(h, dtype=np.float32) + 0.2)
    remap = time_per_call(lambda: cv2.remap(framed.image, mx, my, cv2.INTER_LINEAR), n)
    return {"size": f"{w}×{h}", "render_fps": 1 / render, "remap_fps": 1 / remap}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="BENCHMARKS.md")
    args = parser.parse_args()
    samples = fetch_samples()
    tmp = Path(tempfile.mkdtemp())
    clip = save_wav(tmp / "ten_seconds.wav", load_audio(samples.sonnet)[: 10 * 16000], 16000)
    features = audio_features(iter_audio(clip), 16000, 25)
    track = motion_from_audio(iter_audio(clip, 16000), features.fps, len(features), seed=0)

    astronaut, hopper = load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)
    big_hopper = cv2.resize(hopper, (1080, 1264), interpolation=cv2.INTER_CUBIC)
    rows = [
        ("astronaut, crop 512²", bench_renderer(astronaut, "crop", 512, track, 300)),
        ("grace_hopper, crop 512²", bench_renderer(hopper, "crop", 512, track, 300)),
        ("grace_hopper, crop 1024²", bench_renderer(hopper, "crop", 1024, track, 100)),
        (
            "astronaut in a 1080p picture, full",
            bench_renderer(in_large_picture(astronaut), "full", 0, track, 100),
        ),
        (
            "astronaut in a 4K picture, full",
            bench_renderer(in_large_picture(astronaut, (3840, 2160)), "full", 0, track, 40),
        ),
        ("grace_hopper filling 1080×1264, full", bench_renderer(big_hopper, "full", 0, track, 60)),
    ]

    e2e = talkingface.generate(samples.astronaut, clip, tmp / "e2e.mp4", fps=25, size=512)
    lines = [
        "## Renderer",
        "",
        stamp("python scripts/bench.py"),
        "",
        "Frames per second of `Renderer.render` (mesh warp, mouth interior, gaze, eyelids) driven by a real",
        "motion track, next to a bare `cv2.remap` of the whole frame measured in the same run (the ceiling",
        "of any warp renderer). In full mode only the head's region is warped, so big pictures with a small",
        "face render faster than a bare remap of the frame.",
        "",
        "| portrait | frame | renderer fps | bare remap fps | renderer / remap |",
        "|---|---|---:|---:|---:|",
    ]
    for name, r in rows:
        ratio = r["render_fps"] / r["remap_fps"]
        lines.append(f"| {name} | {r['size']} | {r['render_fps']:.0f} | {r['remap_fps']:.0f} | {ratio:.2f} |")
    lines += [
        "",
        "## End to end",
        "",
        "`talkingface.generate` on 10 s of real speech (LibriVox, Sonnet 1) at 25 fps, 512² crop:",
        "audio decode + features, face analysis, motion, rendering, H.264 + AAC encoding.",
        "",
        "| audio | frames | wall time | real-time factor |",
        "|---|---:|---:|---:|",
        f"| 10.0 s | {e2e.frames} | {e2e.seconds:.2f} s | {e2e.realtime_factor:.1f}× faster than real time |",
        "",
    ]
    write_section(args.out, "renderer", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
