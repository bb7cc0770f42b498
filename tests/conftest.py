"""Shared real material: sample portraits and speech from registry packages (see talkingface.samples).

Derived clips (silence padding, other formats) are made once per session in a temp folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from talkingface.face.landmarker import FaceLandmarker
from talkingface.io.audio import load_audio, save_wav
from talkingface.samples import Samples, fetch_samples

SPEECH_START, SPEECH_END = 1.5, 7.0  # seconds of silence before/after in the padded clip


@pytest.fixture(scope="session")
def samples() -> Samples:
    return fetch_samples()


@pytest.fixture(scope="session")
def speech_clip(samples: Samples, tmp_path_factory) -> Path:
    """1.5 s silence + 5.5 s of the LibriVox sonnet reading + 1.5 s silence, 16 kHz mono WAV."""
    audio = load_audio(samples.sonnet, 16000)
    speech = audio[int(3.0 * 16000) : int(8.5 * 16000)]
    pad = np.zeros(int(1.5 * 16000), np.float32)
    path = tmp_path_factory.mktemp("audio") / "sonnet_padded.wav"
    return save_wav(path, np.concatenate([pad, speech, pad]), 16000)


@pytest.fixture(scope="session")
def landmarker():
    with FaceLandmarker() as fl:
        yield fl


@pytest.fixture(scope="session")
def astronaut_rgb(samples: Samples) -> np.ndarray:
    return np.asarray(Image.open(samples.astronaut).convert("RGB"))


@pytest.fixture(scope="session")
def portrait(astronaut_rgb, landmarker):
    """The astronaut framed as `generate` frames her by default (512² crop)."""
    from talkingface.face.portrait import prepare_portrait

    return prepare_portrait(astronaut_rgb, landmarker, "crop", 512)


@pytest.fixture(scope="session")
def renderer(portrait):
    from talkingface.render.setup import renderer_for

    return renderer_for(portrait, matte=False)


@pytest.fixture(scope="session")
def short_speech(samples: Samples, tmp_path_factory) -> Path:
    """2.5 s of the LibriVox reading (real speech): the server tests' job audio."""
    audio = load_audio(samples.sonnet, 16000)[int(3.0 * 16000) : int(5.5 * 16000)]
    return save_wav(tmp_path_factory.mktemp("speech") / "speech.wav", audio, 16000)
