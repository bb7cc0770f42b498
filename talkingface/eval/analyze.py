"""``talkingface analyze``: re-detect the face in every frame of a video and score its lip sync.

Works on any talking-face video (ours or a peer's): the face is found again by Face Landmarker,
the audio comes from ``audio_path`` or the video's own track, and phone timings from the
transcript (forced alignment) or, without one, from allphone recognition (English only; for
another language the bilabial score is left out rather than guessed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from ..audio.acoustic import frame_loudness
from ..audio.features import speech_of
from ..audio.phones import Phone, align_transcript, recognize_phones
from ..errors import InputError
from ..io.audio import load_audio
from . import lipsync

ENGLISH = ("auto", "en", "eng", "english")


def _open_video(video_path: Path):
    if not video_path.is_file():
        raise InputError(f"video {video_path} does not exist")
    try:
        container = av.open(str(video_path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"video {video_path} cannot be read: use an MP4, MOV, MKV or WebM video") from exc
    if not container.streams.video:
        container.close()
        raise InputError(f"{video_path} has no video track")
    return container


def face_openness(
    video_path: str | Path,
    model_path: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, float]:
    """(openness per frame, NaN where no face; fps) of a video, decoded with PyAV.

    ``progress(done, total)`` is called as frames are analysed (total is 0 when unknown).
    """
    from ..face.landmarker import FaceLandmarker

    values = []
    container = _open_video(Path(video_path))
    try:
        with FaceLandmarker(model_path, max_faces=1) as landmarker:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            total = int(stream.frames or 0)
            for frame in container.decode(stream):
                faces = landmarker.detect(frame.to_ndarray(format="rgb24"))
                values.append(float(lipsync.openness(faces[0].landmarks[None])[0]) if faces else np.nan)
                if progress is not None:
                    progress(len(values), total)
    except av.error.FFmpegError as exc:
        raise InputError(f"video {video_path} is corrupt and could not be decoded ({exc})") from exc
    finally:
        container.close()
    if not values:
        raise InputError(f"video {video_path} contains no frames")
    return np.array(values, np.float64), fps


def reference_phones(
    samples: np.ndarray, transcript: str | None, language: str = "auto"
) -> tuple[list[Phone], str]:
    """Phone timings to score bilabial closures against, and where they came from."""
    if transcript and transcript.strip():
        return align_transcript(samples, transcript).phones, "alignment"
    if (language or "auto").lower().split("-")[0].split("_")[0] in ENGLISH:
        return recognize_phones(samples), "allphone"
    return [], "none"


def score(open_: np.ndarray, samples: np.ndarray, fps: float, phones: list[Phone], phone_source: str) -> dict:
    """Every lip-sync metric for per-frame openness against 16 kHz audio (JSON-serialisable)."""
    n = len(open_)
    loudness = frame_loudness(samples, n, fps)
    speech = speech_of(samples, n, fps, hold=False)  # the one VAD; the voice itself, not the hangover
    rest = lipsync.rest_gap(open_, speech, fps)
    closed_gap = lipsync.closed_threshold(rest)
    return {
        "frames": n,
        "fps": fps,
        "duration_s": n / fps,
        "face_found_share": float(np.isfinite(open_).mean()) if n else 0.0,
        "speech_share": float(speech.mean()) if n else 0.0,
        "lip_loudness": lipsync.lip_loudness_agreement(open_, loudness, speech),
        "silence_stillness": lipsync.silence_stillness(open_, speech, fps),
        "av_offset": lipsync.av_offset(open_, loudness, speech),
        "rest_gap": rest,
        "bilabial_closure": lipsync.bilabial_closure_rate(open_, phones, fps, closed_gap) if phones else None,
        "closed_elsewhere": lipsync.closed_elsewhere(open_, phones, speech, fps, closed_gap)
        if phones
        else None,
        "phone_source": phone_source,
        "openness": lipsync.openness_stats(open_, speech),
    }


def analyze_video(
    video_path: str | Path,
    audio_path: str | Path | None = None,
    transcript: str | None = None,
    model_path: str | Path | None = None,
    language: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Lip-sync report (JSON-serialisable) for a video; see :mod:`.lipsync` for each metric."""
    video_path = Path(video_path)
    if audio_path is None:
        container = _open_video(video_path)
        has_audio = bool(container.streams.audio)
        container.close()
        if not has_audio:
            raise InputError(f"{video_path} has no audio track: give the speech with --audio")
    samples = load_audio(audio_path or video_path)
    phones, source = reference_phones(samples, transcript, language)
    open_, fps = face_openness(video_path, model_path, progress)
    report = {"video": str(video_path), "audio": str(audio_path or video_path)}
    report.update(score(open_, samples, fps, phones, source))
    return report


def summary(report: dict) -> str:
    """A few human lines for the terminal."""

    def get(key: str, field: str, fmt: str) -> str:
        value = (report.get(key) or {}).get(field)
        return "n/a" if value is None else format(value, fmt)

    lines = [
        f"{report['video']}: {report['frames']} frames @ {report['fps']:g} fps, "
        f"face found in {100 * report['face_found_share']:.0f} %, "
        f"speech {100 * report['speech_share']:.0f} %",
        f"  audio–video offset   {get('av_offset', 'offset_frames', 'd')} frames "
        f"(confidence {get('av_offset', 'confidence', '.2f')}; positive = video late)",
        f"  lip–loudness         mean |o−v| {get('lip_loudness', 'mean_abs_diff', '.3f')} (lower is better), "
        f"r {get('lip_loudness', 'pearson', '.2f')}",
        f"  mouth in silence     MAD {get('silence_stillness', 'mad', '.4f')} of inter-ocular distance",
    ]
    bil = report.get("bilabial_closure")
    if bil:
        lines.append(
            f"  p/b/m closed         {bil['closed']} of {bil['total']} ({100 * bil['rate']:.0f} %, "
            f"phones from {report['phone_source']})"
        )
    if report.get("closed_elsewhere") is not None:
        lines.append(
            f"  closed elsewhere     {100 * report['closed_elsewhere']:.0f} % of the other speech frames"
        )
    else:
        lines.append("  p/b/m closed         n/a (no phone timings: give --transcript)")
    op = report.get("openness") or {}
    if op:
        lines.append(
            f"  mouth opening        p5 {op['p5']:.3f}, median {op['median']:.3f}, p95 {op['p95']:.3f}"
        )
    return "\n".join(lines)
