"""Ctrl-C and SIGTERM end a command with 128 + the signal's number, wherever they land."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest

from talkingface import cli

PROBE = """
import sys
from talkingface import cli

def app():
    try:  # Ctrl-C lands in source text being run, as when a dataclass is made during an import
        exec("import os, signal\\nos.kill(os.getpid(), signal.SIGINT)\\nx = 1\\n")
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(0)

cli.app = app
cli.main()
"""


def test_ctrl_c_inside_generated_code_ends_with_130_under_python_m(tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    done = subprocess.run([sys.executable, "-m", "probe"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 130, done.stderr  # not −2: killed by the signal after handling it


def _frame(filename: str, name: str) -> SimpleNamespace:
    return SimpleNamespace(f_code=SimpleNamespace(co_filename=filename, co_name=name))


def test_ctrl_c_in_the_import_machinery_is_raised_at_the_next_checkpoint(monkeypatch):
    """Raised inside importlib (a module lock's weakref callback) it would be printed as a traceback
    and dropped; it waits for the next checkpoint instead."""
    monkeypatch.setattr(cli, "_received", [])
    cli._interrupt(signal.SIGINT, _frame("<frozen importlib._bootstrap>", "cb"))
    with pytest.raises(KeyboardInterrupt):
        cli._raise_pending()


@pytest.mark.parametrize("where", [(__file__, "f"), ("<frozen importlib._bootstrap>", "_find_and_load")])
def test_sigterm_elsewhere_is_raised_at_once(monkeypatch, where):
    monkeypatch.setattr(cli, "_received", [])
    with pytest.raises(cli.Terminated) as caught:
        cli._interrupt(signal.SIGTERM, _frame(*where))
    assert cli._interrupt_code(caught.value) == 128 + signal.SIGTERM
