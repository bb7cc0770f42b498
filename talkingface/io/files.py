"""The first checks on a file a user names: there, not a folder, not empty."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def check_input_file(path: Path, what: str, error: type[InputError], give: str) -> None:
    """One line for each way a named input can be missing; ``give`` says what to give instead."""
    if path.is_dir():
        raise error(f"{what} {path} is a directory: give {give}", path=path)
    if not path.is_file():
        raise error(f"{what} {path} does not exist", path=path)
    if path.stat().st_size == 0:
        raise error(f"{what} {path} is an empty file", path=path)
