"""A batch manifest (CSV or JSON Lines): one clip per row, every column a generate option.

The columns are ``portrait``, ``audio``, optional ``output`` and the fields of
:class:`~talkingface.pipeline.options.GenerateOptions` that the command line has (``label``,
``no_watermark`` … included), read from the dataclass itself so a new option is a new column with
no change here. Values are converted by the field's type and validated by constructing
``GenerateOptions``, so a bad value fails its row with the same message ``generate`` gives.
Relative input paths resolve against the manifest's folder, a relative ``output`` against the
output folder. Rows are read one at a time: a million-row manifest is never held in memory.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, TalkingFaceError
from ..pipeline.options import GenerateOptions

ROW_COLUMNS = ("portrait", "audio", "output")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class RowJob:
    """One row ready to render (plain paths and options: it travels to worker processes)."""

    row: int  # 1-based data row number in the manifest
    portrait: Path
    audio: Path
    output: Path
    options: GenerateOptions


@dataclass(frozen=True)
class BadRow:
    """A row that cannot even be turned into options: it fails alone with this message."""

    row: int
    output: Path | None
    error: str
    portrait: str = ""
    audio: str = ""


def option_columns() -> dict[str, object]:
    """Column name → the type its text is converted to, from GenerateOptions' own field metadata
    (every command-line option is a column; API-only settings are not)."""
    columns: dict[str, object] = {}
    for f in dataclasses.fields(GenerateOptions):
        if not f.metadata.get("cli", True):
            continue
        kind = f.metadata.get("kind", type(f.default))
        if kind is tuple:  # a pair such as gaze: one type per element of the default
            kind = tuple[tuple(type(v) for v in f.default)]
        columns[f.name] = kind
    return columns


def convert(value: object, hint: object, base: Path) -> object:
    """A CSV string (or JSON value) as the field's type; relative paths against ``base``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        parts = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        if len(parts) != len(args):
            raise ValueError(f"give {len(args)} comma-separated values")
        return tuple(
            convert(p.strip() if isinstance(p, str) else p, a, base) for p, a in zip(parts, args, strict=True)
        )
    if hint is bool:
        text = str(value).strip().lower()
        if text not in TRUE + FALSE:
            raise ValueError("use true or false")
        return text in TRUE
    if hint is int:
        number = float(value)  # type: ignore[arg-type]
        if number != int(number):
            raise ValueError("use a whole number")
        return int(number)
    if hint is float:
        return float(value)  # type: ignore[arg-type]
    if hint is Path:
        path = Path(str(value)).expanduser()
        return path if path.is_absolute() else base / path
    return str(value)


class Manifest:
    """Rows of a CSV or JSONL manifest, checked for unknown columns before any work starts."""

    def __init__(self, path: str | Path, out_dir: str | Path) -> None:
        self.path = Path(path)
        self.out_dir = Path(out_dir).resolve()
        if not self.path.is_file():
            raise InputError(f"manifest {self.path} does not exist")
        self.kind = self.path.suffix.lower().lstrip(".")
        if self.kind not in ("csv", "jsonl"):
            raise InputError(f"manifest {self.path}: use a .csv or .jsonl file")
        self.base = self.path.resolve().parent
        self.columns = option_columns()
        if self.kind == "csv":
            with self._open() as fh:
                header = next(csv.reader(fh), [])
            self._check_columns([h.strip() for h in header], "the header")

    def _open(self):
        try:
            return open(self.path, newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(f"cannot read the manifest {self.path}: {exc.strerror or exc}") from exc

    def _check_columns(self, names: list[str], where: str) -> None:
        unknown = [n for n in names if n not in ROW_COLUMNS and n not in self.columns]
        if unknown:
            raise InputError(
                f"manifest {self.path}: unknown column {unknown[0]!r} in {where}: use portrait, audio, "
                f"output or a generate option ({', '.join(self.columns)})"
            )
        for need in ("portrait", "audio"):
            if self.kind == "csv" and need not in names:
                raise InputError(f"manifest {self.path}: no {need!r} column in the header: add one")

    def records(self) -> Iterator[tuple[int, dict[str, object] | str]]:
        """(row number, raw values) per data row, or (row number, error) for an unreadable line."""
        with self._open() as fh:
            if self.kind == "csv":
                for i, rec in enumerate(csv.DictReader(fh), 1):
                    if None in rec:
                        yield i, "the row has more values than the header has columns"
                    elif any((v or "").strip() for v in rec.values()):
                        yield i, {k.strip(): (v or "").strip() for k, v in rec.items()}
                return
            row = 0
            for line in fh:
                if not line.strip():
                    continue
                row += 1
                try:
                    rec = json.loads(line)
                except ValueError:
                    yield row, "the line is not valid JSON"
                    continue
                yield row, rec if isinstance(rec, dict) else "the line is not a JSON object"

    def count(self) -> int:
        return sum(1 for _ in self.records())

    def rows(self) -> Iterator[RowJob | BadRow]:
        """Each row as a job, or as a BadRow carrying the one-line reason it cannot run."""
        for row, rec in self.records():
            if isinstance(rec, str):
                yield BadRow(row, None, rec)
                continue
            try:
                yield self.job(row, rec)
            except TalkingFaceError as exc:
                yield BadRow(row, self.output_for(row, rec), str(exc), *self._inputs(rec))

    def _inputs(self, rec: dict[str, object]) -> tuple[str, str]:
        return str(rec.get("portrait") or ""), str(rec.get("audio") or "")

    def output_for(self, row: int, rec: dict[str, object]) -> Path | None:
        """Where the row's video goes: its ``output`` column, else ``NNNNN-<audio name>.mp4``."""
        given = str(rec.get("output") or "").strip()
        if given:
            path = Path(given).expanduser()
            return (path if path.is_absolute() else self.out_dir / path).resolve()
        audio = str(rec.get("audio") or "").strip()
        return self.out_dir / f"{row:05d}-{Path(audio).stem or 'row'}.mp4" if audio else None

    def job(self, row: int, rec: dict[str, object]) -> RowJob:
        self._check_columns(list(rec), f"row {row}")
        for need in ("portrait", "audio"):
            if not str(rec.get(need) or "").strip():
                raise InputError(f"no {need} given")
        top: dict[str, object] = {}
        for name, value in rec.items():
            if name in ROW_COLUMNS or value is None or value == "":
                continue
            try:
                converted = convert(value, self.columns[name], self.base)
            except (TypeError, ValueError) as exc:
                raise InputError(f"column {name!r} has the value {value!r}: {exc}") from None
            top[name] = converted
        output = self.output_for(row, rec)
        assert output is not None
        return RowJob(
            row,
            convert(rec["portrait"], Path, self.base),  # type: ignore[arg-type]
            convert(rec["audio"], Path, self.base),  # type: ignore[arg-type]
            output,
            GenerateOptions(**top),
        )
