"""Where rows run: a pool of local processes (default) or Ray tasks on a cluster.

Both give the driver the same three calls — ``submit(job)``, ``wait(handles)`` and ``close()`` —
so the driver's loop (bounded rows in flight, retries, results) is written once.

Inputs and outputs go through shared storage, not the object store: a task carries the row
(paths and options, a few hundred bytes); the worker reads the portrait and audio at those paths
and writes the video into the output folder. On a multi-node cluster the manifest's folder and
the output folder must therefore be mounted at the same path on every node.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import socket
from dataclasses import dataclass

from ..errors import InputError
from .manifest import RowJob
from .work import RowResult, render_row

#: attempts at a row whose worker process died (killed, out of memory) before it is marked failed
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class WorkerLost:
    """The process rendering a row died; ``retried`` says whether the runner already retried it."""

    message: str
    retried: bool


class LocalRunner:
    """One process per core (or ``workers``); each loads the face model once and renders many rows."""

    kind = "local"

    def __init__(self, workers: int | None = None, max_in_flight: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.slots = max_in_flight or 2 * self.workers
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # spawn: the driver runs a progress thread, and forking a threaded process is unsafe
        return cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers > 1 else ''}"

    def submit(self, job: RowJob) -> cf.Future:
        try:
            return self._pool.submit(render_row, job)
        except cf.BrokenExecutor:  # a worker died since the last wait: start a fresh pool
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return self._pool.submit(render_row, job)

    def wait(self, handles: list, timeout: float) -> list[tuple[object, RowResult | WorkerLost]]:
        done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        out: list[tuple[object, RowResult | WorkerLost]] = []
        for fut in done:
            exc = fut.exception()
            if exc is None:
                out.append((fut, fut.result()))
            elif isinstance(exc, cf.BrokenExecutor):
                out.append((fut, WorkerLost("the worker process rendering it died", retried=False)))
            else:  # render_row turns every error into a result; this is a pickling or pool bug
                out.append((fut, WorkerLost(f"{exc.__class__.__name__}: {exc}", retried=True)))
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (``ray.init`` would wait there for minutes)."""
    if address in ("auto", "local"):
        return
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--ray {address!r} is not an address: give HOST:PORT (e.g. 10.0.0.5:6379) or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise InputError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}): start one with "
            "`ray start --head` there, or check the address"
        ) from None


class RayRunner:
    """Rows as Ray tasks on a cluster (``address``: host:port, ``auto``, or ``ray://…``).

    Ray re-runs a task whose worker process or node is lost (up to ``MAX_ATTEMPTS`` runs); the
    driver keeps only ``slots`` tasks in flight, so a huge manifest never floods its memory.
    """

    kind = "ray"

    def __init__(self, address: str, max_in_flight: int | None = None) -> None:
        import ray

        check_reachable(address)
        try:
            ray.init(address=address, log_to_driver=False, logging_level="ERROR")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise InputError(
                f"cannot connect to the Ray cluster at {address!r} ({first}): start one with "
                "`ray start --head` or give its address with --ray HOST:PORT"
            ) from None
        self._ray = ray
        self._task = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1)(render_row)
        self.cpus = int(ray.cluster_resources().get("CPU", 1))
        self.slots = max_in_flight or max(2, 2 * self.cpus)
        self.address = address

    def describe(self) -> str:
        nodes = sum(1 for n in self._ray.nodes() if n.get("Alive"))
        return f"Ray cluster at {self.address}: {nodes} node{'s' if nodes > 1 else ''}, {self.cpus} CPUs"

    def submit(self, job: RowJob):
        return self._task.remote(job)

    def wait(self, handles: list, timeout: float) -> list[tuple[object, RowResult | WorkerLost]]:
        ready, rest = self._ray.wait(handles, num_returns=1, timeout=timeout)
        if ready and rest:  # collect whatever else has finished meanwhile, without waiting
            ready += self._ray.wait(rest, num_returns=len(rest), timeout=0)[0]
        out: list[tuple[object, RowResult | WorkerLost]] = []
        for ref in ready:
            try:
                out.append((ref, self._ray.get(ref)))
            except self._ray.exceptions.RayError as exc:
                why = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
                lost = f"its worker was lost {MAX_ATTEMPTS} times (killed, out of memory or node down): {why}"
                out.append((ref, WorkerLost(lost, retried=True)))
        return out

    def close(self) -> None:
        self._ray.shutdown()
