"""Read a user's text file (a transcript): UTF-8, never more than a cap, one clear line on error."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def read_text(path: str | Path, what: str, limit: int) -> str:
    """The text of ``path``; refuses a missing file, a folder, more than ``limit`` bytes (so
    ``/dev/zero`` or a video given by mistake stops at once), non-UTF-8 and empty text.
    Pipes (``<(echo …)``) work: only the first ``limit`` + 1 bytes are ever read."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path} is a directory: give a text file", path=path)
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}", path=path) from exc
    if len(data) > limit:
        raise InputError(f"{what} {path} is larger than {limit >> 20} MB: give a plain text file", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{what} {path} is not UTF-8 text: save it as a UTF-8 text file", path=path
        ) from None
    if "\x00" in text:
        raise InputError(f"{what} {path} is not a text file (it contains NUL bytes)", path=path)
    if not text.strip():
        raise InputError(f"{what} {path} is empty", path=path)
    return text
