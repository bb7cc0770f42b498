"""Gaze that holds and averts, with saccades and microsaccades (procedural.md §4.3, "Eyes Alive").

* Two states: **mutual** gaze (at the main gaze direction, i.e. at the viewer by default) and
  **aversion**. While talking, holds last ≈ 3.1 s and aversions ≈ 0.93 s on average; in silence
  (listening) ≈ 7.9 s and ≈ 0.43 s (Lee, Badler & Badler 2002).
* Long utterances mostly start with the speaker looking away and end looking back (Kendon 1967:
  > 70 % each): scripted at every utterance of at least :data:`LONG_UTTERANCE_S`.
* Aversion size is exponential (mean :data:`AVERSION_MEAN_DEG`, at most :data:`AVERSION_MAX_DEG`),
  cardinal directions twice as likely as diagonals.
* Each jump is a saccade on the main sequence: 25 ms + 2.5 ms per degree, eased.
* While fixating, microsaccades (1–2 per second, ≤ 1°) keep the eyes from looking dead.

Angles are degrees with the head-pose signs: yaw > 0 toward image +x, pitch > 0 down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.track import CHANNEL_INDEX
from .prosody import BEHAVIOUR_LOOKAHEAD_S, UTTERANCE_PAUSE_S
from .ranges import MAX_GAZE_DEG

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame

HOLD_TALK_S, AVERT_TALK_S = 3.1, 0.93
HOLD_LISTEN_S, AVERT_LISTEN_S = 7.9, 0.43
MIN_FIXATION_S = 0.3
LONG_UTTERANCE_S = 1.5
AVERT_AT_START_P = 0.7  # Kendon: > 70 % of long utterances start looking away …
RETURN_AT_END_P = 0.75  # … and > 70 % end looking at the listener
AVERSION_MEAN_DEG = 8.0
AVERSION_MIN_DEG = 4.0
AVERSION_MAX_DEG = 18.0
#: eight directions (yaw, pitch unit steps), cardinal ones twice as likely
DIRECTIONS = np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]], np.float64)
DIRECTION_P = np.array([2, 2, 2, 2, 1, 1, 1, 1], np.float64) / 12
MICROSACCADE_PER_S = 1.5
MICROSACCADE_MAX_DEG = 0.8
SACCADE_BASE_S, SACCADE_PER_DEG_S = 0.025, 0.0025
#: eye rotation (degrees) at an eyeLook* channel value of 1
EYE_DEG_PER_UNIT = 30.0


def _aversion(rng: np.random.Generator) -> np.ndarray:
    d = DIRECTIONS[rng.choice(len(DIRECTIONS), p=DIRECTION_P)]
    size = float(np.clip(rng.exponential(AVERSION_MEAN_DEG), AVERSION_MIN_DEG, AVERSION_MAX_DEG))
    return d / np.linalg.norm(d) * size


def saccade(prev: np.ndarray, target: np.ndarray, since: float) -> np.ndarray:
    """Eye angles ``since`` s into a jump from ``prev`` to ``target``: minimum-jerk over its
    main-sequence duration (25 ms + 2.5 ms per degree)."""
    dur = SACCADE_BASE_S + SACCADE_PER_DEG_S * float(np.linalg.norm(target - prev))
    u = float(np.clip(since / dur, 0, 1))
    return prev + (target - prev) * (u * u * u * (10 - 15 * u + 6 * u * u))


class GazePass:
    """The eight eyeLook* channels: holds and aversions, saccades, microsaccades, main direction.

    Utterance rules, causally: when speech starts after a pause of at least UTTERANCE_PAUSE_S the
    speaker looks away with AVERT_AT_START_P; when an utterance of at least LONG_UTTERANCE_S ends
    (the look-ahead shows silence ahead), an averted gaze returns with RETURN_AT_END_P.
    """

    name = "gaze"
    lookahead = BEHAVIOUR_LOOKAHEAD_S

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.fps, self.rng = fps, rng
        self.talking = 0.0
        self.a_up, self.a_down = 1 - np.exp(-1 / (0.3 * fps)), 1 - np.exp(-1 / (1.0 * fps))
        self.averted = False
        self.fixation = np.zeros(2)  # where the eyes hold (offset from the main direction)
        self.target = np.zeros(2)  # the last jump's target (fixation + microsaccade jitter)
        self.prev = np.zeros(2)
        self.jump_t = 0.0
        self.last_change = 0.0
        self.silent_run = 10**9
        self.utterance_start: int | None = None
        self.main = np.asarray(controls.gaze, np.float64)
        self.a_main = 1 - np.exp(-1 / (0.08 * fps))

    def _jump(self, target: np.ndarray, t: float) -> None:
        self.prev, self.target = self.target, target
        self.jump_t = t + self.rng.uniform(0, 1 / self.fps)

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        i, t = frame.index, frame.index / self.fps
        self.talking += (self.a_up if frame.speech else self.a_down) * (float(frame.speech) - self.talking)
        d_state, d_micro = self.rng.random(2)
        new_state = None
        since = t - self.last_change
        long_pause = self.silent_run >= UTTERANCE_PAUSE_S * self.fps
        if frame.speech:
            if long_pause:
                self.utterance_start = i
                if self.rng.random() < AVERT_AT_START_P:
                    new_state = True
            self.silent_run = 0
        else:
            ends = (
                self.silent_run == 0
                and self.utterance_start is not None
                and (i - self.utterance_start) / self.fps >= LONG_UTTERANCE_S
                and not any(f.speech for f in frame.ahead)
            )
            self.silent_run += 1
            if ends:
                self.utterance_start = None
                if self.averted and self.rng.random() < RETURN_AT_END_P:
                    new_state = False
        if new_state is None and since >= MIN_FIXATION_S:
            hold, avert = (
                (HOLD_TALK_S, AVERT_TALK_S) if self.talking > 0.5 else (HOLD_LISTEN_S, AVERT_LISTEN_S)
            )
            if d_state < 1.0 / ((avert if self.averted else hold) * self.fps):
                new_state = not self.averted
        if new_state is not None:
            self.averted = new_state
            self.fixation = _aversion(self.rng) if self.averted else np.zeros(2)
            self._jump(self.fixation, t)
            self.last_change = t
        elif d_micro < MICROSACCADE_PER_S / self.fps and since >= 0.1:
            angle = self.rng.uniform(0, 2 * np.pi)
            jitter = self.rng.uniform(0.2, MICROSACCADE_MAX_DEG) * np.array([np.cos(angle), np.sin(angle)])
            self._jump(self.fixation + jitter, t)
        self.main += self.a_main * (np.clip(frame.controls.gaze, -MAX_GAZE_DEG, MAX_GAZE_DEG) - self.main)
        eyes = self.main + saccade(self.prev, self.target, (i + 0.5) / self.fps - self.jump_t)
        for name, value in gaze_channels(eyes[None, :]).items():
            weights[CHANNEL_INDEX[name]] = value[0]


def gaze_channels(angles: np.ndarray) -> dict[str, np.ndarray]:
    """Eye angles → the eight eyeLook* ARKit channels (both eyes look the same way)."""
    yaw = np.asarray(angles[:, 0], np.float64) / EYE_DEG_PER_UNIT
    pitch = np.asarray(angles[:, 1], np.float64) / EYE_DEG_PER_UNIT
    toward_x = np.clip(yaw, 0, 1)  # toward image +x: the subject's left
    toward_minus_x = np.clip(-yaw, 0, 1)
    down, up = np.clip(pitch, 0, 1), np.clip(-pitch, 0, 1)
    out = {
        "eyeLookOutLeft": toward_x,
        "eyeLookInRight": toward_x,
        "eyeLookInLeft": toward_minus_x,
        "eyeLookOutRight": toward_minus_x,
        "eyeLookDownLeft": down,
        "eyeLookDownRight": down,
        "eyeLookUpLeft": up,
        "eyeLookUpRight": up,
    }
    return {k: v.astype(np.float32) for k, v in out.items()}


def angles_from_channels(blendshapes: np.ndarray) -> np.ndarray:
    """Inverse of :func:`gaze_channels` on (n, 51) ARKit rows (averaging the two eyes)."""
    C = CHANNEL_INDEX
    b = np.asarray(blendshapes, np.float64)
    yaw = (b[:, C["eyeLookOutLeft"]] + b[:, C["eyeLookInRight"]]) / 2 - (
        b[:, C["eyeLookInLeft"]] + b[:, C["eyeLookOutRight"]]
    ) / 2
    pitch = (b[:, C["eyeLookDownLeft"]] + b[:, C["eyeLookDownRight"]]) / 2 - (
        b[:, C["eyeLookUpLeft"]] + b[:, C["eyeLookUpRight"]]
    ) / 2
    return np.stack([yaw, pitch], 1) * EYE_DEG_PER_UNIT
