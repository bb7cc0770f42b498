"""Limits enforced while reading, not after: chunked bodies, pixel counts from the header, audio
length from the container, decodes under a cap, previews cached, bad fields refused up front."""

from __future__ import annotations

import io
import select
import socket
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import av
import httpx
import numpy as np
import pytest

from talkingface.io.audio import load_audio, probe_audio
from talkingface.server import ServerConfig

from .server_helpers import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = ServerConfig(
        data_dir=tmp_path_factory.mktemp("lim"), workers=0, max_portrait_mb=1, max_audio_mb=1
    )
    with running_server(config) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, url, config


def _png(width: int, height: int, rows: int | None = None) -> bytes:
    """A greyscale PNG declaring width×height; with ``rows``, only that many rows of data follow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    data = b"".join(z.compress(row) for _ in range(height if rows is None else rows)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_chunked_upload_is_cut_off_at_the_limit(server):
    _, url, config = server
    limit = config.max_portrait_bytes + config.max_audio_bytes + 2**20  # 3 MB for /api/jobs
    port = int(url.rsplit(":", 1)[1])
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(
            b"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n\r\n"
        )
        part = b'--xyz\r\nContent-Disposition: form-data; name="audio"; filename="a.wav"\r\n\r\n'
        s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        block = b"\0" * 65536
        frame = b"%x\r\n%s\r\n" % (len(block), block)
        for _ in range(3200):  # up to 200 MB if nobody stops us
            if select.select([s], [], [], 0)[0]:  # the answer came while we were still sending
                break
            try:
                s.sendall(frame)
            except OSError:
                break
            sent += len(block)
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"MB limit" in answer
    assert sent < 40 * 2**20, (
        f"{sent / 2**20:.0f} MB were read before the refusal (limit {limit / 2**20:.0f} MB)"
    )


def test_pixel_count_is_checked_before_decoding(server, short_speech, tmp_path):
    client, _, _ = server
    declared_80mp = _png(10000, 8000, rows=64)  # tiny file, 80 MP declared (issue #17: 5 GB)
    bomb = _png(100000, 100000, rows=1)  # 10 gigapixels in a few bytes: PIL's own bomb error
    for name, data in (("big.png", declared_80mp), ("bomb.png", bomb)):
        r = client.post("/api/portraits", files={"portrait": (name, data)})
        assert r.status_code == 413 and "MP" in r.json()["detail"], r.text
        files = {"portrait": (name, data), "audio": ("a.wav", short_speech.read_bytes())}
        r = client.post("/api/jobs", files=files)
        assert r.status_code == 413 and "downscale" in r.json()["detail"], r.text
    assert client.get("/api/jobs").json() == []


def test_audio_length_comes_from_the_container_header(server, samples, tmp_path):
    client, _, _ = server
    flac = tmp_path / "short.flac"
    with av.open(str(flac), "w") as out:  # one second of real speech as FLAC...
        stream = out.add_stream("flac", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            (load_audio(samples.sonnet, 16000)[48000:64000] * 32767).astype(np.int16)[None],
            format="s16",
            layout="mono",
        )
        frame.sample_rate = 16000
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    data = bytearray(flac.read_bytes())
    # ...whose STREAMINFO says it holds 100 hours: the total-samples field (36 bits) at byte 8+13
    total = 100 * 3600 * 16000
    info = 8 + 10  # "fLaC" + block header (4) + min/max block (4) + min/max frame (6) -> byte 18
    packed = int.from_bytes(data[info : info + 8], "big")
    packed = (packed & ~((1 << 36) - 1)) | total
    data[info : info + 8] = packed.to_bytes(8, "big")
    hundred_hours = tmp_path / "100h.flac"
    hundred_hours.write_bytes(bytes(data))
    assert probe_audio(hundred_hours).duration == pytest.approx(100 * 3600, rel=1e-3)
    assert probe_audio(flac).duration == pytest.approx(1.0, abs=0.01)  # real files: the real length
    files = {"portrait": ("a.png", samples.astronaut.read_bytes()), "audio": ("a.flac", bytes(data))}
    r = client.post("/api/jobs", files=files)
    assert r.status_code == 413 and "360000 s" in r.json()["detail"], r.text
    assert str(tmp_path) not in r.text and "/jobs/" not in r.text


def test_bad_fields_are_refused_with_their_own_names(server, samples, short_speech, tmp_path):
    client, _, config = server
    files = {
        "portrait": ("a.png", samples.astronaut.read_bytes()),
        "audio": ("a.wav", short_speech.read_bytes()),
    }
    for field, value, words in (
        ("seed", "-1", "seed -1"),
        ("motion_scale", "nan", "motion_scale nan is not a finite number"),
        ("blink_rate", "inf", "blink_rate inf is not a finite number"),
        ("size", "-2", "size -2 is out of range"),
        ("gaze", "10,zz", "gaze"),
        ("emotion", "furious", "emotion 'furious' is unknown"),
    ):
        r = client.post("/api/jobs", files=files, data={field: value})
        assert r.status_code == 422 and words in r.json()["detail"], (field, r.text)
        assert "_2" not in r.json()["detail"]
    truncated = samples.grace_hopper.read_bytes()[:3000]  # a JPEG cut short
    r = client.post("/api/jobs", files={**files, "portrait": ("t.jpg", truncated)})
    assert r.status_code == 422, r.text
    assert str(config.data_dir) not in r.text and "portrait.jpg" not in r.text
    assert client.get("/api/jobs").json() == []  # nothing half-made was kept


def test_decodes_wait_for_a_slot_and_previews_are_cached(samples, tmp_path, monkeypatch):
    import talkingface.io.image as image
    from talkingface.server.portraits import PortraitStore

    running, peak, lock = [0], [0], threading.Lock()
    real_load = image.load_portrait

    def counted(*a, **kw):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real_load(*a, **kw)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(image, "load_portrait", counted)
    monkeypatch.setattr("talkingface.server.portraits.load_portrait", counted)
    renders = []
    real_renderer = PortraitStore.renderer
    monkeypatch.setattr(
        PortraitStore,
        "renderer",
        lambda self, pid, size: renders.append(size) or real_renderer(self, pid, size),
    )
    config = ServerConfig(data_dir=tmp_path, workers=0, decode_slots=1)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=120) as client:
        photos = [samples.astronaut, samples.grace_hopper] * 2
        with ThreadPoolExecutor(4) as pool:  # four parallel portrait uploads
            results = list(
                pool.map(
                    lambda p: client.post("/api/portraits", files={"portrait": (p.name, p.read_bytes())}),
                    photos,
                )
            )
        assert all(r.status_code == 201 for r in results), [r.text for r in results]
        assert peak[0] == 1  # decoded one at a time (decode_slots=1)
        pid = results[0].json()["id"]
        before = len(renders)
        first = client.get(f"/api/portraits/{pid}/preview?size=384")
        assert first.status_code == 200
        for _ in range(3):  # asking again costs nothing: the same bytes, no new decode
            assert client.get(f"/api/portraits/{pid}/preview?size=384").content == first.content
        assert len(renders) == before + 1
        r = client.get(f"/api/portraits/{pid}/preview?size=-2")
        assert r.status_code == 422 and "size must be one of" in r.json()["detail"]
        from PIL import Image

        assert Image.open(io.BytesIO(first.content)).size == (384, 384)
