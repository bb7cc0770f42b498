"""Allphone recognition in a worker process, so it overlaps the face analysis on the other core.

PocketSphinx holds the GIL for the whole of an utterance: in a thread it starves every other
Python thread (face landmarks, matting, imports) for as long as it runs. A child process
(``python -c`` calling :func:`main` here; not multiprocessing, which would re-import the user's
``__main__``) loads its models while the parent starts up, then answers each block of
audio with exactly the phones :func:`~talkingface.audio.phones.recognize_phones` gives here.

Protocol on the child's stdin/stdout: a request is the sample count (8 bytes, little-endian)
then the float32 samples; the answer is one JSON line, ``{"phones": [[label, start, end], …]}``
or ``{"error": "…"}``. The child exits at the end of its input, so it never outlives its parent.
Anything that goes wrong with the worker makes the parent recognise the block itself: the same
phones, the same errors.
"""

from __future__ import annotations

import collections
import contextlib
import json
import signal
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .phones import Phone, allphone_decoder, recognize_phones

_HEADER = struct.Struct("<Q")
#: seconds a worker may take to leave after its input ends before it is killed
EXIT_WAIT_S = 2.0


class PhoneWorker:
    """``with PhoneWorker() as worker: phones = worker.recognize(samples)``; starting one costs the
    parent a few milliseconds, the child's start-up runs on another core."""

    def __init__(self) -> None:
        # the child imports this very package: its folder is appended to the child's path (never
        # put first, where it could shadow the standard library)
        root = str(Path(__file__).resolve().parents[2])
        start = (
            f"import sys; sys.path.append({root!r}); from talkingface.audio.phone_worker import main; main()"
        )
        try:
            self._proc: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-c", start], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except (OSError, ValueError):  # no interpreter to start: recognition stays here
            self._proc = None
        self._writer: ThreadPoolExecutor | None = None
        self._sent: collections.deque = collections.deque()  # (samples, write) sent ahead, unanswered

    @property
    def pid(self) -> int | None:
        """The worker's process id while it runs (None once closed or failed)."""
        return self._proc.pid if self._proc is not None else None

    def send(self, samples: np.ndarray) -> None:
        """Hand ``samples`` to the worker now, ahead of the :meth:`recognize` call that will want
        its phones, so it recognises them while this process does other work (written from a
        thread: the worker reads a request only once it is free)."""
        if self._proc is None:
            return
        data = np.ascontiguousarray(samples, np.float32)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phone-worker")
        self._sent.append((samples, self._writer.submit(self._write, data)))

    def _write(self, data: np.ndarray) -> None:
        self._proc.stdin.write(_HEADER.pack(len(data)) + data.tobytes())
        self._proc.stdin.flush()

    def recognize(self, samples: np.ndarray) -> list[Phone]:
        """:func:`recognize_phones` of 16 kHz float32 ``samples``, by the worker when it can
        (answered at once when they were :meth:`send` ahead)."""
        data = np.ascontiguousarray(samples, np.float32)
        if self._proc is not None:
            try:
                if not self._sent or self._sent[0][0] is not samples:
                    self._drop_sent()  # sent for a call that never came: their answers go unread
                    self.send(samples)
                _, written = self._sent.popleft()
                written.result()
                answer = json.loads(self._proc.stdout.readline() or b"{}")
                if "phones" in answer:
                    return [Phone(label, start, end) for label, start, end in answer["phones"]]
            except (OSError, ValueError):
                pass
            self.close(kill=True)  # failed or refused: recognise here, where any error is raised as before
        return recognize_phones(data, decoder=allphone_decoder())

    def _drop_sent(self) -> None:
        while self._sent:
            self._sent.popleft()[1].result()
            self._proc.stdout.readline()

    def close(self, kill: bool = False) -> None:
        """End the worker: it leaves at the end of its input; killed if ``kill``, if it lingers, or
        if blocks sent ahead were never asked for (their answers are not wanted)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        kill = kill or bool(self._sent)
        self._sent.clear()
        if kill:  # first, so that a write still under way ends (the pipe breaks) instead of waiting
            proc.kill()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
        with contextlib.suppress(OSError):  # a worker that died took its pipe with it
            proc.stdin.close()
        if not kill:
            try:
                proc.wait(EXIT_WAIT_S)
            except subprocess.TimeoutExpired:
                kill = True
        if kill:
            proc.kill()
            proc.wait()
        proc.stdout.close()

    def __enter__(self) -> PhoneWorker:
        return self

    def __exit__(self, kind, *exc) -> None:
        self.close(kill=kind is not None)


def _read_exactly(stream, n: int) -> bytes | None:
    data = stream.read(n)
    return data if len(data) == n else None


def main() -> None:
    """The child: answer requests on stdin until it ends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the whole group: leave quietly
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    decoder = allphone_decoder()  # loaded while the parent decodes the audio
    while (header := _read_exactly(source, _HEADER.size)) is not None:
        (count,) = _HEADER.unpack(header)
        raw = _read_exactly(source, 4 * count)
        if raw is None:
            break
        try:  # a fresh decoder for every block, as in the parent
            phones = recognize_phones(np.frombuffer(raw, np.float32), decoder=decoder or allphone_decoder())
            answer = {"phones": [[p.label, p.start, p.end] for p in phones]}
        except Exception as exc:  # the parent recognises this block itself and raises it there
            answer = {"error": repr(exc)}
        decoder = None
        try:
            sink.write(json.dumps(answer).encode() + b"\n")
            sink.flush()
        except OSError:  # the parent is gone
            break
