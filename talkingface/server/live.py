"""One live WebSocket session: PCM chunks in, JPEG frames out (wire format: stream/protocol.py).

Three cooperating pieces on the event loop: the receive loop feeds the engine (cheap: motion
only), a render loop renders and encodes frames in a worker thread and sends them, and an idle
ticker pads silence when the client sends no audio so the portrait keeps idling on the wall
clock. When rendering falls more than ``backlog`` frames behind, older frames are skipped (the
motion state still advances through them) so latency stays bounded instead of growing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from concurrent.futures import Executor

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import ProtocolError
from ..provenance import FrameMarker, ProvenanceOptions, new_generation_id
from ..stream.engine import LiveRenderer, MotionFrame, StreamEngine
from ..stream.pcm import PcmDecoder
from ..stream.protocol import LiveParams, SetControls, Stop, controls_message, pack_frame, parse_text

__all__ = ["IDLE_AFTER", "LiveParams", "run_session"]

IDLE_AFTER = 0.35  # s without audio before the server pads silence


async def run_session(ws: WebSocket, params: LiveParams, renderer, executor: Executor, backlog: int) -> None:
    """Drive one accepted WebSocket until the client stops or disconnects."""
    loop = asyncio.get_running_loop()
    decoder = PcmDecoder(params.format, params.sample_rate)
    engine = StreamEngine(params.fps, params.seed, params.controls)
    h, w = renderer.rig.image.shape[:2]
    generation = new_generation_id()  # a stream has no file to sign; every frame is watermarked
    live = LiveRenderer(
        renderer, params.quality, FrameMarker(w, h, ProvenanceOptions(sign=False), generation)
    )
    await ws.send_text(
        json.dumps(
            {"type": "ready", "width": w, "height": h, "fps": params.fps, "sample_rate": 16000,
             "latency_budget_ms": round(engine.latency_budget * 1000, 1),
             "generation_id": f"{generation:08x}", "controls": controls_message(engine.controls)}
        )
    )  # fmt: skip
    frames: asyncio.Queue[MotionFrame | None] = asyncio.Queue()
    stats = {"sent": 0, "dropped": 0, "render_ms": 0.0}
    t0 = time.perf_counter()

    def render(m: MotionFrame) -> bytes:
        t = time.perf_counter()
        data = pack_frame(m.index, m.time, m.jaw, m.features.rms_db, m.heard, live.jpeg(live.rgb(m)))
        stats["render_ms"] += (time.perf_counter() - t) * 1000
        return data

    async def render_loop() -> None:
        last_stats = time.perf_counter()
        while True:
            m = await frames.get()
            if m is None:
                return
            if params.realtime:
                while frames.qsize() > backlog:
                    nxt = frames.get_nowait()
                    if nxt is None:
                        frames.put_nowait(None)
                        break
                    stats["dropped"] += 1
                    m = nxt
            await ws.send_bytes(await loop.run_in_executor(executor, render, m))
            stats["sent"] += 1
            if time.perf_counter() - last_stats > 1.0:
                last_stats = time.perf_counter()
                await ws.send_text(
                    json.dumps(
                        {"type": "stats", "frames_sent": stats["sent"], "frames_dropped": stats["dropped"],
                         "audio_seconds": round(engine.audio_seconds, 3),
                         "render_ms": round(stats["render_ms"] / max(stats["sent"], 1), 2)}
                    )
                )  # fmt: skip

    heard = 0.0  # seconds of the client's own audio received

    def feed(batch: list[MotionFrame], heard: float = -1.0) -> None:
        for m in batch:
            m.heard = heard
            frames.put_nowait(m)

    async def idle_loop() -> None:
        while True:
            await asyncio.sleep(1 / params.fps)
            lag = (time.perf_counter() - t0) - engine.audio_seconds
            if lag > IDLE_AFTER:  # keep the timeline IDLE_AFTER behind the wall clock: one frame a tick
                feed(engine.pad_silence(lag - IDLE_AFTER))

    renderer_task = asyncio.create_task(render_loop())
    idle_task = asyncio.create_task(idle_loop()) if params.idle else None
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(msg.get("code", 1000))
            if msg.get("bytes") is not None:
                pcm = decoder.decode(msg["bytes"])
                heard += len(msg["bytes"]) / decoder.dtype.itemsize / decoder.rate
                feed(engine.push(pcm), heard)
            elif msg.get("text") is not None:
                try:
                    command = parse_text(msg["text"], engine.controls)
                except ProtocolError as exc:  # a bad message is answered; the stream goes on
                    await ws.send_text(json.dumps({"type": "error", "message": str(exc)}))
                    continue
                if isinstance(command, Stop):
                    feed(engine.flush(), heard)  # the last frames need look-ahead past the end
                    break
                if isinstance(command, SetControls):
                    engine.controls = command.apply(engine.controls)
                    await ws.send_text(json.dumps(controls_message(engine.controls)))
            if renderer_task.done():  # the send side failed (client gone)
                break
        if idle_task:
            idle_task.cancel()
        frames.put_nowait(None)
        await renderer_task
        await ws.send_text(
            json.dumps({"type": "end", "frames_sent": stats["sent"], "frames_dropped": stats["dropped"]})
        )
        await ws.close(1000)
    except WebSocketDisconnect:
        pass
    finally:
        if idle_task:
            idle_task.cancel()
        renderer_task.cancel()
        with contextlib.suppress(BaseException):
            await renderer_task
