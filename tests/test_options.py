"""One set of options: every documented `generate` flag is a keyword of `talkingface.generate`, both
mean the same video, and every value is parsed and checked in one place."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import talkingface
from talkingface.errors import InputError
from talkingface.io.audio import load_audio, save_wav
from talkingface.io.frames import iter_frames, probe_video
from talkingface.pipeline.options import GenerateOptions, cli_fields, spellings
from talkingface.provenance import verify_video
from talkingface.provenance.credentials import generate_self_signed_chain

README = Path(__file__).parents[1] / "README.md"
CLI_ONLY = {"--output", "-o", "--quiet", "-q", "--help"}


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "talkingface", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def documented_flags() -> set[str]:
    """The flags in the README's `generate` options table."""
    text = README.read_text()
    table = text[text.index("| option | default | meaning |") :].split("\n\n", 1)[0]
    return {
        f for row in table.splitlines()[2:] for f in re.findall(r"(--[a-z-]+|-[a-z])\b", row.split("|")[1])
    }


def test_help_readme_and_options_name_the_same_flags():
    fields = {s for f in cli_fields() for s in spellings(f)}
    helped = set(re.findall(r"(--[a-z][a-z-]+)", cli("generate", "--help").stdout))
    assert helped == fields | {"--output", "--quiet", "--help"}
    documented = documented_flags() - CLI_ONLY
    assert documented <= fields and all(set(spellings(f)) & documented for f in cli_fields())
    # and each is a keyword of the API, with the field's own default
    defaults = GenerateOptions()
    for f in cli_fields():
        assert getattr(GenerateOptions.build(**{f.name: f.default}), f.name) == getattr(defaults, f.name)


def test_unknown_keyword_names_the_options():
    with pytest.raises(TypeError, match="unknown option 'motion_sacle'.*motion_scale"):
        GenerateOptions.build(motion_sacle=1)


def test_text_and_python_values_are_the_same_options():
    as_text = GenerateOptions(fps="30", seed="4", gaze="10, -5", no_watermark="true", motion="t.json")
    typed = GenerateOptions(fps=30, seed=4, gaze=(10, -5), no_watermark=True, motion=Path("t.json"))
    assert as_text == typed and typed.gaze == (10.0, -5.0) and isinstance(typed.seed, int)


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"motion_scale": float("nan")}, "--motion-scale nan is not a finite number"),
        ({"gaze": "nan,0"}, "--gaze nan is not a finite number"),
        ({"gaze": (0, 40)}, "--gaze 40 is out of range"),
        ({"gaze": "10"}, "not two numbers"),
        ({"max_duration": "nan"}, "--max-duration nan"),
        ({"max_duration": float("inf")}, "not a finite number"),
        ({"seed": -1}, "--seed -1 is out of range: use 0 to 4294967295"),
        ({"seed": 1.5}, "not a whole number"),
        ({"fps": "abc"}, "--fps 'abc' is not a number"),
        ({"fps": 0}, "--fps 0 is out of range: use 1 to 120"),
        ({"size": 511}, "even number"),
        ({"crf": 99}, "--crf 99"),
        ({"head_distance": 2}, "--head-distance 2 is out of range"),
        ({"emotion_strength": -0.1}, "--emotion-strength"),
        ({"blink_rate": float("-inf")}, "--blink-rate"),
        ({"mode": "wide"}, "use one of crop, full"),
        ({"emotion": "joy"}, "neutral, happy"),
        ({"language": "klingon"}, "not a language code: use auto, en"),
        ({"transcript": "a", "transcript_file": "a.txt"}, "either --transcript or --transcript-file"),
        ({"motion": "a.json", "driver": "b.mp4"}, "use one of them"),
        ({"export_motion": "a.txt"}, ".json or .csv"),
        ({"no_sign": True, "sign_cert": "c.pem"}, "--no-sign"),
        ({"label": "x" * 500}, "--label"),
    ],
)
def test_every_number_and_name_is_checked(values, needle):
    with pytest.raises(InputError, match=re.escape(needle)):
        GenerateOptions(**values)


