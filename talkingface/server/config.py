"""Server settings, with their defaults in one place (``talkingface serve --help`` shows them)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import cache_dir
from ..stream.protocol import LIVE_LATE_S


def default_data_dir() -> Path:
    return cache_dir() / "server"


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """True for names and addresses that only this machine can reach."""
    import ipaddress

    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path = field(default_factory=default_data_dir)  # jobs, uploads and results live here
    workers: int = 1  # concurrent renders of REST jobs; the rest wait in the queue (0: queue only)
    max_queue: int = 100  # accepted jobs not yet finished; beyond this, 503
    max_portrait_mb: float = 20.0
    max_portrait_megapixels: float = 24.0  # read from the image header, refused before any decoding
    max_audio_mb: float = 50.0
    max_audio_seconds: float = 600.0  # read from the container header, refused before any decoding
    decode_slots: int = 2  # portraits/audio analysed at once (each can take ~100 MB); the rest wait
    max_live: int = 2  # concurrent live WebSocket sessions
    live_late_seconds: float = LIVE_LATE_S  # a live frame this late is skipped when a newer one waits
    ray_address: str | None = None  # render REST jobs on this Ray cluster instead of local threads
    live_idle_seconds: float = 30.0  # a live client that sends nothing for this long is disconnected
    live_burst_seconds: float = 1.0  # audio a live client may send ahead of real time; more is dropped
    job_process: bool = True  # render each job in a child process (False: in the worker thread)
    max_restarts: int = 2  # a job interrupted by this many server restarts is failed, not retried
    keep_hours: float = 168.0  # finished jobs and stored portraits older than this are removed (0: keep)
    max_storage_mb: float = 5000.0  # beyond this, the oldest finished jobs are removed (0: no cap)
    cleanup_minutes: float = 10.0  # how often the retention pass runs
    token: str | None = None  # API token (Authorization: Bearer); required on every /api route when set
    allowed_hosts: tuple[str, ...] = ()  # Host header names accepted besides the loopback ones ("*": any)
    allowed_origins: tuple[str, ...] = ()  # browser origins besides the page's own that may post ("*": any)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        object.__setattr__(self, "allowed_hosts", tuple(h.lower() for h in self.allowed_hosts))
        object.__setattr__(
            self, "allowed_origins", tuple(o.rstrip("/").lower() for o in self.allowed_origins)
        )
        if self.workers < 0 or self.max_live < 0 or self.max_queue < 1 or self.decode_slots < 1:
            raise ValueError("workers and max_live must be ≥ 0, max_queue and decode_slots ≥ 1")
        numbers = (self.max_portrait_mb, self.max_portrait_megapixels, self.max_audio_mb,
                   self.max_audio_seconds, self.live_idle_seconds, self.live_burst_seconds,
                   self.live_late_seconds, self.cleanup_minutes)  # fmt: skip
        if not all(math.isfinite(x) and x > 0 for x in numbers):
            raise ValueError("size, length, time limits and the cleanup interval must be positive numbers")
        if not (math.isfinite(self.keep_hours) and self.keep_hours >= 0 and self.max_storage_mb >= 0):
            raise ValueError("keep_hours and max_storage_mb must be ≥ 0 (0 turns them off)")
        if self.token is not None and len(self.token) < 16:
            raise ValueError(
                "the API token must be at least 16 characters: leave it out to have one generated"
            )
        public = [h for h in self.allowed_hosts if not is_loopback(h)]
        if public and self.token is None:
            raise ValueError(
                f"allowed host {public[0]} lets other machines reach the server: give a --token too"
            )

    @property
    def max_portrait_bytes(self) -> int:
        return int(self.max_portrait_mb * 1024 * 1024)

    @property
    def max_audio_bytes(self) -> int:
        return int(self.max_audio_mb * 1024 * 1024)

    @property
    def max_pixels(self) -> int:
        return int(self.max_portrait_megapixels * 1_000_000)
