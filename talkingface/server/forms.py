"""The job form, derived from the options dataclass: every scalar field of GenerateOptions is a form
field with its default and help, and the dataclass's own validation checks it. Nothing is copied,
so an option added to GenerateOptions appears in the API, ``/api/info`` and ``/docs`` by itself.
"""

from __future__ import annotations

import dataclasses
import inspect
from functools import cache
from typing import Annotated, Any

from fastapi import Form, HTTPException

from ..errors import InputError
from ..pipeline.options import GenerateOptions, api_message

#: Set by the server (its own limit) or not given over HTTP (paths on the server's disk).
#: The invisible watermark and the signed manifest stay on for everything a server makes.
#: options the server decides; ``cache`` is off for jobs: an uploaded portrait and what is made of it
#: stay in the job's folder, gone when retention removes it (nothing in the portrait cache)
SERVER_SET = {"max_duration", "no_watermark", "no_sign", "cache"}
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


@cache
def option_fields() -> tuple[OptionField, ...]:
    """The options a client may send: every command-line field of GenerateOptions whose value is
    a number, a word, a switch or a pair (paths name files on the server's disk: not over HTTP)."""
    out = []
    for f in dataclasses.fields(GenerateOptions):
        meta = f.metadata
        if f.name in SERVER_SET or not meta.get("cli", True) or f.default is dataclasses.MISSING:
            continue
        kind = meta.get("kind", type(f.default))
        if kind not in (*SCALARS, tuple):
            continue
        lo, hi = meta.get("range") or (None, None)
        out.append(OptionField(f.name, kind, f.default, f.default is None, meta.get("help", ""), lo, hi))
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

    ``label`` is the visible corner label; the invisible marks always stay on.
    """
    options = {k: v for k, v in stored.items() if k not in SERVER_SET}
    for f in option_fields():
        if f.kind is tuple and isinstance(options.get(f.name), list):
            options[f.name] = tuple(options[f.name])
    try:
        return GenerateOptions(**options, cache=False)
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
