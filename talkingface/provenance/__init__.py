"""Say what we made: invisible watermark, visible label, C2PA content credentials, verifier.

How an output path uses it (generate, CLI, server, stream)::

    opts = ProvenanceOptions()                      # watermark + signing on, no label
    gen = new_generation_id()
    marker = FrameMarker(width, height, opts, gen)  # label (if asked) then watermark, per frame
    with VideoWriter(path, width, height, fps, audio, metadata=container_metadata(gen)) as out:
        for frame in frames:
            out.write(marker(frame))
    finalize(path, opts, gen, source_portrait=portrait)   # embeds the signed C2PA manifest

Turning the watermark or the signature off takes an explicit ``ProvenanceOptions(watermark=False)``
/ ``sign=False``. A live stream has no file to sign; it still gets the per-frame watermark (and
label). ``verify_video(path)`` reads everything back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import metadata as _md
from pathlib import Path

import numpy as np

from .credentials import (
    SELF_SIGNED_NOTICE,
    ManifestReport,
    SigningError,
    load_signing_key,
    metadata_tag,
    read_manifest,
    sign_mp4,
)
from .label import Labeler
from .verify import VerifyReport, exit_code, format_json, format_text, verify_video
from .watermark import (
    DEFAULT_STRENGTH,
    Payload,
    StillOutsideMarker,
    WatermarkDetector,
    Watermarker,
    version_code,
)

__all__ = [
    "FrameMarker",
    "ManifestReport",
    "Payload",
    "ProvenanceOptions",
    "SELF_SIGNED_NOTICE",
    "SigningError",
    "VerifyReport",
    "WatermarkDetector",
    "Watermarker",
    "container_metadata",
    "exit_code",
    "finalize",
    "format_json",
    "format_text",
    "new_generation_id",
    "tool_version",
    "verify_video",
]


def tool_version() -> str:
    try:
        return _md.version("talkingface")
    except _md.PackageNotFoundError:
        return "0.1.0"


@dataclass(frozen=True)
class ProvenanceOptions:
    watermark: bool = True
    sign: bool = True
    label: str | None = None  # e.g. "AI-generated"; None = no visible label
    label_corner: str = "bottom-right"
    sign_cert: Path | None = None  # PEM chain; else $TALKINGFACE_SIGN_CERT; else local key
    sign_key: Path | None = None
    key_dir: Path | None = None  # where the local self-signed key lives (default: cache)
    strength: float = DEFAULT_STRENGTH


def new_generation_id() -> int:
    """A random 32-bit id for one generation (goes into the watermark, tag and manifest)."""
    return secrets.randbits(32)


def container_metadata(generation_id: int) -> dict[str, str]:
    return metadata_tag(tool_version(), f"{generation_id:08x}")


class FrameMarker:
    """Per-frame marks for one output: visible label first, then the invisible watermark."""

    def __init__(
        self,
        width: int,
        height: int,
        options: ProvenanceOptions,
        generation_id: int,
        still_outside: tuple[int, int, int, int] | None = None,
    ) -> None:
        """``still_outside``: the box (x0, y0, x1, y1) outside which every frame is the same (a
        renderer's region of interest): the watermark is then worked out anew only where needed
        (:class:`~talkingface.provenance.watermark.StillOutsideMarker`), the same pixels, and the
        frame returned is overwritten by the next call."""
        self._label = Labeler(width, height, options.label, options.label_corner) if options.label else None
        payload = Payload(generation_id=generation_id, version=version_code(tool_version()))
        self._wm = Watermarker(width, height, payload, options.strength) if options.watermark else None
        self._still = None
        if self._wm is not None and still_outside is not None:
            self._still = StillOutsideMarker(self._wm, still_outside)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        out = frame
        if self._label is not None:
            out = self._label.apply(out)
        if self._still is not None:
            return self._still.apply(out)
        if self._wm is not None:
            out = self._wm.apply(out, inplace=out is not frame)
        return out


def finalize(
    path: str | Path,
    options: ProvenanceOptions,
    generation_id: int,
    source_portrait: str | Path | None = None,
) -> ManifestReport | None:
    """Sign the finished MP4 (unless ``options.sign`` is False); returns what a reader now sees."""
    if not options.sign:
        return None
    key = load_signing_key(options.sign_cert, options.sign_key, options.key_dir)
    sign_mp4(path, key, tool_version(), f"{generation_id:08x}", source_portrait)
    return read_manifest(path)
