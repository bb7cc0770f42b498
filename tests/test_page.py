"""The web page end to end in headless Chromium (Debian's, driven by Playwright), with real speech
fed as a fake microphone: drop a portrait, press the microphone button, watch it talk; then upload
speech and get the video."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from talkingface.eval.measure import mouth_gap
from talkingface.io.audio import load_audio, save_wav
from talkingface.server import ServerConfig

from .server_helpers import running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]  # fmt: skip


@pytest.fixture(scope="module")
def mic_wav(samples, tmp_path_factory) -> Path:
    """What the fake microphone hears (looped by Chromium): 0.6 s silence + 4 s of real speech."""
    speech = load_audio(samples.sonnet, 48000)[int(3.0 * 48000) : int(7.0 * 48000)]
    audio = np.concatenate([np.zeros(int(0.6 * 48000), np.float32), speech])
    return save_wav(tmp_path_factory.mktemp("mic") / "mic.wav", audio, 48000)


@pytest.fixture(scope="module")
def browser(mic_wav):
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=[*FLAGS, f"--use-file-for-fake-audio-capture={mic_wav}"]
        )
        yield b
        b.close()


def _canvas(page) -> np.ndarray:
    url = page.evaluate("document.getElementById('stage').toDataURL('image/png')")
    png = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    return cv2.cvtColor(cv2.imdecode(png, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@contextlib.contextmanager
def page_with_portrait(browser, samples, tmp_path):
    """A served page with the astronaut dropped on it: (page, server url, page errors)."""
    with running_server(ServerConfig(data_dir=tmp_path / "data")) as url:
        page = browser.new_page(viewport={"width": 1000, "height": 640})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        page.set_input_files("#portrait-file", str(samples.astronaut))
        page.wait_for_function("!document.getElementById('mic').disabled", timeout=30_000)
        yield page, url, errors


def test_page_talks_live_from_the_microphone_and_renders_uploads(browser, samples, landmarker, tmp_path):
    speech = save_wav(
        tmp_path / "speech.wav", load_audio(samples.sonnet, 16000)[48000 : 48000 + 32000], 16000
    )
    with page_with_portrait(browser, samples, tmp_path) as (page, url, errors):
        page.click("#mic")
        page.wait_for_function("window.talkingface.framesDrawn > 40", timeout=30_000)
        shots, jaws = [], []
        for _ in range(16):
            shots.append(_canvas(page))
            jaws.append(page.evaluate("window.talkingface.lastJaw"))
            page.wait_for_timeout(150)
        state = page.evaluate("window.talkingface")
        if target := os.environ.get("TALKINGFACE_PAGE_SCREENSHOT"):  # docs/live_page.png for the README
            page.wait_for_timeout(int(os.environ.get("TALKINGFACE_PAGE_SCREENSHOT_DELAY_MS", "0")))
            page.screenshot(path=target, full_page=True)
        assert state["live"] and state["framesDrawn"] > 60 and state["latencyMs"] is not None
        page.click("#mic")
        assert "Stopped" in page.inner_text("#status")

        # the picture changes, and it is the mouth that moves
        assert shots[0].shape == (512, 512, 3)
        assert max(np.abs(a.astype(int) - b).mean() for a, b in zip(shots, shots[1:], strict=False)) > 0.5
        gaps = [mouth_gap(f[0]) for f in map(landmarker.detect, shots) if f]
        assert len(gaps) >= 12 and max(gaps) - min(gaps) > 0.1, gaps
        assert max(jaws) > 0.3

        # upload speech: a REST job rendered and played in the page, with a download link
        page.set_input_files("#audio-file", str(speech))
        page.wait_for_selector("#download:not([hidden])", timeout=60_000)
        assert "Done" in page.inner_text("#status")
        href = page.get_attribute("#download", "href")
        assert httpx.get(url + href).headers["content-type"] == "video/mp4"
        page.wait_for_function("document.getElementById('result').readyState >= 1", timeout=10_000)
        assert page.evaluate("document.getElementById('result').duration") == pytest.approx(2.0, abs=0.2)
        assert not errors, errors


def test_page_asks_for_the_token_and_uses_it(browser, samples, tmp_path):
    token = "page-token-0123456789abcdef"
    with running_server(ServerConfig(data_dir=tmp_path / "data", workers=0, token=token)) as url:
        page = browser.new_page()
        page.goto(url + "/")  # no token yet: the page says what it needs
        page.wait_for_selector("#token-box:not([hidden])", timeout=10_000)
        assert "API token" in page.inner_text("#status")
        page.fill("#token", token)
        page.click("#token-form button")
        page.wait_for_selector("#token-box", state="hidden", timeout=10_000)
        page.set_input_files("#portrait-file", str(samples.astronaut))
        page.wait_for_function("!document.getElementById('mic').disabled", timeout=30_000)

        fresh = browser.new_page()  # the link `serve` prints carries the token in the fragment
        fresh.goto(f"{url}/#token={token}")
        fresh.wait_for_function("location.hash === ''", timeout=10_000)
        fresh.set_input_files("#portrait-file", str(samples.astronaut))
        fresh.wait_for_function("!document.getElementById('mic').disabled", timeout=30_000)
        assert fresh.is_hidden("#token-box")

        docs = browser.new_page()  # the API docs render from the server's own files (OpenAPI 3.1)
        offsite = []
        docs.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(url) else None)
        docs.goto(f"{url}/docs")
        docs.wait_for_selector("text=Submit Job", timeout=20_000)
        assert "Bearer" in docs.inner_text(".information-container") and not offsite


def test_page_streams_a_file_live_in_sync_and_changes_controls(browser, samples, tmp_path):
    speech = save_wav(
        tmp_path / "live.wav", load_audio(samples.sonnet, 16000)[48000 : 48000 + 10 * 16000], 16000
    )
    with page_with_portrait(browser, samples, tmp_path) as (page, _, errors):
        page.set_input_files("#live-file", str(speech))
        page.wait_for_function("window.talkingface.framesDrawn >= 3", timeout=60_000)
        page.select_option("#emotion", "happy")
        page.wait_for_function(
            "window.talkingface.controls && window.talkingface.controls.emotion === 'happy'"
        )
        # sound and frames on one timeline: the sound plays, and no frame shows before its sound
        # does (how late frames come is the machine's speed: measured, shown, not asserted here)
        seen = [
            page.evaluate("[window.talkingface.lastPts, window.talkingface.audioSeconds]") for _ in range(10)
        ]
        assert all(pts <= heard + 1e-3 for pts, heard in seen) and seen[-1][1] > seen[0][1] > 0
        state = page.evaluate("window.talkingface")
        assert state["syncMs"] is not None and state["latencyMs"] is not None
        assert page.inner_text("#st-sync").endswith("ms")
        assert state["controls"]["emotion"] == "happy" and not state["errors"] and not errors, (state, errors)
