"""Server settings, with their defaults in one place (``talkingface serve --help`` shows them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..cache import cache_dir


def default_data_dir() -> Path:
    return cache_dir() / "server"


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path = field(default_factory=default_data_dir)  # jobs, uploads and results live here
    workers: int = 1  # concurrent renders of REST jobs; the rest wait in the queue (0: queue only)
    max_queue: int = 100  # accepted jobs not yet finished; beyond this, 503
    max_portrait_mb: float = 20.0
    max_audio_mb: float = 50.0
    max_audio_seconds: float = 600.0
    max_live: int = 2  # concurrent live WebSocket sessions
    live_backlog: int = 2  # frames a live session may fall behind before it drops to the newest
    ray_address: str | None = None  # render REST jobs on this Ray cluster instead of local threads

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        if self.workers < 0 or self.max_live < 0 or self.max_queue < 1:
            raise ValueError("workers and max_live must be ≥ 0 and max_queue ≥ 1")

    @property
    def max_portrait_bytes(self) -> int:
        return int(self.max_portrait_mb * 1024 * 1024)

    @property
    def max_audio_bytes(self) -> int:
        return int(self.max_audio_mb * 1024 * 1024)
