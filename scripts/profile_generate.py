"""Where the time of one `talkingface generate` goes: a per-stage timeline of the real command.

    python scripts/profile_generate.py [--json] generate PORTRAIT AUDIO -o OUT.mp4 [options]

Runs the CLI in this process with the pipeline's stages wrapped (nothing else changes): each
stage's start and end (seconds since the interpreter started, so start-up counts), the thread it
ran on and that thread's CPU time; per-frame work (render, watermark, encode) is summed. Prints
the timeline, or with ``--json`` the stage summary :mod:`scripts.bench_e2e` tabulates. A profiling
aid, not a test: the wrappers add microseconds per call.
"""

from __future__ import annotations

import collections
import functools
import importlib
import json
import os
import resource
import sys
import threading
import time

T0 = time.perf_counter()


def _process_age() -> float:
    """Seconds between the interpreter's start and now (from /proc: start-up before this line)."""
    with open("/proc/self/stat") as fh:
        start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as fh:
        uptime = float(fh.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


AGE = _process_age()
EVENTS: list[tuple[str, str, float, float, float]] = []  # thread, stage, start, end, thread CPU
PER_FRAME = {"render", "watermark", "encode"}
SUMS: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0, float("inf"), 0.0])

#: (module, attribute, stage): the pipeline's stages, where generate() calls them
STAGES = (
    ("talkingface.pipeline.generate", "load_portrait", "portrait decode"),
    ("talkingface.pipeline.generate", "analyse_audio", "audio decode + features"),
    ("talkingface.pipeline.generate", "motion_from_audio", "head/eyes/brows passes"),
    ("talkingface.pipeline.generate", "mouth_frames", "mouth (waits for phones)"),
    ("talkingface.pipeline.generate", "generation_id", "generation id"),
    ("talkingface.pipeline.generate", "FrameMarker", "watermark setup"),
    ("talkingface.pipeline.generate", "finalize", "C2PA signing"),
    ("talkingface.render.setup", "FaceLandmarker", "face model load"),
    ("talkingface.render.setup", "prepare_portrait", "face search + framing"),
    ("talkingface.render.setup", "PersonMatte", "matte model load"),
    ("talkingface.render.setup", "person_of_matte", "matte (full mode: waits for the model)"),
    ("talkingface.render.setup", "matte_of_person", "matte"),
    ("talkingface.render.setup", "delaunay", "scipy.spatial import"),
    ("talkingface.render.setup", "warm_kernels", "numba import + kernels load"),
    ("talkingface.render.setup", "load_prepared", "portrait cache read"),
    ("talkingface.render.setup", "save_prepared", "portrait cache write"),
    ("talkingface.render.setup", "background_layer", "background plate"),
    ("talkingface.render.setup", "build_rig", "rig"),
    ("talkingface.render.setup", "Renderer", "renderer setup"),
    ("talkingface.render.renderer", "Renderer.render", "render"),
    ("talkingface.provenance", "FrameMarker.__call__", "watermark"),
    ("talkingface.io.video", "VideoWriter.write", "encode"),
    ("talkingface.io.video", "VideoWriter.close", "encoder flush + mux + sign + rename"),
    ("talkingface.pipeline.generate", "generate", "generate()"),
)


def _wrap(module: str, attribute: str, stage: str) -> None:
    owner = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def timed(*args, **kwargs):
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            end, used = time.perf_counter() - T0, time.thread_time() - cpu
            if stage in PER_FRAME:
                row = SUMS[stage]
                row[0] += 1
                row[1] += end - (start - T0)
                row[2] += used
                row[3] = min(row[3], start - T0)
                row[4] = end
            else:
                EVENTS.append((threading.current_thread().name, stage, start - T0, end, used))

    setattr(owner, name, timed)


def summary(process_cpu: float, end: float) -> dict:
    """Stages as {name: [start, end, wall, thread CPU]} (seconds from the interpreter's start)."""
    stages: dict[str, list[float]] = {}
    for _, stage, start, stop, cpu in EVENTS:
        if stage in stages:  # a stage run twice (close): first start, last end, summed
            row = stages[stage]
            stages[stage] = [row[0], stop + AGE, row[2] + stop - start, row[3] + cpu]
        else:
            stages[stage] = [start + AGE, stop + AGE, stop - start, cpu]
    for stage, (n, wall, cpu, first, last) in SUMS.items():
        stages[stage] = [first + AGE, last + AGE, wall, cpu, n]
    return {"stages": stages, "end": end + AGE, "process_cpu": process_cpu}


def main() -> None:
    as_json = sys.argv[1:2] == ["--json"]
    args = sys.argv[2:] if as_json else sys.argv[1:]
    imported = time.perf_counter()
    import talkingface.cli as cli
    import talkingface.pipeline.generate  # noqa: F401  (what the command imports before any work)

    EVENTS.append(("MainThread", "imports", imported - T0, time.perf_counter() - T0, 0.0))
    for module, attribute, stage in STAGES:
        _wrap(module, attribute, stage)
    sys.argv = ["talkingface", *args]
    try:
        cli.app()
    except SystemExit as exc:
        if exc.code:
            raise
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = summary(usage.ru_utime + usage.ru_stime, time.perf_counter() - T0)
    if as_json:
        print(json.dumps(result))
        return
    print(f"{'start':>7} {'end':>7} {'wall':>7} {'CPU':>7}  stage (thread CPU; per-frame rows summed)")
    for stage, row in sorted(result["stages"].items(), key=lambda item: item[1][0]):
        count = f"  × {row[4]}" if len(row) > 4 else ""
        print(f"{row[0]:7.3f} {row[1]:7.3f} {row[2]:7.3f} {row[3]:7.3f}  {stage}{count}")
    print(f"end {result['end']:.3f} s; process CPU {result['process_cpu']:.2f} s (this process, all threads)")


if __name__ == "__main__":
    main()
