"""Live streaming: the causal engine on its own, then the WebSocket with real speech in real time."""

from __future__ import annotations

import json
import sys
import threading
import time
import tracemalloc
from dataclasses import replace

import av
import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from talkingface.core.track import CHANNEL_INDEX
from talkingface.eval.measure import mouth_gap
from talkingface.io.audio import load_audio
from talkingface.motion.generate import file_passes
from talkingface.motion.lipsync import LIVE_LOOKAHEAD_S, mouth_frames
from talkingface.provenance import verify_video
from talkingface.server import ServerConfig
from talkingface.stream.engine import StreamEngine
from talkingface.stream.protocol import unpack_frame

from .server_helpers import running_server

FPS = 25
JAW = CHANNEL_INDEX["jawOpen"]
AHEAD = round(LIVE_LOOKAHEAD_S * FPS)  # frames the engine waits for


@pytest.fixture(scope="module")
def speech(samples) -> np.ndarray:
    """1 s silence + 3.5 s of real speech (LibriVox) + 1 s silence, 16 kHz."""
    audio = load_audio(samples.sonnet, 16000)[int(3.0 * 16000) : int(6.5 * 16000)]
    pad = np.zeros(16000, np.float32)
    return np.concatenate([pad, audio, pad])


def _stream(engine: StreamEngine, audio: np.ndarray, chunk: int = 320):
    out = []
    for i in range(0, len(audio), chunk):
        out += engine.push(audio[i : i + chunk])
    return out


def test_engine_is_causal_and_in_step_with_the_offline_mouth(speech):
    frames = _stream(StreamEngine(FPS), speech, chunk=333)  # odd chunk sizes: the clock must not drift
    n = len(speech) / 16000 * FPS
    assert n - 6 <= len(frames) <= n
    assert [f.index for f in frames] == list(range(len(frames)))
    assert all(f.time == f.index / FPS for f in frames)
    # causal: changing the audio after 3 s changes nothing the engine made before hearing it
    altered = speech.copy()
    altered[3 * 16000 :] *= 0.1
    engine = StreamEngine(FPS)
    early = [f for f in _stream(engine, altered) if engine.frame_needs(f.index) <= 3.0]
    assert len(early) > 60
    assert all(np.array_equal(a.weights, b.weights) for a, b in zip(early, frames, strict=False))
    # the live jaw follows the file's jaw (phones recognised as the audio arrives), shut in silence
    jaw = np.array([f.jaw for f in frames])
    offline = mouth_frames(speech, int(round(n)), FPS, language="en").values[: len(jaw), 0]
    assert np.corrcoef(jaw, offline)[0, 1] > 0.6  # 3.5 s: the recogniser is still adapting (see test_engine)
    assert jaw[: FPS - 2].max() == 0 and jaw[-10:].max() == 0 and jaw[30:110].max() > 0.4


def test_engine_latency_budget_and_pluggable_lookahead(speech):
    engine = StreamEngine(FPS)
    for k in range(5):  # frame k is made once audio up to its end + 10 ms + the look-ahead has arrived
        assert engine.frame_needs(k) == pytest.approx((k + 1) / FPS + 0.010 + LIVE_LOOKAHEAD_S)
    seen = []

    class Peek:
        name = "peek"
        lookahead = 0.2

        def reset(self, fps, rng, controls):
            pass

        def step(self, frame, pose, weights):
            seen.append(len(frame.ahead))

    engine = StreamEngine(FPS, passes=[*file_passes(), Peek()])
    assert engine.latency_budget == pytest.approx(0.21)
    frames = _stream(engine, speech[:16000])
    assert len(frames) == 25 - 1 - 5 and set(seen) == {5}


