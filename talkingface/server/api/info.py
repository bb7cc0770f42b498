"""``/api/info``, ``/api/health`` and the API docs (Swagger UI served from the package, no CDN)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.openapi.docs import get_swagger_ui_html

from ... import __version__
from ..forms import describe_options
from ..services import Services, responses, services
from ..uploads import AUDIO_FORMATS, IMAGE_FORMATS

router = APIRouter(tags=["info"])
Svc = Annotated[Services, Depends(services)]
DOCS_ASSETS = "/docs/assets"


@router.get("/api/info", responses=responses())
def info(svc: Svc) -> dict:
    """Version, limits, accepted formats and the options (type, default, help), as the page reads them."""
    c = svc.config
    return {
        "version": __version__,
        "limits": {
            "portrait_mb": c.max_portrait_mb, "portrait_megapixels": c.max_portrait_megapixels,
            "audio_mb": c.max_audio_mb, "audio_seconds": c.max_audio_seconds,
            "concurrent_renders": c.workers, "queue": c.max_queue, "live_sessions": c.max_live,
            "live_idle_seconds": c.live_idle_seconds,
        },
        "formats": {"portrait": IMAGE_FORMATS, "audio": AUDIO_FORMATS},
        "options": describe_options(),
        "token_required": c.token is not None,
    }  # fmt: skip


@router.get("/api/health", responses=responses())
async def health(svc: Svc) -> dict:
    """Cheap liveness check: never waits on rendering or analysis."""
    return {"ok": True, "pending_jobs": svc.jobs.pending(), "live_sessions": svc.live.used}


@router.get("/docs", include_in_schema=False)
def docs():
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="talkingface API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )
