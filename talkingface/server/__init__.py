"""`talkingface serve`: REST jobs, a live WebSocket and a web page (FastAPI + uvicorn).

``create_app(ServerConfig(...))`` builds the app; importing this package does no work.
"""

from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]


def create_app(config: ServerConfig | None = None):
    from .app import create_app as _create

    return _create(config)