def test_idle_is_still_mouth_blinks_and_sways():
    engine = StreamEngine(FPS, seed=1)
    frames = engine.pad_silence(20.0)
    w = np.array([f.weights for f in frames])
    pose = np.array([f.pose for f in frames])
    assert len(frames) == 20 * FPS - 1 - AHEAD and w[:, JAW].max() == 0
    blinks = np.flatnonzero(np.diff((w[:, CHANNEL_INDEX["eyeBlinkRight"]] > 0.45).astype(int)) == 1)
    assert 3 <= len(blinks) <= 25  # ≈ 22/min, more in pauses
    assert 0.3 < pose[:, 0].std() < 3 and np.abs(np.diff(pose[:, 0])).max() < 0.5  # slow, small sway


def test_engine_memory_is_constant(speech):
    engine = StreamEngine(FPS)
    half = np.tile(speech, int(np.ceil(30 * 16000 / len(speech))))[: 30 * 16000]
    _stream(engine, half, 640)
    tracemalloc.start()
    _stream(engine, half, 640)
    first = tracemalloc.get_traced_memory()[0]
    for _ in range(2):
        _stream(engine, half, 640)
    grown = tracemalloc.get_traced_memory()[0] - first
    tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown} bytes more after another minute"
    assert engine.frames_out == 4 * 30 * FPS - 1 - AHEAD  # and no drift in 40 ms chunks


def test_live_frames_keep_the_background_still_behind_the_moving_head(samples, speech, landmarker, tmp_path):
    """A live session's renderer (the server's portrait store; the CLI builds it the same way)
    has the person matte: under head motion the background beside the head and the corners stay
    the photo's, where the plain warp drags them along."""
    import shutil

    from talkingface.io.image import load_portrait
    from talkingface.provenance import FrameMarker, ProvenanceOptions
    from talkingface.render.setup import person_alpha, prepare_face
    from talkingface.server.portraits import PortraitStore
    from talkingface.server.uploads import SharedModel, shared_matte
    from talkingface.stream.engine import LiveRenderer

    (tmp_path / "portraits").mkdir()
    shutil.copy(samples.grace_hopper, tmp_path / "portraits" / "hopper.jpg")
    store = PortraitStore(
        tmp_path, SharedModel(lambda: landmarker), threading.Semaphore(), 10**8, shared_matte()
    )
    marker = FrameMarker(512, 512, ProvenanceOptions(sign=False), 0x5EED)  # live frames are watermarked
    layered = LiveRenderer(store.renderer("hopper", 512), marker=marker)
    framed, plain_renderer = prepare_face(load_portrait(samples.grace_hopper), landmarker, matte=False)
    plain = LiveRenderer(plain_renderer, marker=marker)
    motion = _stream(StreamEngine(FPS, seed=3, motion_scale=2.0), speech)
    turned = sorted(motion, key=lambda m: -abs(m.pose[0]) - abs(m.pose[1]))[:6]
    assert abs(turned[-1].pose[0]) + abs(turned[-1].pose[1]) > 4  # the head really moves
    alpha, _ = person_alpha(framed, True)
    near = (alpha < 0.02) & (cv2.dilate((alpha > 0.02).astype(np.uint8), np.ones((61, 61), np.uint8)) > 0)
    photo = marker(framed.image).astype(np.int16)  # the photo watermarked as every live frame is
    for m in turned:
        ours, warped = (np.abs(r.rgb(m).astype(np.int16) - photo).mean(2) for r in (layered, plain))
        assert ours[near].mean() < 0.5 * warped[near].mean()  # the plain warp drags the background
        for corner in (ours[:48, :48], ours[:48, -48:], ours[-48:, :48], ours[-48:, -48:]):
            assert corner.mean() < 0.5  # the photo's own pixels


@pytest.fixture(scope="module")
def live_server(samples, tmp_path_factory):
    config = ServerConfig(data_dir=tmp_path_factory.mktemp("live"), workers=0, max_live=1)
    with running_server(config) as url, httpx.Client(base_url=url, timeout=60) as client:
        r = client.post("/api/portraits", files={"portrait": ("a.png", samples.astronaut.read_bytes())})
        assert r.status_code == 201, r.text
        yield url.replace("http", "ws"), r.json()["id"]


