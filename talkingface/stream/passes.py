"""Causal motion passes: each turns one :class:`FeatureFrame` into its channels of the frame's motion.

A pass is anything with ``lookahead`` (seconds of audio it needs beyond the frame's own loudness
window; the engine waits that long, so it is part of the measured latency), ``reset(fps, rng)``
and ``step(frame, pose, weights)`` writing in place into the frame's head pose (6,) and
blendshape offsets (51,). The engine runs them in order; a later pass may read what an earlier
one wrote. Replace or append passes (a phone-driven mouth, prosody-driven head) without touching
the engine, e.g. ``StreamEngine(..., passes=[MyMouth(), CausalBlinks(), CausalHead()])``.

These causal passes mirror the offline ones (:mod:`talkingface.motion`): jaw from loudness with
the same attack/release, blinks from the same renewal process, head sway from the same slow
sines plus loudness nods. State is a handful of floats, so memory is constant for hours.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..motion.blinks import CLOSE_S, HOLD_S, OPEN_S, PARTIAL_SHARE, blink_curve
from ..motion.mouth_loudness import JAW_MAX
from ..motion.track import CHANNEL_INDEX
from .features import FeatureFrame

_JAW = CHANNEL_INDEX["jawOpen"]
_BLINK_R = CHANNEL_INDEX["eyeBlinkRight"]
_BLINK_L = CHANNEL_INDEX["eyeBlinkLeft"]


class MotionPass(Protocol):
    lookahead: float

    def reset(self, fps: float, rng: np.random.Generator) -> None: ...
    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None: ...


class Follower:
    """One-pole attack/release follower, one sample at a time (:func:`motion.smoothing.attack_release`)."""

    def __init__(self, fps: float, attack: float, release: float) -> None:
        self.up = 1.0 - np.exp(-1.0 / max(attack * fps, 1e-6))
        self.down = 1.0 - np.exp(-1.0 / max(release * fps, 1e-6))
        self.y = 0.0

    def __call__(self, x: float) -> float:
        self.y += (self.up if x > self.y else self.down) * (x - self.y)
        return self.y


class CausalMouth:
    """Jaw follows loudness relative to the speaker's running level; closed and still in silence."""

    lookahead = 0.0

    def __init__(self, jaw_max: float = JAW_MAX) -> None:
        self.jaw_max = jaw_max

    def reset(self, fps: float, rng: np.random.Generator) -> None:
        self.gate = Follower(fps, 0.02, 0.08)
        self.jaw = Follower(fps, 0.03, 0.07)
        self.silent_frames = 0
        self.margin = int(round(0.2 * fps))

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        gate = self.gate(1.0 if frame.speech else 0.0)
        jaw = self.jaw(frame.level**1.3 * self.jaw_max * gate)
        self.silent_frames = 0 if frame.speech else self.silent_frames + 1
        if self.silent_frames > self.margin:  # well into a pause: exactly closed, no drift
            jaw = self.jaw.y = 0.0
        weights[_JAW] = jaw


class CausalBlinks:
    """Blinks as a renewal process whose next gap is drawn when a blink starts (≈ rate per minute)."""

    lookahead = 0.0

    def __init__(self, per_minute: float = 22.0) -> None:
        self.per_minute = per_minute

    def reset(self, fps: float, rng: np.random.Generator) -> None:
        self.rng, self.fps = rng, fps
        self.mean_gap = 60.0 / self.per_minute if self.per_minute > 0 else float("inf")
        self.next_t = rng.uniform(0.3, min(self.mean_gap, 4.0)) if self.per_minute > 0 else float("inf")
        self.blink: tuple[float, float] | None = None  # (start, depth)
        self._t = 0.0

    def set_rate(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self.mean_gap = 60.0 / per_minute if per_minute > 0 else float("inf")
        self.next_t = (
            self.rng.uniform(0.3, min(self.mean_gap, 4.0)) + self._t if per_minute > 0 else float("inf")
        )

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        t = self._t = frame.time + 0.5 / self.fps
        if t >= self.next_t:
            in_pause = not frame.speech
            if in_pause or self.rng.random() < 0.7:
                depth = self.rng.uniform(0.5, 0.8) if self.rng.random() < PARTIAL_SHARE else 1.0
                self.blink = (self.next_t, depth)
            gap = self.rng.gamma(4.0, self.mean_gap / 4.0) * (0.6 if in_pause else 1.0)
            self.next_t += max(gap, CLOSE_S + HOLD_S + OPEN_S + 0.4)
            self.next_t = max(self.next_t, t)  # never schedule into the past after a stall
        if self.blink is None:
            return
        start, depth = self.blink
        tt = np.array([t])
        weights[_BLINK_R] = float(blink_curve(tt, start, depth)[0])
        weights[_BLINK_L] = float(blink_curve(tt, start + 0.01, depth)[0])
        if t > start + 0.01 + CLOSE_S + HOLD_S + OPEN_S:
            self.blink = None


class CausalHead:
    """Slow sway (sum of slow sines, as offline) plus nods that follow loudness during speech."""

    lookahead = 0.0

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def reset(self, fps: float, rng: np.random.Generator) -> None:
        def sines(periods):
            return [(1.0 / (p * rng.uniform(0.8, 1.25)), rng.uniform(0, 2 * np.pi)) for p in periods]

        self.axes = [
            (1.6, sines((7.0, 4.3, 11.0))),
            (0.9, sines((5.1, 3.2))),
            (0.8, sines((8.3, 5.7))),
        ]
        self.nod = Follower(fps, 0.12, 0.35)
        self.nod_mean = 0.0
        self.a_mean = 1.0 - np.exp(-1.0 / (10.0 * fps))

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        t = frame.time
        for axis, (amp, waves) in enumerate(self.axes):
            s = sum(np.sin(2 * np.pi * f * t + ph) for f, ph in waves) / np.sqrt(len(waves) / 2)
            pose[axis] = amp * s * self.scale
        level = np.clip((frame.rms_db - (frame.speech_db - 4.0)) / 15.0, 0.0, 1.0) if frame.speech else 0.0
        nod = self.nod(float(level))
        self.nod_mean += self.a_mean * (nod - self.nod_mean)
        pose[1] += 1.2 * (nod - self.nod_mean) * self.scale


def default_passes(motion_scale: float = 1.0, blink_rate: float = 22.0) -> list[MotionPass]:
    return [CausalMouth(), CausalBlinks(blink_rate), CausalHead(motion_scale)]
