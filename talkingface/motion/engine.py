"""The one motion engine: audio in (any chunk size), one motion frame out per video frame.

Files and the live stream run the same passes through this engine. Audio is measured once per
frame (the 50 ms loudness window at the frame's centre, :class:`~..audio.features.HopBuffer`),
read by the one VAD (:class:`~..audio.vad.RunningVad`) and pitch tracker, and prosodic accents
are found causally (:class:`~.prosody.AccentTracker`). Then every pass, in order, writes its
channels of the frame:

* a pass has ``name``, ``lookahead`` (seconds of later frames it may see, ``frame.ahead``),
  ``reset(fps, rng, controls)`` and ``step(frame, pose, weights)``, writing in place into the head
  pose (6,) and the 51 blendshape offsets; a later pass may read what an earlier one wrote;
* each pass draws from its own random stream, keyed by its name and the seed, so the same seed
  gives the same blinks and head motion whether the clip is a file or live, whatever the other
  passes are (and changing the blink rate does not reshuffle the head);
* each pass sees exactly its own look-ahead, so its output does not depend on the others'.

Frames are numbered on the audio timeline, never the wall clock, so audio and video cannot drift;
state is a fixed ring of hop energies and a few numbers per pass, so memory is constant.
"""

from __future__ import annotations

import math
import time
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from ..audio.features import HopBuffer, needed_hops
from ..audio.pitch import PitchTracker
from ..audio.vad import RunningVad
from ..core.track import ARKIT_CHANNELS, CHANNEL_INDEX, MotionTrack
from .controls import Controls
from .prosody import Accent, AccentTracker

SAMPLE_RATE = 16000
#: a clip is pushed in pieces this long (s): any size gives the same frames, small ones keep memory flat
PUSH_SECONDS = 0.5
_JAW = CHANNEL_INDEX["jawOpen"]


@dataclass
class FeatureFrame:
    """What the passes see for one video frame (all causal: from audio heard up to its needs)."""

    index: int
    time: float  # start of the frame's display interval on the audio timeline, s
    rms_db: float  # dBFS over the 50 ms window at the frame's centre
    speech: bool  # the VAD (with hangover)
    level: float  # loudness relative to the speaker's running speech level, 0 … 1
    speech_db: float  # running mean speech level
    speech_sd: float  # running SD of the speech level
    controls: Controls = field(default_factory=Controls)
    accents: tuple[Accent, ...] = ()  # accents confirmed when this frame arrived (earlier frames)
    ahead: tuple[FeatureFrame, ...] = ()  # the next frames, as many as the reading pass declared

    @property
    def newest(self) -> FeatureFrame:
        """The latest frame this pass may see (itself, or the end of its look-ahead)."""
        return self.ahead[-1] if self.ahead else self


class MotionPass(Protocol):
    name: str
    lookahead: float

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None: ...
    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None: ...


@dataclass
class MotionFrame:
    """One frame's motion, ready to render."""

    index: int
    time: float  # pts: start of the frame on the audio timeline, s
    pose: np.ndarray  # (6,)
    weights: np.ndarray  # (51,)
    features: FeatureFrame
    ready_at: float  # time.perf_counter() when the audio it needed had arrived
    spoken_at: float  # time.perf_counter() when the audio at the frame's centre arrived
    heard: float = -1.0  # the caller's own audio clock when it was made (see stream/protocol.py)

    @property
    def jaw(self) -> float:
        return float(self.weights[_JAW])


def frames_of(seconds: float, fps: float) -> int:
    return int(math.ceil(seconds * fps - 1e-9))


