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
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

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
