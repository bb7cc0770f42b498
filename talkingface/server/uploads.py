"""Uploads: size limits while copying to disk, formats recognised by content (never by name)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ..errors import UploadError

_CHUNK = 1 << 20


def image_kind(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    return None


def audio_kind(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    return None


IMAGE_FORMATS = "JPEG, PNG, WebP or BMP"
AUDIO_FORMATS = "WAV, FLAC, MP3, OGG/Opus, AAC/M4A, WebM or AIFF"


def save_upload(src: BinaryIO, target_stem: Path, limit: int, what: str, kind_of) -> Path:
    """Copy ``src`` to ``target_stem.<kind>`` checking size and content; returns the path."""
    head = src.read(16)
    kind = kind_of(head)
    if not head:
        raise UploadError(422, f"the {what} file is empty")
    if kind is None:
        formats = IMAGE_FORMATS if kind_of is image_kind else AUDIO_FORMATS
        raise UploadError(415, f"the {what} is not a supported format (checked by content): use {formats}")
    target = target_stem.with_suffix(f".{kind}")
    size = len(head)
    with open(target, "wb") as out:
        out.write(head)
        while chunk := src.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise UploadError(413, f"the {what} is larger than the {limit / 2**20:.0f} MB limit")
            out.write(chunk)
    return target


class SharedModel:
    """One model for the whole server (Face Landmarker, person matte), created on first use by
    ``make``, one caller at a time: ``with shared as model: ...``."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._model = None

    def __enter__(self):
        self._lock.acquire()
        if self._model is None:
            self._model = self._make()
        return self._model

    def __exit__(self, *exc) -> None:
        self._lock.release()

    def close(self) -> None:
        with self._lock:
            if self._model is not None and hasattr(self._model, "close"):
                self._model.close()
            self._model = None


def shared_landmarker() -> SharedModel:
    from ..face.landmarker import FaceLandmarker

    return SharedModel(FaceLandmarker)


def shared_matte() -> SharedModel:
    from ..face.matte import PersonMatte

    return SharedModel(PersonMatte)
