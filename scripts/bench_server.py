"""`make bench` (server soak): two live sessions plus 50 queued jobs against `talkingface serve` for
``--seconds`` (600 by default), measuring the server's memory and the latency of `/api/health`.

The server is its own process (the real CLI, with a token as on a network), so its memory is read
from /proc without counting the client. Load for the whole run:

* two WebSocket clients stream real speech (LibriVox) at real-time pace in 20 ms chunks and read
  every frame;
* the job queue is kept at 50: jobs (2.5 s of speech, 256²) are submitted, rendered one at a time,
  fetched, deleted, and replaced;
* `/api/health` is asked 5 times a second; its latency is the client's wall time for the request.

Memory is "flat" when the server's RSS over the last third of the run is within a few MB of the
middle third (the first third is warm-up: models load, caches fill).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).parent))
from bench_live import free_port, rss_mb  # noqa: E402
from benchmd import stamp, write_section  # noqa: E402

from talkingface.io.audio import load_audio, save_wav  # noqa: E402
from talkingface.samples import fetch_samples  # noqa: E402

TOKEN = "soak-" + os.urandom(12).hex()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = Path(sys.executable).with_name("talkingface")
    proc = subprocess.Popen(
        [
            str(exe),
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            "--workers",
            "1",
            "--max-live",
            "2",
        ],
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TALKINGFACE_TOKEN": TOKEN},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(url + "/api/health", headers=AUTH, timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            raise RuntimeError("talkingface serve did not start")
        time.sleep(0.2)


def live_client(url: str, pid: str, pcm: bytes, stop: threading.Event, out: dict) -> None:
    ws_url = url.replace("http", "ws") + f"/api/live?portrait={pid}&token={TOKEN}&idle=0"
    frames, step = 0, 640  # 20 ms of 16 kHz s16le
    with connect(ws_url, max_size=None) as ws:
        json.loads(ws.recv(timeout=60))

        def rx() -> None:
            nonlocal frames
            for msg in ws:
                frames += isinstance(msg, bytes)

        reader = threading.Thread(target=rx, daemon=True)
        reader.start()
        t0, i = time.perf_counter(), 0
        while not stop.is_set():
            delay = t0 + (i + step) / 32000 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            ws.send(pcm[i % len(pcm) : i % len(pcm) + step])
            i += step
        ws.send(json.dumps({"type": "stop"}))
        reader.join(30)
        out.update(frames=frames, seconds=time.perf_counter() - t0)


def job_feeder(url: str, files: dict, queued: int, stop: threading.Event, out: dict) -> None:
    """Keeps ``queued`` jobs pending; fetches and deletes each finished one."""
    done = failed = 0
    with httpx.Client(base_url=url, headers=AUTH, timeout=120) as c:
        live: set[str] = set()
        pool = ThreadPoolExecutor(3)

        def submit(_) -> str | None:
            r = c.post("/api/jobs", files=files, data={"size": 256})
            return r.json()["id"] if r.status_code == 202 else None

        while not stop.is_set():
            for job in c.get("/api/jobs").json():
                if job["id"] in live and job["status"] not in ("queued", "running"):
                    if job["status"] == "done":
                        done += c.get(job["result_url"]).status_code == 200
                    else:
                        failed += 1
                    c.delete(f"/api/jobs/{job['id']}")
                    live.discard(job["id"])
            missing = queued - len(live)
            if missing > 0:
                live |= {j for j in pool.map(submit, range(missing)) if j}
            stop.wait(2.0)
        pool.shutdown()
    out.update(done=done, failed=failed)


def probe(c: httpx.Client, pid: int, seconds: float) -> tuple[list, list, list]:
    """``/api/health`` 5 times a second for ``seconds``: latencies, (time, RSS MB) each second, pending."""
    health, rss, pending = [], [], []
    t0 = next_rss = time.perf_counter()
    while (now := time.perf_counter()) - t0 < seconds:
        r = c.get("/api/health")
        health.append(time.perf_counter() - now)
        pending.append(r.json()["pending_jobs"])
        if now >= next_rss:
            rss.append((now - t0, rss_mb(pid)))
            next_rss += 1.0
        time.sleep(max(0.0, 0.2 - (time.perf_counter() - now)))
    return health, rss, pending


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="length of the soak")
    ap.add_argument("--baseline", type=float, default=20.0, help="seconds of an idle server measured first")
    ap.add_argument("--live", type=int, default=2, help="live sessions streaming all along")
    ap.add_argument("--queued", type=int, default=50, help="jobs kept in the queue all along")
    ap.add_argument("--out", type=Path, help="BENCHMARKS.md to update")
    args = ap.parse_args()
    samples = fetch_samples()
    speech = load_audio(samples.sonnet, 16000)
    pcm = (np.clip(speech[: 30 * 16000], -1, 1) * 32767).astype("<i2").tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        clip = save_wav(Path(tmp) / "clip.wav", speech[3 * 16000 : int(5.5 * 16000)], 16000)
        files = {
            "portrait": (samples.astronaut.name, samples.astronaut.read_bytes()),
            "audio": (clip.name, clip.read_bytes()),
        }
        proc, url = start_server(Path(tmp) / "data")
        try:
            pid = httpx.post(
                url + "/api/portraits", files={"portrait": files["portrait"]}, headers=AUTH, timeout=60
            ).json()["id"]
            stop = threading.Event()
            lives: list[dict] = [{} for _ in range(args.live)]
            jobs: dict = {}
            threads = [threading.Thread(target=live_client, args=(url, pid, pcm, stop, o)) for o in lives]
            if args.queued:
                threads.append(
                    threading.Thread(target=job_feeder, args=(url, files, args.queued, stop, jobs))
                )
            with httpx.Client(base_url=url, headers=AUTH, timeout=30) as c:
                idle, _, _ = probe(c, proc.pid, args.baseline)  # the machine's own noise
                for t in threads:
                    t.start()
                health, rss, pending = probe(c, proc.pid, args.seconds)
            stop.set()
            for t in threads:
                t.join(120)
        finally:
            proc.terminate()
            proc.wait(30)
    h = np.array(health) * 1000
    r = np.array([m for _, m in rss])
    third = max(1, len(r) // 3)
    middle, last = float(np.median(r[third : 2 * third])), float(np.median(r[2 * third :]))
    result = {
        "seconds": args.seconds,
        "live": args.live,
        "baseline": args.baseline,
        "queued": args.queued,
        "health_ms": np.percentile(h, [50, 99]).round(1).tolist(),
        "health_max_ms": round(float(h.max()), 1),
        "health_n": len(h),
        "idle_ms": np.percentile(np.array(idle) * 1000, [50, 99]).round(1).tolist() if idle else [0, 0],
        "load": os.getloadavg()[0],
        "rss_mb": {
            "start": round(float(r[0]), 0),
            "middle": round(middle),
            "last": round(last),
            "max": round(float(r.max())),
        },
        "pending_median": float(np.median(pending)),
        "jobs": jobs,
        "live_fps": [round(o["frames"] / o["seconds"], 1) for o in lives if o],
    }
    print(json.dumps(result))
    if args.out and args.live and args.queued:
        write_section(args.out, "server-soak", section(result))


def section(res: dict) -> str:
    h50, h99 = res["health_ms"]
    m = res["rss_mb"]
    return "\n".join(
        [
            "## Server soak (two live sessions + 50 queued jobs)",
            "",
            stamp(f"python scripts/bench_server.py --seconds {res['seconds']:g}"),
            "",
            f"`talkingface serve` (its own process, with a token) for {res['seconds']:.0f} s: two WebSocket",
            "clients stream real speech at real-time pace (512², 25 fps asked), while the job queue is kept",
            "at 50 (2.5 s clips at 256², one worker; each finished job fetched, deleted and replaced).",
            f"Load average at the end: {res['load']:.1f} on {os.cpu_count()} cores shared with other work;",
            "latencies include waiting for a CPU, as the idle-server line shows.",
            "",
            "| measure | value | target |",
            "|---|---:|---:|",
            f"| `/api/health` latency, median / p99 / max ({res['health_n']} requests) | "
            f"{h50:.1f} / {h99:.1f} / {res['health_max_ms']:.0f} ms | p99 < 200 ms |",
            f"| the same, idle server first ({res['baseline']:.0f} s, nothing else running in it) | "
            f"{res['idle_ms'][0]:.1f} / {res['idle_ms'][1]:.1f} ms | |",
            f"| server RSS: start / middle third / last third (medians) / max | "
            f"{m['start']:.0f} / {m['middle']} / {m['last']} / {m['max']} MB | flat |",
            f"| jobs pending (median) / rendered and fetched / failed | {res['pending_median']:.0f} / "
            f"{res['jobs'].get('done', 0)} / {res['jobs'].get('failed', 0)} | 50 / – / 0 |",
            f"| frames received per live session (fps) | {', '.join(map(str, res['live_fps']))} | |",
        ]
    )


if __name__ == "__main__":
    main()
