"""Which face to animate when a picture shows several: parsed from ``--face`` (cheap to import)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class FaceChoice:
    """Which face to animate: its number (1 = leftmost) or a point on it, in the picture's pixels."""

    index: int | None = None
    point: tuple[float, float] | None = None

    def __str__(self) -> str:
        if self.point is not None:
            return f"{self.point[0]:g},{self.point[1]:g}"
        return str(self.index)


def parse_face_choice(text: str | int | FaceChoice | None) -> FaceChoice | None:
    """``"2"`` (the second face from the left) or ``"640,360"`` (the face at that pixel)."""
    if text is None or isinstance(text, FaceChoice):
        return text
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    raw = str(text).strip()
    parts = [p.strip() for p in raw.split(",")]
    try:
        if len(parts) == 1:
            index = int(parts[0])
            if index < 1:
                raise ValueError
            return FaceChoice(index=index)
        if len(parts) == 2:
            x, y = (float(p) for p in parts)
            if not (math.isfinite(x) and math.isfinite(y)) or x < 0 or y < 0:
                raise ValueError
            return FaceChoice(point=(x, y))
    except ValueError:
        pass
    raise InputError(
        f"--face {raw!r} is not understood: give a face number (1 = leftmost) or a pixel X,Y on the face"
    )
