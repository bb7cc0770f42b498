"""MotionTrack files: JSON and CSV, with every channel by name (README "Motion track files").

JSON::

    {"format": "talkingface-motion", "version": 1, "fps": 25.0, "frames": 3,
     "columns": ["time", "yaw", "pitch", "roll", "tx", "ty", "scale", "browDownLeft", …],
     "rows": [[0.0, 0.0, 0.0, …], …], "meta": {"source": "audio", …}}

``tongueOut`` (ARKit's 52nd shape, which Face Landmarker does not estimate) is written as 0
and ignored on reading. CSV: the same columns as a header line, one row per frame (``time`` in
seconds; fps is read from the times). Files from other tools may leave columns out (a missing
pose column takes its rest value, a missing channel is 0) and may order them freely; unknown
names, non-numbers, uneven rows or non-increasing times are refused with one line saying what
and where.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from ..core.track import ARKIT_CHANNELS, POSE_COLUMNS, MotionTrack
from ..errors import MotionFileError

FORMAT = "talkingface-motion"
VERSION = 1
#: ARKit's 52nd shape, which Face Landmarker does not estimate: written as 0 so files carry all
#: 52 ARKit names, and ignored when read
UNUSED_CHANNELS: tuple[str, ...] = ("tongueOut",)
COLUMNS: tuple[str, ...] = ("time", *POSE_COLUMNS, *ARKIT_CHANNELS, *UNUSED_CHANNELS)
POSE_REST = {"yaw": 0.0, "pitch": 0.0, "roll": 0.0, "tx": 0.0, "ty": 0.0, "scale": 1.0}
DECIMALS = 5


def _rows(track: MotionTrack) -> np.ndarray:
    t = np.arange(len(track), dtype=np.float64) / track.fps
    unused = np.zeros((len(track), len(UNUSED_CHANNELS)))
    return np.round(np.column_stack([t, track.pose, track.blendshapes, unused]).astype(np.float64), DECIMALS)


def save_track(track: MotionTrack, path: str | Path) -> Path:
    """Write ``track`` as JSON or CSV (by the suffix); written to a temp name, then renamed."""
    path = Path(path)
    suffix = path.suffix.lower()
    part = path.with_name(path.name + ".part")
    rows = _rows(track)
    try:
        if suffix == ".json":
            doc = {
                "format": FORMAT,
                "version": VERSION,
                "fps": float(track.fps),
                "frames": len(track),
                "columns": list(COLUMNS),
                "rows": [[float(v) for v in row] for row in rows],
                "meta": {str(k): str(v) for k, v in track.meta.items()},
            }
            part.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        elif suffix == ".csv":
            with part.open("w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(COLUMNS)
                for row in rows:
                    w.writerow([f"{v:g}" for v in row])
        else:
            raise MotionFileError(f"cannot write a motion track to {path}: use a .json or .csv name")
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise MotionFileError(f"cannot write the motion track {path}: {exc.strerror or exc}") from exc
    return path


def _from_table(columns: list[str], rows: list[list], fps: float | None, where: str) -> MotionTrack:
    columns = [str(c).strip() for c in columns]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise MotionFileError(
            f"{where}: unknown column {unknown[0]!r}; columns are time, {', '.join(POSE_COLUMNS)} "
            "and the 52 ARKit blendshape names (e.g. jawOpen, eyeBlinkLeft)"
        )
    dupes = {c for c in columns if columns.count(c) > 1}
    if dupes:
        raise MotionFileError(f"{where}: column {sorted(dupes)[0]!r} appears twice")
    if not rows:
        raise MotionFileError(f"{where}: the track has no frames")
    data = np.empty((len(rows), len(columns)), np.float64)
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != len(columns):
            got = len(row) if isinstance(row, list | tuple) else type(row).__name__
            raise MotionFileError(f"{where}: frame {i} has {got} values; the header has {len(columns)}")
        try:
            data[i] = [float(v) for v in row]
        except (TypeError, ValueError):
            raise MotionFileError(f"{where}: frame {i} has a value that is not a number") from None
    if not np.isfinite(data).all():
        i = int(np.flatnonzero(~np.isfinite(data).all(1))[0])
        raise MotionFileError(f"{where}: frame {i} has a NaN or infinite value")
    col = {c: data[:, j] for j, c in enumerate(columns)}
    if fps is None:
        if "time" not in col or len(rows) < 2:
            raise MotionFileError(f"{where}: needs a time column and at least two frames to know the fps")
        steps = np.diff(col["time"])
        if (steps <= 0).any():
            raise MotionFileError(f"{where}: times must increase from frame to frame")
        fps = 1.0 / float(np.median(steps))
    elif "time" in col and len(rows) > 1 and (np.diff(col["time"]) <= 0).any():
        raise MotionFileError(f"{where}: times must increase from frame to frame")
    if not (math.isfinite(fps) and 1 <= fps <= 240):
        raise MotionFileError(f"{where}: fps {fps:g} is out of range (1 to 240)")
    n = len(rows)
    pose = np.column_stack([col.get(c, np.full(n, POSE_REST[c])) for c in POSE_COLUMNS])
    if (pose[:, 5] <= 0).any():
        raise MotionFileError(f"{where}: scale must be positive")
    blend = np.column_stack([col.get(c, np.zeros(n)) for c in ARKIT_CHANNELS])
    return MotionTrack(float(fps), pose, blend)


def load_track(path: str | Path) -> MotionTrack:
    """Read a JSON or CSV motion track, validating it (:class:`MotionFileError` on bad files)."""
    path = Path(path)
    where = f"motion track {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MotionFileError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MotionFileError(f"{where} cannot be read as UTF-8 text: {exc}") from None
    if path.suffix.lower() == ".csv" or not text.lstrip().startswith("{"):
        table = [r for r in csv.reader(text.splitlines()) if r and any(v.strip() for v in r)]
        if not table:
            raise MotionFileError(f"{where} is empty")
        return _from_table(table[0], table[1:], None, where)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MotionFileError(f"{where} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise MotionFileError(f'{where} is not a talkingface motion track (no "format": "{FORMAT}")')
    if doc.get("version") != VERSION:
        raise MotionFileError(f"{where} has version {doc.get('version')!r}; this talkingface reads {VERSION}")
    columns, rows, fps = doc.get("columns"), doc.get("rows"), doc.get("fps")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise MotionFileError(f'{where} needs a "columns" list and a "rows" list')
    if fps is not None and not isinstance(fps, int | float):
        raise MotionFileError(f"{where}: fps must be a number")
    track = _from_table(columns, rows, float(fps) if fps is not None else None, where)
    meta = doc.get("meta")
    if isinstance(meta, dict):
        track.meta.update({str(k): str(v) for k, v in meta.items()})
    return track


def resample_track(track: MotionTrack, fps: float, n_frames: int) -> MotionTrack:
    """``track`` at ``fps`` for exactly ``n_frames`` frames: linear interpolation at the new frame
    times; past its end a track holds its last frame, and a longer track is cut."""
    if n_frames <= 0:
        return MotionTrack.neutral(0, fps)
    if abs(track.fps - fps) < 1e-9 and len(track) >= n_frames:
        out = MotionTrack(fps, track.pose[:n_frames].copy(), track.blendshapes[:n_frames].copy())
    else:
        src_t = np.arange(len(track)) / track.fps
        dst_t = np.arange(n_frames) / fps
        both = np.column_stack([track.pose, track.blendshapes]).astype(np.float64)
        cols = [np.interp(dst_t, src_t, both[:, j]) for j in range(both.shape[1])]
        data = np.column_stack(cols)
        out = MotionTrack(fps, data[:, : len(POSE_COLUMNS)], data[:, len(POSE_COLUMNS) :])
    out.meta.update(track.meta)
    return out
