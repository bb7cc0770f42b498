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
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..provenance import FrameMarker, ProvenanceOptions, new_generation_id
from ..stream.engine import LiveRenderer, MotionFrame, StreamEngine
from ..stream.pcm import PcmDecoder
from ..stream.protocol import pack_frame

IDLE_AFTER = 0.35  # s without audio before the server pads silence


def _flag(value: str) -> bool:
    return value.lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class LiveParams:
    portrait: str
    fps: float = 25.0
    size: int = 512
    sample_rate: int = 16000
    format: str = "s16le"
    quality: int = 75
    seed: int = 0
    motion_scale: float = 1.0
    blink_rate: float = 22.0
    idle: bool = True  # pad silence on the wall clock when no audio arrives
    realtime: bool = True  # drop frames rather than let latency grow

    @classmethod
    def parse(cls, q) -> LiveParams:
        if "portrait" not in q:
            raise ValueError("the 'portrait' query parameter is missing: upload one to /api/portraits first")
        conv = {
            "fps": float, "size": int, "sample_rate": int, "quality": int, "seed": int,
            "motion_scale": float, "blink_rate": float, "format": str,
            "idle": _flag, "realtime": _flag,
        }  # fmt: skip
        kw = {}
        for key, fn in conv.items():
            if key in q:
                try:
                    kw[key] = fn(q[key])
                except ValueError:
                    raise ValueError(f"query parameter {key}={q[key]!r} is not a valid value") from None
        p = cls(portrait=q["portrait"], **kw)
        if not 1 <= p.fps <= 60:
            raise ValueError(f"fps {p.fps} is out of range: use 1 to 60")
        if p.size not in (256, 384, 512, 640, 768):
            raise ValueError(f"size {p.size} is not supported live: use 256, 384, 512, 640 or 768")
        if not 10 <= p.quality <= 100:
            raise ValueError(f"quality {p.quality} is out of range: use 10 to 100")
        if not 0 <= p.motion_scale <= 3 or not 0 <= p.blink_rate <= 60:
            raise ValueError("motion_scale must be 0 to 3 and blink_rate 0 to 60")
        return p


async def run_session(ws: WebSocket, params: LiveParams, renderer, executor: Executor, backlog: int) -> None:
    """Drive one accepted WebSocket until the client stops or disconnects."""
    loop = asyncio.get_running_loop()
    decoder = PcmDecoder(params.format, params.sample_rate)
    engine = StreamEngine(params.fps, params.seed, params.motion_scale, params.blink_rate)
    h, w = renderer.rig.image.shape[:2]
    generation = new_generation_id()  # a stream has no file to sign; every frame is watermarked
    live = LiveRenderer(
        renderer, params.quality, FrameMarker(w, h, ProvenanceOptions(sign=False), generation)
    )
    await ws.send_text(
        json.dumps(
            {"type": "ready", "width": w, "height": h, "fps": params.fps, "sample_rate": 16000,
             "latency_budget_ms": round(engine.latency_budget * 1000, 1),
             "generation_id": f"{generation:08x}"}
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
                    command = json.loads(msg["text"])
                except ValueError:
                    continue
                if command.get("type") == "stop":
                    break
                if command.get("type") == "set":
                    with contextlib.suppress(TypeError, ValueError):
                        ms, br = command.get("motion_scale"), command.get("blink_rate")
                        engine.set_controls(
                            None if ms is None else min(max(float(ms), 0.0), 3.0),
                            None if br is None else min(max(float(br), 0.0), 60.0),
                        )
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
