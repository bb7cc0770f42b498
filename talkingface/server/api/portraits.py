"""``/api/portraits``: store a portrait for live sessions, and its preview."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi.responses import Response

from ...errors import TalkingFaceError
from ..portraits import PREVIEW_SIZES
from ..services import Services, http_error, responses, services
from ..uploads import IMAGE_FORMATS, image_kind, save_upload

router = APIRouter(prefix="/api/portraits", tags=["live"])
Svc = Annotated[Services, Depends(services)]


@router.post("", status_code=201, responses=responses(413, 415, 422))
def upload_portrait(
    svc: Svc,
    portrait: Annotated[UploadFile, File(description=f"Photo with a face ({IMAGE_FORMATS}).")],
) -> dict:
    """Store a portrait for live sessions; its face is analysed now. Returns its id."""
    with tempfile.TemporaryDirectory(dir=svc.uploads) as tmp:
        stem = Path(tmp) / "portrait"
        try:
            path = save_upload(portrait.file, stem, svc.config.max_portrait_bytes, "portrait", image_kind)
            pid = svc.portraits.add(path)
        except TalkingFaceError as exc:
            raise http_error(exc, *Path(tmp).glob("portrait.*"), Path(tmp)) from exc
    return {
        "id": pid,
        "preview_url": f"/api/portraits/{pid}/preview",
        "live_url": f"/api/live?portrait={pid}",
    }


@router.get("/{portrait_id}/preview", response_class=Response, responses=responses(404, 422))
def portrait_preview(
    svc: Svc,
    portrait_id: str,
    size: Annotated[
        int, Query(description=f"Side in pixels: one of {', '.join(map(str, PREVIEW_SIZES))}.")
    ] = 512,
) -> Response:
    """The square crop that live sessions animate (JPEG), cached per size."""
    if svc.portraits.path(portrait_id) is None:
        raise HTTPException(404, f"no portrait {portrait_id!r}")
    if size not in PREVIEW_SIZES:
        raise HTTPException(422, f"size must be one of {', '.join(map(str, PREVIEW_SIZES))}")
    return Response(svc.portraits.preview_jpeg(portrait_id, size), media_type="image/jpeg")
