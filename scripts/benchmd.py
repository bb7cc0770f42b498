"""BENCHMARKS.md is assembled from sections, each owned by one benchmark script.

A section sits between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``; a script replaces only
its own, so running one benchmark never erases another's numbers.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

HEADER = "# Benchmarks\n\nEvery number here comes from `make bench`; each section names its command.\n"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}, no GPU"


def stamp(command: str) -> str:
    return f"_Measured {time.strftime('%Y-%m-%d')} by `{command}` on {machine()}._"


def write_section(path: str | Path, name: str, body: str) -> None:
    path = Path(path)
    text = path.read_text() if path.exists() else HEADER
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{body.strip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
