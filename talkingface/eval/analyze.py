"""``talkingface analyze``: re-detect the face in every frame of a video and score its lip sync.

Works on any talking-face video (ours or a peer's): the face is found again by Face Landmarker,
the audio comes from ``audio_path`` or the video's own track, and phone timings from the
transcript (forced alignment) or, without one, from allphone recognition.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from ..audio.acoustic import frame_loudness, speech_mask
from ..audio.phones import align_phones, recognize_phones
from ..errors import InputError
from ..io.audio import load_audio
from . import lipsync


def face_openness(video_path: str | Path, model_path: str | Path | None = None) -> tuple[np.ndarray, float]:
    """(openness per frame, NaN where no face; fps) of a video, decoded with PyAV."""
    from ..face.landmarker import FaceLandmarker

    values = []
    try:
        container = av.open(str(video_path))
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"video {video_path} cannot be read: {exc}") from exc
    with container, FaceLandmarker(model_path, max_faces=1) as landmarker:
        if not container.streams.video:
            raise InputError(f"{video_path} has no video track")
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        for frame in container.decode(stream):
            faces = landmarker.detect(frame.to_ndarray(format="rgb24"))
            values.append(float(lipsync.openness(faces[0].landmarks[None])[0]) if faces else np.nan)
    return np.array(values, np.float64), fps


def analyze_video(
    video_path: str | Path,
    audio_path: str | Path | None = None,
    transcript: str | None = None,
    model_path: str | Path | None = None,
) -> dict:
    """Lip-sync report (JSON-serialisable) for a video; see :mod:`.lipsync` for each metric."""
    open_, fps = face_openness(video_path, model_path)
    n = len(open_)
    samples = load_audio(audio_path or video_path)
    loudness = frame_loudness(samples, n, fps)
    speech = speech_mask(loudness, fps)
    if transcript and transcript.strip():
        phones, source = align_phones(samples, transcript), "alignment"
    else:
        phones, source = recognize_phones(samples), "allphone"
    return {
        "video": str(video_path),
        "frames": n,
        "fps": fps,
        "face_found_share": float(np.isfinite(open_).mean()) if n else 0.0,
        "speech_share": float(speech.mean()) if n else 0.0,
        "lip_loudness": lipsync.lip_loudness_agreement(open_, loudness, speech),
        "silence_stillness": lipsync.silence_stillness(open_, speech, fps),
        "av_offset": lipsync.av_offset(open_, loudness),
        "bilabial_closure": lipsync.bilabial_closure_rate(open_, phones, fps),
        "phone_source": source,
        "openness": lipsync.openness_stats(open_, speech),
    }
