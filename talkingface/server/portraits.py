"""Portraits uploaded for live sessions: stored by content hash, prepared (face, person matte,
rig: :func:`~talkingface.render.setup.prepare_face`, as files are) once, cached.

Pictures are checked from their header (pixel count) before anything is decoded, and decoding plus
face analysis run under the server's decode slots, so parallel uploads cannot pile up memory.
Previews are cached per (portrait, size): asking again costs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from ..face.portrait import prepare_portrait
from ..io.image import check_image_header, load_portrait
from ..render.renderer import Renderer
from ..render.setup import renderer_for
from .uploads import SharedModel

PREVIEW_SIZES = (256, 384, 512, 640, 768)


class PortraitStore:
    def __init__(
        self,
        root: Path,
        landmarker: SharedModel,
        decode_slots: threading.Semaphore,
        max_pixels: int,
        matte: SharedModel | None = None,
        cache_size: int = 4,
    ) -> None:
        self.root = root / "portraits"
        self.landmarker = landmarker
        self.decode_slots = decode_slots
        self.max_pixels = max_pixels
        self.matte = matte  # None: the whole picture warps (no still background)
        self._cache: OrderedDict[tuple[str, int], Renderer] = OrderedDict()
        self._previews: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.cache_size = cache_size

    def path(self, portrait_id: str) -> Path | None:
        if not portrait_id.isalnum():
            return None
        found = sorted(self.root.glob(f"{portrait_id}.*"))
        return next((p for p in found if p.suffix != ".part"), None)

    def add(self, upload: Path) -> str:
        """Adopt an uploaded (already content-checked) image; returns its id. Raises on no face."""
        check_image_header(upload, self.max_pixels)
        digest = hashlib.sha256(upload.read_bytes()).hexdigest()[:16]
        target = self.root / f"{digest}{upload.suffix}"
        upload.replace(target)
        try:
            self.renderer(digest, 512)  # checks the face now, so a bad portrait fails at upload
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return digest

    def renderer(self, portrait_id: str, size: int) -> Renderer:
        key = (portrait_id, size)
        path = self.path(portrait_id)
        if path is None:
            raise KeyError(portrait_id)
        path.touch()  # retention counts from the last use
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with self.decode_slots:
            rgb = load_portrait(path, self.max_pixels)
            with self.landmarker as fl:
                framed = prepare_portrait(rgb, fl, "crop", size, name="the portrait")
            with self.matte or contextlib.nullcontext(False) as matte:
                renderer = renderer_for(framed, matte)
        with self._lock:
            self._cache[key] = renderer
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return renderer

    def preview_jpeg(self, portrait_id: str, size: int = 512) -> bytes:
        key = (portrait_id, size)
        with self._lock:
            if key in self._previews:
                self._previews.move_to_end(key)
                return self._previews[key]
        image: np.ndarray = self.renderer(portrait_id, size).rig.image
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        data = buf.tobytes()
        with self._lock:
            self._previews[key] = data
            while len(self._previews) > 8 * len(PREVIEW_SIZES):
                self._previews.popitem(last=False)
        return data

    def cleanup(self, keep_seconds: float, now: float | None = None) -> list[str]:
        """Remove portraits unused for longer than ``keep_seconds`` (0: keep all); returns their ids."""
        if keep_seconds <= 0 or not self.root.is_dir():
            return []
        now = time.time() if now is None else now
        removed = []
        for path in self.root.iterdir():
            if path.suffix == ".part" or now - path.stat().st_mtime > keep_seconds:
                path.unlink(missing_ok=True)
                removed.append(path.stem)
        with self._lock:
            for key in [k for k in (*self._cache, *self._previews) if k[0] in removed]:
                self._cache.pop(key, None)
                self._previews.pop(key, None)
        return removed
