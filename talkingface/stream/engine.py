"""The streaming engine: a clock on the audio timeline plus causal motion, then frames.

Audio arrives in chunks of any size (20–40 ms from a microphone). Frame k shows the display
interval ``[k/fps, (k+1)/fps)`` of the audio timeline and is made as soon as the audio its
loudness window (and the passes' look-ahead) needs has arrived: at 25 fps, 10 ms after the end of
its interval. Frames are numbered on the audio timeline, never on the wall clock, so audio and
video cannot drift apart however long the stream runs; state is a ring of 2 s of hop energies and
a few floats per pass, so memory is constant.

When no audio arrives at all (a client that only sends while someone speaks), the caller pads
silence with :meth:`StreamEngine.pad_silence` and the portrait idles: blinks, slow sway, mouth
closed.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from ..motion.track import ARKIT_CHANNELS, CHANNEL_INDEX
from ..render.renderer import Renderer
from .features import FeatureFrame, HopBuffer, RunningLoudness, needed_hops
from .passes import MotionPass, default_passes

SAMPLE_RATE = 16000
_JAW = CHANNEL_INDEX["jawOpen"]


@dataclass
class MotionFrame:
    """One frame's motion, ready to render."""

    index: int
    time: float  # pts: start of the frame on the audio timeline, s
    pose: np.ndarray  # (6,)
    weights: np.ndarray  # (51,)
    features: FeatureFrame
    ready_at: float  # time.perf_counter() when the audio it needed had arrived
    heard: float = -1.0  # the caller's own audio clock when it was made (see stream/protocol.py)

    @property
    def jaw(self) -> float:
        return float(self.weights[_JAW])


class StreamEngine:
    """Feed 16 kHz float32 mono with :meth:`push`; get the :class:`MotionFrame` s that became ready."""

    def __init__(
        self,
        fps: float = 25.0,
        seed: int = 0,
        motion_scale: float = 1.0,
        blink_rate: float = 22.0,
        passes: list[MotionPass] | None = None,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        if not 1 <= fps <= 120:
            raise ValueError(f"fps {fps} is out of range: use 1 to 120")
        self.fps = float(fps)
        self.sample_rate = sample_rate
        self.passes = passes if passes is not None else default_passes(motion_scale, blink_rate)
        rng = np.random.default_rng(seed)
        for p in self.passes:
            p.reset(self.fps, rng)
        self.lookahead = max((p.lookahead for p in self.passes), default=0.0)
        self._ahead = int(math.ceil(self.lookahead * self.fps - 1e-9))
        self._hops = HopBuffer(sample_rate, keep_seconds=max(2.0, self.lookahead + 1.0))
        self._loud = RunningLoudness(self.fps)
        self._pending: deque[FeatureFrame] = deque()  # features waiting for their look-ahead
        self._next_feature = 0
        self.frames_out = 0
        self.samples_in = 0

    @property
    def audio_seconds(self) -> float:
        """Audio received so far, in seconds of the timeline."""
        return self.samples_in / self.sample_rate

    @property
    def latency_budget(self) -> float:
        """Audio past a frame's end needed before it can be made (loudness window + look-ahead)."""
        centre = 0.5 / self.fps
        return needed_hops(centre + self._ahead / self.fps) * 0.010 - 1 / self.fps

    def frame_needs(self, k: int) -> float:
        """Seconds of audio that must have arrived before frame ``k`` is made."""
        return needed_hops((k + self._ahead + 0.5) / self.fps) * 0.010

    def push(self, samples: np.ndarray) -> list[MotionFrame]:
        samples = np.asarray(samples, np.float32).reshape(-1)
        self.samples_in += len(samples)
        self._hops.push(samples)
        now = time.perf_counter()
        out = []
        while True:
            centre = (self._next_feature + 0.5) / self.fps
            if not self._hops.ready(centre):
                break
            db = self._hops.window_db(centre)
            speech, level = self._loud.update(db)
            self._pending.append(
                FeatureFrame(
                    self._next_feature,
                    self._next_feature / self.fps,
                    float(db),
                    bool(speech),
                    level,
                    self._loud.floor,
                    self._loud.mean,
                )
            )
            self._next_feature += 1
            while len(self._pending) > self._ahead:
                out.append(self._motion(now))
        return out

    def set_controls(self, motion_scale: float | None = None, blink_rate: float | None = None) -> None:
        """Change head motion amount / blink rate while streaming (passes that have them)."""
        for p in self.passes:
            if motion_scale is not None and hasattr(p, "scale"):
                p.scale = float(motion_scale)
            if blink_rate is not None and hasattr(p, "set_rate"):
                p.set_rate(float(blink_rate))

    def pad_silence(self, seconds: float) -> list[MotionFrame]:
        """Advance the timeline by ``seconds`` of silence (idle frames when no audio arrives)."""
        n = int(round(seconds * self.sample_rate))
        return self.push(np.zeros(n, np.float32)) if n > 0 else []

    def _motion(self, now: float) -> MotionFrame:
        frame = self._pending.popleft()
        if self._ahead:
            frame.ahead = tuple(self._pending)
        pose = np.zeros(6, np.float32)
        pose[5] = 1.0
        weights = np.zeros(len(ARKIT_CHANNELS), np.float32)
        for p in self.passes:
            p.step(frame, pose, weights)
        self.frames_out += 1
        return MotionFrame(frame.index, frame.time, pose, weights, frame, now)


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
