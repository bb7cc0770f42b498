"""The job form, derived from the options dataclass: every scalar field of GenerateOptions is a form
field with its default and help, and the dataclass's own validation checks it. Nothing is copied,
so an option added to GenerateOptions appears in the API, ``/api/info`` and ``/docs`` by itself.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, HTTPException

from ..errors import InputError
from ..pipeline.options import GenerateOptions, api_message

#: Set by the server (its own limit) or not given over HTTP (paths on the server's disk).
SERVER_SET = {"max_duration"}
SCALARS = (bool, int, float, str)


@dataclasses.dataclass(frozen=True)
class OptionField:
    name: str
    kind: type  # bool, int, float, str or tuple (a comma-separated string in the form)
    default: Any
    optional: bool
    help: str
    minimum: float | None = None
    maximum: float | None = None


def _comments() -> dict[str, str]:
    """The field comments in options.py (``name: type = default  # help``), as help texts."""
    try:
        source = inspect.getsource(GenerateOptions)
    except (OSError, TypeError):  # no source shipped: the fields work without their help
        return {}
    return {m[1]: m[2].strip() for m in re.finditer(r"^\s+(\w+):[^#\n]*#\s*(.+)$", source, re.M)}


@cache
def option_fields() -> tuple[OptionField, ...]:
    hints = typing.get_type_hints(GenerateOptions)
    comments = _comments()
    out = []
    for f in dataclasses.fields(GenerateOptions):
        if f.name in SERVER_SET or f.default is dataclasses.MISSING:
            continue
        hint = hints[f.name]
        args = (
            typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        )
        optional = type(None) in args
        kinds = [a for a in args if a is not type(None)]
        if any(k is Path or k is bytes for k in kinds):
            continue
        base = typing.get_origin(kinds[0]) or kinds[0]
        if len(kinds) != 1 or base not in (*SCALARS, tuple):
            continue
        meta = f.metadata
        lo, hi = meta.get("range", (meta.get("min"), meta.get("max")))
        help_text = meta.get("help") or comments.get(f.name, "")
        out.append(OptionField(f.name, base, f.default, optional, help_text, lo, hi))
    return tuple(out)


def option_form():
    """A FastAPI dependency whose parameters are the option fields (so OpenAPI lists each one)."""

    def parse(**given) -> dict:
        options = {}
        for f in option_fields():
            value = given.get(f.name)
            if value is None or value == "":
                continue
            if f.kind is tuple:
                try:
                    value = [float(v) for v in str(value).split(",")]
                except ValueError:
                    raise HTTPException(
                        422, f"{f.name} {value!r} is not a list of numbers: give e.g. 10,0"
                    ) from None
            options[f.name] = value
        return options

    params = []
    for f in option_fields():
        kind = str if f.kind is tuple else f.kind
        default = ",".join(f"{v:g}" for v in f.default) if f.kind is tuple else f.default
        if f.optional:
            kind = kind | None
        params.append(
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=Annotated[kind, Form(description=f.help or None)],
            )
        )
    parse.__signature__ = inspect.Signature(params, return_annotation=dict)
    return parse


def options_from(stored: dict):
    """GenerateOptions from a job's stored (JSON) options; raises InputError with API field names.

    ``label`` is the visible corner label (provenance); the invisible marks always stay on.
    """
    from ..provenance import ProvenanceOptions

    options = dict(stored)
    label = options.pop("label", None)
    for f in option_fields():
        if f.kind is tuple and isinstance(options.get(f.name), list):
            options[f.name] = tuple(options[f.name])
    try:
        return GenerateOptions(**options, provenance=ProvenanceOptions(label=label))
    except InputError as exc:
        raise InputError(api_message(str(exc))) from None


def describe_options() -> dict:
    """For ``/api/info``: each option's type, default, help and range (when the dataclass states one)."""
    out = {}
    for f in option_fields():
        entry = {"type": f.kind.__name__, "default": list(f.default) if f.kind is tuple else f.default}
        if f.help:
            entry["help"] = f.help
        if f.minimum is not None:
            entry["min"] = f.minimum
        if f.maximum is not None:
            entry["max"] = f.maximum
        out[f.name] = entry
    return out
