"""The batch command's terminal side: a progress bar (rows done/failed, clips/min, ETA) and one
line per failed row, both on stderr so stdout carries only the final summary."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from .run import BatchSummary, run_batch
from .work import RowResult


class BarReporter:
    """A rich progress bar; without a terminal, only the failed rows are printed."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task = None

    def start(self, total: int, runner: str) -> None:
        self.console.print(f"batch: {total} rows on {runner}", highlight=False)
        if not self.enabled:
            return
        self._progress = Progress(
            TextColumn("batch"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), TextColumn("{task.fields[rate]}"),
            TextColumn("ETA {task.fields[eta]}"), console=self.console,
        )  # fmt: skip
        self._task = self._progress.add_task("batch", total=total, counts="", rate="", eta="–")
        self._progress.start()

    def row(self, result: RowResult, summary: BatchSummary) -> None:
        if result.status == "failed":
            self.console.print(
                f"row {result.row}: {result.error}", style="red", highlight=False, soft_wrap=True
            )
        self.tick(summary)

    def tick(self, summary: BatchSummary) -> None:
        if self._progress is None:
            return
        elapsed = time.perf_counter() - summary.started
        left = summary.total - summary.finished
        eta = "–"
        if summary.finished and left:
            eta = _clock(elapsed / summary.finished * left)
        counts = f"{summary.rendered} done · {summary.skipped} skipped · {summary.all_failed} failed"
        rate = f"{summary.clips_per_minute:.1f} clips/min"
        self._progress.update(self._task, completed=summary.finished, counts=counts, rate=rate, eta=eta)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def run_with_progress(
    manifest: Path,
    out: Path,
    *,
    workers: int | None,
    ray_address: str | None,
    retry_failed: bool,
    max_in_flight: int | None,
    console: Console,
    quiet: bool,
) -> BatchSummary:
    """run_batch with the bar on ``console`` (stopped whatever happens)."""
    bar = BarReporter(console, enabled=not quiet and console.is_terminal)
    try:
        return run_batch(
            manifest, out, workers=workers, ray_address=ray_address, retry_failed=retry_failed,
            max_in_flight=max_in_flight, reporter=bar,
        )  # fmt: skip
    finally:
        bar.stop()
