"""Checks on where the output goes, before any work is done; its folder is made only when writing starts."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError, OutputError

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")


def check_output(output: str | Path, inputs: list[str | Path]) -> Path:
    """The output path, resolved; never one of the inputs, always somewhere we can write."""
    out = Path(output).expanduser()
    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"output {out} must end in .mp4 (or .m4v/.mov)")
    for src in inputs:
        src = Path(src).expanduser()
        same = out.resolve() == src.resolve() or (
            out.exists() and src.exists() and os.path.samefile(out, src)
        )
        if same:
            raise OutputError(f"output {out} is the same file as the input {src}: choose another output name")
    if out.is_dir():
        raise OutputError(f"output {out} is a directory: give a file name such as {out / 'talking.mp4'}")
    parent = out.parent
    existing = next(p for p in (parent, *parent.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        raise OutputError(f"cannot create the output folder {parent}: {existing} is a file")
    if not os.access(existing, os.W_OK):
        raise OutputError(f"output folder {existing} is not writable: choose another location")
    return out


def make_output_folder(out: Path) -> None:
    """Create the output's folder, once the inputs have been accepted (a refused input leaves
    no empty folders behind)."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out.parent}: {exc.strerror or exc}") from exc


def writable_folder(folder: Path) -> Path:
    """``folder``, created if missing, after checking we may write in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from exc
    if not os.access(folder, os.W_OK):
        raise OutputError(f"output folder {folder} is not writable: choose another location")
    return folder
