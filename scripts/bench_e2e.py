"""`make bench` (end to end): the whole `talkingface generate` command, and where its time goes.

Each run is the real CLI in its own process (start-up, audio, face, motion, rendering, watermark,
encoding, signing) on real speech; wall time and CPU time (all threads, the phone worker
included) are the best of several runs, alternated with the same runs of an earlier revision
(``--against REV``: its package taken from git, run by this interpreter) so that a shared
machine's load hits both alike. Then one run of each is profiled stage by stage
(scripts/profile_generate.py). Only the section between the markers is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmd import stamp, write_section
from PIL import Image

from talkingface.eval.portraits import in_large_picture
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.image import load_portrait
from talkingface.render import known
from talkingface.samples import fetch_samples

ROOT = Path(__file__).resolve().parent.parent
RUNS = (  # name, seconds of speech, portrait ("1080p": the astronaut in a 1920×1080 picture), flags
    ("20 s speech, crop 512²", 20, "astronaut", ()),
    ("4 s speech, crop 512²", 4, "astronaut", ()),
    ("4 s speech, crop 512², portrait analysed before", 4, "astronaut", ()),
    ("10 s speech, full mode, 1920×1080 photo", 10, "1080p", ("--mode", "full")),
)
#: the rows run with the portrait cache holding their portrait (the row before them put it there);
#: every other row starts with it empty, as a portrait's first video does
WARM = ("4 s speech, crop 512², portrait analysed before",)
#: the profile's rows: (label, stages whose span it is); times are seconds since the interpreter started
ROWS = (
    ("start-up: interpreter + imports, done at", ("imports",)),
    ("audio decode + features (wall / CPU)", ("audio decode + features",)),
    ("head, eyes, brows passes", ("head/eyes/brows passes",)),
    ("mouth: phones from the worker (mostly waiting)", ("mouth (waits for phones)",)),
    ("face model load", ("face model load",)),
    ("face search + framing", ("face search + framing",)),
    ("matte model load (beside the face search)", ("matte model load",)),
    ("matte", ("matte", "matte (full mode: waits for the model)")),
    ("scipy.spatial import (beside the face search)", ("scipy.spatial import",)),
    ("numba import + compiled loops load (beside the face search)", ("numba import + kernels load",)),
    ("portrait cache: read (warm) or write (cold)", ("portrait cache read", "portrait cache write")),
    ("plate + rig + renderer setup (warm: numba loads here)", ("background plate", "rig", "renderer setup")),
    ("render (2 threads, CPU summed)", ("render",)),
    ("watermark (main thread)", ("watermark",)),
    ("RGB → YUV + encode call (main thread; x264's threads not counted)", ("encode",)),
    ("flush, mux, C2PA signing, rename", ("encoder flush + mux + sign + rename",)),
)


def command_env(keep: bool) -> dict[str, str]:
    """The environment of a measured command: as a user's (Python writes its bytecode caches, as
    an installed package has them), the portrait cache emptied first unless ``keep``."""
    if not keep:
        shutil.rmtree(known.folder(), ignore_errors=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_cli(
    python_path: str | None, portrait: Path, clip: Path, out: Path, *extra: str, keep: bool = False
) -> tuple[float, float]:
    """Wall and CPU seconds of one `talkingface generate` process and its children."""
    env = command_env(keep)
    if python_path:
        env["PYTHONPATH"] = python_path
    cmd = [sys.executable, "-m", "talkingface", "generate", str(portrait), str(clip), "-o", str(out), "-q"]
    cmd += extra
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def profile(portrait: Path, clip: Path, out: Path, *extra: str, keep: bool = False) -> dict:
    script = ROOT / "scripts" / "profile_generate.py"
    cmd = [sys.executable, str(script), "--json", "generate", str(portrait), str(clip), "-o", str(out), "-q"]
    cmd += extra
    env = command_env(keep)
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir(), env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def package_at(revision: str, folder: Path) -> str:
    """The talkingface package of ``revision`` unpacked under ``folder`` (for PYTHONPATH); a
    folder already holding one (``revision`` a path) is used as it is."""
    if (Path(revision) / "talkingface").is_dir():
        return str(Path(revision).resolve())
    archive = subprocess.run(
        ["git", "archive", revision, "talkingface"], cwd=ROOT, check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return str(folder)


def cell(profile: dict, stages: tuple[str, ...], first: bool) -> str:
    rows = [profile["stages"][s] for s in stages if s in profile["stages"]]
    if not rows:
        return "–"
    if first:
        return f"{rows[0][1]:.2f} s"
    wall, cpu = sum(r[2] for r in rows), sum(r[3] for r in rows)
    return f"{wall:.2f} / {cpu:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument(
        "--against", help="an earlier revision to alternate with (e.g. main), or a folder holding its package"
    )
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    samples = fetch_samples()
    tmp = Path(tempfile.mkdtemp())
    speech = load_audio(samples.sonnet)
    photo = tmp / "photo_1080p.png"
    Image.fromarray(in_large_picture(load_portrait(samples.astronaut))).save(photo)
    portraits = {"astronaut": Path(samples.astronaut), "1080p": photo}
    clips = {}
    for _, seconds, _, _ in RUNS:
        clips[seconds] = save_wav(tmp / f"speech_{seconds}.wav", speech[16000 : (1 + seconds) * 16000], 16000)
    variants = {"now": None}
    if args.against:
        (tmp / "before").mkdir()
        variants["before"] = package_at(args.against, tmp / "before")
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for round_ in range(args.rounds):
        for name, seconds, portrait, extra in RUNS:
            order = list(variants.items())
            for variant, path in order if round_ % 2 == 0 else order[::-1]:
                keep = name in WARM
                if keep:  # its portrait put in the cache by the same revision, untimed, just before
                    run_cli(path, portraits[portrait], clips[seconds], tmp / "out.mp4", *extra)
                wall, cpu = run_cli(
                    path, portraits[portrait], clips[seconds], tmp / "out.mp4", *extra, keep=keep
                )
                old = best.get((name, variant), (float("inf"), float("inf")))
                best[(name, variant)] = (min(old[0], wall), min(old[1], cpu))
    profiles = [
        profile(portraits[p], clips[s], tmp / "profiled.mp4", *extra, keep=name in WARM)
        for name, s, p, extra in RUNS
    ]
    load = os.getloadavg()[0]

    before = "before" in variants
    head = "| run | audio | wall time | real-time factor | CPU time (all processes) |"
    rule = "|---|---:|---:|---:|---:|"
    if before:
        head += f" before ({args.against}): wall | CPU |"
        rule += "---:|---:|"
    lines = [
        "## End to end",
        "",
        stamp("python scripts/bench_e2e.py" + (f" --against {args.against}" if before else "")),
        "",
        "`talkingface generate` as a separate process, default options, on real speech (LibriVox,",
        f"Sonnet 1): best of {args.rounds} runs"
        + (f", alternated with the same runs of `{args.against}`" if before else "")
        + f"; load average {load:.1f} on {os.cpu_count()} cores while measuring",
        "(other work on the machine stretches wall times; CPU time counts this command's own work).",
        "",
        "Each command runs as an installed package does (Python writes its bytecode caches, so only the",
        "first run after an install compiles them: `PYTHONDONTWRITEBYTECODE` is cleared), with the portrait",
        "cache (`--cache`, on by default) emptied before each run except the *analysed before* row, whose",
        "portrait an untimed run of the same revision just before left there: the face search, matte, rig",
        "and background plate are read back, the same frames (tested). A portrait's first video is the",
        "row without it; a revision",
        "from before the cache makes every video as a first one.",
        "",
        "How the command is laid out (issue #13): the CLI starts the phone recognition worker (a",
        "process: PocketSphinx holds the GIL) before it imports the media libraries; each block of audio is",
        "sent to it before the head's passes run; the face is found on one thread while a second loads the",
        "matting model (in full mode runs it on the whole picture) and imports scipy.spatial for the rig;",
        "two threads render ahead of the watermark and the encoder, which gets YUV frames converted on one",
        "thread (its own threaded conversion cost more CPU for the same bytes). In full mode only the",
        "head's box moves:",
        "the background plate is pulled up over the person's box only, the watermark is worked out anew",
        "only where the frame or its gain changed, and only the box is converted to YUV; every one of",
        "these gives the same pixels (tested). Start-up: the garbage collector is paused from the",
        "command's start until its frames start (start-up makes long-lived objects, no garbage; then",
        "all that is alive is frozen), and numba is imported without scipy.linalg (it imported it only",
        "to ask whether np.dot may use BLAS); the rig's fold check at its pose envelope's corners is one",
        "array operation. With all cores busy from other work the overlaps cannot",
        "show in wall time: the CPU column is the fairer comparison.",
        "",
        head,
        rule,
    ]
    for name, seconds, _, _ in RUNS:
        wall, cpu = best[(name, "now")]
        row = f"| {name} | {seconds:.1f} s | {wall:.2f} s | {seconds / wall:.1f}× | {cpu:.2f} s |"
        if before:
            old_wall, old_cpu = best[(name, "before")]
            row += f" {old_wall:.2f} s | {old_cpu:.2f} s |"
        lines.append(row)
    lines += [
        "",
        "Where the time goes (one profiled run each, `python scripts/profile_generate.py generate …`):",
        "seconds of wall / CPU time of the thread that ran each stage; the face's stages run on their",
        "own threads beside the audio's, the phones in a worker process.",
        "",
        "| stage | " + " | ".join(name for name, _, _, _ in RUNS) + " |",
        "|---|" + "---:|" * len(RUNS),
    ]
    for label, stages in ROWS:
        first = label.startswith("start-up")
        lines.append(f"| {label} | " + " | ".join(cell(p, stages, first) for p in profiles) + " |")
    lines.append(
        "| first frame rendered at / last encoded at | "
        + " | ".join(f"{p['stages']['render'][0]:.2f} / {p['stages']['encode'][1]:.2f} s" for p in profiles)
        + " |"
    )
    lines.append(
        "| command done at; CPU of its own process | "
        + " | ".join(f"{p['end']:.2f} s; {p['process_cpu']:.2f} s" for p in profiles)
        + " |"
    )
    lines.append("")
    write_section(args.out, "end-to-end", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
