"""Phone recognition in a worker process: exactly the phones and errors of recognition here, and
no process left behind, whether the work ends, fails, or the command is interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from talkingface.audio.phone_worker import PhoneWorker
from talkingface.audio.phones import recognition_by, recognize_phones
from talkingface.io.audio import load_audio, save_wav


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def sonnet(samples):
    return load_audio(samples.sonnet)


def test_the_worker_finds_exactly_the_phones_found_here(sonnet):
    blocks = [sonnet[: 30 * 16000], sonnet[16000 : 5 * 16000]]  # two requests: a fresh decoder each
    with PhoneWorker() as worker:
        pid = worker.pid
        remote = [worker.recognize(block) for block in blocks]
        assert worker.pid == pid, "the worker failed and the phones were found here"
    here = [recognize_phones(block) for block in blocks]
    assert remote == here
    assert len(here[0]) > 100 and {p.label for p in here[0]} > {"SIL", "AH", "M", "B"}
    assert _gone(pid)


def test_blocks_sent_ahead_are_answered_exactly(sonnet):
    blocks = [sonnet[: 12 * 16000], sonnet[12 * 16000 : 20 * 16000], sonnet[3 * 16000 : 6 * 16000]]
    with PhoneWorker() as worker:
        pid = worker.pid
        worker.send(blocks[0])
        worker.send(blocks[1])  # two requests queued before the first answer is read
        remote = [worker.recognize(blocks[0]), worker.recognize(blocks[1])]
        worker.send(blocks[0])  # sent for a call that never comes: the next call still gets its own
        remote.append(worker.recognize(blocks[2]))
        assert worker.pid == pid, "the worker failed and the phones were found here"
    assert remote == [recognize_phones(block) for block in blocks]
    assert _gone(pid)


def test_a_block_sent_and_never_asked_for_leaves_no_process(sonnet):
    with PhoneWorker() as worker:
        pid = worker.pid
        worker.send(sonnet[: 40 * 16000])
    assert _gone(pid)


def test_recognition_by_the_worker_inside_a_block_only(sonnet):
    clip = sonnet[16000 : 5 * 16000]
    with PhoneWorker() as worker, recognition_by(worker.recognize):
        inside = recognize_phones(clip)
        os.kill(worker.pid, signal.SIGKILL)  # a dead worker: the next block is recognised here
        after_death = recognize_phones(clip)
        assert worker.pid is None
    assert inside == after_death == recognize_phones(clip)


def test_audio_the_decoder_cannot_read_fails_as_it_does_here():
    blip = np.zeros(100, np.float32)  # 6 ms: no frame to decode
    with pytest.raises(Exception) as here:
        recognize_phones(blip)
    with PhoneWorker() as worker, pytest.raises(here.type):
        worker.recognize(blip)


def test_an_error_in_the_block_ends_the_worker():
    with pytest.raises(KeyboardInterrupt), PhoneWorker() as worker:
        pid = worker.pid
        assert not _gone(pid)
        raise KeyboardInterrupt
    assert _gone(pid)


def _processes(field: int, value: int) -> list[int]:
    """Pids of the processes whose /proc stat ``field`` (after the name: 1 = parent, 3 = session)
    is ``value``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[field]) == value:
                found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    return _processes(1, pid)


@pytest.mark.parametrize("group", [True, False], ids=["ctrl-c to the group", "sigterm to the command"])
def test_interrupting_the_command_leaves_no_worker(tmp_path, samples, speech_clip, group):
    minute = save_wav(tmp_path / "minute.wav", np.tile(load_audio(speech_clip), 8), 16000)
    out = tmp_path / "x.mp4"
    command = [sys.executable, "-m", "talkingface", "generate", samples.astronaut, minute, "-o", out]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120  # a bound on waiting, not a measurement
    workers: list[int] = []
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.01)
    assert workers and proc.poll() is None, "no worker seen while the command ran"
    time.sleep(0.3)  # the worker under way
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + (signal.SIGINT if group else signal.SIGTERM)
    assert "Traceback" not in stderr and "interrupted; no output was written" in stderr
    assert all(_gone(pid) for pid in workers)
    assert not out.exists()


def test_motion_with_blocks_recognised_ahead_is_the_same(samples, monkeypatch):
    """generate() sends each block to the worker a block ahead of its use: the track is the one
    made with every block recognised here, in turn."""
    import functools

    import talkingface.pipeline.generate as pipeline
    from talkingface.pipeline.options import GenerateOptions

    options = GenerateOptions()
    monkeypatch.setattr(pipeline, "audio_blocks", functools.partial(pipeline.audio_blocks, seconds=15))
    features = pipeline.analyse_audio(samples.sonnet, options)
    here = pipeline.audio_motion(samples.sonnet, features, options)
    with PhoneWorker() as worker, recognition_by(worker.recognize):
        ahead = pipeline.audio_motion(samples.sonnet, features, options, ahead=worker.send)
        assert worker.pid is not None, "the worker failed and the phones were found here"
    assert here.meta["lipsync"] == "allphone"
    assert np.array_equal(here.blendshapes, ahead.blendshapes) and np.array_equal(here.pose, ahead.pose)


def _in_session(sid: int) -> list[int]:
    return _processes(3, sid)


def test_a_command_its_checks_refuse_leaves_no_worker(samples, speech_clip):
    """The command starts the worker before generate() checks its inputs: refused (the output
    would overwrite the portrait), it says so in one line and leaves no worker behind."""
    command = [
        sys.executable,
        "-m",
        "talkingface",
        "generate",
        samples.astronaut,
        speech_clip,
        "-o",
        samples.astronaut,
    ]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stderr = proc.communicate(timeout=120)[1]
    assert proc.returncode == 1 and stderr.startswith("error:") and "Traceback" not in stderr
    deadline = time.monotonic() + 10  # a bound on waiting for the kernel to reap it, not a measurement
    while _in_session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _in_session(proc.pid)
