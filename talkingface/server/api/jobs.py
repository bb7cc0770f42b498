"""``/api/jobs``: queue a video (portrait + speech → MP4), follow it, fetch it, cancel or delete it."""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse, Response

from ...errors import InputError, TalkingFaceError
from ..forms import option_form, options_from
from ..jobs import Job, QueueFull
from ..services import Services, http_error, responses, services
from ..uploads import AUDIO_FORMATS, IMAGE_FORMATS

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
Svc = Annotated[Services, Depends(services)]


def _job(svc: Services, job_id: str) -> Job:
    job = svc.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job


@router.post("", status_code=202, responses=responses(413, 415, 422, 503))
def submit_job(
    svc: Svc,
    portrait: Annotated[UploadFile, File(description=f"Photo with a face ({IMAGE_FORMATS}).")],
    audio: Annotated[UploadFile, File(description=f"Speech ({AUDIO_FORMATS}).")],
    options: Annotated[dict, Depends(option_form())],
    label: Annotated[
        str | None, Form(description='Visible corner label, e.g. "AI-generated" (the page sends it).')
    ] = None,
) -> dict:
    """Queue a video: a portrait + speech → MP4. Returns the job (poll ``GET /api/jobs/{id}``).

    The options are those of ``talkingface generate`` (see ``/api/info``); the audio's length is
    limited by the server. A place in the queue is taken before the uploads are analysed.
    """
    options = {
        **options,
        "max_duration": svc.config.max_audio_seconds,
        "label": (label or "").strip()[:40] or None,
    }
    try:
        opts = options_from(options)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        with svc.jobs.admit():
            job_id, folder = svc.jobs.new_folder()
            try:
                p = svc.save_portrait(portrait, folder / "portrait")
                a = svc.save_audio(audio, folder / "audio", opts)
            except BaseException as exc:
                shutil.rmtree(folder, ignore_errors=True)
                if isinstance(exc, TalkingFaceError):
                    raise http_error(exc, folder / "portrait", folder / "audio", folder) from exc
                raise
            job = svc.jobs.add(Job(job_id, p.name, a.name, options))
    except QueueFull as exc:
        raise HTTPException(503, str(exc)) from exc
    return job.public(svc.jobs.position(job_id))


@router.get("", responses=responses())
def list_jobs(svc: Svc) -> list[dict]:
    """All jobs, oldest first."""
    return [j.public(svc.jobs.position(j.id)) for j in svc.jobs.all()]


@router.get("/{job_id}", responses=responses(404))
def job_status(svc: Svc, job_id: str) -> dict:
    """State (queued, running, done, failed, cancelled), progress 0–1, queue position, error."""
    return _job(svc, job_id).public(svc.jobs.position(job_id))


@router.get("/{job_id}/result", response_class=FileResponse, responses=responses(404, 409))
def job_result(svc: Svc, job_id: str):
    """The finished MP4 (H.264 + AAC). The token may be given as ``?token=`` here (for a link)."""
    job = _job(svc, job_id)
    if job.status != "done":
        raise HTTPException(
            409, f"job {job_id} is {job.status}, not done" + (f": {job.error}" if job.error else "")
        )
    return FileResponse(
        svc.jobs.folder(job_id) / "result.mp4", media_type="video/mp4", filename=f"talking-{job_id}.mp4"
    )


@router.post("/{job_id}/cancel", responses=responses(404))
def cancel_job(svc: Svc, job_id: str) -> dict:
    """Stop a queued or running job (a finished job is left as it is)."""
    _job(svc, job_id)
    return svc.jobs.cancel(job_id).public(svc.jobs.position(job_id))


@router.delete("/{job_id}", status_code=204, responses=responses(404))
def delete_job(svc: Svc, job_id: str) -> Response:
    """Delete the job and its files; a pending one is cancelled. Returns at once, even mid-analysis."""
    _job(svc, job_id)
    svc.jobs.delete(job_id)
    return Response(status_code=204)
