"""`make bench`: speed of the renderer, written to BENCHMARKS.md.

Speeds are reported next to references measured in the same run, so the ratios survive a noisy,
shared machine: a bare ``cv2.remap`` of the same frame size (the practical ceiling of a warp
renderer) and the per-triangle backward map (a ``cv2.fillConvexPoly`` per triangle, every
pixel gathered), swapped in for the current one. Whole-command times run the real CLI in its own
process (scripts/bench_e2e.py). Also writes docs/warp_difference.png: where the two maps' frames differ.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from benchmd import stamp, write_section
from PIL import Image

from talkingface.audio.features import audio_features
from talkingface.eval.portraits import in_large_picture
from talkingface.face.landmarker import FaceLandmarker
from talkingface.face.portrait import prepare_portrait
from talkingface.io.audio import iter_audio, load_audio, save_wav
from talkingface.io.image import load_portrait
from talkingface.motion.generate import motion_from_audio
from talkingface.pipeline.generate import render_ahead
from talkingface.render.renderer import Renderer
from talkingface.render.rig import build_rig
from talkingface.render.setup import renderer_for
from talkingface.samples import fetch_samples

ROOT = Path(__file__).resolve().parent.parent


def quiet_time(calls: dict, rounds: int) -> dict:
    """Seconds per call of each named list of calls, robust to a shared machine: every call is
    timed alone, interleaved with the others, ``rounds`` times, and its fastest time kept (other
    processes only ever slow a call down); the result is the mean of those minima."""
    best = {name: np.full(len(fns), np.inf) for name, fns in calls.items()}
    for _ in range(rounds):
        for name, fns in calls.items():
            for k, fn in enumerate(fns):
                start = time.perf_counter()
                fn()
                best[name][k] = min(best[name][k], time.perf_counter() - start)
    return {name: float(times.mean()) for name, times in best.items()}


def renderers(image: np.ndarray, mode: str, size: int) -> tuple[Renderer, Renderer, Renderer]:
    """The renderer without the person matte, the same rig rendered with the per-triangle
    backward map, and the renderer with the matte (the default)."""
    with FaceLandmarker() as fl:
        framed = prepare_portrait(image, fl, mode, size)
    rig = build_rig(framed.image, framed.face)
    new, old = Renderer(rig), Renderer(rig)
    old._warp = old._warp.reference  # the per-triangle fill reference (bench only)
    return new, old, renderer_for(framed)


def bench_renderer(image: np.ndarray, mode: str, size: int, track, rounds: int) -> dict:
    new, old, matted = renderers(image, mode, size)
    frame = new.rig.image
    h, w = frame.shape[:2]
    mx, my = np.meshgrid(np.arange(w, dtype=np.float32) + 0.3, np.arange(h, dtype=np.float32) + 0.2)
    picks = range(0, len(track), max(1, len(track) // 25))  # frames across the whole track
    times = quiet_time(
        {
            "render": [lambda k=k: new.render(*track.frame(k)) for k in picks],
            "matted": [lambda k=k: matted.render(*track.frame(k)) for k in picks],
            "before": [lambda k=k: old.render(*track.frame(k)) for k in picks],
            "remap": [lambda: cv2.remap(frame, mx, my, cv2.INTER_LINEAR)] * len(picks),
        },
        rounds,
    )
    # the file path's own way: two render threads ahead of the consumer, over the whole track
    threaded = np.inf
    for _ in range(max(2, rounds // 3)):
        start = time.perf_counter()
        for _frame in render_ahead(lambda k: matted.render(*track.frame(k)), len(track)):
            pass
        threaded = min(threaded, time.perf_counter() - start)
    fps = {f"{k}_fps": 1 / v for k, v in times.items()}
    return {"size": f"{w}×{h}", **fps, "threads_fps": len(track) / threaded}


def stage_costs(image: np.ndarray, track, rounds: int = 3) -> dict[str, float]:
    """Milliseconds per frame of each pass of the matted 512² renderer over the whole track:
    every pass wrapped in a timer (the fastest of ``rounds`` passes over the track kept)."""
    import talkingface.render.renderer as module

    _, _, renderer = renderers(image, "crop", 512)
    spent: dict[str, float] = {}

    def timed(name: str, fn):
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        return call

    renderer._warp = timed("backward map (compiled)", renderer._warp)
    renderer._source.warp = timed("remap + matte composite", renderer._source.warp)
    passes = {"draw_mouth": "mouth interior", "draw_eye": "gaze (iris)", "draw_lid": "eyelids"}
    saved = {fn: getattr(module, fn) for fn in passes}
    best: dict[str, float] = {}
    try:
        for fn, name in passes.items():
            setattr(module, fn, timed(name, saved[fn]))
        for _ in range(rounds):
            spent.clear()
            start = time.perf_counter()
            for k in range(len(track)):
                renderer.render(*track.frame(k))
            spent["whole frame"] = time.perf_counter() - start
            for name, seconds in spent.items():
                best[name] = min(best.get(name, np.inf), seconds * 1000 / len(track))
    finally:
        for fn, original in saved.items():
            setattr(module, fn, original)
    named = sum(v for k, v in best.items() if k != "whole frame")
    return {**best, "rest (deform, draw order, hole affines)": best["whole frame"] - named}


def difference_sheet(image: np.ndarray, track, path: Path) -> dict:
    """Frames of the whole track with both maps (ours and the per-triangle fill): the largest
    difference per pixel, shown ×8."""
    new, old, _ = renderers(image, "crop", 512)
    worst = np.zeros(new.rig.image.shape[:2], np.int16)
    changed = []
    for k in range(len(track)):
        a, b = new.render(*track.frame(k)), old.render(*track.frame(k))
        d = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(2)
        worst = np.maximum(worst, d)
        changed.append(float((d > 2).mean()))
    k = int(np.argmax(changed))
    a, b = new.render(*track.frame(k)), old.render(*track.frame(k))
    heat = cv2.applyColorMap(np.clip(worst * 8, 0, 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    y, x = np.unravel_index(np.argmax(np.abs(a.astype(int) - b.astype(int)).max(2)), a.shape[:2])
    y0, x0 = int(np.clip(y - 32, 0, a.shape[0] - 64)), int(np.clip(x - 32, 0, a.shape[1] - 64))

    def zoom(img: np.ndarray) -> np.ndarray:
        return cv2.resize(img[y0 : y0 + 64, x0 : x0 + 64], (256, 256), interpolation=cv2.INTER_NEAREST)

    top = np.hstack([cv2.resize(b, (256, 256), interpolation=cv2.INTER_AREA), cv2.resize(heat, (256, 256))])
    sheet = np.vstack([top, np.hstack([zoom(b), zoom(a)])])
    Image.fromarray(sheet).save(path, optimize=True)
    return {
        "frames": len(track),
        "mean_changed": float(np.mean(changed)),
        "max_changed": float(np.max(changed)),
        "max_diff": int(worst.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="BENCHMARKS.md")
    args = parser.parse_args()
    samples = fetch_samples()
    tmp = Path(tempfile.mkdtemp())
    speech = load_audio(samples.sonnet)
    clip = save_wav(tmp / "ten_seconds.wav", speech[: 10 * 16000], 16000)
    features = audio_features(iter_audio(clip), 16000, 25)
    track = motion_from_audio(iter_audio(clip, 16000), features.fps, len(features), seed=0)

    astronaut, hopper = load_portrait(samples.astronaut), load_portrait(samples.grace_hopper)
    big_hopper = cv2.resize(hopper, (1080, 1264), interpolation=cv2.INTER_CUBIC)
    photo_1080p = in_large_picture(astronaut)
    rows = [
        ("astronaut, crop 512²", bench_renderer(astronaut, "crop", 512, track, 8)),
        ("grace_hopper, crop 512²", bench_renderer(hopper, "crop", 512, track, 8)),
        ("grace_hopper, crop 1024²", bench_renderer(hopper, "crop", 1024, track, 4)),
        ("astronaut in a 1080p picture, full", bench_renderer(photo_1080p, "full", 0, track, 6)),
        ("grace_hopper filling 1080×1264, full", bench_renderer(big_hopper, "full", 0, track, 3)),
    ]
    diff = difference_sheet(astronaut, track, ROOT / "docs" / "warp_difference.png")
    stages = stage_costs(astronaut, track)

    lines = [
        "## Renderer",
        "",
        stamp("python scripts/bench.py"),
        "",
        "Frames per second of `Renderer.render` (mesh warp, mouth interior, gaze, eyelids) driven by a real",
        "motion track, without and with the person matte (the default: the person moves as a layer",
        "over a background plate that stays still), one frame at a time on one thread; *2 threads* is",
        "the matted renderer as `generate` runs it (two render threads ahead of the consumer, the whole",
        "track). *before* is the plain renderer with the per-triangle backward map (one",
        "`cv2.fillConvexPoly` per triangle into an id image, then every pixel's affine gathered), and a bare",
        "`cv2.remap` of the whole frame is the ceiling of any warp renderer; the single-thread columns are",
        "measured interleaved in the same run. In full mode only the head's region is warped, so work",
        "follows the face, not the picture.",
        "",
        "| portrait | frame | renderer fps | with matte fps | with matte, 2 threads fps | before fps "
        "| speed-up | bare remap fps | renderer / remap |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['size']} | {r['render_fps']:.0f} | {r['matted_fps']:.0f} | "
            f"{r['threads_fps']:.0f} | {r['before_fps']:.0f} | "
            f"{r['render_fps'] / r['before_fps']:.2f}× | {r['remap_fps']:.0f} | "
            f"{r['render_fps'] / r['remap_fps']:.2f} |"
        )
    lines += [
        "",
        "The map is exact at every pixel: a scanline rasteriser compiled with numba",
        "(talkingface/render/kernels.py) paints each deformed triangle far to near with its own affine",
        "and the mouth and eyes on top with theirs, writing the two float maps directly; the matte's",
        "composite after the remap is one compiled pass too. Against the per-triangle OpenCV fill",
        f"(*before*), over the {diff['frames']} frames of the track (astronaut, 512²),",
        f"{diff['mean_changed']:.2%} of pixels differ by more than 2 levels",
        f"(at most {diff['max_changed']:.2%} in one frame; largest difference {diff['max_diff']}).",
        "`docs/warp_difference.png`: a frame, the largest difference per pixel over the track (×8), and",
        "the worst spot zoomed, before | after. The two rasterisations disagree only about pixels a",
        "triangle edge passes through, which matters where the map is discontinuous: along folds (jaw",
        "line, cheek silhouettes), where they put the fold one pixel apart, and at the mouth corners.",
        "",
        "Where a frame's time goes (astronaut, crop 512², with the matte, over the 10-s track; each pass",
        "timed inside the renderer, so the passes sum to the frame):",
        "",
        "| pass | ms per frame |",
        "|---|---:|",
        *(f"| {name} | {ms:.2f} |" for name, ms in stages.items()),
        "",
        "The encoder: `scripts/bench_encoder.py`; the whole command, end to end: `scripts/bench_e2e.py`.",
        "",
    ]
    write_section(args.out, "renderer", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
