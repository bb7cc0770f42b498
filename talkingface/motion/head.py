"""Head motion from prosody (procedural.md §4.1): nods on accents, sway, phrase tilts, settling, idle.

* **Nods**: each pitch accent gets a down-and-back pitch movement whose apex lags the prosodic
  peak by :data:`NOD_LAG_S` (Fotedar & Ghosh: head lags prosody by ≈ 30 ms), sized by the
  accent's strength; some carry a little yaw. An accent is known a little after it happens
  (:mod:`.prosody`), so the rise starts when it is known and takes at least :data:`NOD_MIN_RISE_S`.
* **Posture**: each phrase takes a new slowly reached head posture (yaw, roll, pitch offsets):
  the tilts on phrase boundaries of Graf et al.'s "visual prosody"; in pauses it settles back
  toward rest.
* **Sway**: slow drift (periods of seconds), full while speaking, :data:`IDLE_SHARE` of it in
  silence (a person who is listening still moves a little).
* The head follows the eyes a little, ≈ 100 ms later (procedural.md §4.3).
* A soft clamp at :data:`CLAMP_DEG` keeps the single-photo warp from ever showing holes.

Everything is seeded through the pass's own random stream and scaled by the motion-scale control
(0 = a still head) times the emotion's motion gain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .emotion import motion_gain
from .gaze import angles_from_channels
from .prosody import BEHAVIOUR_LOOKAHEAD_S, PHRASE_PAUSE_S

if TYPE_CHECKING:
    from .controls import Controls
    from .engine import FeatureFrame

#: nod apex (pitch, degrees, nose down) for an accent of strength 1, drawn in this range
NOD_DEG = (2.5, 5.0)
NOD_LAG_S = 0.03  # apex after the prosodic peak
NOD_RISE_S = 0.16  # from rest to apex (when the accent is known early enough) …
NOD_MIN_RISE_S = 0.12  # … never faster than this (an accent is known ≈ 40 ms after it)
NOD_FALL_S = 0.32  # … and back (slower)
NOD_REBOUND = 0.2  # a small overshoot upward after the nod, as a share of its apex
NOD_YAW_SHARE = 0.35  # how many nods also turn the head a little …
NOD_YAW_DEG = 1.2  # … by up to this
#: per-phrase posture: standard deviation of the new target (yaw, pitch, roll), degrees. With the
#: yaw sway below, the commanded yaw has a standard deviation of 5.3–6.7° on read speech (seeds 0–4
#: of the 40 s sonnet), which the warp turns into 4–6° re-measured from the frames: real speakers'
#: 3–7° (BENCHMARKS.md, motion statistics)
POSTURE_SD_DEG = (8.0, 1.6, 2.5)
POSTURE_TIME_S = 0.35  # time constant of reaching a new posture
SETTLE_SHARE = 0.35  # in pauses the posture relaxes to this share of the phrase's
#: slow sway amplitude (yaw, pitch, roll), degrees, and the periods mixed for each axis
SWAY_DEG = (5.0, 1.0, 1.0)
SWAY_PERIODS_S = ((7.0, 4.3, 11.0), (5.1, 3.2), (8.3, 5.7))
IDLE_SHARE = 0.5  # sway in silence relative to speech
ACTIVE_ATTACK_S, ACTIVE_RELEASE_S = 0.4, 1.2  # how fast "speaking" rises and falls for the sway
CLAMP_DEG = np.array([16.0, 10.0, 8.0])  # soft limits (yaw, pitch, roll)
#: the head turns this share of the way the eyes go, this much later, this smoothly (s)
GAZE_SHARE, GAZE_LAG_S, GAZE_FOLLOW_S = 0.2, 0.1, 0.25
#: a changed motion-scale or emotion control is reached over this long (s)
CONTROL_GLIDE_S = 0.3


def soft_clamp(angles: np.ndarray, limits: np.ndarray = CLAMP_DEG) -> np.ndarray:
    """Linear near zero, never beyond ``limits`` (tanh knee)."""
    return limits * np.tanh(angles / limits)


def nod_shape(u: float, rise: float) -> float:
    """One nod at ``u`` s from its apex: raised-cosine rise over ``rise``, slower fall, small rebound."""
    if -rise < u <= 0:
        return 0.5 + 0.5 * np.cos(np.pi * u / rise)
    if 0 < u <= NOD_FALL_S:
        return 0.5 + 0.5 * np.cos(np.pi * u / NOD_FALL_S)
    if NOD_FALL_S < u <= 2 * NOD_FALL_S:
        return -NOD_REBOUND * np.sin(np.pi * (u - NOD_FALL_S) / NOD_FALL_S)
    return 0.0


def pole(seconds: float, fps: float) -> float:
    """One-pole smoothing coefficient for a time constant of ``seconds``."""
    return 1.0 - float(np.exp(-1.0 / max(seconds * fps, 1e-6)))


class HeadPass:
    """Yaw, pitch, roll (degrees) in ``pose[:3]``; reads the eyes the gaze pass wrote."""

    name = "head"
    lookahead = BEHAVIOUR_LOOKAHEAD_S

    def reset(self, fps: float, rng: np.random.Generator, controls: Controls) -> None:
        self.fps, self.rng = fps, rng
        self.sines = [
            [(1.0 / (p * rng.uniform(0.8, 1.25)), rng.uniform(0, 2 * np.pi)) for p in periods]
            for periods in SWAY_PERIODS_S
        ]
        self.active = 0.0
        self.a_up, self.a_down = pole(ACTIVE_ATTACK_S, fps), pole(ACTIVE_RELEASE_S, fps)
        self.a_posture = pole(POSTURE_TIME_S / 2, fps)
        self.a_gaze, self.a_glide = pole(GAZE_FOLLOW_S / 2, fps), pole(CONTROL_GLIDE_S, fps)
        self.target = np.zeros(3)
        self.posture = np.zeros((2, 3))  # two one-pole stages: critically damped
        self.phrase_pose: np.ndarray | None = None
        self.silent_run = 10**9
        self.phrase_frames = int(round(PHRASE_PAUSE_S * fps))
        self.nods: list[tuple[float, float, float, float]] = []  # (apex s, rise s, pitch, yaw)
        lag = int(round(GAZE_LAG_S * fps))
        self.eyes: list[np.ndarray] = [np.zeros(2)] * (lag + 1)
        self.follow = np.zeros((2, 2))
        self.first_eyes = True
        self.scale = controls.motion_scale * motion_gain(controls.emotion, controls.emotion_strength)
        self.eye_scale = controls.motion_scale

    def _posture(self, frame: FeatureFrame) -> np.ndarray:
        if frame.speech:
            if self.silent_run >= self.phrase_frames or self.phrase_pose is None:
                self.phrase_pose = self.rng.normal(0.0, POSTURE_SD_DEG)  # a new phrase
            self.target = self.phrase_pose
            self.silent_run = 0
        else:
            self.silent_run += 1
            if self.silent_run >= self.phrase_frames and self.phrase_pose is not None:
                self.target = SETTLE_SHARE * self.phrase_pose
        self.posture[0] += self.a_posture * (self.target - self.posture[0])
        self.posture[1] += self.a_posture * (self.posture[0] - self.posture[1])
        return self.posture[1]

    def _nods(self, frame: FeatureFrame, t: float) -> np.ndarray:
        known = frame.newest.index / self.fps if frame.ahead else t
        for a in frame.newest.accents:
            apex = max((a.frame + 0.5) / self.fps + NOD_LAG_S, t + NOD_MIN_RISE_S)
            rise = min(NOD_RISE_S, apex - min(known, t))
            amp = self.rng.uniform(*NOD_DEG) * a.strength
            yaw = self.rng.uniform(-NOD_YAW_DEG, NOD_YAW_DEG) if self.rng.random() < NOD_YAW_SHARE else 0.0
            self.nods.append((apex, max(rise, NOD_MIN_RISE_S), amp, yaw))
        self.nods = [n for n in self.nods if t - n[0] <= 2 * NOD_FALL_S]
        out = np.zeros(3)
        for apex, rise, amp, yaw in self.nods:
            c = nod_shape(t - apex, rise)
            out[1] += amp * c
            out[0] += yaw * c
        return out

    def step(self, frame: FeatureFrame, pose: np.ndarray, weights: np.ndarray) -> None:
        c = frame.controls
        t = (frame.index + 0.5) / self.fps
        self.scale += self.a_glide * (
            c.motion_scale * motion_gain(c.emotion, c.emotion_strength) - self.scale
        )
        self.eye_scale += self.a_glide * (c.motion_scale - self.eye_scale)
        self.active += (self.a_up if frame.speech else self.a_down) * (float(frame.speech) - self.active)
        drift = np.array(
            [amp * sum(np.sin(2 * np.pi * f * t + ph) for f, ph in waves) / np.sqrt(len(waves) / 2)
             for amp, waves in zip(SWAY_DEG, self.sines, strict=True)]
        )  # fmt: skip
        total = (
            drift * (IDLE_SHARE + (1 - IDLE_SHARE) * self.active)
            + self._posture(frame)
            + self._nods(frame, t)
        )
        head = soft_clamp(total * self.scale)
        # the head follows the eyes: delayed, smoothed, a share of the way
        self.eyes = self.eyes[1:] + [angles_from_channels(weights[None, :])[0]]
        if self.first_eyes:  # start as if the eyes had always been where they are now
            self.eyes = [self.eyes[-1]] * len(self.eyes)
            self.follow[:] = self.eyes[0]
            self.first_eyes = False
        self.follow[0] += self.a_gaze * (self.eyes[0] - self.follow[0])
        self.follow[1] += self.a_gaze * (self.follow[0] - self.follow[1])
        head[:2] += self.eye_scale * GAZE_SHARE * self.follow[1]
        pose[:3] = soft_clamp(head)