def _receive_all(ws, frames: list, texts: list) -> None:
    for msg in ws:
        if isinstance(msg, bytes):
            frames.append((time.perf_counter(), unpack_frame(msg)))
        else:
            texts.append(json.loads(msg))


def test_websocket_streams_real_speech_in_real_time(live_server, speech, landmarker):
    base, pid = live_server
    pcm = (np.clip(speech, -1, 1) * 32767).astype("<i2").tobytes()
    frames, texts, sent = [], [], {}
    with connect(f"{base}/api/live?portrait={pid}&fps={FPS}&idle=0", max_size=None) as ws:
        assert json.loads(ws.recv())["type"] == "ready"
        rx = threading.Thread(target=_receive_all, args=(ws, frames, texts))
        rx.start()
        start, step = time.perf_counter(), 640  # 20 ms of s16le
        for i in range(0, len(pcm), step):
            delay = start + (i + step) / 32000 - time.perf_counter()  # real-time pace
            if delay > 0:
                time.sleep(delay)
            ws.send(pcm[i : i + step])
            sent[round(min(i + step, len(pcm)) / 32000, 4)] = time.perf_counter()
        ws.send(json.dumps({"type": "stop"}))
        rx.join(30)
    idx = [p.index for _, p in frames]
    assert idx == sorted(set(idx)), "frames out of order"
    expected = len(speech) / 16000 * FPS
    # the stream reaches the end of the speech; on a busy machine the server drops frames to keep
    # latency bounded (that is its design; the drop rate is measured by `make bench`)
    assert idx[-1] >= expected - 2 and len(idx) >= 0.5 * expected
    assert all(abs(p.pts - p.index / FPS) < 1e-9 for _, p in frames)
    assert texts[-1]["type"] == "end"
    # each frame says which chunk completed it (latency and rate are measured by `make bench`):
    # a chunk boundary that was sent, not later audio than the frame shows, in order, and the frame
    # arrived only after that chunk left
    heard = [p.heard for _, p in frames]
    assert sum(round(h, 4) in sent for h in heard) > 0.9 * len(frames)
    assert all(p.heard >= p.pts for _, p in frames) and heard == sorted(heard)
    assert all(t >= sent[round(p.heard, 4)] for t, p in frames if round(p.heard, 4) in sent)

    # the mouth moves when speech does, and is still in silence: measured on the frames themselves
    def gap(packet) -> float:
        rgb = cv2.cvtColor(
            cv2.imdecode(np.frombuffer(packet.jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
        )
        faces = landmarker.detect(rgb)
        return mouth_gap(faces[0]) if faces else np.nan

    by_index = {p.index: p for _, p in frames}
    silent = [gap(by_index[k]) for k in range(2, 22, 4) if k in by_index]
    spoken = [gap(by_index[k]) for k in range(30, 110, 3) if k in by_index]
    assert np.nanmax(silent) - np.nanmin(silent) < 0.03
    assert (
        np.nanmax(spoken) > np.nanmedian(silent) + 0.15 and np.nanstd(spoken) > 2 * np.nanstd(silent) + 0.02
    )
    jaw = np.array([by_index[k].jaw for k in range(30, 110, 3) if k in by_index])
    assert np.corrcoef(jaw, spoken)[0, 1] > 0.7  # what the header says is what the picture shows


def test_websocket_idles_without_audio_and_refuses_bad_requests(live_server):
    base, pid = live_server
    with connect(f"{base}/api/live?portrait={pid}&fps=25", max_size=None) as ws:
        assert json.loads(ws.recv())["type"] == "ready"
        with connect(f"{base}/api/live?portrait={pid}", max_size=None) as second:  # max_live=1
            assert "live sessions" in json.loads(second.recv())["message"]
        packets, texts = [], []
        ws.send(json.dumps({"type": "set", "emotion": "happy", "gaze": [5, 0]}))  # answered with the controls
        deadline = time.monotonic() + 30  # a bound on waiting, not a rate
        while len(packets) < 20 and time.monotonic() < deadline:
            msg = ws.recv(timeout=10)
            if isinstance(msg, bytes):
                packets.append(unpack_frame(msg))
            else:
                texts.append(json.loads(msg))
        ws.send(json.dumps({"type": "stop"}))
    assert all(p.heard == -1 and p.jaw == 0 for p in packets)
    assert [p.index for p in packets] == sorted({p.index for p in packets})
    assert not [t for t in texts if t["type"] == "error"]  # bad values close the socket: test_server_live
    controls = [t for t in texts if t["type"] == "controls"]
    assert controls[-1]["emotion"] == "happy" and controls[-1]["gaze"] == [5.0, 0.0]
    with connect(f"{base}/api/live", max_size=None) as ws:
        assert "portrait" in json.loads(ws.recv())["message"]
    with connect(f"{base}/api/live?portrait=ffff&fps=500", max_size=None) as ws:
        assert "fps" in json.loads(ws.recv())["message"]


def test_stream_command_plays_a_file_and_explains_a_missing_microphone(
    samples, speech, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from talkingface.cli import app
    from talkingface.io.audio import save_wav

    wav = save_wav(tmp_path / "speech.wav", speech[: 2 * 16000], 16000)
    out = tmp_path / "live.mp4"
    args = ["stream", str(samples.astronaut), "--audio", str(wav), "-o", str(out), "--size", "256"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "dropped" in result.output and out.is_file()
    with av.open(str(out)) as c:
        assert abs(c.streams.video[0].frames - 49) <= 1
    report = verify_video(out)  # marked like every output: watermark in the frames, signed file
    assert report.watermark.found and report.manifest.present

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as on a machine without PortAudio
    result = CliRunner().invoke(app, ["stream", str(samples.astronaut)])
    assert result.exit_code == 1
    assert "no audio input" in result.output and "--audio FILE" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_frames_know_when_the_sound_they_show_arrived(speech):
    engine = StreamEngine(FPS)
    frames = []
    for j, start in enumerate(range(0, 2 * 16000, 320)):  # chunk j arrives at 100 + j s
        frames += [(m, j) for m in engine.push(speech[start : start + 320], arrived=100.0 + j)]
    assert len(frames) > 40
    for m, j in frames:
        # the sound at the frame's centre is sample 640·index + 320: the first of chunk 2·index + 1
        assert m.spoken_at == 100.0 + 2 * m.index + 1
        assert m.ready_at == 100.0 + j  # made when the chunk completing its look-ahead arrived
        waited = (m.ready_at - m.spoken_at + 1) * 0.020  # chunks from the centre's to this one
        assert 0.5 / FPS + LIVE_LOOKAHEAD_S <= waited <= 0.5 / FPS + LIVE_LOOKAHEAD_S + 0.045


def test_late_frames_are_skipped_for_newer_ones_but_a_hiccup_costs_none():
    import asyncio

    from talkingface.server.live import _Frames

    made = StreamEngine(FPS).pad_silence(1.0)

    def frame(index: int, age: float):
        return replace(made[index], ready_at=time.perf_counter() - age)

    async def drain(queue) -> list:
        got = []
        while (m := await queue.get()) is not None:
            got.append(m.index)
        return got

    hiccup = _Frames(100, late=0.25)  # five frames piled up during a 100 ms stall: all shown
    for k in range(5):
        hiccup.put(frame(k, 0.1))
    hiccup.put(None)
    assert asyncio.run(drain(hiccup)) == [0, 1, 2, 3, 4] and hiccup.dropped == 0

    behind = _Frames(100, late=0.25)  # half a second behind: skip to the newest
    for k in range(5):
        behind.put(frame(k, 0.5))
    behind.put(frame(5, 0.0))
    behind.put(frame(6, 0.6))  # late, but nothing newer waits: shown
    behind.put(None)
    assert asyncio.run(drain(behind)) == [5, 6] and behind.dropped == 5

    full = _Frames(3, late=None)  # not real time: only the cap drops, the oldest first
    for k in range(5):
        full.put(frame(k, 9.0))
    full.put(None)
    assert asyncio.run(drain(full)) == [3, 4] and full.dropped == 3
