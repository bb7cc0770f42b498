"""One live WebSocket session: PCM chunks in, JPEG frames out (wire format: stream/protocol.py).

Three cooperating pieces on the event loop: the receive loop feeds the engine (cheap: motion
only), a render loop renders and encodes frames in a worker thread and sends them, and an idle
ticker pads silence when the client sends no audio so the portrait keeps idling on the wall
clock. Everything a client can do is bounded:

- audio is held to real time: the session's timeline may run at most ``burst`` seconds ahead of
  the wall clock (and one message may carry at most that much); what arrives faster is dropped
  and counted (``audio_dropped_seconds`` in the stats), so a flood costs nothing;
- frames wait in a queue: when rendering (or a client that does not read) falls behind by more
  than ``late`` seconds, the late frames are skipped for the newest (the motion state still
  advanced through them), so a moment's hiccup costs no frame and a slow machine no latency;
- a client that sends nothing for ``idle_timeout`` seconds is disconnected;
- every text message is validated (:func:`~talkingface.stream.protocol.parse_message`).

Every end is a close frame with a code and, except for a normal end, an ``error`` message first:

========  ================================================================================
1000      the client sent ``stop``: remaining frames were flushed, then ``end``
1007      a message the protocol does not allow (not JSON, unknown type, bad number)
1008      a bad query (unknown portrait, bad parameter) or no message for ``idle_timeout`` s
1011      rendering failed (a bug): the session ends, its slot is free again
1013      every live slot is taken: try again later
========  ================================================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..errors import ProtocolError
from ..provenance import FrameMarker, ProvenanceOptions, new_generation_id
from ..stream.engine import LiveRenderer, MotionFrame, StreamEngine
from ..stream.pcm import PcmDecoder
from ..stream.protocol import (
    LIVE_LATE_S,
    LiveParams,
    SetControls,
    Stop,
    controls_message,
    pack_frame,
    parse_text,
)

__all__ = ["IDLE_AFTER", "LiveParams", "Limits", "run_session"]

IDLE_AFTER = 0.35  # s without audio before the server pads silence

CLOSE_NORMAL, CLOSE_INVALID, CLOSE_POLICY, CLOSE_ERROR, CLOSE_TRY_LATER = 1000, 1007, 1008, 1011, 1013


class SessionEnd(Exception):
    """Ends a session with a close code and an error message for the client."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Limits:
    late: float = LIVE_LATE_S  # s a frame may wait before a newer one replaces it (real-time mode)
    idle_timeout: float = 30.0  # seconds without any client message before the session is closed
    burst: float = 1.0  # seconds of audio the timeline may run ahead of the wall clock


async def end_with(ws: WebSocket, code: int, message: str | None = None) -> None:
    """An error message (when there is one) and a close frame, whatever state the socket is in."""
    with contextlib.suppress(Exception):
        if ws.application_state == WebSocketState.CONNECTING:
            await ws.accept()
        if message:
            await ws.send_json({"type": "error", "message": message})
        await ws.close(code, (message or "")[:120])


def _render_outcome(ws: WebSocket, task: asyncio.Task) -> None:
    """Raise SessionEnd(1011) when the render loop failed for another reason than a client gone."""
    exc = task.exception()
    if exc is None or isinstance(exc, WebSocketDisconnect):
        return
    if ws.client_state != WebSocketState.CONNECTED or ws.application_state != WebSocketState.CONNECTED:
        return
    raise SessionEnd(CLOSE_ERROR, f"rendering failed ({exc.__class__.__name__}): the session was ended")


class _Frames:
    """Frames waiting to be rendered, in order. With ``late`` (real-time mode), a frame whose audio
    arrived more than ``late`` s ago is skipped when a newer one waits: a hiccup (a busy moment of
    the machine) is absorbed and caught up at the renderer's full speed, while a machine too slow
    for real time keeps a bounded latency. Beyond ``size`` waiting frames the oldest goes. Skipped
    frames are counted; the end marker (None) is never skipped."""

    def __init__(self, size: int, late: float | None) -> None:
        self.items: deque[MotionFrame | None] = deque()
        self.size = max(1, size)
        self.late = late
        self.dropped = 0
        self._ready = asyncio.Event()

    def put(self, item: MotionFrame | None) -> None:
        self.items.append(item)
        while len(self.items) > self.size and self.items[0] is not None:
            self.items.popleft()
            self.dropped += 1
        self._ready.set()

    async def get(self) -> MotionFrame | None:
        while not self.items:
            self._ready.clear()
            await self._ready.wait()
        if self.late is not None:
            now = time.perf_counter()
            while (
                len(self.items) > 1 and self.items[1] is not None and now - self.items[0].ready_at > self.late
            ):
                self.items.popleft()
                self.dropped += 1
        return self.items.popleft()


