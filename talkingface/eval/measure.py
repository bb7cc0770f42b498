"""Re-detect the face in rendered frames: the measurements every closed-loop check starts from
(they live in :mod:`talkingface.face.measure`, which motion uses too)."""

from __future__ import annotations

from ..face.measure import FrameMeasures, measure_frames, measure_video, mouth_gap

__all__ = ["FrameMeasures", "measure_frames", "measure_video", "mouth_gap"]
