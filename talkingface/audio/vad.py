"""The one voice-activity detector: causal, frame by frame, for files and live alike.

Files and the live stream read speech with the same estimator, so the same audio gives the same
speech frames (and with them the same blinks, gaze and head motion) whichever way it arrives:

* floor: follows quiet frames down fast and loud ones up slowly (minimum statistics);
* peak: follows loud frames up fast and decays slowly;
* threshold: ``max(floor + FLOOR_SHARE (peak − floor), peak − RANGE_DB, MIN_DB)`` dB;
* hangover: speech stays on for ``HANGOVER_S`` after the level drops (a mouth does not snap
  shut between syllables; causally the only way to bridge a gap is to hold);
* speech mean and SD: exponentially weighted over voiced frames (``MEMORY_S``), starting from a
  typical close-mic speech level so the first syllable already counts.
"""

from __future__ import annotations

import numpy as np

from ..core.timeline import runs

#: threshold rule (dB): between the noise floor and the speech peak … (0.30: on real and
#: synthetic speech against forced alignment, as few false frames in pauses as a whole-clip
#: percentile rule and fewer missed ones; scripts/bench_lipsync.py measures the result)
FLOOR_SHARE = 0.30
RANGE_DB = 35.0
MIN_DB = -50.0
#: … speech holds this long after the level drops (s)
HANGOVER_S = 0.15
#: speech level statistics remember this long (s)
MEMORY_S = 8.0
#: starting estimates (dB): floor, peak, speech mean and SD
START_FLOOR_DB, START_PEAK_DB, START_MEAN_DB, START_SD_DB = -60.0, -30.0, -28.0, 6.0
#: a first frame quieter than this is taken as the recording's own noise floor (a room's hiss,
#: often −50 … −40 dB, would otherwise read as speech while the floor climbs from START_FLOOR_DB)
QUIET_START_DB = -40.0
SD_RANGE_DB = (2.0, 15.0)
FLOOR_RISE_S, FLOOR_FALL_S = 3.0, 0.1
PEAK_RISE_S, PEAK_FALL_S = 0.05, 6.0


def hangover_frames(fps: float) -> int:
    """Frames speech is held after the last frame above the threshold."""
    return max(1, int(round(HANGOVER_S * fps))) - 1


def without_hangover(speech: np.ndarray, fps: float) -> np.ndarray:
    """The VAD's speech minus the hangover that ends each run (runs cut off by the array's end
    keep theirs): gaps inside speech stay bridged, but speech stops where the voice did. The
    mouth reads this (its own pause rules close it); blinks and head keep the hold."""
    out = np.array(speech, bool)
    hold = hangover_frames(fps)
    for a, b in runs(out):
        if b < len(out):
            out[max(a, b - hold) : b] = False
    return out


def _pole(seconds: float, fps: float) -> float:
    return 1.0 - float(np.exp(-1.0 / max(seconds * fps, 1e-6)))


class RunningVad:
    """Feed one frame's dB at a time (:meth:`update`); read ``speech``, ``level``, ``mean``, ``sd``.

    ``hold=False`` drops the hangover: speech is then only the frames above the threshold (a
    measurement's view; motion wants the hold)."""

    def __init__(self, fps: float, hold: bool = True) -> None:
        self.fps = fps
        self.floor: float | None = None  # set from the first frame
        self.peak = START_PEAK_DB
        self.mean, self.var = START_MEAN_DB, START_SD_DB**2
        self.hang = 0
        self.min_gap = hangover_frames(fps) + 1 if hold else 0
        self._a_mem = _pole(MEMORY_S, fps)
        self._floor_up, self._floor_down = _pole(FLOOR_RISE_S, fps), _pole(FLOOR_FALL_S, fps)
        self._peak_up, self._peak_down = _pole(PEAK_RISE_S, fps), _pole(PEAK_FALL_S, fps)

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.var))

    def update(self, db: float) -> tuple[bool, float]:
        """One frame's dB in; (speech, level 0…1 as the jaw rule reads it) out."""
        if self.floor is None:
            self.floor = max(db, START_FLOOR_DB) if db < QUIET_START_DB else START_FLOOR_DB
        self.floor += (self._floor_down if db < self.floor else self._floor_up) * (db - self.floor)
        self.peak += (self._peak_up if db > self.peak else self._peak_down) * (db - self.peak)
        self.peak = max(self.peak, self.floor + 6.0)
        threshold = max(self.floor + FLOOR_SHARE * (self.peak - self.floor), self.peak - RANGE_DB, MIN_DB)
        active = db > threshold
        if active:
            self.hang = self.min_gap
            d = db - self.mean
            self.mean += self._a_mem * d
            self.var = (1 - self._a_mem) * (self.var + self._a_mem * d * d)
            self.var = min(max(self.var, SD_RANGE_DB[0] ** 2), SD_RANGE_DB[1] ** 2)
        elif self.hang > 0:
            self.hang -= 1
        speech = active or self.hang > 0
        return speech, loudness_level(db, self.mean, self.sd) if speech else 0.0


def loudness_level(db, mean: float, sd: float):
    """JALI's jaw rule on the dB scale: 0 at mean − 2 SD, 1 at mean + 1.2 SD (scalar or array)."""
    return np.clip((np.asarray(db, np.float64) - (mean - 2.0 * sd)) / (3.2 * sd), 0.0, 1.0)


def speech_frames(rms_db: np.ndarray, fps: float, hold: bool = True) -> np.ndarray:
    """The VAD run over a whole clip's frame loudness (the same answer a live stream gets)."""
    vad = RunningVad(fps, hold)
    return np.array([vad.update(float(db))[0] for db in rms_db], bool)
