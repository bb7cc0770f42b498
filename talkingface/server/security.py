"""Who may talk to the server: the Host header, the browser Origin and the API token.

One ASGI middleware in front of everything (HTTP and WebSocket), so no route can forget it:

- **Host**: only loopback names and ``allowed_hosts`` (a DNS-rebinding page reaches us under its
  own name, and is refused here before it can read anything).
- **Origin**: state-changing requests (POST, PUT, PATCH, DELETE) and every WebSocket that carry an
  ``Origin`` must come from the page's own origin or from ``allowed_origins`` (another site's page
  cannot submit, cancel or watch). Clients that send no Origin (curl, scripts) are not browsers.
- **Token**: when one is set, every ``/api`` route wants ``Authorization: Bearer <token>``; a
  WebSocket and the result download may give ``?token=`` instead, as a browser cannot set headers
  there. The page, its static files, ``/docs`` and ``/openapi.json`` stay public. Without a token,
  requests that arrive over a non-loopback interface are refused: an app embedded behind
  ``uvicorn --host 0.0.0.0`` without a token is never open to the network.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import LOOPBACK_NAMES, ServerConfig, is_loopback

PUBLIC = re.compile(r"^/($|static/|docs($|/)|openapi\.json$|favicon\.ico$)")
QUERY_TOKEN = re.compile(r"^/api/(live$|jobs/[^/]+/result$)")  # a browser cannot set headers there
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def host_name(host_header: str) -> str:
    """``[::1]:8000`` → ``::1``; ``Example.org:80`` → ``example.org``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """Refuses requests from unknown hosts, foreign origins and clients without the token."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.token = config.token.encode() if config.token else None
        self.hosts = set(LOOPBACK_NAMES) | set(config.allowed_hosts)
        self.origins = set(config.allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        if scope["type"] == "websocket":  # before the handshake completes: the client gets an HTTP 403
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
            return
        headers = [(b"content-type", b"application/json")]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps({"detail": message}).encode()})

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, one-line reason) when the request must be refused, else None."""
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if "*" not in self.hosts and host_name(host) not in self.hosts:
            return 400, (
                f"host {host_name(host)!r} is not served here: start the server with "
                f"--allowed-host {host_name(host) or 'NAME'} if this is its name"
            )
        origin = headers.get("origin")
        if (
            origin is not None
            and (scope["type"] == "websocket" or scope.get("method") not in SAFE_METHODS)
            and not self._origin_ok(origin, host, scope)
        ):
            return 403, f"origin {origin} may not use this server: start it with --allowed-origin {origin}"
        path = scope.get("path", "")
        if PUBLIC.match(path):
            return None
        if self.token is None:
            local = (scope.get("server") or ("127.0.0.1", 0))[0]
            if not is_loopback(str(local)):
                return (
                    403,
                    "this server is reachable beyond loopback without a token: restart it with --token",
                )
            return None
        if not self._token_ok(headers, scope, path):
            return 401, "missing or wrong API token: send the header 'Authorization: Bearer <token>'"
        return None

    def _origin_ok(self, origin: str, host: str, scope: Scope) -> bool:
        origin = origin.rstrip("/").lower()
        if "*" in self.origins or origin in self.origins:
            return True
        parts = urlsplit(origin)
        return bool(parts.netloc) and parts.netloc == host.strip().lower()  # the page's own origin

    def _token_ok(self, headers: Headers, scope: Scope, path: str) -> bool:
        assert self.token is not None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), self.token):
            return True
        if QUERY_TOKEN.match(path):
            values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
            return any(secrets.compare_digest(v.encode(), self.token) for v in values)
        return False
