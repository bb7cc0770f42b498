"""Peak memory of `talkingface generate` for 1 and 10 minutes of speech: it must not grow with length.

Each run is a separate process (peak RSS from the kernel); the speech is the LibriVox sonnet
repeated. Run by `make bench`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchmd import stamp, write_section

from talkingface.io.audio import load_audio, save_wav
from talkingface.samples import fetch_samples


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)", *cmd],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(proc.stdout.split()[-1]) / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    samples = fetch_samples()
    tmp = Path(tempfile.mkdtemp())
    speech = load_audio(samples.sonnet)
    rows = []
    for minutes in args.minutes:
        n = int(minutes * 60 * 16000)
        clip = save_wav(tmp / f"{minutes:g}min.wav", np.resize(speech, n), 16000)
        cmd = [sys.executable, "-m", "talkingface", "generate", str(samples.astronaut), str(clip),
               "-o", str(tmp / f"{minutes:g}.mp4"), "--size", "256", "-q"]  # fmt: skip
        mb, seconds = peak_rss_mb(cmd)
        rows.append(f"| {minutes:g} min | {mb:.0f} MB | {seconds:.0f} s | {minutes * 60 / seconds:.1f}× |")
        print(rows[-1])
    body = "\n".join(
        [
            "## Memory with length",
            "",
            stamp("python scripts/bench_memory.py"),
            "",
            "Peak resident memory of a whole `talkingface generate` run (256² crop, 25 fps, no transcript)",
            "for speech of different lengths. Frames, audio and phone recognition all stream, so the peak",
            "should not grow with the length.",
            "",
            "| speech | peak RSS | wall time | real-time factor |",
            "|---|---:|---:|---:|",
            *rows,
        ]
    )
    write_section(args.out, "memory", body)


if __name__ == "__main__":
    main()
