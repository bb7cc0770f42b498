"""generate(): portrait + speech → talking-face MP4. Reads like the data flow in DESIGN §2."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from .. import gcpause
from ..audio.features import AudioFeatures, audio_features
from ..audio.phone_worker import PhoneWorker
from ..audio.phones import recognition_by
from ..core.track import MotionTrack
from ..errors import AudioTooLongError, NoSpeechError, UnreadableAudioError
from ..face.landmarker import FaceLandmarker
from ..face.matte import PersonMatte
from ..face.portrait import check_full_size
from ..io.audio import ANALYSIS_RATE, iter_audio, load_audio, probe_audio
from ..io.image import check_image_header, load_portrait
from ..io.video import VideoWriter
from ..motion.generate import motion_from_audio
from ..motion.lipsync import mouth_frames, write_mouth
from ..motion.track_io import load_track, resample_track, save_track
from ..provenance import FrameMarker, container_metadata, finalize, load_signing_key
from ..render.setup import prepare_face
from .options import DEFAULT_OUTPUT, GenerateOptions
from .paths import check_output, make_output_folder


class Reporter(Protocol):
    """Where progress and notes go (a progress bar in the CLI, nothing in the API)."""

    def start(self, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def note(self, message: str) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class GenerateResult:
    """What was made. Behaves as a path (``os.fspath(result)``) to the finished video."""

    path: Path
    frames: int
    fps: float
    duration: float  # seconds of video (= audio)
    seconds: float  # wall-clock time taken
    width: int
    height: int
    notes: list[str] = field(default_factory=list)
    generation_id: str = ""  # carried by the watermark, the container tag and the C2PA manifest

    @property
    def realtime_factor(self) -> float:
        """Seconds of video made per second of work (> 1 is faster than real time)."""
        return self.duration / max(self.seconds, 1e-9)

    def summary(self) -> str:
        return (
            f"wrote {self.path}: {self.frames} frames, {self.width}×{self.height} @ {self.fps:g} fps, "
            f"{self.duration:.2f} s in {self.seconds:.1f} s ({self.realtime_factor:.1f}× real time)"
        )

    def __fspath__(self) -> str:
        return str(self.path)


def analyse_audio(audio: str | Path, options: GenerateOptions) -> AudioFeatures:
    """Loudness and voice activity per frame, refusing audio we cannot or should not animate."""
    info = probe_audio(audio, limit=options.max_duration)
    if info.duration <= 0:
        raise UnreadableAudioError(f"audio {audio} contains no sound samples")
    _check_length(audio, info.duration, options)
    features = audio_features(iter_audio(audio, ANALYSIS_RATE), ANALYSIS_RATE, options.fps)
    _check_length(audio, features.duration, options)  # a header may understate the length
    if not features.speech.any():
        raise NoSpeechError(f"audio {audio} contains no speech (it is silent or too quiet): check the file")
    return features


def _check_length(audio: str | Path, seconds: float, options: GenerateOptions) -> None:
    if seconds > options.max_duration + 1.0 / options.fps:
        raise AudioTooLongError(
            f"audio {audio} is {seconds:.0f} s long; the limit is {options.max_duration:.0f} s: "
            "split it or raise --max-duration"
        )


def audio_motion(
    audio: str | Path,
    features: AudioFeatures,
    options: GenerateOptions,
    between_blocks: Callable[[], object] | None = None,
    ahead: Callable[[np.ndarray], object] | None = None,
) -> MotionTrack:
    """Head, eyes and brows from the audio features; the mouth from phones or acoustic cues.
    ``between_blocks`` runs before each block of recognition (it may raise to stop early);
    ``ahead`` is handed each block's samples before the head's passes and before the block ahead
    of it is used (:meth:`PhoneWorker.send <talkingface.audio.phone_worker.PhoneWorker.send>`:
    the worker recognises them meanwhile)."""
    blocks: Iterator = iter(())
    if options.lipsync != "loudness":
        # alignment needs the whole text against the whole clip; recognition works block by
        # block, so memory stays flat however long the speech is
        whole = [(0, len(features), load_audio(audio))] if options.transcript else None
        blocks = iter(whole or audio_blocks(audio, features))
        if ahead is not None:
            blocks = _sent_ahead(blocks, ahead)
    track = motion_from_audio(
        iter_audio(audio, ANALYSIS_RATE), options.fps, len(features), options.seed, options.controls()
    )
    track.meta["lipsync"] = "loudness"
    if options.lipsync == "loudness":
        return track
    notes, methods = [], []
    for first, stop, samples in blocks:
        if between_blocks is not None:
            between_blocks()
        speech = features.speech[first:stop]  # the one VAD, as the head, blinks and live read it
        mouth = mouth_frames(samples, stop - first, options.fps, options.transcript, options.language, speech)
        part = MotionTrack(track.fps, track.pose[first:stop], track.blendshapes[first:stop])  # views
        write_mouth(part, mouth.values)
        methods.append(mouth.method)
        if mouth.note and mouth.note not in notes:
            notes.append(mouth.note)
    track.meta["lipsync"] = max(set(methods), key=methods.count)
    if notes:
        track.meta["lipsync_note"] = "; ".join(notes)
    return track


def _sent_ahead(blocks: Iterator, send: Callable[[np.ndarray], object]) -> Iterator:
    """``blocks`` with each block's samples sent on before the block before it is yielded (the
    first at once): recognition runs a block ahead of its use, memory stays two blocks."""
    following = next(blocks, None)
    if following is not None:
        send(following[2])

    def run() -> Iterator:
        current = following
        while current is not None:
            after = next(blocks, None)
            if after is not None:
                send(after[2])
            yield current
            current = after

    return run()


#: recognition block length: long enough for context, short enough to keep memory flat
BLOCK_SECONDS = 60.0


def audio_blocks(audio: str | Path, features: AudioFeatures, seconds: float = BLOCK_SECONDS):
    """Yield (first frame, end frame, 16 kHz samples) blocks of about ``seconds``, cut at the
    quietest frame near each boundary so no word is split, decoding the file as it goes."""
    fps, n = features.fps, len(features)
    step, slack = int(seconds * fps), int(3 * fps)
    cuts = [0]
    while n - cuts[-1] > step + slack:
        lo, hi = cuts[-1] + step - slack, cuts[-1] + step + slack
        cuts.append(lo + int(np.argmin(features.rms_db[lo:hi])))
    cuts.append(n)
    pending = np.zeros(0, np.float32)
    stream = iter_audio(audio, ANALYSIS_RATE)
    for first, stop in zip(cuts[:-1], cuts[1:], strict=True):
        end_sample = round(stop * ANALYSIS_RATE / fps) if stop < n else None
        parts = [pending]
        have = len(pending)
        while end_sample is None or have < end_sample - round(first * ANALYSIS_RATE / fps):
            block = next(stream, None)
            if block is None:
                break
            parts.append(block)
            have += len(block)
        data = np.concatenate(parts)
        take = len(data) if end_sample is None else end_sample - round(first * ANALYSIS_RATE / fps)
        pending = data[take:]
        yield first, stop, data[:take]


def generation_id(portrait: str | Path, audio: str | Path, options: GenerateOptions) -> int:
    """32-bit id of this generation for the watermark and credentials: derived from the inputs and
    options, so the same inputs and seed give the same id and the same video, frame for frame."""
    digest = hashlib.sha256()
    for path in (portrait, audio):
        with open(path, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    shown = replace(options, provenance=None, export_motion=None)
    values = ", ".join(f"{f.name}={getattr(shown, f.name)!r}" for f in fields(shown) if f.name not in UNSEEN)
    digest.update(f"{type(options).__name__}({values})".encode())
    return int.from_bytes(digest.digest()[:4], "big")


#: options that cannot change a frame (where the analysis comes from), left out of the id
UNSEEN = ("cache",)


def given_motion(options: GenerateOptions, n_frames: int) -> tuple[MotionTrack, int] | None:
    """The track from ``--motion`` or ``--driver``, sampled at the video's frame times for exactly
    ``n_frames`` (the audio's length), and how many of those frames it really covers (past its end
    it holds its last frame; a longer track is cut)."""
    if options.motion is not None:
        track = load_track(options.motion)
        track.meta.setdefault("source", f"file {options.motion}")
    elif options.driver is not None:
        from ..motion.driver import track_from_video  # reads a video: imports what only it needs

        track = track_from_video(options.driver)
    else:
        return None
    source = len(track)
    out = resample_track(track, options.fps, n_frames)
    covered = min(n_frames, int(np.floor(source / track.fps * options.fps + 1e-6)))
    if abs(source / track.fps - n_frames / options.fps) > 1.0 / options.fps:
        shorter = source / track.fps < n_frames / options.fps
        what = "held its last frame" if shorter else "was cut"
        if shorter and options.driver is not None:
            what = "hands over to motion from the audio"
        out.meta["length_note"] = (
            f"the motion lasts {source / track.fps:.2f} s, the audio {n_frames / options.fps:.2f} s: "
            f"the motion {what}"
        )
    return out, covered


#: frames in flight between the renderers and the encoder: enough to ride out jitter and keep
#: every render thread busy, few enough that memory does not depend on the clip's length
RENDER_AHEAD = 6
#: render threads: frames are independent, and most of a frame's work is in OpenCV and NumPy
#: calls that release the GIL, so two threads fill two cores beside the encoder's
RENDER_THREADS = 2


def render_ahead(
    render: Callable[[int], np.ndarray], count: int, threads: int = RENDER_THREADS, depth: int = RENDER_AHEAD
) -> Iterator[np.ndarray]:
    """Yield ``render(0) … render(count − 1)`` in order, made by ``threads`` worker threads at most
    ``depth`` frames ahead of the consumer, so rendering and encoding (PyAV releases the GIL) use
    every core. An error in a worker is raised here; leaving the loop early stops the workers."""
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="render-ahead")
    pending: collections.deque = collections.deque()
    try:
        for k in range(count):
            pending.append(pool.submit(render, k))
            if len(pending) > depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def generate(
    portrait: str | Path,
    audio: str | Path,
    output: str | Path = DEFAULT_OUTPUT,
    options: GenerateOptions | None = None,
    reporter: Reporter | None = None,
    landmarker: FaceLandmarker | None = None,
    matte_model: PersonMatte | None = None,
    phones: PhoneWorker | None = None,
    **option_overrides,
) -> GenerateResult:
    """Make ``output`` (MP4) of the portrait speaking ``audio``. The keywords are the
    ``talkingface generate`` flags (``motion_scale=0`` for ``--motion-scale 0``), see
    :class:`GenerateOptions`; every input and option is checked before any work.

    ``landmarker``, ``matte_model``: the face and matting models already loaded (a batch worker renders
    many rows with one of each). ``phones``: a phone recognition worker started ahead (the CLI
    starts it before the media libraries are imported, so their import overlaps its start-up);
    used if the options recognise phones, and closed here either way."""
    started = time.perf_counter()
    if options is None or option_overrides:
        options = GenerateOptions.build(options, **option_overrides)
    reporter = reporter or _Silent()
    # every cheap check first: nothing is decoded, detected or created before they pass
    out = check_output(output, [portrait, audio])
    width, height = check_image_header(portrait)
    if options.mode == "full":
        check_full_size(width, height, str(portrait))
    if options.transcript_file is not None:
        options = replace(options, transcript=options.read_transcript(), transcript_file=None)
    marks = options.marks()
    if marks.sign:  # a certificate that cannot sign is refused now, not after the render
        load_signing_key(marks.sign_cert, marks.sign_key, marks.key_dir)
    with contextlib.ExitStack() as stack:
        # phones are recognised in a worker process (PocketSphinx holds the GIL throughout): started
        # first, it loads its models while this process loads the face models
        if phones is not None:
            stack.enter_context(phones)
        worker = (phones or stack.enter_context(PhoneWorker())) if options.recognises_phones() else None
        if phones is not None and worker is None:
            phones.close()
        rgb = load_portrait(portrait)
        # the face (landmarker, matte, rig) in a thread while this one analyses the audio
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        face = pool.submit(
            prepare_face, rgb, landmarker, mode=options.mode, size=options.size, name=str(portrait),
            face=options.face, matte=(matte_model or True) if options.matte else False,
            known=options.cache,
        )  # fmt: skip
        features = analyse_audio(audio, options)

        def face_failed() -> None:  # a portrait without a usable face stops the work at once
            if face.done():
                face.result()

        ahead = worker.send if worker else None
        with recognition_by(worker.recognize) if worker else contextlib.nullcontext():
            given = given_motion(options, len(features))
            if given is None:
                track = audio_motion(audio, features, options, between_blocks=face_failed, ahead=ahead)
            elif options.driver is not None:  # head, eyes, brows from the driver; lips from the audio
                spoken = audio_motion(audio, features, options, between_blocks=face_failed, ahead=ahead)
                from ..motion.driver import with_audio

                track = with_audio(*given, spoken, options.driver_mouth)
            else:
                track = given[0]
        if worker is not None:
            worker.close()  # its work is done
        framed, renderer = face.result()
    gcpause.resume()  # the CLI paused collection while starting up; the frames' garbage is collected
    notes = list(framed.notes)
    for note in notes:
        reporter.note(note)
    for key in ("lipsync_note", "length_note"):
        if note := track.meta.get(key):
            notes.append(note)
            reporter.note(note)
    if options.export_motion is not None:
        save_track(track, options.export_motion)
    height, width = framed.image.shape[:2]
    generation = generation_id(portrait, audio, options)
    mark = FrameMarker(
        width, height, marks, generation, still_outside=renderer.rig.roi
    )  # the rest is the photo
    signed: list = []

    def sign(tmp: Path) -> None:
        signed.append(finalize(tmp, marks, generation, source_portrait=portrait))

    reporter.start(len(track))
    make_output_folder(out)
    with VideoWriter(
        out, width, height, options.fps, audio, crf=options.crf,
        metadata=container_metadata(generation), before_publish=sign, still_outside=renderer.rig.roi,
    ) as writer:  # fmt: skip
        for frame in render_ahead(lambda k: renderer.render(*track.frame(k)), len(track)):
            writer.write(mark(frame))
            reporter.advance()
    if signed and signed[0] is not None and (notice := signed[0].notice):
        notes.append(notice)
    return GenerateResult(
        out, len(track), options.fps, len(track) / options.fps, time.perf_counter() - started, width, height,
        notes, f"{generation:08x}",
    )  # fmt: skip


__all__ = [
    "GenerateOptions",
    "GenerateResult",
    "Reporter",
    "analyse_audio",
    "audio_motion",
    "generate",
    "given_motion",
    "render_ahead",
]
