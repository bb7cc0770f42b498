"""What the routes share: settings, the job store, portraits, decode slots, live slots, the janitor.

One :class:`Services` per app (``app.state.services``), created by ``create_app``; routes reach it
through the :func:`services` dependency. Also the error bodies every route documents in OpenAPI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import HTTPException, Request, UploadFile
from pydantic import BaseModel

from ..errors import TalkingFaceError
from .config import ServerConfig
from .executor import render_in_subprocess, render_locally
from .jobs import JobStore
from .portraits import PortraitStore
from .uploads import (
    SharedModel,
    UploadError,
    audio_kind,
    image_kind,
    save_upload,
    shared_landmarker,
    shared_matte,
)


class ErrorBody(BaseModel):
    detail: str  # one line: what is wrong and what to do


ERRORS = {
    400: "Bad request: a Host the server does not serve, or a body it cannot parse.",
    401: "Missing or wrong API token: send `Authorization: Bearer <token>` (see /docs).",
    403: "A browser origin that may not use the server, or a server open beyond loopback without a token.",
    404: "No such job or portrait.",
    409: "The job is not done yet (or failed, or was cancelled).",
    413: "Too large: the upload's size, the picture's pixel count or the audio's length is over the limit.",
    415: "Not a supported format (recognised by content, not by name).",
    422: "Unusable input: no face, no speech, a bad option value.",
    503: "The queue is full: try again later.",
}


def responses(*codes: int) -> dict:
    """OpenAPI ``responses`` for these statuses plus the ones every /api route can give (400, 401, 403)."""
    return {c: {"model": ErrorBody, "description": ERRORS[c]} for c in sorted({400, 401, 403, *codes})}


def public_message(exc: BaseException, *paths: Path) -> str:
    """The exception's line with server paths replaced: a client never learns where files live."""
    text = str(exc)
    for p in sorted(paths, key=lambda p: -len(str(p))):
        text = text.replace(str(p), "upload")
    return text


@dataclass
class LiveSlots:
    """Live sessions at once; used from the event loop only, so a plain counter is atomic."""

    limit: int
    used: int = 0

    def take(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def give(self) -> None:
        self.used -= 1


@dataclass
class Services:
    config: ServerConfig
    landmarker: SharedModel = field(default_factory=shared_landmarker)
    matte: SharedModel = field(default_factory=shared_matte)  # live portraits move over a still background
    decode_slots: threading.Semaphore = field(init=False)
    jobs: JobStore = field(init=False)
    portraits: PortraitStore = field(init=False)
    live: LiveSlots = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        c = self.config
        self.decode_slots = threading.BoundedSemaphore(c.decode_slots)
        render = render_in_subprocess if c.job_process else render_locally
        if c.ray_address:  # each worker thread hands its job to the Ray cluster and waits for it
            from ..batch.remote import RayRender

            render = RayRender(c.ray_address)
        self.jobs = JobStore(c.data_dir, c.workers, c.max_queue, c.max_restarts, render)
        self.portraits = PortraitStore(
            c.data_dir, self.landmarker, self.decode_slots, c.max_pixels, self.matte
        )
        self.live = LiveSlots(c.max_live)

    # -- life --------------------------------------------------------------------------------
    def start(self) -> None:
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.portraits.root.mkdir(parents=True, exist_ok=True)
        for stale in self.uploads.iterdir():  # temporary upload folders of a killed server
            if stale.is_dir():
                import shutil

                shutil.rmtree(stale, ignore_errors=True)
        self.jobs.load()
        self.cleanup()
        self.jobs.start()
        threading.Thread(target=self._janitor, name="talkingface-janitor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.jobs.stop()
        self.landmarker.close()
        self.matte.close()

    @property
    def uploads(self) -> Path:  # temporary upload folders
        return self.config.data_dir / "uploads"

    def cleanup(self) -> list[str]:
        """The retention pass: old finished jobs, jobs over the storage cap, unused portraits."""
        keep = self.config.keep_hours * 3600
        removed = self.jobs.cleanup(keep, int(self.config.max_storage_mb * 2**20))
        return removed + self.portraits.cleanup(keep)

    def _janitor(self) -> None:
        while not self._stop.wait(self.config.cleanup_minutes * 60):
            self.cleanup()

    # -- checked uploads ---------------------------------------------------------------------
    def save_portrait(self, upload: UploadFile, target_stem: Path) -> Path:
        """Store the upload, check it is a picture within the pixel limit, with a face, all before
        rendering; the decoding and face analysis wait for a decode slot."""
        from ..face.detect import find_faces
        from ..io.image import check_image_header, load_portrait

        c = self.config
        path = save_upload(upload.file, target_stem, c.max_portrait_bytes, "portrait", image_kind)
        check_image_header(path, c.max_pixels)
        with self.decode_slots:
            rgb = load_portrait(path, c.max_pixels)
            with self.landmarker as fl:
                faces = find_faces(fl, rgb).faces
        if not faces:
            raise UploadError(
                422, "no face found in the portrait: use a photo where a face is clearly visible"
            )
        return path

    def save_audio(self, upload: UploadFile, target_stem: Path, options) -> Path:
        """Store the upload; its length is read from the container header before any decoding."""
        from ..pipeline.generate import analyse_audio

        c = self.config
        path = save_upload(upload.file, target_stem, c.max_audio_bytes, "audio", audio_kind)
        with self.decode_slots:
            analyse_audio(path, options)
        return path


def services(request: Request) -> Services:
    return request.app.state.services


def http_error(exc: BaseException, *paths: Path) -> HTTPException:
    """The HTTP error for a user mistake: UploadError keeps its status, too long/too large → 413."""
    from ..errors import AudioTooLongError, ImageTooLargeError

    if isinstance(exc, UploadError):
        return HTTPException(exc.status, public_message(exc, *paths))
    if isinstance(exc, (AudioTooLongError, ImageTooLargeError)):
        return HTTPException(413, public_message(exc, *paths))
    if isinstance(exc, TalkingFaceError):
        return HTTPException(422, public_message(exc, *paths))
    raise exc
