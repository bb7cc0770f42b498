"""Per-thread work arrays for the per-frame passes.

A renderer may serve several live sessions (and the file path renders in two threads), so work
arrays cannot live on the renderer itself; and fresh big arrays every frame cost more in page
faults than the arithmetic done in them. Each thread keeps its own, made on first use.
"""

from __future__ import annotations

import threading

import numpy as np


class ThreadArrays(threading.local):
    """``arrays.get(name, shape, dtype)``: this thread's array of that name, made once."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        array = self._arrays.get(name)
        if array is None:
            array = self._arrays[name] = np.empty(shape, dtype)
        return array
