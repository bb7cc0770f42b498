"""Peak memory of `talkingface generate` for 1 and 60 minutes of speech: it must not grow with length.

Each run is a separate process (peak RSS from the kernel); the speech is the LibriVox sonnet
repeated. The last step of a run, C2PA signing, is also measured alone on a copy of the finished
video (c2pa-rs holds the whole MP4 in memory while it signs it). Run by `make bench`.
"""

from __future__ import annotations

import argparse
import shutil
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


#: run in a fresh interpreter: sign a copy, sampling the process's anonymous memory meanwhile
_SIGN_ONLY = """
import re, sys, threading, time
from talkingface.provenance import ProvenanceOptions, finalize
def anon():
    return int(re.search(r"RssAnon:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
before, peak, done = anon(), [0], threading.Event()
def watch():
    while not done.is_set():
        peak[0] = max(peak[0], anon())
        time.sleep(0.002)
watcher = threading.Thread(target=watch)
watcher.start()
finalize(sys.argv[1], ProvenanceOptions(), 1)
done.set()
watcher.join()
print(max(peak[0], anon()) - before)
"""


def signing_peak_mb(video: Path) -> float:
    """Peak anonymous memory (MB) a process adds while it only signs a copy of ``video``."""
    copy = video.with_name(f"signed-{video.name}")
    shutil.copyfile(video, copy)
    try:
        cmd = [sys.executable, "-c", _SIGN_ONLY, str(copy)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    finally:
        copy.unlink(missing_ok=True)
    return int(proc.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 60.0])
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
        video = tmp / f"{minutes:g}.mp4"
        size, signing = video.stat().st_size / 1e6, signing_peak_mb(video)
        rows.append(
            f"| {minutes:g} min | {mb:.0f} MB | {size:.0f} MB | +{signing:.0f} MB | {seconds:.0f} s | "
            f"{minutes * 60 / seconds:.1f}× |"
        )
        print(rows[-1])
    body = "\n".join(
        [
            "## Memory with length",
            "",
            stamp("python scripts/bench_memory.py"),
            "",
            "Peak resident memory of a whole `talkingface generate` run (256² crop, 25 fps, no transcript)",
            "for speech of different lengths. Frames, audio and phone recognition all stream; the C2PA",
            "signing of the finished MP4 (c2pa-python, c2pa-rs underneath) reads the whole file into memory,",
            "so its share grows with the video: measured alone on a copy of each video (the anonymous",
            "memory the signing process adds, sampled as it signs).",
            "",
            "| speech | peak RSS | video | signing it alone | wall time | real-time factor |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    write_section(args.out, "memory", body)


if __name__ == "__main__":
    main()
