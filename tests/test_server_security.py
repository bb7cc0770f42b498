"""Who may use the server: the token, the Host allow-list and the Origin check (issue #17's probe,
over real HTTP and WebSocket on loopback)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from typer.testing import CliRunner
from websockets.sync.client import connect

from talkingface.server import ServerConfig, create_app

from .server_helpers import running_server

TOKEN = "s3cret-token-for-tests-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def guarded(samples, tmp_path_factory):
    config = ServerConfig(data_dir=tmp_path_factory.mktemp("sec"), workers=0, token=TOKEN)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=60) as client:
        r = client.post(
            "/api/portraits", files={"portrait": ("a.png", samples.astronaut.read_bytes())}, headers=AUTH
        )
        assert r.status_code == 201, r.text
        yield client, url, r.json()["id"]


def test_token_is_required_on_the_api_but_not_on_the_page(guarded):
    client, url, pid = guarded
    r = client.get("/api/jobs")  # anyone could list every job with its transcript
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    assert (
        client.get("/api/jobs", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    )
    assert client.get("/api/jobs", headers=AUTH).json() == []
    for path in ("/api/jobs/x/cancel", "/api/portraits"):
        assert client.post(path).status_code == 401
    assert client.delete("/api/jobs/x").status_code == 401
    assert client.get(f"/api/portraits/{pid}/preview").status_code == 401
    assert client.get("/api/jobs/x/result?token=" + TOKEN).status_code == 404  # a link may carry it
    assert client.get("/api/jobs?token=" + TOKEN).status_code == 401  # but not elsewhere
    # the page, its files and the docs stay public
    for path in ("/", "/static/app.js", "/docs", "/openapi.json"):
        assert client.get(path, follow_redirects=True).status_code == 200, path


def test_websocket_wants_the_token(guarded):
    _, url, pid = guarded
    base = url.replace("http", "ws")
    with pytest.raises(websockets.InvalidStatus) as refused:
        connect(f"{base}/api/live?portrait={pid}")
    assert refused.value.response.status_code == 403
    with connect(f"{base}/api/live?portrait={pid}&token={TOKEN}", max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(json.dumps({"type": "stop"}))


def test_foreign_host_is_refused(guarded):
    client, url, _ = guarded
    r = client.get("/api/jobs", headers={**AUTH, "Host": "attacker.example"})  # DNS rebinding
    assert r.status_code == 400 and "--allowed-host" in r.json()["detail"]
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    for host in ("localhost", "127.0.0.1", "[::1]:1234"):
        assert client.get("/api/health", headers={**AUTH, "Host": host}).status_code == 200


def test_foreign_origin_cannot_change_state_or_watch(guarded):
    client, url, pid = guarded
    evil = {**AUTH, "Origin": "http://evil.example"}
    for r in (
        client.post("/api/jobs/nope/cancel", headers=evil),
        client.delete("/api/jobs/nope", headers=evil),
        client.post("/api/jobs", headers=evil),
    ):
        assert r.status_code == 403 and "--allowed-origin" in r.json()["detail"]
    own = {**AUTH, "Origin": url}  # the page's own origin passes (then: no such job)
    assert client.post("/api/jobs/nope/cancel", headers=own).status_code == 404
    base = url.replace("http", "ws")
    with pytest.raises(websockets.InvalidStatus):
        connect(f"{base}/api/live?portrait={pid}&token={TOKEN}", origin="http://evil.example")
    with connect(f"{base}/api/live?portrait={pid}&token={TOKEN}", origin=url, max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(json.dumps({"type": "stop"}))


def test_allowed_origin_and_host(tmp_path):
    config = ServerConfig(
        data_dir=tmp_path, workers=0, token=TOKEN, allowed_hosts=("talk.example",),
        allowed_origins=("https://app.example",),
    )  # fmt: skip
    with running_server(config) as url, httpx.Client(base_url=url, timeout=30) as client:
        headers = {**AUTH, "Host": "talk.example", "Origin": "https://app.example"}
        assert client.post("/api/jobs/nope/cancel", headers=headers).status_code == 404
        assert client.get("/api/health", headers={**AUTH, "Host": "other.example"}).status_code == 400


def _asgi_get(app, url: str, headers: dict | None = None) -> httpx.Response:
    """One request straight into the ASGI app (no socket, no lifespan: only the guard answers)."""

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as c:
            return await c.get(url, headers=headers or {})

    return asyncio.run(go())


def test_no_token_beyond_loopback_is_refused():
    # an app embedded behind `uvicorn --host 0.0.0.0` without a token: a request arriving on a
    # non-loopback interface is refused (the ASGI scope carries the interface it came in on)
    app = create_app(ServerConfig(data_dir="/nonexistent-not-created"))
    r = _asgi_get(app, "http://192.168.1.5:8000/api/jobs", {"Host": "localhost"})
    assert r.status_code == 403 and "--token" in r.json()["detail"]
    with pytest.raises(ValueError, match="--token"):
        ServerConfig(allowed_hosts=("talk.example",))  # reachable by a name, without a token
    with pytest.raises(ValueError, match="16 characters"):
        ServerConfig(token="short")


def test_serve_generates_and_prints_a_token_beyond_loopback(monkeypatch, tmp_path):
    import uvicorn

    from talkingface.cli import app

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: started.update(kw, app=application))
    monkeypatch.delenv("TALKINGFACE_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    token = result.output.split("API token (generated): ")[1].split()[0]
    assert len(token) >= 16 and f"#token={token}" in result.output
    assert started["host"] == "0.0.0.0"
    assert _asgi_get(started["app"], "http://127.0.0.1:8000/api/jobs").status_code == 401
    with_token = _asgi_get(
        started["app"], "http://127.0.0.1:8000/api/nope", {"Authorization": f"Bearer {token}"}
    )
    assert with_token.status_code == 404  # the printed token is the one it wants

    monkeypatch.setenv("TALKINGFACE_TOKEN", TOKEN)  # given: used, not printed as generated
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "(generated)" not in result.output and TOKEN in result.output

    monkeypatch.delenv("TALKINGFACE_TOKEN")  # a public name without a token: one line, exit 1
    args = ["serve", "--allowed-host", "talk.example", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "--token" in result.output
    assert len(result.output.strip().splitlines()) == 1
