"""A throwaway one-machine Ray cluster (for tests, benchmarks and trying ``--ray`` out).

It is a real ``ray start --head`` (the same head a multi-node cluster has), run with ``--block`` in
its own process group so that everything it starts — GCS, raylet, worker processes — is stopped
together on exit, without ``ray stop`` (which would stop every Ray on the machine).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_executable() -> str:
    beside = Path(sys.executable).parent / "ray"
    return str(beside) if beside.is_file() else shutil.which("ray") or "ray"


@contextlib.contextmanager
def local_head(cpus: int = 2, object_store_bytes: int = 80_000_000, timeout: float = 120.0) -> Iterator[str]:
    """Yield the address (127.0.0.1:PORT) of a fresh Ray head; it is gone when the block ends."""
    port = free_port()
    temp = tempfile.mkdtemp(prefix="tfray")  # short: Ray's socket paths must fit in 107 bytes
    log_path = Path(temp) / "head.log"
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"RAY_USAGE_STATS_ENABLED": "0"}
    cmd = [
        ray_executable(), "start", "--head", "--block", "--num-cpus", str(cpus), "--port", str(port),
        "--object-store-memory", str(object_store_bytes), "--include-dashboard=false",
        "--disable-usage-stats", "--temp-dir", temp,
    ]  # fmt: skip
    with open(log_path, "w") as log:
        head = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while "Ray runtime started" not in log_path.read_text():
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Ray head did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(head.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                head.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # whatever the head's processes left in the group
        shutil.rmtree(temp, ignore_errors=True)