class MotionEngine:
    """Feed 16 kHz float32 mono with :meth:`push`; get the :class:`MotionFrame` s that became ready."""

    def __init__(
        self,
        passes: list[MotionPass],
        fps: float = 25.0,
        seed: int = 0,
        controls: Controls | None = None,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        if not 1 <= fps <= 120:
            raise ValueError(f"fps {fps} is out of range: use 1 to 120")
        self.fps = float(fps)
        self.sample_rate = sample_rate
        self.controls = controls or Controls()
        self.passes = passes
        for p in passes:
            p.reset(self.fps, np.random.default_rng([seed, zlib.crc32(p.name.encode())]), self.controls)
        self._ahead_of = [frames_of(p.lookahead, self.fps) for p in passes]
        self._ahead = max(self._ahead_of, default=0)
        self.lookahead = self._ahead / self.fps
        self._hops = HopBuffer(sample_rate, keep_seconds=max(2.0, self.lookahead + 1.0))
        self._pitch = PitchTracker(sample_rate)
        self._vad = RunningVad(self.fps)
        self._accents = AccentTracker(self.fps)
        self._pending: deque[FeatureFrame] = deque()  # frames waiting for their look-ahead
        self._next_feature = 0
        self.frames_out = 0
        self.samples_in = 0
        # (samples in after a push, when): when the audio a frame shows arrived, for its latency
        self._arrivals: deque[tuple[int, float]] = deque()

    @property
    def audio_seconds(self) -> float:
        return self.samples_in / self.sample_rate

    @property
    def latency_budget(self) -> float:
        """Audio past a frame's end needed before it can be made (loudness window + look-ahead)."""
        return needed_hops((0.5 + self._ahead) / self.fps) * 0.010 - 1 / self.fps

    def frame_needs(self, k: int) -> float:
        """Seconds of audio that must have arrived before frame ``k`` is made."""
        return needed_hops((k + self._ahead + 0.5) / self.fps) * 0.010

    def set_controls(self, **changes) -> Controls:
        """Change controls while streaming (validated: ValueError with one line); passes glide."""
        self.controls = replace(self.controls, **changes)
        return self.controls

    def push(self, samples: np.ndarray, arrived: float | None = None) -> list[MotionFrame]:
        """``arrived``: when these samples arrived (``time.perf_counter()``; default now), for the
        frames' latency when the caller reads audio later than it came (a file paced in real time)."""
        samples = np.asarray(samples, np.float32).reshape(-1)
        step = int(PUSH_SECONDS * self.sample_rate)
        if len(samples) > step:  # any size gives the same frames; small pieces keep the rings small
            return [
                m for i in range(0, len(samples), step) for m in self.push(samples[i : i + step], arrived)
            ]  # fmt: skip
        self.samples_in += len(samples)
        now = time.perf_counter() if arrived is None else arrived
        self._arrivals.append((self.samples_in, now))
        self._hops.push(samples)
        self._pitch.push(samples)
        self._accents.pitch(self._pitch.take())
        for p in self.passes:
            if hasattr(p, "audio"):
                p.audio(samples)
        out = []
        while self._hops.ready((self._next_feature + 0.5) / self.fps):
            centre = (self._next_feature + 0.5) / self.fps
            db = self._hops.window_db(centre)
            speech, level = self._vad.update(db)
            accents = self._accents.update(self._next_feature, db, speech, self._vad.mean, self._vad.sd)
            self._pending.append(
                FeatureFrame(
                    self._next_feature, self._next_feature / self.fps, db, bool(speech), float(level),
                    self._vad.mean, self._vad.sd, self.controls, accents,
                )
            )  # fmt: skip
            self._next_feature += 1
            while len(self._pending) > self._ahead:
                out.append(self._motion(now))
        return out

    def pad_silence(self, seconds: float) -> list[MotionFrame]:
        """Advance the timeline by ``seconds`` of silence (idle frames when no audio arrives)."""
        n = int(round(seconds * self.sample_rate))
        return self.push(np.zeros(n, np.float32)) if n > 0 else []

    def flush(self) -> list[MotionFrame]:
        """At the end of the audio: the frames it covers that still wait for their look-ahead, made
        with silence after the end (a file's last frames, a live stream's ``stop``)."""
        total = int(round(self.audio_seconds * self.fps))
        tail = self.frame_needs(total - 1) - self.audio_seconds + 0.005
        if self.frames_out >= total or tail <= 0:
            return []
        return [m for m in self.pad_silence(tail) if m.index < total]

    def _spoken_at(self, index: int) -> float:
        """When the audio at frame ``index``'s centre arrived (older arrivals are let go)."""
        centre = (index + 0.5) / self.fps * self.sample_rate
        while len(self._arrivals) > 1 and self._arrivals[0][0] <= centre:
            self._arrivals.popleft()
        return self._arrivals[0][1]

    def _motion(self, now: float) -> MotionFrame:
        frame = self._pending.popleft()
        later = tuple(self._pending)
        pose = np.zeros(6, np.float32)
        pose[5] = 1.0
        weights = np.zeros(len(ARKIT_CHANNELS), np.float32)
        for p, ahead in zip(self.passes, self._ahead_of, strict=True):
            frame.ahead = later[:ahead]
            p.step(frame, pose, weights)
        frame.ahead = ()
        self.frames_out += 1
        return MotionFrame(frame.index, frame.time, pose, weights, frame, now, self._spoken_at(frame.index))


def run_clip(engine: MotionEngine, blocks: Iterable[np.ndarray], n_frames: int) -> MotionTrack:
    """Stream a whole clip through ``engine`` (as live would) into a track of ``n_frames``."""
    pose = np.zeros((n_frames, 6), np.float32)
    pose[:, 5] = 1.0
    weights = np.zeros((n_frames, len(ARKIT_CHANNELS)), np.float32)

    def keep(frames: list[MotionFrame]) -> None:
        for m in frames:
            if m.index < n_frames:
                pose[m.index], weights[m.index] = m.pose, m.weights

    for block in blocks:
        keep(engine.push(block))
    keep(engine.flush())  # the last frames' look-ahead runs past the audio: silence
    return MotionTrack(engine.fps, pose, weights)
