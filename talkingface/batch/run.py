"""The batch driver: rows from the manifest to a runner, results to ``results.jsonl``, nothing lost.

* One line per finished row is appended (and flushed) to ``DIR/results.jsonl`` as it finishes, so a
  driver killed at any moment loses no finished row; the last line for an output is its state.
* A rerun hands every row to the workers again; a worker skips a row whose video exists and
  verifies as ours for the same inputs and options. Rows whose last state is *failed* are not
  retried unless ``retry_failed``; they stay counted as failed.
* At most ``runner.slots`` rows are in flight; the manifest is read lazily.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import OutputError
from ..pipeline.paths import writable_folder
from .manifest import BadRow, Manifest, RowJob
from .runners import MAX_ATTEMPTS, LocalRunner, RayRunner, WorkerLost
from .work import RowResult

RESULTS_NAME = "results.jsonl"
POLL_SECONDS = 0.5


@dataclass
class BatchSummary:
    total: int = 0  # rows in the manifest
    rendered: int = 0
    skipped: int = 0  # already done by an earlier run (verified)
    failed: int = 0  # failed in this run
    failed_earlier: int = 0  # failed in an earlier run and not retried (no --retry-failed)
    retried: int = 0  # rows re-run after their worker died
    video_seconds: float = 0.0  # seconds of video rendered in this run
    seconds: float = 0.0  # wall-clock time of this run
    results: str = ""
    runner: str = ""
    started: float = field(default_factory=time.perf_counter, repr=False)

    @property
    def finished(self) -> int:
        return self.rendered + self.skipped + self.failed + self.failed_earlier

    @property
    def all_failed(self) -> int:
        return self.failed + self.failed_earlier

    @property
    def clips_per_minute(self) -> float:
        elapsed = time.perf_counter() - self.started
        return 60.0 * self.rendered / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        parts = [f"{self.rendered} rendered", f"{self.skipped} skipped (already done)"]
        parts.append(f"{self.failed} failed")
        if self.failed_earlier:
            parts.append(f"{self.failed_earlier} failed earlier and not retried (add --retry-failed)")
        if self.retried:
            parts.append(f"{self.retried} rows re-run after a worker process died")
        rate = f"{self.clips_per_minute:.1f} clips/min" if self.rendered else "no clips rendered"
        return (
            f"{self.total} rows: {', '.join(parts)}; {rate}, {self.video_seconds:.0f} s of video in "
            f"{self.seconds:.0f} s on {self.runner}; results in {self.results}"
        )


class BatchReporter(Protocol):
    """Progress of a batch (a progress bar in the CLI)."""

    def start(self, total: int, runner: str) -> None: ...
    def row(self, result: RowResult, summary: BatchSummary) -> None: ...
    def tick(self, summary: BatchSummary) -> None: ...


class _Silent:
    def start(self, total: int, runner: str) -> None:
        pass

    def row(self, result: RowResult, summary: BatchSummary) -> None:
        pass

    def tick(self, summary: BatchSummary) -> None:
        pass


def last_states(path: Path) -> dict[str, dict]:
    """Output path → the last record written for it by earlier runs (only failures are kept)."""
    states: dict[str, dict] = {}
    if not path.is_file():
        return states
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
                key = rec["output"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash
            if rec.get("status") == "failed":
                states[key] = rec
            else:
                states.pop(key, None)
    return states


class ResultsLog:
    """Append-only JSON Lines, flushed per row."""

    def __init__(self, path: Path) -> None:
        try:
            self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc

    def write(self, result: RowResult) -> None:
        self._fh.write(json.dumps(asdict(result), ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


def make_runner(ray_address: str | None, workers: int | None, max_in_flight: int | None):
    if ray_address:
        return RayRunner(ray_address, max_in_flight)
    return LocalRunner(workers, max_in_flight)


def run_batch(
    manifest: str | Path,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    ray_address: str | None = None,
    retry_failed: bool = False,
    max_in_flight: int | None = None,
    reporter: BatchReporter | None = None,
) -> BatchSummary:
    """Render every row of ``manifest`` into ``out_dir``; see the module docstring."""
    reporter = reporter or _Silent()
    out = writable_folder(Path(out_dir).expanduser())
    rows = Manifest(manifest, out)
    results_path = out.resolve() / RESULTS_NAME
    earlier = last_states(results_path)
    summary = BatchSummary(total=rows.count(), results=str(results_path))
    runner = make_runner(ray_address, workers, max_in_flight)
    try:
        log = ResultsLog(results_path)
    except OutputError:
        runner.close()
        raise
    summary.runner = runner.describe()
    reporter.start(summary.total, summary.runner)

    def record(result: RowResult) -> None:
        log.write(result)
        if result.status == "done":
            summary.rendered += 1
            summary.video_seconds += result.duration
        elif result.status == "skipped":
            summary.skipped += 1
        else:
            summary.failed += 1
        reporter.row(result, summary)

    def jobs() -> Iterator[RowJob]:
        outputs: dict[str, int] = {}
        for item in rows.rows():
            key = str(item.output) if item.output else None
            if key is not None and key in outputs:
                item = BadRow(
                    item.row, item.output,
                    f"output {item.output} is also row {outputs[key]}'s: give each row its own output",
                    *((str(item.portrait), str(item.audio)) if isinstance(item, RowJob) else ("", "")),
                )  # fmt: skip
            elif key is not None:
                outputs[key] = item.row
            if isinstance(item, BadRow):
                record(RowResult(item.row, "failed", key or "", item.portrait, item.audio, error=item.error))
            elif key in earlier and not retry_failed:
                summary.failed_earlier += 1
                reporter.row(RowResult(**{**_fields(earlier[key]), "row": item.row}), summary)
            else:
                yield item

    try:
        _drive(runner, jobs(), record, summary, reporter)
    finally:
        runner.close()
        log.close()
        summary.seconds = time.perf_counter() - summary.started
    return summary


def _fields(rec: dict) -> dict:
    names = RowResult.__dataclass_fields__
    return {k: v for k, v in rec.items() if k in names}


def _drive(runner, jobs: Iterator[RowJob], record, summary: BatchSummary, reporter: BatchReporter) -> None:
    """Keep ``runner.slots`` rows in flight until the manifest is exhausted and all have come back."""
    pending: dict[object, RowJob] = {}
    attempts: dict[int, int] = {}
    exhausted = False
    while pending or not exhausted:
        while not exhausted and len(pending) < runner.slots:
            job = next(jobs, None)
            if job is None:
                exhausted = True
            else:
                pending[runner.submit(job)] = job
        if not pending:
            break
        for handle, outcome in runner.wait(list(pending), POLL_SECONDS):
            job = pending.pop(handle)
            if isinstance(outcome, RowResult):
                record(outcome)
                continue
            assert isinstance(outcome, WorkerLost)
            attempts[job.row] = attempts.get(job.row, 1) + 1
            if not outcome.retried and attempts[job.row] <= MAX_ATTEMPTS:
                summary.retried += 1
                pending[runner.submit(job)] = job
            else:
                record(
                    RowResult(
                        job.row, "failed", str(job.output), str(job.portrait), str(job.audio),
                        error=outcome.message,
                    )
                )  # fmt: skip
        reporter.tick(summary)
