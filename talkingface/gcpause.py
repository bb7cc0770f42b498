"""The cyclic garbage collector paused while a command starts up (issue #13).

Start-up creates hundreds of thousands of long-lived objects (the imports of MediaPipe, OpenCV,
numba, SciPy; the face models) and almost no garbage, so the collector's full passes over them
(three or so in a 4-s video, about a tenth of a second of CPU holding the GIL) find nothing.
``generate`` pauses it from its first line until its frames start; then everything alive is
frozen (:func:`gc.freeze`: never scanned again) and the collector runs as usual for the rest.
Collection never changes a frame.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop automatic collection, if it runs (a caller that turned it off keeps it off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Undo :func:`pause`: what is alive now is frozen out of later collections, which run again."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
