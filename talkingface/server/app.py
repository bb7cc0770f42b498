"""The FastAPI app: REST jobs, portraits for live sessions, the live WebSocket and the web page.

Errors are JSON ``{"detail": "one line that says what to do"}`` with a 4xx code for bad input:
413 too large, 415 not a supported format (checked by content), 422 unusable (no face, no
speech, bad option), 404 unknown id, 409 not ready, 503 queue full.
"""

from __future__ import annotations

import contextlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import TalkingFaceError
from .config import ServerConfig
from .jobs import Job, JobStore
from .live import LiveParams, run_session
from .portraits import PortraitStore
from .uploads import (
    AUDIO_FORMATS,
    IMAGE_FORMATS,
    SharedLandmarker,
    UploadError,
    audio_kind,
    image_kind,
    save_upload,
)

STATIC = Path(__file__).parent / "static"
OPTION_FIELDS = {
    "fps": (float, 25.0, 1, 120, "frames per second"),
    "size": (int, 512, 128, 2048, "side of the square output, pixels"),
    "seed": (int, 0, 0, 2**31 - 1, "random seed for blinks and head motion"),
    "motion_scale": (float, 1.0, 0, 3, "head motion amount; 0 keeps the head still"),
    "blink_rate": (float, 22.0, 0, 60, "blinks per minute while speaking"),
}


