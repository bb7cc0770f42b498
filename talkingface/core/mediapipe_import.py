"""Import MediaPipe's Tasks API without what its package loads for helpers we never call.

``import mediapipe`` imports every task, and with them ``matplotlib.pyplot`` (for a 3-D landmark
plot in its drawing utilities) and ``sounddevice`` (for a microphone reader): 0.5–0.8 s of a
short clip's start-up. While MediaPipe is imported those names are held by stand-ins that import
the real module on first use, so MediaPipe's helpers still work for whoever calls them.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types

#: modules MediaPipe imports at load time for helpers we never call
DEFERRED = ("matplotlib", "matplotlib.pyplot", "sounddevice")

_lock = threading.Lock()


class _Deferred(types.ModuleType):
    """Stands in for a module; the first attribute asked of it imports the real one."""

    def __getattr__(self, name: str):
        return getattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    with _lock:
        for other in DEFERRED:
            if isinstance(sys.modules.get(other), _Deferred):
                del sys.modules[other]
    return importlib.import_module(name)


def load_mediapipe() -> types.ModuleType:
    """``mediapipe.tasks.python`` (imported once per process; later calls cost nothing)."""
    if "mediapipe.tasks.python" in sys.modules:
        return sys.modules["mediapipe.tasks.python"]
    with _lock:
        placed = {}
        for name in DEFERRED:
            if name not in sys.modules:
                placed[name] = sys.modules[name] = _Deferred(name)
        if "matplotlib.pyplot" in placed and "matplotlib" in placed:
            # `import matplotlib.pyplot as plt` reads the attribute from the package
            placed["matplotlib"].pyplot = placed["matplotlib.pyplot"]
    try:
        return importlib.import_module("mediapipe.tasks.python")
    finally:
        with _lock:
            for name, stand_in in placed.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
