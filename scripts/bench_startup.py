"""`make bench` (start-up): how long `talkingface --help` and `import talkingface` take, and how fast
the speech front end (forced alignment, phone recognition) reads real speech.

Start-up is what every command pays before it does anything, so it is timed in fresh processes
(median of several); the heavy libraries (scipy, OpenCV, MediaPipe, PyAV) are imported only by
the code that needs them. Only the section between the markers is replaced.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmd import stamp, write_section

from talkingface.audio.phones import align_phones, recognize_phones
from talkingface.io.audio import load_audio
from talkingface.samples import fetch_samples

HEAVY = ("scipy", "cv2", "mediapipe", "av", "c2pa", "fastapi")


def wall(args: list[str], runs: int = 7) -> float:
    """Median wall time of a fresh process, seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_after_import() -> list[str]:
    code = f"import sys, talkingface; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("talkingface"))
    python = wall([sys.executable, "-c", "pass"])
    imported = wall([sys.executable, "-c", "import talkingface"])
    helped = wall([cli, "--help"])
    generate_help = wall([cli, "generate", "--help"])
    heavy = heavy_after_import()

    samples = fetch_samples()
    speech = load_audio(samples.sonnet)
    seconds = len(speech) / 16000
    t = time.perf_counter()
    align_phones(speech, samples.sonnet_text.read_text())
    align = (time.perf_counter() - t) / seconds
    t = time.perf_counter()
    recognize_phones(speech)
    recognise = (time.perf_counter() - t) / seconds

    body = f"""## Start-up and speech front end

{stamp("python scripts/bench_startup.py")}

Fresh processes, median of 7 (`python -X importtime -c "import talkingface"` shows the breakdown).

| what | wall time |
|---|---:|
| `python -c pass` (the interpreter alone) | {1000 * python:.0f} ms |
| `python -c "import talkingface"` | {1000 * imported:.0f} ms |
| `talkingface --help` | {1000 * helped:.0f} ms |
| `talkingface generate --help` | {1000 * generate_help:.0f} ms |

Heavy libraries loaded by `import talkingface`: {", ".join(heavy) or "none"}.

Speech front end on the {seconds:.0f} s LibriVox reading of Sonnet 1 (time per second of audio;
below 1 is faster than real time): forced alignment to the text {align:.3f},
allphone recognition {recognise:.3f}.
"""
    write_section(args.out, "startup", body)
    print(body)


if __name__ == "__main__":
    main()
