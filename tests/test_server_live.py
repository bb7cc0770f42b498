"""Live sessions cannot be starved or killed: validated messages with close codes, audio held to
real time, bounded queues, idle timeout, a failed render ends the session and frees its slot."""

from __future__ import annotations

import json
import time

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from talkingface.io.audio import load_audio
from talkingface.server import ServerConfig

from .server_helpers import running_server


@pytest.fixture(scope="module")
def live(samples, tmp_path_factory):
    config = ServerConfig(
        data_dir=tmp_path_factory.mktemp("live"), workers=0, max_live=2, live_idle_seconds=2.0
    )
    with running_server(config) as url, httpx.Client(base_url=url, timeout=60) as client:
        r = client.post("/api/portraits", files={"portrait": ("a.png", samples.astronaut.read_bytes())})
        assert r.status_code == 201, r.text
        yield url.replace("http", "ws"), r.json()["id"], client


def _until_closed(ws, limit: int = 2000) -> tuple[list, int | None, str]:
    """Read (bounded) until the server closes; returns the text messages, close code and reason."""
    texts = []
    try:
        for _ in range(limit):
            msg = ws.recv(timeout=30)
            if isinstance(msg, str):
                texts.append(json.loads(msg))
    except ConnectionClosed as closed:
        return texts, closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else ""
    raise AssertionError("the server never closed the session")


def _session_works(base: str, pid: str) -> None:
    with connect(f"{base}/api/live?portrait={pid}&idle=0", max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(json.dumps({"type": "stop"}))
        texts, code, _ = _until_closed(ws)
    assert code == 1000 and texts[-1]["type"] == "end"


@pytest.mark.parametrize(
    "message, words",
    [
        ("[1,2,3]", "JSON object"),
        ('"str"', "JSON object"),
        ("not json", "must be JSON"),
        ('{"type":"set","motion_scale":NaN}', "motion_scale must be a finite number"),
        ('{"type":"set","motion_scale":1e400}', "must be a finite number"),
        ('{"type":"set","blink_rate":"fast"}', "blink_rate='fast' is not a number"),
        ('{"type":"set","motion_scale":7}', "motion_scale 7 is out of range"),
        ('{"type":"dance"}', "unknown"),
    ],
)
def test_bad_messages_close_with_1007_and_a_reason(live, message, words):
    base, pid, client = live
    with connect(f"{base}/api/live?portrait={pid}&idle=0", max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(message)
        texts, code, reason = _until_closed(ws)
    errors = [t["message"] for t in texts if t["type"] == "error"]
    assert code == 1007 and errors and words in errors[0], (code, texts)
    assert words.split()[0] in reason
    assert client.get("/api/health").json()["live_sessions"] == 0  # the slot is free again


@pytest.mark.parametrize(
    "query, words", [("sample_rate=5", "sample_rate 5"), ("format=xyz", "'xyz'"), ("seed=-1", "seed -1"),
                     ("motion_scale=nan", "finite"), ("size=-2", "size -2")]
)  # fmt: skip
def test_bad_query_closes_with_1008_and_a_reason(live, query, words):
    base, pid, _ = live
    with connect(f"{base}/api/live?portrait={pid}&{query}", max_size=None) as ws:
        texts, code, _ = _until_closed(ws)
    assert code == 1008 and words in texts[0]["message"], texts


def test_non_finite_audio_closes_with_1007(live):
    base, pid, _ = live
    with connect(f"{base}/api/live?portrait={pid}&format=f32le&idle=0", max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(np.full(320, np.nan, "<f4").tobytes())
        texts, code, _ = _until_closed(ws)
    assert code == 1007 and "finite" in texts[-1]["message"]


def test_silent_clients_are_disconnected_and_free_their_slots(live):
    base, pid, _ = live
    # two clients that connect and send nothing held both slots forever (issue #17)
    a = connect(f"{base}/api/live?portrait={pid}", max_size=None)
    b = connect(f"{base}/api/live?portrait={pid}", max_size=None)
    with a, b:
        with connect(f"{base}/api/live?portrait={pid}", max_size=None) as third:
            texts, code, _ = _until_closed(third)
        assert code == 1013 and "try again later" in texts[0]["message"]
        for ws in (a, b):
            texts, code, _ = _until_closed(ws)
            assert code == 1008 and "nothing received" in texts[-1]["message"]
    _session_works(base, pid)


def test_flood_faster_than_real_time_is_dropped_not_queued(live, samples):
    base, pid, client = live
    speech = (load_audio(samples.sonnet, 8000)[: 8000 * 60] * 32767).astype("<i2").tobytes()
    chunk = speech[:1_000_000]  # 62 s of audio at 8 kHz per message
    started = time.perf_counter()
    with connect(f"{base}/api/live?portrait={pid}&sample_rate=8000&idle=0", max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        for _ in range(30):  # 30 MB, ~31 minutes of audio, sent without reading anything
            ws.send(chunk)
        assert client.get("/api/health", timeout=30).status_code == 200  # the loop still answers
        ws.send(json.dumps({"type": "stop"}))
        texts, code, _ = _until_closed(ws, limit=100_000)
    wall = time.perf_counter() - started
    end = texts[-1]
    assert code == 1000 and end["type"] == "end"
    sent_seconds = 30 * len(chunk) / 2 / 8000
    # the session's timeline never ran ahead of the wall clock by more than the burst allowance,
    # the rest was dropped and counted
    assert end["audio_seconds"] <= wall + 1.0 + 0.1
    assert end["audio_dropped_seconds"] >= sent_seconds - wall - 1.1
    assert end["frames_sent"] <= (wall + 1.1) * 25


def test_a_failed_render_ends_the_session_with_1011_and_frees_the_slot(live, monkeypatch):
    from talkingface.stream.engine import LiveRenderer

    base, pid, client = live
    calls = []
    real = LiveRenderer.jpeg

    def failing(self, rgb):
        calls.append(1)
        if len(calls) > 3:
            raise np.linalg.LinAlgError("SVD did not converge")  # what NaN motion used to do
        return real(self, rgb)

    monkeypatch.setattr(LiveRenderer, "jpeg", failing)
    with connect(f"{base}/api/live?portrait={pid}", max_size=None) as ws:  # idle frames are rendered
        texts, code, reason = _until_closed(ws)
    assert code == 1011 and "rendering failed (LinAlgError)" in texts[-1]["message"]
    monkeypatch.setattr(LiveRenderer, "jpeg", real)
    assert client.get("/api/health").json()["live_sessions"] == 0
    _session_works(base, pid)


def test_controls_change_while_streaming(live):
    base, pid, _ = live
    with connect(f"{base}/api/live?portrait={pid}", max_size=None) as ws:
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(json.dumps({"type": "set", "motion_scale": 0.5, "blink_rate": 10}))
        ws.send(json.dumps({"type": "set", "motion_scale": None}))  # None: unchanged
        frames = 0
        for _ in range(200):
            if isinstance(ws.recv(timeout=30), bytes):
                frames += 1
                if frames >= 5:
                    break
        ws.send(json.dumps({"type": "stop"}))
        texts, code, _ = _until_closed(ws)
    assert frames >= 5 and code == 1000
