"""Wire format of the live WebSocket (``/api/live``), shared by the server, the page and the tests.

Every message a client sends is parsed and validated here (:func:`parse_query`,
:func:`parse_text`): a wrong type, a non-finite number or a value out of range raises
:class:`~talkingface.errors.ProtocolError` with one line saying what to send instead.

**Query string** (``/api/live?portrait=ID&…``): ``portrait`` (required), ``fps`` 1–60,
``size`` 256/384/512/640/768, ``sample_rate`` 8000–192000, ``format`` s16le or f32le,
``quality`` 10–100, ``seed``, ``idle`` and ``realtime`` (0/1), and any control below as its
starting value (``gaze`` as ``yaw,pitch``).

**Client → server**: binary messages of PCM audio (``format``, mono, ``sample_rate``), any
length (20–40 ms is usual); text messages (JSON objects):

* ``{"type": "stop"}`` ends the stream (remaining frames are flushed, then the server closes);
* ``{"type": "set", …controls}`` changes any of these while streaming (the face glides there):

  ====================  ====================================================  ==============
  control               meaning                                               range
  ====================  ====================================================  ==============
  ``emotion``           neutral, happy, sad, angry, surprised                 —
  ``emotion_strength``  0 none … 1 the full prototype                         0 – 1.5
  ``gaze``              ``[yaw, pitch]`` degrees (+ image right, + down)      ±25 each
  ``head_distance``     > 1 farther (smaller head)                            0.75 – 1.35
  ``motion_scale``      head motion, 0 = still                                0 – 3
  ``blink_rate``        blinks per minute while speaking                      0 – 60
  ``language``          ``en``/``auto`` (phones) or another code (acoustic)   —
  ====================  ====================================================  ==============

  The server answers ``{"type": "controls", …all current values}``.

**Server → client**: first ``{"type": "ready", "width", "height", "fps", "sample_rate",
"latency_budget_ms", "controls", …}``, then one binary message per frame: a 32-byte
little-endian header followed by the JPEG::

    magic  4s   b"TFv1"
    index  u32  frame number on the audio timeline (gaps = frames dropped to keep latency bounded)
    pts    f64  start of the frame on the audio timeline, seconds (= index / fps)
    jaw    f32  the jawOpen the frame shows (0 = closed)
    db     f32  loudness of the audio it shows, dBFS
    heard  f64  seconds of the client's audio received when the frame was made: the frame was
                made the moment the chunk ending there arrived; −1 for idle frames made from
                padded silence. The frame shows the sound ``latency_budget_ms`` + half a frame
                before ``heard``, so voice-to-lips latency = frame received − the chunk holding
                that sound sent (what the page shows and ``scripts/bench_live.py`` measures)

A page plays the audio it sent on the same timeline: frame ``index`` is shown when the audio
clock reaches ``pts`` (see the page's script). Text messages ``{"type": "stats", …}`` come about
once a second; ``{"type": "error", "message"}`` answers a bad message (the stream goes on) or
comes before a close on a bad request.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import asdict, dataclass, fields, replace

from ..errors import ProtocolError
from ..motion.controls import Controls

MAGIC = b"TFv1"
HEADER = struct.Struct("<4sIdffd")
SIZES = (256, 384, 512, 640, 768)
#: in real time, a frame whose audio arrived this long ago (s) is skipped when a newer one waits:
#: long enough to absorb a busy moment of the machine, short enough to bound latency on a slow one
LIVE_LATE_S = 0.25
#: query parameter → (low, high) for numbers
QUERY_RANGES = {"fps": (1, 60), "sample_rate": (8000, 192000), "quality": (10, 100), "seed": (0, 2**32 - 1)}
FORMATS = ("s16le", "f32le")
CONTROL_NAMES = tuple(f.name for f in fields(Controls))


@dataclass(frozen=True)
class FramePacket:
    index: int
    pts: float
    jaw: float
    db: float
    heard: float
    jpeg: bytes


def pack_frame(index: int, pts: float, jaw: float, db: float, heard: float, jpeg: bytes) -> bytes:
    return HEADER.pack(MAGIC, index, pts, jaw, db, heard) + jpeg


def unpack_frame(data: bytes) -> FramePacket:
    magic, index, pts, jaw, db, heard = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not a talkingface frame packet")
    return FramePacket(index, pts, jaw, db, heard, bytes(data[HEADER.size :]))


def _number(name: str, value, integer: bool = False) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ProtocolError(f"{name}={value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"{name} must be a finite number, not {value!r}")
    if integer and value != int(value):
        raise ProtocolError(f"{name} must be a whole number, not {value!r}")
    return int(value) if integer else float(value)


def _gaze(value) -> tuple[float, float]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ProtocolError(f"gaze must be [yaw, pitch] in degrees, not {value!r}")
    return (_number("gaze yaw", value[0]), _number("gaze pitch", value[1]))


def parse_controls(values: dict, base: Controls | None = None) -> Controls:
    """Controls from a ``set`` message or query values, validated; unknown names are refused."""
    changes = {}
    for name, value in values.items():
        if value is None:  # null leaves a control as it is
            continue
        if name not in CONTROL_NAMES:
            raise ProtocolError(f"unknown control {name!r}: use {', '.join(CONTROL_NAMES)}")
        if name == "gaze":
            changes[name] = _gaze(value)
        elif name in ("emotion", "language"):
            if not isinstance(value, str):
                raise ProtocolError(f"{name} must be a string, not {value!r}")
            changes[name] = value.strip().lower()
        else:
            changes[name] = _number(name, value)
    try:
        return replace(base or Controls(), **changes)
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class SetControls:
    values: dict  # the changed controls, already validated

    def apply(self, controls: Controls) -> Controls:
        return parse_controls(self.values, controls)


def parse_text(text: str, current: Controls | None = None) -> Stop | SetControls:
    """One client text message → :class:`Stop` or :class:`SetControls` (validated against ``current``)."""
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError('a text message must be JSON, e.g. {"type": "stop"}') from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError('a text message must be a JSON object with a "type": "stop" or "set"')
    kind = message.pop("type")
    if kind == "stop":
        return Stop()
    if kind == "set":
        if not message:
            raise ProtocolError(f"a set message needs at least one control: {', '.join(CONTROL_NAMES)}")
        parse_controls(message, current)  # validate now: a bad value changes nothing
        return SetControls(message)
    raise ProtocolError(f'unknown message type {kind!r}: use "stop" or "set"')


def controls_message(controls: Controls) -> dict:
    return {"type": "controls", **asdict(controls)}


def _flag(name: str, value: str) -> bool:
    v = value.lower()
    if v not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        raise ProtocolError(f"{name}={value!r} is not a flag: use 1 or 0")
    return v in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class LiveParams:
    """A live session's settings from the query string."""

    portrait: str
    fps: float = 25.0
    size: int = 512
    sample_rate: int = 16000
    format: str = "s16le"
    quality: int = 75
    seed: int = 0
    idle: bool = True  # pad silence on the wall clock when no audio arrives
    realtime: bool = True  # drop frames rather than let latency grow
    controls: Controls = Controls()

    @property
    def motion_scale(self) -> float:
        return self.controls.motion_scale

    @property
    def blink_rate(self) -> float:
        return self.controls.blink_rate

    @classmethod
    def parse(cls, q) -> LiveParams:
        """From a query mapping; raises :class:`ProtocolError` (a ValueError) with one line."""
        if "portrait" not in q:
            raise ProtocolError(
                "the 'portrait' query parameter is missing: upload one to /api/portraits first"
            )
        kw: dict = {}
        for key in ("fps", "sample_rate", "quality", "seed"):
            if key in q:
                kw[key] = _number(key, q[key], integer=key != "fps")
                lo, hi = QUERY_RANGES[key]
                if not lo <= kw[key] <= hi:
                    raise ProtocolError(f"{key} {kw[key]:g} is out of range: use {lo} to {hi}")
        if "size" in q:
            kw["size"] = _number("size", q["size"], integer=True)
            if kw["size"] not in SIZES:
                raise ProtocolError(
                    f"size {kw['size']} is not supported live: use {', '.join(map(str, SIZES))}"
                )
        if "format" in q:
            if q["format"] not in FORMATS:
                raise ProtocolError(f"format {q['format']!r} is not supported: use s16le or f32le")
            kw["format"] = q["format"]
        for key in ("idle", "realtime"):
            if key in q:
                kw[key] = _flag(key, q[key])
        controls = {k: q[k] for k in CONTROL_NAMES if k in q}
        return cls(portrait=q["portrait"], controls=parse_controls(controls), **kw)
