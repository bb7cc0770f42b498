"""Benchmark the provenance marks: watermark cost (ms/frame, fps, PSNR) and robustness.

    python scripts/bench_provenance.py [--seconds 20] [--quick]

Prints Markdown tables: embedding cost at 512², 1080p and 4K against a plain frame copy, PSNR
on real photos, detection rate over 2-second windows after each transformation, false
positives on videos we did not make, and the cost of signing/verifying. ``make bench`` can call
:func:`markdown_report`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from talkingface.io.video import VideoWriter  # noqa: E402
from talkingface.provenance import credentials as cr  # noqa: E402
from talkingface.provenance import watermark as wm  # noqa: E402
from talkingface.provenance.transforms import (  # noqa: E402
    STANDARD,
    Transform,
    apply_transform,
    even_rgb,
    gentle_motion,
    talking_motion,
)
from talkingface.provenance.verify import scan_watermark  # noqa: E402

SIZES = {"512²": (512, 512), "1080p": (1920, 1080), "4K": (3840, 2160)}


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000.0 * float(np.median(times))


def cost_table(repeat: int = 40) -> list[str]:
    rows = [
        "| frame | embed ms/frame | embed fps | frame copy ms | pattern setup ms "
        "| PSNR astronaut | PSNR coffee |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (w, h) in SIZES.items():
        t = time.perf_counter()
        marker = wm.Watermarker(w, h, wm.Payload(generation_id=0x1234ABCD))
        setup = 1000.0 * (time.perf_counter() - t)
        frames = [np.ascontiguousarray(cv2.resize(img, (w, h))) for img in (data.astronaut(), data.coffee())]
        ms = _median_ms(lambda f=frames[0], m=marker: m.apply(f), repeat)
        copy = _median_ms(lambda f=frames[0]: f.copy(), repeat)
        psnr = [10 * np.log10(255.0**2 / np.mean((marker.apply(f).astype(float) - f) ** 2)) for f in frames]
        rows.append(
            f"| {name} | {ms:.2f} | {1000 / ms:,.0f} | {copy:.2f} | {setup:.0f} "
            f"| {psnr[0]:.1f} dB | {psnr[1]:.1f} dB |"
        )
    return rows


def _marked_video(
    path: Path, image: np.ndarray, seconds: float, gen: int | None, motion=gentle_motion
) -> Path:
    h, w = image.shape[:2]
    marker = wm.Watermarker(w, h, wm.Payload(generation_id=gen)) if gen is not None else None
    with VideoWriter(path, w, h, 25) as out:
        for frame in motion(image, int(seconds * 25), 25):
            out.write(marker.apply(frame) if marker else frame)
    return path


def robustness_table(seconds: float, tmp: Path) -> list[str]:
    rows = [
        "| source | transformation | windows detected | rate | wrong payloads | detect ms/window |",
        "|---|---|---:|---:|---:|---:|",
    ]
    wide = cv2.copyMakeBorder(cv2.resize(data.astronaut(), (1080, 1080)), 0, 0, 420, 420, cv2.BORDER_REFLECT)
    sources = {
        "astronaut 512², global sway": (data.astronaut(), seconds, gentle_motion),
        "astronaut 512², still background": (data.astronaut(), seconds, talking_motion),
        "coffee 600×400, global sway": (data.coffee(), seconds, gentle_motion),
        "astronaut 1920×1080, global sway": (wide, min(seconds, 6.0), gentle_motion),
    }
    extra = (
        Transform("half size + CRF 28", crf=28, scale=0.5),
        Transform("crop 10 %/side + CRF 28", crf=28, crop=0.10),
    )
    for i, (name, (image, length, motion)) in enumerate(sources.items()):
        gen = 0xC0FFEE00 + i
        src = _marked_video(tmp / f"m{i}.mp4", even_rgb(image), length, gen, motion)
        for t in STANDARD + extra:
            path = apply_transform(src, tmp / "x.mp4", t)
            start = time.perf_counter()
            report, windows = scan_watermark(path)
            ms = 1000 * (time.perf_counter() - start) / max(1, report.windows)
            wrong = sum(1 for w in windows if w.found and w.payload and w.payload.generation_id != gen)
            rate = report.windows_found / report.windows
            rows.append(
                f"| {name} | {t.name} | {report.windows_found}/{report.windows} | {100 * rate:.0f} % "
                f"| {wrong} | {ms:.0f} |"
            )
    return rows


def false_positive_table(tmp: Path) -> list[str]:
    yy, xx = np.mgrid[0:360, 0:640]
    sources = {
        "chelsea": data.chelsea(),
        "coffee": data.coffee(),
        "astronaut (unmarked)": data.astronaut(),
        "camera": data.camera(),
        "rocket": data.rocket(),
        "brick": data.brick(),
        "page": data.page(),
        "checkerboard": (((xx // 20 + yy // 20) % 2) * 255).astype(np.uint8),
        "gradient": np.stack([xx * 255 // 640, yy * 255 // 360, (xx + yy) * 255 // 1000], 2).astype(np.uint8),
        "noise": np.random.default_rng(0).integers(0, 256, (360, 640, 3)).astype(np.uint8),
    }
    total, false, strongest = 0, 0, 0.0
    for name, image in sources.items():
        src = _marked_video(tmp / "u.mp4", even_rgb(image), 4.0, None)
        for t in (None, Transform("half", crf=28, scale=0.5), Transform("crop", crf=23, crop=0.1)):
            path = src if t is None else apply_transform(src, tmp / "ux.mp4", t)
            report, windows = scan_watermark(path)
            total += report.windows
            false += report.windows_found
            strongest = max([strongest] + [w.strength for w in windows])
        del name
    bound = wm.WatermarkDetector().false_positive_bound
    return [
        "| unmarked windows checked | false detections | highest decoding strength (marked ≥ 0.7) "
        "| bound per window |",
        "|---:|---:|---:|---:|",
        f"| {total} | {false} | {strongest:.2f} | {bound:.1e} |",
    ]


def signing_table(tmp: Path) -> list[str]:
    src = _marked_video(tmp / "s.mp4", data.astronaut(), 10.0, 1)
    key = cr.local_signing_key(tmp / "keys")
    sign_ms = _median_ms(lambda: cr.sign_mp4(src, key, "0.1.0", "00000001"), 1)
    read_ms = _median_ms(lambda: cr.read_manifest(src), 3)
    return [
        "| 10 s 512² MP4 | ms |",
        "|---|---:|",
        f"| C2PA sign (ES256, embed) | {sign_ms:.0f} |",
        f"| C2PA read + validate | {read_ms:.0f} |",
    ]


def markdown_report(seconds: float = 20.0, quick: bool = False) -> str:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        parts = ["## Provenance", "", "### Watermark cost", "", *cost_table(10 if quick else 40), ""]
        parts += [
            "### Watermark robustness (2-s windows)",
            "",
            *robustness_table(4.0 if quick else seconds, tmp),
            "",
        ]
        if not quick:
            parts += ["### False positives on videos we did not make", "", *false_positive_table(tmp), ""]
        parts += ["### Content credentials", "", *signing_table(tmp), ""]
    return "\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each marked test video")
    ap.add_argument("--quick", action="store_true", help="short videos, no false-positive sweep")
    ap.add_argument("--out", help="also write the report into this BENCHMARKS.md section")
    args = ap.parse_args()
    report = markdown_report(args.seconds, args.quick)
    print(report)
    if args.out:
        from benchmd import stamp, write_section

        title = f"## Provenance marks\n\n{stamp('python scripts/bench_provenance.py')}"
        write_section(args.out, "provenance", f"{title}\n\n{report}")


if __name__ == "__main__":
    main()
