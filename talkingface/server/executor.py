"""Where a job is rendered: ``render(portrait, audio, output, options, reporter) -> GenerateResult``.

Two executors, one signature (another, e.g. a cluster, can take their place in JobStore):

- :func:`render_in_subprocess` (the server's default): each job in a child process forked from a
  clean ``forkserver`` that has the pipeline imported. The server's event loop never competes with
  a render for the GIL (live sessions and ``/api/health`` stay responsive), the render's memory is
  returned when it ends, and a crash (segfault, out of memory) fails that job, not the server.
  Progress comes back over a pipe; cancelling kills the child and removes its ``.part`` file.
- :func:`render_locally`: in the calling thread (tests that patch the pipeline, embedding).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from ..errors import InputError, TalkingFaceError


class RenderCrash(Exception):
    """The render process failed on a bug or died; the message says how (no internals)."""


JOB_NICENESS = 10
_POLL = 0.2  # seconds between cancel checks while the child is quiet (e.g. analysing the audio)


def render_locally(portrait: Path, audio: Path, output: Path, options, reporter):
    from ..pipeline.generate import generate

    return generate(portrait, audio, output, options, reporter=reporter)


class _PipeReporter:
    """The child's reporter: forwards progress; exits if the server is gone (no orphan renders)."""

    def __init__(self, conn, parent: int) -> None:
        self.conn, self.parent = conn, parent

    def _send(self, *message) -> None:
        if os.getppid() != self.parent:
            os._exit(1)
        self.conn.send(message)

    def start(self, total: int) -> None:
        self._send("start", total)

    def advance(self, n: int = 1) -> None:
        self._send("advance", n)

    def note(self, message: str) -> None:
        self._send("note", message)


def _child(conn, portrait, audio, output, options) -> None:
    from ..pipeline.generate import generate

    os.nice(JOB_NICENESS)  # batch work: the server's requests and live sessions come first
    try:
        result = generate(portrait, audio, output, options, reporter=_PipeReporter(conn, os.getppid()))
        conn.send(("done", result))
    except TalkingFaceError as exc:
        conn.send(("failed", str(exc)))
    except BaseException as exc:  # a bug: its class name only (no internals to the client)
        conn.send(("bug", exc.__class__.__name__))
    finally:
        conn.close()


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["talkingface.pipeline.generate"])
    return ctx


def render_in_subprocess(portrait: Path, audio: Path, output: Path, options, reporter):
    ctx = _context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, portrait, audio, output, options), daemon=True)
    proc.start()
    sender.close()
    check = getattr(reporter, "check", lambda: None)
    try:
        while True:
            check()  # raises when the job is cancelled: the finally below kills the child
            if not receiver.poll(_POLL):
                if not proc.is_alive() and not receiver.poll(0):
                    break
                continue
            try:
                kind, value = receiver.recv()
            except EOFError:
                break
            if kind == "start":
                reporter.start(value)
            elif kind == "advance":
                reporter.advance(value)
            elif kind == "note":
                reporter.note(value)
            elif kind == "done":
                return value
            elif kind == "failed":
                raise InputError(value)
            else:
                raise RenderCrash(value)
        proc.join(5)
        raise RenderCrash(f"the render process ended unexpectedly (exit code {proc.exitcode})")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(10)
        receiver.close()
        for part in Path(output).parent.glob(f".{Path(output).name}.*.part"):
            part.unlink(missing_ok=True)
