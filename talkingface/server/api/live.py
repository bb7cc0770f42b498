"""``/api/live``: the live WebSocket (protocol: stream/protocol.py; lifecycle: server/live.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from ...errors import InputError, TalkingFaceError
from ..live import CLOSE_ERROR, CLOSE_POLICY, CLOSE_TRY_LATER, Limits, LiveParams, end_with, run_session
from ..services import Services

router = APIRouter(tags=["live"])


@router.websocket("/api/live")
async def live(ws: WebSocket) -> None:
    """Live: send PCM chunks, receive JPEG frames. Query: ``portrait`` (an id from /api/portraits),
    ``fps``, ``size``, ``sample_rate``, ``format``, ``quality``, ``seed``, ``motion_scale``,
    ``blink_rate``, ``idle``, ``realtime``; ``token`` when the server has one (browsers cannot set
    headers on a WebSocket). Close codes: see talkingface/server/live.py."""
    svc: Services = ws.app.state.services
    try:
        params = LiveParams.parse(ws.query_params)
        if svc.portraits.path(params.portrait) is None:
            raise InputError(f"no portrait {params.portrait!r}: upload one to /api/portraits first")
    except InputError as exc:
        await end_with(ws, CLOSE_POLICY, str(exc))
        return
    if not svc.live.take():
        await end_with(
            ws, CLOSE_TRY_LATER, f"{svc.config.max_live} live sessions are running: try again later"
        )
        return
    try:
        await ws.accept()
        try:
            renderer = await run_in_threadpool(svc.portraits.renderer, params.portrait, params.size)
        except (TalkingFaceError, KeyError) as exc:
            await end_with(ws, CLOSE_POLICY, f"the portrait cannot be used: {exc}")
            return
        except Exception as exc:
            await end_with(ws, CLOSE_ERROR, f"preparing the portrait failed ({exc.__class__.__name__})")
            return
        c = svc.config
        limits = Limits(c.live_late_seconds, c.live_idle_seconds, c.live_burst_seconds)
        await run_session(ws, params, renderer, _pool(ws), limits)
    finally:
        svc.live.give()


def _pool(ws: WebSocket) -> ThreadPoolExecutor:
    return ws.app.state.live_pool
