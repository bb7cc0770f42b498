"""Wire format of the live WebSocket (``/api/live``), shared by the server, the page and the tests.

Client → server: binary messages of PCM audio (``format`` s16le or f32le, mono, ``sample_rate``
from the query string), any length (20–40 ms is usual); a text message ``{"type": "stop"}`` ends
the stream (remaining frames are flushed, then the server closes); ``{"type": "set",
"motion_scale": 0.5, "blink_rate": 10}`` changes those controls while streaming.

Server → client: first a text message ``{"type": "ready", "width", "height", "fps", ...}``, then
one binary message per frame: a 32-byte little-endian header followed by the JPEG::

    magic  4s   b"TFv1"
    index  u32  frame number on the audio timeline (gaps = frames dropped to keep latency bounded)
    pts    f64  start of the frame on the audio timeline, seconds (= index / fps)
    jaw    f32  the jawOpen the frame shows (0 = closed)
    db     f32  loudness of the audio it shows, dBFS
    heard  f64  seconds of the client's audio received when the frame was made: the frame was
                made the moment the chunk ending there arrived (latency = frame received − that
                chunk sent); −1 for idle frames made from padded silence

and text messages ``{"type": "stats", ...}`` about once a second, ``{"type": "error", "message"}``
before a close on a bad request.

Every client text message is checked by :func:`parse_message`: a JSON object with a known
``type``, known keys, finite numbers within the ranges of the options (GenerateOptions).
Anything else raises :class:`~talkingface.errors.ProtocolError` with a line that says what to send.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from ..errors import InputError, ProtocolError

MAGIC = b"TFv1"
HEADER = struct.Struct("<4sIdffd")


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


@dataclass(frozen=True)
class Stop:
    """Flush the frames still due, then close."""


@dataclass(frozen=True)
class SetControls:
    """Change controls while streaming; None leaves one as it is."""

    motion_scale: float | None = None
    blink_rate: float | None = None


CONTROLS = ("motion_scale", "blink_rate")


def parse_message(text: str) -> Stop | SetControls:
    """One client text message, validated; raises ProtocolError saying what is wrong."""
    from ..pipeline.options import GenerateOptions, api_message

    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError(
            'a text message is not JSON: send {"type": "stop"} or {"type": "set", ...}'
        ) from None
    if not isinstance(message, dict):
        raise ProtocolError(
            f"a text message must be a JSON object with a 'type', not {type(message).__name__}"
        )
    kind = message.get("type")
    if kind == "stop":
        return Stop()
    if kind != "set":
        raise ProtocolError(f"message type {kind!r} is unknown: use 'stop' or 'set'")
    unknown = set(message) - {"type", *CONTROLS}
    if unknown:
        raise ProtocolError(f"'set' has unknown keys {sorted(unknown)}: use {', '.join(CONTROLS)}")
    values = {k: message[k] for k in CONTROLS if message.get(k) is not None}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtocolError(f"{key} must be a number, not {json.dumps(value)}")
    try:  # the ranges (and the finite check) are the options' own
        GenerateOptions(**{k: float(v) for k, v in values.items()})
    except InputError as exc:
        raise ProtocolError(api_message(str(exc))) from None
    return SetControls(**{k: float(v) for k, v in values.items()})