def create_app(config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig()
    landmarker = SharedLandmarker()
    jobs = JobStore(config.data_dir, config.workers, config.max_queue, config.ray_address)
    portraits = PortraitStore(config.data_dir, landmarker)
    live_pool = ThreadPoolExecutor(max(1, config.max_live), thread_name_prefix="talkingface-live")
    live_sessions = {"n": 0}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        config.data_dir.mkdir(parents=True, exist_ok=True)
        portraits.root.mkdir(parents=True, exist_ok=True)
        (config.data_dir / "uploads").mkdir(exist_ok=True)
        jobs.load()
        jobs.start()
        yield
        jobs.stop()
        live_pool.shutdown(wait=False, cancel_futures=True)
        landmarker.close()

    app = FastAPI(
        title="talkingface",
        version=__version__,
        summary="Make a still portrait talk: REST jobs, a live WebSocket stream and a web page.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads its assets from a CDN; the spec is at /openapi.json
        redoc_url=None,
    )
    app.state.config, app.state.jobs, app.state.portraits = config, jobs, portraits

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ())[1:]) or "request"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    @app.middleware("http")
    async def _limit_body(request: Request, call_next):
        limit = config.max_portrait_bytes + config.max_audio_bytes + 1024 * 1024
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse(
                {"detail": f"request body is larger than the {limit / 2**20:.0f} MB limit"}, status_code=413
            )
        return await call_next(request)

    def _checked_portrait(upload: UploadFile, folder: Path) -> Path:
        from ..face.detect import find_faces
        from ..io.image import load_portrait

        path = save_upload(
            upload.file, folder / "portrait", config.max_portrait_bytes, "portrait", image_kind
        )
        rgb = load_portrait(path)
        with landmarker as fl:
            faces = find_faces(fl, rgb).faces
        if not faces:
            raise UploadError(
                422, "no face found in the portrait: use a photo where a face is clearly visible"
            )
        return path

    def _checked_audio(upload: UploadFile, folder: Path, options) -> Path:
        from ..pipeline.generate import analyse_audio

        path = save_upload(upload.file, folder / "audio", config.max_audio_bytes, "audio", audio_kind)
        try:
            analyse_audio(path, options)
        except TalkingFaceError as exc:
            raise UploadError(422, str(exc).replace(str(path), "the upload")) from exc
        return path

    # -- REST jobs ---------------------------------------------------------------------------
    @app.post("/api/jobs", status_code=202, tags=["jobs"])
    def submit_job(
        portrait: Annotated[UploadFile, File(description=f"Photo with a face ({IMAGE_FORMATS}).")],
        audio: Annotated[UploadFile, File(description=f"Speech ({AUDIO_FORMATS}).")],
        fps: Annotated[float, Form()] = 25.0,
        size: Annotated[int, Form(description="Side of the square output (crop mode), pixels.")] = 512,
        mode: Annotated[str, Form(description="crop or full")] = "crop",
        seed: Annotated[int, Form()] = 0,
        motion_scale: Annotated[float, Form(description="Head motion; 0 keeps the head still.")] = 1.0,
        blink_rate: Annotated[float, Form(description="Blinks per minute while speaking.")] = 22.0,
        transcript: Annotated[str | None, Form(description="The words spoken (best lip sync).")] = None,
        language: Annotated[str, Form()] = "auto",
        lipsync: Annotated[str, Form(description="auto or loudness")] = "auto",
        label: Annotated[
            str | None, Form(description='Visible corner label, e.g. "AI-generated" (the page sends it).')
        ] = None,
    ) -> dict:
        """Queue a video: a portrait + speech → MP4. Returns the job (poll ``GET /api/jobs/{id}``)."""
        from .jobs import job_options

        if jobs.pending() >= config.max_queue:
            raise HTTPException(503, f"the queue is full ({config.max_queue} jobs): try again later")
        options = dict(
            fps=fps, size=size, mode=mode, seed=seed, motion_scale=motion_scale, blink_rate=blink_rate,
            transcript=transcript or None, language=language, lipsync=lipsync,
            max_duration=config.max_audio_seconds, label=(label or "").strip()[:40] or None,
        )  # fmt: skip
        try:
            opts = job_options(options)
        except TalkingFaceError as exc:
            raise HTTPException(422, str(exc).replace("--", "").replace("-", "_")) from exc
        job_id, folder = jobs.new_folder()
        try:
            p = _checked_portrait(portrait, folder)
            a = _checked_audio(audio, folder, opts)
        except BaseException as exc:
            for f in folder.glob("*"):
                f.unlink(missing_ok=True)
            folder.rmdir()
            if isinstance(exc, UploadError):
                raise HTTPException(exc.status, str(exc)) from exc
            if isinstance(exc, TalkingFaceError):
                raise HTTPException(422, str(exc).replace(str(folder), "").strip()) from exc
            raise
        job = jobs.add(Job(job_id, p.name, a.name, options))
        return job.public(jobs.position(job_id))

    @app.get("/api/jobs", tags=["jobs"])
    def list_jobs() -> list[dict]:
        """All jobs, oldest first."""
        return [j.public(jobs.position(j.id)) for j in jobs.all()]

    def _job(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return job

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def job_status(job_id: str) -> dict:
        """State (queued, running, done, failed, cancelled), progress 0–1, queue position, error."""
        return _job(job_id).public(jobs.position(job_id))

    @app.get("/api/jobs/{job_id}/result", tags=["jobs"], response_class=FileResponse)
    def job_result(job_id: str):
        """The finished MP4 (H.264 + AAC)."""
        job = _job(job_id)
        if job.status != "done":
            raise HTTPException(
                409, f"job {job_id} is {job.status}, not done" + (f": {job.error}" if job.error else "")
            )
        return FileResponse(
            jobs.folder(job_id) / "result.mp4", media_type="video/mp4", filename=f"talking-{job_id}.mp4"
        )

    @app.post("/api/jobs/{job_id}/cancel", tags=["jobs"])
    def cancel_job(job_id: str) -> dict:
        """Stop a queued or running job (a finished job is left as it is)."""
        _job(job_id)
        return jobs.cancel(job_id).public(jobs.position(job_id))

    @app.delete("/api/jobs/{job_id}", status_code=204, tags=["jobs"])
    def delete_job(job_id: str) -> Response:
        """Cancel the job if it is pending and delete its files."""
        _job(job_id)
        jobs.delete(job_id)
        return Response(status_code=204)

    # -- portraits and the live stream -------------------------------------------------------
    @app.post("/api/portraits", status_code=201, tags=["live"])
    def upload_portrait(
        portrait: Annotated[UploadFile, File(description=f"Photo with a face ({IMAGE_FORMATS}).")],
    ) -> dict:
        """Store a portrait for live sessions; its face is analysed now. Returns its id."""
        with tempfile.TemporaryDirectory(dir=config.data_dir / "uploads") as tmp:
            try:
                path = save_upload(
                    portrait.file, Path(tmp) / "portrait", config.max_portrait_bytes, "portrait", image_kind
                )
                pid = portraits.add(path)
            except UploadError as exc:
                raise HTTPException(exc.status, str(exc)) from exc
            except TalkingFaceError as exc:
                raise HTTPException(422, str(exc).replace(str(Path(tmp)), "").strip()) from exc
        return {
            "id": pid,
            "preview_url": f"/api/portraits/{pid}/preview",
            "live_url": f"/api/live?portrait={pid}",
        }

    @app.get("/api/portraits/{portrait_id}/preview", tags=["live"], response_class=Response)
    def portrait_preview(portrait_id: str, size: int = 512) -> Response:
        """The 512² crop that live sessions animate (JPEG)."""
        if portraits.path(portrait_id) is None:
            raise HTTPException(404, f"no portrait {portrait_id!r}")
        if size not in (256, 384, 512, 640, 768):
            raise HTTPException(422, "size must be 256, 384, 512, 640 or 768")
        return Response(portraits.preview_jpeg(portrait_id, size), media_type="image/jpeg")

    @app.websocket("/api/live")
    async def live(ws: WebSocket) -> None:
        """Live: send PCM chunks, receive JPEG frames (see talkingface/stream/protocol.py)."""
        from starlette.concurrency import run_in_threadpool

        await ws.accept()
        try:
            params = LiveParams.parse(ws.query_params)
            if portraits.path(params.portrait) is None:
                raise ValueError(f"no portrait {params.portrait!r}: upload one to /api/portraits first")
        except ValueError as exc:
            await ws.send_json({"type": "error", "message": str(exc)})
            await ws.close(1008)
            return
        if live_sessions["n"] >= config.max_live:
            await ws.send_json(
                {"type": "error", "message": f"{config.max_live} live sessions are running: try again later"}
            )
            await ws.close(1013)
            return
        live_sessions["n"] += 1
        try:
            renderer = await run_in_threadpool(portraits.renderer, params.portrait, params.size)
            await run_session(ws, params, renderer, live_pool, config.live_backlog)
        finally:
            live_sessions["n"] -= 1

    # -- info and the page -------------------------------------------------------------------
    @app.get("/api/info", tags=["info"])
    def info() -> dict:
        """Version, limits, accepted formats and the options with their ranges (the page reads this)."""
        return {
            "version": __version__,
            "limits": {
                "portrait_mb": config.max_portrait_mb, "audio_mb": config.max_audio_mb,
                "audio_seconds": config.max_audio_seconds, "concurrent_renders": config.workers,
                "queue": config.max_queue, "live_sessions": config.max_live,
            },
            "formats": {"portrait": IMAGE_FORMATS, "audio": AUDIO_FORMATS},
            "options": {
                k: {"default": d, "min": lo, "max": hi, "help": h}
                for k, (_, d, lo, hi, h) in OPTION_FIELDS.items()
            },
        }  # fmt: skip

    @app.get("/api/health", tags=["info"])
    def health() -> dict:
        return {"ok": True, "pending_jobs": jobs.pending(), "live_sessions": live_sessions["n"]}

    @app.get("/", include_in_schema=False)
    def index():
        return RedirectResponse("/static/index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
