"""Portraits prepared before: the face search, the person matte, the rig and the background plate
of a picture, kept on disk, so a second video of one narrator starts without any of them.

Finding and framing the face, matting the person and building the rig are most of a short
video's start-up (two models to load, several detector passes, the matting network, the rig's
fold checks, SciPy's triangulation) and give the same answer every time for the same picture.

An entry is named by everything its answer depends on: the picture's pixels, the framing asked
for (mode, size, face choice, matte on or off), the two model files, the versions of the
libraries that run them and the source of this package; any change to one of those names
another entry, so a stale one is never read. Entries are written under a temporary name and
renamed (a reader never sees half of one), one that cannot be read is a miss and is removed, and
only the newest :data:`MAX_ENTRIES` are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from dataclasses import fields
from functools import cache
from importlib import metadata
from pathlib import Path

import numpy as np

from ..cache import cache_dir
from ..face.landmarker import FaceObservation
from ..face.portrait import Portrait, crop_image, full_image
from ..models import MODELS, ModelFile
from .layers import BackgroundLayer
from .rig import FaceRig

FOLDER = "portraits"
MAX_ENTRIES = 64  # a crop-mode entry is about 3 MB, a 1080p full-mode one about 10 MB
#: the libraries whose versions an entry depends on (the detector, the matte, the resizes)
LIBRARIES = ("mediapipe", "onnxruntime", "opencv-contrib-python", "opencv-python", "numpy", "scipy")
PACKAGE = Path(__file__).resolve().parents[1]


def folder() -> Path:
    return cache_dir() / FOLDER


@cache
def _code_and_models() -> bytes:
    """What every entry depends on besides its own picture and framing (the same all run long)."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(source.relative_to(PACKAGE)).encode() + source.read_bytes())
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{name}={metadata.version(name)};".encode())
    for model in MODELS:
        digest.update(_model_identity(model).encode())
    return digest.digest()


def _model_identity(model: ModelFile) -> str:
    """The default file is checked against its sha256 when loaded; a file named by its variable
    is whatever is there, so its path, size and modification time stand for it."""
    if env := os.environ.get(model.env):
        path = Path(env).expanduser()
        with contextlib.suppress(OSError):
            stat = path.stat()
            return f"{model.env}={path}:{stat.st_size}:{stat.st_mtime_ns};"
        return f"{model.env}={path}:missing;"
    return f"{model.filename}:{model.sha256};"


def portrait_key(rgb: np.ndarray, *, mode: str, size: int, face: object, matte: bool) -> str:
    """The entry's name: the picture's pixels and how it is to be framed and matted."""
    digest = hashlib.sha256(_code_and_models())
    digest.update(f"{rgb.shape}|{rgb.dtype}|{mode}|{size if mode == 'crop' else 0}|{face!r}|{matte}".encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()[:40]


def load_prepared(
    key: str, rgb: np.ndarray, mode: str, size: int
) -> tuple[Portrait, FaceRig, BackgroundLayer | None] | None:
    """The framed portrait (its notes included), its rig and its background layer (None without a
    matte) as prepared before, or None when they were not (or cannot be read)."""
    path = folder() / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            face = FaceObservation(stored["landmarks"], stored["blendshapes"], stored["matrix"])
            n_faces, face_number = (int(v) for v in stored["counts"])
            box = tuple(int(v) for v in stored["crop_box"])
            notes = tuple(str(n) for n in stored["notes"])
            rig = {f.name: stored[f"rig_{f.name}"] for f in fields(FaceRig) if f.name != "image"}
            layer = BackgroundLayer(stored["plate"], stored["alpha"]) if bool(stored["layered"]) else None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # damaged: prepare anew
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used: the newest are the ones kept
    image = crop_image(rgb, box, size) if mode == "crop" else full_image(rgb)
    framed = Portrait(image, face, n_faces, box if mode == "crop" else None, face_number, notes)
    scalars = {name: float(value) for name, value in rig.items() if value.ndim == 0}
    rig.update(scalars, roi=tuple(int(v) for v in rig["roi"]))
    return framed, FaceRig(image=image, **rig), layer


def save_prepared(key: str, framed: Portrait, rig: FaceRig, layer: BackgroundLayer | None) -> None:
    """Keep this portrait's preparation (best effort: a cache that cannot be written is no error)."""
    where = folder()
    arrays = {f"rig_{f.name}": np.asarray(getattr(rig, f.name)) for f in fields(rig) if f.name != "image"}
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".part", dir=where)
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                landmarks=framed.face.landmarks,
                blendshapes=framed.face.blendshapes,
                matrix=framed.face.matrix,
                counts=np.array([framed.n_faces, framed.face_number]),
                crop_box=np.array(framed.crop_box or (), np.int64),
                notes=np.array(framed.notes, dtype=str),
                layered=np.array(layer is not None),
                plate=layer.plate if layer is not None else np.zeros(0, np.uint8),
                alpha=layer.alpha if layer is not None else np.zeros(0, np.uint8),
                **arrays,
            )
        os.replace(tmp, where / f"{key}.npz")
    except OSError:
        with contextlib.suppress(NameError, OSError):
            os.unlink(tmp)
        return
    _keep_newest(where, MAX_ENTRIES)


def _keep_newest(where: Path, keep: int) -> None:
    entries = []
    for path in where.glob("*.npz"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(entries, reverse=True)[keep:]:
        path.unlink(missing_ok=True)