@pytest.mark.parametrize("language", ["en", "fr", "pt-BR", "pt_BR", "yue", "und", "auto"])
def test_real_language_codes_are_accepted(language):
    assert GenerateOptions(language=language).language == language


@pytest.fixture(scope="module")
def short_clip(speech_clip, tmp_path_factory):
    audio = load_audio(speech_clip)[int(1.2 * 16000) : int(4.2 * 16000)]
    return save_wav(tmp_path_factory.mktemp("opts") / "three_seconds.wav", audio, 16000)


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signer")
    chain, key = generate_self_signed_chain("options test signer")
    (folder / "chain.pem").write_bytes(chain)
    (folder / "key.pem").write_bytes(key)
    return folder / "chain.pem", folder / "key.pem"


def _both(portrait, audio, folder: Path, name: str, cli_args: list, api_kwargs: dict):
    """The same options through the command line and the API: two videos."""
    a, b = folder / f"{name}_cli.mp4", folder / f"{name}_api.mp4"
    proc = cli("generate", portrait, audio, "-o", a, "-q", *cli_args)
    assert proc.returncode == 0, proc.stderr
    talkingface.generate(portrait, audio, b, **api_kwargs)
    return a, b


def _same_video(a: Path, b: Path) -> None:
    fa, fb = ([f for _, f in iter_frames(p)] for p in (a, b))
    assert len(fa) == len(fb)
    assert max(np.abs(x.astype(int) - y.astype(int)).max() for x, y in zip(fa, fb, strict=True)) <= 2


def test_every_flag_means_the_same_from_the_cli_and_the_api(samples, short_clip, signer, tmp_path):
    cert, key = signer
    words = tmp_path / "words.txt"
    words.write_text("from fairest creatures we desire increase\n")
    track_cli, track_api = tmp_path / "cli.json", tmp_path / "api.json"
    shared = {
        "fps": "20", "size": "256", "mode": "crop", "seed": "7", "motion-scale": "0.5", "blink-rate": "30",
        "max-duration": "60", "crf": "23", "language": "en", "lipsync": "auto", "emotion": "happy",
        "emotion-strength": "0.8", "gaze": "10,-5", "head-distance": "1.1", "label": "AI-generated",
        "sign-cert": cert, "sign-key": key, "transcript-file": words,
    }  # fmt: skip
    cli_args = [x for k, v in shared.items() for x in (f"--{k}", v)] + ["--no-watermark"]
    api = {k.replace("-", "_"): v for k, v in shared.items()}
    api.update(fps=20, size=256, seed=7, motion_scale=0.5, gaze=(10, -5), no_watermark=True)
    a, b = _both(
        samples.astronaut, short_clip, tmp_path, "first",
        [*cli_args, "--export-motion", track_cli], {**api, "export_motion": track_api},
    )  # fmt: skip
    _same_video(a, b)
    assert track_cli.read_text() == track_api.read_text()
    info = probe_video(a)
    assert (info.width, info.height, info.fps) == (256, 256, 20)
    report = verify_video(a)
    assert not report.watermark.found  # --no-watermark
    assert report.manifest.valid and "options test signer" in report.manifest.signer  # --sign-cert/-key

    # the rest: a motion file, a spoken transcript, full mode, no signature; then a driving video
    rest = ["--mode", "full", "--motion", track_cli, "--transcript", "fairest creatures", "--no-sign"]
    a, b = _both(
        samples.astronaut, short_clip, tmp_path, "second", rest,
        {"mode": "full", "motion": track_cli, "transcript": "fairest creatures", "no_sign": True},
    )  # fmt: skip
    _same_video(a, b)
    report = verify_video(a)
    assert report.watermark.found and not report.manifest.present
    a, b = _both(
        samples.astronaut, short_clip, tmp_path, "third", ["--driver", a, "--size", "128"],
        {"driver": a, "size": 128},
    )  # fmt: skip
    _same_video(a, b)
