"""Contact sheets: a PNG grid of frames, because numbers have never noticed ugly teeth."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np


def contact_sheet(
    frames: Sequence[np.ndarray], columns: int = 4, labels: Sequence[str] | None = None, width: int = 256
) -> np.ndarray:
    """RGB grid of ``frames`` resized to ``width`` wide, with optional captions."""
    tiles = []
    for i, frame in enumerate(frames):
        h = int(round(frame.shape[0] * width / frame.shape[1]))
        tile = cv2.resize(frame, (width, h), interpolation=cv2.INTER_AREA)
        if labels is not None:
            tile = tile.copy()
            cv2.rectangle(tile, (0, h - 18), (width, h), (0, 0, 0), -1)
            cv2.putText(
                tile, labels[i], (4, h - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA
            )
        tiles.append(tile)
    tile_h = max(t.shape[0] for t in tiles)
    tiles = [np.pad(t, ((0, tile_h - t.shape[0]), (0, 0), (0, 0))) for t in tiles]
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[r : r + columns], 1) for r in range(0, len(tiles), columns)]
    return np.concatenate(rows, 0)


def save_png(rgb: np.ndarray, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # PNG's strongest deflate: sheets are committed to docs/, where each must stay under 1 MB
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return path
