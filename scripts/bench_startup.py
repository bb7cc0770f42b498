"""`make bench` (start-up): how long `talkingface --help` and `import talkingface` take, and how fast
the speech front end (forced alignment, phone recognition) reads real speech.

Start-up is what every command pays before it does anything, so it is timed in fresh processes
(median of several); the heavy libraries (scipy, OpenCV, MediaPipe, PyAV) are imported only by
the code that needs them. Only the section between the markers is replaced.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmd import stamp, write_section

from talkingface.audio.phones import align_phones, recognize_phones
from talkingface.io.audio import load_audio, save_wav
from talkingface.samples import fetch_samples

HEAVY = ("scipy", "cv2", "mediapipe", "av", "c2pa", "fastapi")
#: the short clip of issue #13 ("short clips that start at once"): start-up is most of its time
CLIP_SECONDS = 4


def timed(args: list[str], runs: int = 7) -> tuple[float, float]:
    """Median (wall, CPU) seconds of a fresh process; CPU time (user + system) is what a shared,
    busy machine distorts least."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def row(what: str, times: tuple[float, float]) -> str:
    return f"| {what} | {1000 * times[0]:.0f} ms | {1000 * times[1]:.0f} ms |"


def heavy_after_import() -> list[str]:
    code = f"import sys, talkingface; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("talkingface"))
    rows = [
        row("`python -c pass` (the interpreter alone)", timed([sys.executable, "-c", "pass"])),
        row('`python -c "import talkingface"`', timed([sys.executable, "-c", "import talkingface"])),
        row("`talkingface --help`", timed([cli, "--help"])),
        row("`talkingface generate --help`", timed([cli, "generate", "--help"])),
    ]
    samples = fetch_samples()
    speech = load_audio(samples.sonnet)
    mediapipe = "from talkingface.core.mediapipe_import import load_mediapipe; load_mediapipe()"
    rows.append(
        row(
            '`python -c "import mediapipe"` (all it loads)', timed([sys.executable, "-c", "import mediapipe"])
        )
    )
    rows.append(row("MediaPipe as the face model imports it", timed([sys.executable, "-c", mediapipe])))
    with tempfile.TemporaryDirectory() as tmp:
        clip = save_wav(Path(tmp) / "four_seconds.wav", speech[16000 : (1 + CLIP_SECONDS) * 16000], 16000)
        generate = [
            cli,
            "generate",
            str(samples.astronaut),
            str(clip),
            "-o",
            str(Path(tmp) / "out.mp4"),
            "-q",
        ]
        rows.append(
            row(
                f"`talkingface generate`, {CLIP_SECONDS} s of speech, 512² (the whole command)",
                timed(generate, 5),
            )
        )
    heavy = heavy_after_import()
    load = os.getloadavg()[0]

    seconds = len(speech) / 16000
    t = time.perf_counter()
    align_phones(speech, samples.sonnet_text.read_text())
    align = (time.perf_counter() - t) / seconds
    t = time.perf_counter()
    recognize_phones(speech)
    recognise = (time.perf_counter() - t) / seconds

    body = f"""## Start-up and speech front end

{stamp("python scripts/bench_startup.py")}

Fresh processes, median of 7 (`python -X importtime -c "import talkingface"` shows the breakdown);
load average {load:.1f} on {os.cpu_count()} cores during the run (wall time grows with it, CPU time
hardly does). Measured the same way at d1679ba, before the lazy imports of issue #14,
`import talkingface` took 1.3 s of CPU and `talkingface --help` 1.5 s: every command loaded scipy,
OpenCV, MediaPipe and PyAV.

| what | wall time | CPU time |
|---|---:|---:|
{chr(10).join(rows)}

Heavy libraries loaded by `import talkingface`: {", ".join(heavy) or "none"}. MediaPipe is imported
without the matplotlib.pyplot and sounddevice its package loads for helpers we never call (they
load for real on first use); `generate` recognises phones in a worker process started first, so
PocketSphinx (which holds the GIL while it decodes) no longer stalls the face analysis. Before
that (d6dd1fc), alternating with it in one run (medians of 6, load 3.1), the 4 s clip took 3.57 s
wall and 4.13 s CPU against 3.04 s and 3.94 s after; frames bit-identical.

Speech front end on the {seconds:.0f} s LibriVox reading of Sonnet 1 (time per second of audio;
below 1 is faster than real time): forced alignment to the text {align:.3f},
allphone recognition {recognise:.3f}.
"""
    write_section(args.out, "startup", body)
    print(body)


if __name__ == "__main__":
    main()