async def run_session(
    ws: WebSocket, params: LiveParams, renderer, executor: Executor, limits: Limits
) -> None:
    """Drive one accepted WebSocket until the client stops, disconnects, misbehaves or rendering fails."""
    loop = asyncio.get_running_loop()
    decoder = PcmDecoder(params.format, params.sample_rate)
    # off the event loop: loading the phone recogniser takes ≈ 0.13 s (other sessions keep streaming)
    engine = await loop.run_in_executor(executor, StreamEngine, params.fps, params.seed, params.controls)
    h, w = renderer.rig.image.shape[:2]
    generation = new_generation_id()  # a stream has no file to sign; every frame is watermarked
    live = LiveRenderer(
        renderer, params.quality, FrameMarker(w, h, ProvenanceOptions(sign=False), generation)
    )
    await ws.send_text(
        json.dumps(
            {"type": "ready", "width": w, "height": h, "fps": params.fps, "sample_rate": 16000,
             "latency_budget_ms": round(engine.latency_budget * 1000, 1),
             "idle_timeout_s": limits.idle_timeout, "generation_id": f"{generation:08x}",
             "controls": controls_message(engine.controls)}
        )
    )  # fmt: skip
    frames = _Frames(int(4 * params.fps), limits.late if params.realtime else None)
    stats = {"sent": 0, "render_ms": 0.0, "audio_dropped": 0.0}
    t0 = time.perf_counter()
    bytes_per_second = decoder.dtype.itemsize * decoder.rate

    def render(m: MotionFrame) -> bytes:
        t = time.perf_counter()
        data = pack_frame(m.index, m.time, m.jaw, m.features.rms_db, m.heard, live.jpeg(live.rgb(m)))
        stats["render_ms"] += (time.perf_counter() - t) * 1000
        return data

    def stats_message(kind: str = "stats") -> str:
        return json.dumps(
            {"type": kind, "frames_sent": stats["sent"], "frames_dropped": frames.dropped,
             "audio_seconds": round(engine.audio_seconds, 3),
             "audio_dropped_seconds": round(stats["audio_dropped"], 3),
             "render_ms": round(stats["render_ms"] / max(stats["sent"], 1), 2)}
        )  # fmt: skip

    async def render_loop() -> None:
        last_stats = time.perf_counter()
        while (m := await frames.get()) is not None:
            await ws.send_bytes(await loop.run_in_executor(executor, render, m))
            stats["sent"] += 1
            if time.perf_counter() - last_stats > 1.0:
                last_stats = time.perf_counter()
                await ws.send_text(stats_message())

    def feed(batch: list[MotionFrame], heard: float = -1.0) -> None:
        for m in batch:
            m.heard = heard
            frames.put(m)

    async def idle_loop() -> None:
        while True:
            await asyncio.sleep(1 / params.fps)
            lag = (time.perf_counter() - t0) - engine.audio_seconds
            if lag > IDLE_AFTER:  # keep the timeline IDLE_AFTER behind the wall clock: one frame a tick
                feed(engine.pad_silence(lag - IDLE_AFTER))

    async def receive_loop() -> None:
        """Returns on ``stop``; raises SessionEnd or WebSocketDisconnect otherwise."""
        heard = 0.0  # seconds of the client's own audio taken in
        while True:
            msg = await ws.receive()
            last_message[0] = loop.time()
            if msg["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(msg.get("code", 1000))
            if msg.get("bytes") is not None:
                data = msg["bytes"]
                # real-time pace: the timeline may run at most `burst` s ahead of the wall clock
                room = min(limits.burst, time.perf_counter() - t0 + limits.burst - engine.audio_seconds)
                keep = max(0, int(room * bytes_per_second))
                keep -= keep % decoder.dtype.itemsize
                if len(data) > keep:
                    stats["audio_dropped"] += (len(data) - keep) / bytes_per_second
                    data = data[:keep]
                if data:
                    samples = decoder.decode(data)
                    if not np.isfinite(samples).all():
                        raise SessionEnd(
                            CLOSE_INVALID, "audio samples must be finite numbers: check the f32le data"
                        )
                    heard += len(data) / bytes_per_second
                    feed(engine.push(samples), heard)
            elif msg.get("text") is not None:
                try:
                    command = parse_text(msg["text"], engine.controls)
                except ProtocolError as exc:
                    raise SessionEnd(CLOSE_INVALID, str(exc)) from None
                if isinstance(command, Stop):
                    feed(engine.flush(), heard)  # the last frames need look-ahead past the end
                    return
                if isinstance(command, SetControls):
                    engine.controls = command.apply(engine.controls)
                    await ws.send_text(json.dumps(controls_message(engine.controls)))

    last_message = [loop.time()]

    async def watchdog() -> None:
        """Raises SessionEnd once the client has sent nothing for ``idle_timeout`` seconds."""
        while (quiet := loop.time() - last_message[0]) < limits.idle_timeout:
            await asyncio.sleep(min(1.0, limits.idle_timeout - quiet))
        raise SessionEnd(
            CLOSE_POLICY,
            f"nothing received for {limits.idle_timeout:g} s, so the session was closed: "
            "send audio (or an empty binary message) to keep it open",
        )

    renderer_task = asyncio.create_task(render_loop())
    idle_task = asyncio.create_task(idle_loop()) if params.idle else None
    reader = asyncio.create_task(receive_loop())
    guard = asyncio.create_task(watchdog())
    try:
        await asyncio.wait({reader, renderer_task, guard}, return_when=asyncio.FIRST_COMPLETED)
        if guard.done():
            guard.result()  # raises SessionEnd (idle)
        if renderer_task.done():  # rendering failed, or the client is gone (sending failed)
            _render_outcome(ws, renderer_task)
            return
        reader.result()  # raises SessionEnd / WebSocketDisconnect
        if idle_task:
            idle_task.cancel()
        frames.put(None)
        await asyncio.wait({renderer_task})
        _render_outcome(ws, renderer_task)
        await ws.send_text(stats_message("end"))
        await ws.close(CLOSE_NORMAL)
    except SessionEnd as end:
        await end_with(ws, end.code, str(end))
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away
    finally:
        for task in (idle_task, reader, renderer_task, guard):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
