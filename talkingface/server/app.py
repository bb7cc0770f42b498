"""The FastAPI app: one router per resource (server/api/), the guard in front, the page and the docs.

Errors are JSON ``{"detail": "one line that says what to do"}`` with a 4xx code for bad input:
400 bad host or body, 401 no/wrong token, 403 foreign origin, 404 unknown id, 409 not ready,
413 too large (bytes, pixels or seconds, refused while reading), 415 not a supported format
(checked by content), 422 unusable (no face, no speech, bad option), 503 queue full. Every route
lists its own in OpenAPI (``/openapi.json``, browsable at ``/docs``).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from .api import info, jobs, live, portraits
from .config import ServerConfig
from .security import Guard
from .services import Services

STATIC = Path(__file__).parent / "static"
DESCRIPTION = """Make a still portrait talk: REST jobs, a live WebSocket stream and a web page.

**Token.** A server started beyond loopback (`talkingface serve --host 0.0.0.0`) wants an API token
on every `/api` route: `Authorization: Bearer <token>`. Give it with `--token` or
`TALKINGFACE_TOKEN`; without one, a token is generated and printed at start. Press *Authorize*
above and paste it to try the API here. The WebSocket (`/api/live`) and the result download also
take `?token=<token>`, as a browser cannot set headers there. On loopback no token is needed
unless one is given. Browsers must come from the page's own origin (or `--allowed-origin`), and the
`Host` must be a loopback name (or `--allowed-host`).
"""
MB = 1024 * 1024


def create_app(config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig()
    svc = Services(config)
    live_pool = ThreadPoolExecutor(max(1, config.max_live), thread_name_prefix="talkingface-live")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        svc.start()
        yield
        svc.stop()
        live_pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(
        title="talkingface",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by api/info.py from the package's own Swagger UI (no CDN)
        redoc_url=None,
        max_body_size=MB,  # routes with uploads set their own below; counted while reading
    )
    app.state.services, app.state.live_pool = svc, live_pool
    app.include_router(jobs.router, max_body_size=config.max_portrait_bytes + config.max_audio_bytes + MB)
    app.include_router(portraits.router, max_body_size=config.max_portrait_bytes + MB)
    app.include_router(live.router)
    app.include_router(info.router)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error(config))
    app.openapi = lambda: _openapi(app)

    @app.get("/", include_in_schema=False)
    def index():
        return RedirectResponse("/static/index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(info.DOCS_ASSETS, StaticFiles(directory=_swagger_ui()), name="docs-assets")
    app.add_middleware(Guard, config=config)
    return app


def _swagger_ui() -> str:
    """The Swagger UI 5 files that the swagger-ui-py package ships (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("swagger-ui-py is not installed: run `make setup`")
    return str(Path(spec.submodule_search_locations[0]) / "static")


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in e.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(parts)}, status_code=422)


def _http_error(config: ServerConfig):
    async def handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail, headers = exc.detail, dict(exc.headers or {})
        if exc.status_code == 413 and detail == "Content Too Large":  # the body limit, while reading
            limit = request.scope.get("starlette.max_body_size") or MB
            detail = f"the request body is larger than the {limit / MB:.0f} MB limit: send smaller files"
            headers["connection"] = "close"  # read no more of it
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)

    return handler


def _openapi(app: FastAPI) -> dict:
    """The generated spec plus the bearer token scheme, so /docs has an Authorize button."""
    if app.openapi_schema is None:
        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        spec.setdefault("components", {})["securitySchemes"] = {
            "token": {"type": "http", "scheme": "bearer", "description": "talkingface serve --token"}
        }
        for path, methods in spec["paths"].items():
            if path.startswith("/api/"):
                for op in methods.values():
                    op["security"] = [{"token": []}]
        app.openapi_schema = spec
    return app.openapi_schema
