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

import numpy as np

from .smoothing import attack_release

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
MAX_GAZE_DEG = 25.0  # main gaze directions are clamped to this


def _aversion(rng: np.random.Generator) -> np.ndarray:
    d = DIRECTIONS[rng.choice(len(DIRECTIONS), p=DIRECTION_P)]
    size = float(np.clip(rng.exponential(AVERSION_MEAN_DEG), AVERSION_MIN_DEG, AVERSION_MAX_DEG))
    return d / np.linalg.norm(d) * size


def fixations(
    speech: np.ndarray,
    fps: float,
    rng: np.random.Generator,
    utterances: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> list[tuple[float, np.ndarray]]:
    """(time s, target offset from the main direction in degrees) of each fixation, in order."""
    n = len(speech)
    talking = attack_release(np.asarray(speech, np.float32), fps, attack=0.3, release=1.0) > 0.5
    starts = {a: (a, b) for a, b in utterances if (b - a) / fps >= LONG_UTTERANCE_S}
    ends = {b for a, b in utterances if (b - a) / fps >= LONG_UTTERANCE_S}
    events: list[tuple[float, np.ndarray]] = [(0.0, np.zeros(2))]
    averted = False
    target = np.zeros(2)
    last_change = 0.0
    draws = rng.random((n, 2))
    for i in range(n):
        t = i / fps
        since = t - last_change
        new_state = None
        if i in starts and rng.random() < AVERT_AT_START_P:
            new_state = True
        elif i in ends and averted and rng.random() < RETURN_AT_END_P:
            new_state = False
        elif since >= MIN_FIXATION_S:
            hold, avert = (HOLD_TALK_S, AVERT_TALK_S) if talking[i] else (HOLD_LISTEN_S, AVERT_LISTEN_S)
            if draws[i, 0] < 1.0 / ((avert if averted else hold) * fps):
                new_state = not averted
        if new_state is not None:
            averted = new_state
            target = _aversion(rng) if averted else np.zeros(2)
            events.append((t + rng.uniform(0, 1 / fps), target))
            last_change = t
        elif draws[i, 1] < MICROSACCADE_PER_S / fps and since >= 0.1:
            angle = rng.uniform(0, 2 * np.pi)
            jitter = rng.uniform(0.2, MICROSACCADE_MAX_DEG) * np.array([np.cos(angle), np.sin(angle)])
            events.append((t + rng.uniform(0, 1 / fps), target + jitter))
    return events


def saccade_path(events: list[tuple[float, np.ndarray]], n: int, fps: float) -> np.ndarray:
    """(n, 2) eye angles at frame centres: each jump eased over its main-sequence duration."""
    times = np.array([e[0] for e in events])
    targets = np.array([e[1] for e in events])
    t = (np.arange(n) + 0.5) / fps
    k = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(events) - 1)
    prev = targets[np.maximum(k - 1, 0)]
    amp = np.linalg.norm(targets[k] - prev, axis=1)
    dur = SACCADE_BASE_S + SACCADE_PER_DEG_S * amp
    u = np.clip((t - times[k]) / dur, 0, 1)
    ease = u * u * u * (10 - 15 * u + 6 * u * u)  # minimum-jerk profile
    return prev + (targets[k] - prev) * ease[:, None]


def gaze_angles(
    speech: np.ndarray,
    fps: float,
    rng: np.random.Generator,
    utterances: list[tuple[int, int]] = (),  # type: ignore[assignment]
    direction: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """(n, 2) eye yaw, pitch in degrees: the main direction plus holds, aversions and microsaccades."""
    n = len(speech)
    main = np.clip(np.asarray(direction, np.float64), -MAX_GAZE_DEG, MAX_GAZE_DEG)
    if n == 0:
        return np.zeros((0, 2), np.float32)
    path = saccade_path(fixations(speech, fps, rng, utterances), n, fps)
    return (main + path).astype(np.float32)


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
    from .track import CHANNEL_INDEX as C

    b = np.asarray(blendshapes, np.float64)
    yaw = (b[:, C["eyeLookOutLeft"]] + b[:, C["eyeLookInRight"]]) / 2 - (
        b[:, C["eyeLookInLeft"]] + b[:, C["eyeLookOutRight"]]
    ) / 2
    pitch = (b[:, C["eyeLookDownLeft"]] + b[:, C["eyeLookDownRight"]]) / 2 - (
        b[:, C["eyeLookUpLeft"]] + b[:, C["eyeLookUpRight"]]
    ) / 2
    return np.stack([yaw, pitch], 1) * EYE_DEG_PER_UNIT
