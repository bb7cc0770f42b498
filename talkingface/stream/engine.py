"""Live: the one motion engine (:mod:`talkingface.motion.engine`) with the live mouth, then frames.

Audio arrives in chunks of any size (20–40 ms from a microphone). Frame k shows the display
interval ``[k/fps, (k+1)/fps)`` of the audio timeline and is made as soon as the audio its
loudness window and the passes' look-ahead need has arrived (the mouth sees 80 ms ahead: see
``lipsync.LIVE_LOOKAHEAD_S``). The passes are the ones a file runs through (blinks, gaze, head,
brows, emotion); only the mouth reads phones recognised as the audio arrives. With the same seed a
file and a live stream of it give the same blinks and head motion.

When no audio arrives at all (a client that only sends while someone speaks), the caller pads
silence with :meth:`StreamEngine.pad_silence` and the portrait idles: blinks, slow sway, mouth
closed.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..motion.controls import Controls
from ..motion.engine import SAMPLE_RATE, MotionEngine, MotionFrame, MotionPass
from ..motion.generate import live_passes
from ..render.renderer import Renderer

__all__ = ["SAMPLE_RATE", "LiveRenderer", "MotionFrame", "StreamEngine"]


class StreamEngine(MotionEngine):
    """The motion engine with the live passes; controls as a :class:`Controls` or its fields."""

    def __init__(
        self,
        fps: float = 25.0,
        seed: int = 0,
        controls: Controls | None = None,
        passes: list[MotionPass] | None = None,
        sample_rate: int = SAMPLE_RATE,
        **control_values,
    ) -> None:
        super().__init__(
            passes if passes is not None else live_passes(), fps, seed,
            controls or Controls(**control_values), sample_rate,
        )  # fmt: skip


class LiveRenderer:
    """Motion frames → RGB frames (marked: watermark, optional label) → JPEG bytes (``cv2.imencode``).

    ``marker`` is a :class:`talkingface.provenance.FrameMarker` (every live output is watermarked,
    like every file) or None.
    """

    def __init__(self, renderer: Renderer, quality: int = 80, marker=None) -> None:
        self.renderer = renderer
        self.quality = int(quality)
        self.marker = marker

    def rgb(self, motion: MotionFrame) -> np.ndarray:
        frame = self.renderer.render(motion.pose, motion.weights)
        return self.marker(frame) if self.marker is not None else frame

    def jpeg(self, rgb: np.ndarray) -> bytes:
        ok, buf = cv2.imencode(
            ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, self.quality]
        )
        if not ok:  # pragma: no cover - OpenCV always encodes a uint8 RGB frame
            raise RuntimeError("JPEG encoding failed")
        return buf.tobytes()
