"""Batch rendering: a manifest of clips → videos, on local processes or a Ray cluster.

    summary = run_batch("jobs.csv", "out/")                       # all local cores
    summary = run_batch("jobs.csv", "out/", ray_address="auto")   # a running Ray cluster

See :mod:`.manifest` for the format, :mod:`.run` for what is kept on disk and how reruns resume.
"""

from .manifest import BadRow, Manifest, RowJob, option_columns
from .run import RESULTS_NAME, BatchReporter, BatchSummary, run_batch
from .work import RowResult

__all__ = [
    "RESULTS_NAME",
    "BadRow",
    "BatchReporter",
    "BatchSummary",
    "Manifest",
    "RowJob",
    "RowResult",
    "option_columns",
    "run_batch",
]
