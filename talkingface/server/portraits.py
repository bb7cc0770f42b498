"""Portraits uploaded for live sessions: stored by content hash, prepared (face + rig) once, cached."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from ..face.portrait import prepare_portrait
from ..io.image import load_portrait
from ..render.renderer import Renderer
from ..render.rig import build_rig
from .uploads import SharedLandmarker


class PortraitStore:
    def __init__(self, root: Path, landmarker: SharedLandmarker, cache_size: int = 4) -> None:
        self.root = root / "portraits"
        self.landmarker = landmarker
        self._cache: OrderedDict[tuple[str, int], Renderer] = OrderedDict()
        self._lock = threading.Lock()
        self.cache_size = cache_size

    def path(self, portrait_id: str) -> Path | None:
        if not portrait_id.isalnum():
            return None
        found = sorted(self.root.glob(f"{portrait_id}.*"))
        return next((p for p in found if p.suffix != ".part"), None)

    def add(self, upload: Path) -> str:
        """Adopt an uploaded (already content-checked) image; returns its id. Raises on no face."""
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
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        path = self.path(portrait_id)
        if path is None:
            raise KeyError(portrait_id)
        rgb = load_portrait(path)
        with self.landmarker as fl:
            framed = prepare_portrait(rgb, fl, "crop", size, name="the portrait")
        renderer = Renderer(build_rig(framed.image, framed.face))
        with self._lock:
            self._cache[key] = renderer
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return renderer

    def preview_jpeg(self, portrait_id: str, size: int = 512) -> bytes:
        image: np.ndarray = self.renderer(portrait_id, size).rig.image
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
        return buf.tobytes()
