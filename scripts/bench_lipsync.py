"""`make bench` (lip sync): generate real videos, re-analyse them, write a table into BENCHMARKS.md.

Every clip is rendered with each lip-sync method the CLI offers (``--lipsync loudness``, allphone
recognition, the acoustic path, forced alignment to a transcript), then ``analyze`` re-detects the
face in every frame and scores it: audio–video offset, lip–loudness agreement, mouth stillness in
silence, p/b/m closures. Closures are scored against reference phone timings that do not depend
on the method: forced alignment of the known text (real English speech) or espeak-ng's own phone
events (synthetic speech in any language). Only the section between the markers is replaced.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import talkingface
from talkingface.audio.phones import Phone, align_phones
from talkingface.eval.analyze import face_openness, score
from talkingface.io.audio import load_audio, save_wav
from talkingface.samples import asterisk_dir, fetch_samples

sys.path.insert(0, str(Path(__file__).parent))
from benchmd import stamp, write_section  # noqa: E402

SECTION = "lipsync"
FPS = 25.0
ASTERISK_TEXT = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
#: two sentences per language, rich in p/b/m, spoken by espeak-ng with a pause between them
ESPEAK = {
    "en": ("Maybe Bob paid me back by the bank.", "My brother bought a map of Boston, promptly."),
    "fr": ("Le petit bateau blanc part demain matin.", "Mon père boit un bon café au bar."),
    "de": ("Mein Bruder baut am Montag ein Boot.", "Bitte bring mir ein Pfund Brombeeren mit."),
    "es": ("Mi padre compró un barco bonito en Bilbao.", "Pablo bebe mucho vino blanco por la mañana."),
}
GAP_S = 0.8  # silence between the two parts of a clip (so stillness in silence is measured)


@dataclass
class Clip:
    name: str
    source: str  # where the speech comes from, for the table
    language: str
    audio: Path
    portrait: Path
    transcript: str | None = None
    reference: list[Phone] = field(default_factory=list)  # bilabial-bearing phone timings
    reference_source: str = "none"


def _join(parts: list[np.ndarray], rate: int) -> np.ndarray:
    gap = np.zeros(int(GAP_S * rate), np.float32)
    lead = np.zeros(int(0.5 * rate), np.float32)
    out = [lead]
    for p in parts:
        out += [p, gap]
    out[-1] = lead
    return np.concatenate(out)


def espeak_clip(lang: str, portrait: Path, tmp: Path) -> Clip:
    from talkingface.eval.espeak import as_arpabet_bilabials, speak

    first, second = (speak(t, lang) for t in ESPEAK[lang])
    rate = first.sample_rate
    audio = _join([first.samples, second.samples], rate)
    lead, shift = 0.5, 0.5 + len(first.samples) / rate + GAP_S
    phones = [Phone(p.label, p.start + lead, p.end + lead) for p in first.phones]
    phones += [Phone(p.label, p.start + shift, p.end + shift) for p in second.phones]
    path = save_wav(tmp / f"espeak_{lang}.wav", audio, rate)
    text = " ".join(ESPEAK[lang]) if lang == "en" else None
    return Clip(
        f"espeak {lang}", "espeak-ng (synthetic)", lang, path, portrait, text,
        as_arpabet_bilabials(phones), "espeak-ng phone events",
    )  # fmt: skip


def asterisk_texts() -> dict[str, str]:
    if not ASTERISK_TEXT.is_file():
        return {}
    with gzip.open(ASTERISK_TEXT, "rt", encoding="utf-8") as fh:
        return dict(line.strip().split(": ", 1) for line in fh if ": " in line and not line.startswith(";"))


def asterisk_clip(lang: str, names: tuple[str, ...], portrait: Path, tmp: Path) -> Clip | None:
    folder = asterisk_dir(lang)
    files = [folder / f"{n}.g722" for n in names]
    if not all(f.is_file() for f in files):
        return None
    audio = _join([load_audio(f) for f in files], 16000)
    path = save_wav(tmp / f"asterisk_{lang}.wav", audio, 16000)
    text = None
    if lang == "en":
        texts = asterisk_texts()
        if all(n in texts for n in names):
            text = " ".join(texts[n] for n in names)
    return Clip(f"Asterisk {lang}", f"Asterisk prompts {'+'.join(names)}", lang, path, portrait, text)


def clips(tmp: Path, quick: bool) -> list[Clip]:
    s = fetch_samples()
    text = s.sonnet_text.read_text(encoding="utf-8")
    out = []
    sonnet = s.sonnet
    if quick:  # the first 11.8 s: "One. From fairest creatures … by time decease,"
        x = load_audio(s.sonnet)[: int(11.8 * 16000)]
        sonnet = save_wav(tmp / "sonnet_quick.wav", x, 16000)
        text = "one from fairest creatures we desire increase that thereby beauty's rose might never die but as the riper should by time decease"  # noqa: E501
    for portrait in (s.astronaut, s.grace_hopper):
        name = f"sonnet ({portrait.stem})"
        out.append(Clip(name, "LibriVox, Sonnet 1 (real)", "en", sonnet, portrait, text))
    prompts = ("conf-getpin",) if quick else ("vm-options",)
    if (c := asterisk_clip("en", prompts, s.grace_hopper, tmp)) is not None:
        out.append(c)
    for lang, portrait in (("es", s.astronaut), ("it", s.grace_hopper)):
        if (c := asterisk_clip(lang, ("conf-getpin", "vm-intro"), portrait, tmp)) is not None:
            out.append(c)
    try:
        from talkingface.eval.espeak import available
    except OSError:
        available = None
    if available is not None and available():
        langs = ("en", "fr") if quick else ("en", "fr", "de", "es")
        for i, lang in enumerate(langs):
            out.append(espeak_clip(lang, (s.astronaut, s.grace_hopper)[i % 2], tmp))
    for c in out:
        if c.transcript and not c.reference:
            c.reference = align_phones(load_audio(c.audio), c.transcript)
            c.reference_source = "forced alignment of the text"
    return out


def methods(clip: Clip) -> list[tuple[str, dict]]:
    """(label, generate options) for each lip-sync method that applies to this clip."""
    out = [("loudness", {"lipsync": "loudness"}), ("allphone", {"language": "en"})]
    out.append(("acoustic", {"language": clip.language if clip.language != "en" else "und"}))
    if clip.transcript:
        out.append(("align", {"transcript": clip.transcript}))
    out.append(("live", {"language": clip.language}))  # `talkingface stream --audio`, real-time pace
    return out


def stream_file(clip: Clip, video: Path, language: str) -> list[str]:
    """The live path from a file (the CLI, real-time pace); returns its summary line as a note."""
    exe = Path(sys.executable).with_name("talkingface")
    args = [str(exe), "stream", str(clip.portrait), "--audio", str(clip.audio), "-o", str(video)]
    done = subprocess.run([*args, "--fps", str(FPS), "--language", language], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr.strip() or done.stdout.strip())
    return [line for line in (done.stdout + done.stderr).splitlines() if "dropped" in line][-1:]


def run_one(clip: Clip, label: str, options: dict, tmp: Path) -> dict:
    video = tmp / f"{clip.name.replace(' ', '_').replace('(', '').replace(')', '')}_{label}.mp4"
    t0 = time.perf_counter()
    if label == "live":
        notes = stream_file(clip, video, options["language"])
    else:
        notes = talkingface.generate(clip.portrait, clip.audio, video, fps=FPS, **options).notes
    t1 = time.perf_counter()
    open_, fps = face_openness(video)
    samples = load_audio(clip.audio)
    report = score(open_, samples, fps, clip.reference, clip.reference_source)
    report.update(generate_s=t1 - t0, analyse_s=time.perf_counter() - t1, notes=notes)
    video.unlink(missing_ok=True)
    return report


def fmt_row(clip: Clip, label: str, r: dict) -> str:
    off = r["av_offset"]
    ag = r["lip_loudness"]
    st = r["silence_stillness"]
    bil = r["bilabial_closure"]
    cells = [
        clip.name,
        label + (" ¹" if any("fell back" in n for n in r["notes"]) else ""),
        f"{off['offset_frames']:+d} ({off['confidence']:.2f})" if off else "n/a",
        f"{ag['mean_abs_diff']:.3f} / {ag['pearson']:.2f}" if ag else "n/a",
        f"{100 * st['mad']:.2f} %" if st else "n/a",
        f"{bil['closed']}/{bil['total']} = {100 * bil['rate']:.0f} %" if bil else "n/a",
        "n/a" if r.get("closed_elsewhere") is None else f"{100 * r['closed_elsewhere']:.0f} %",
    ]
    return "| " + " | ".join(cells) + " |"


def section(rows: list[str], clip_list: list[Clip], command: str, seconds: float) -> str:
    sources = "\n".join(
        f"- **{c.name}**: {c.source}, {c.language}, {len(load_audio(c.audio)) / 16000:.1f} s, "
        f"{c.portrait.stem}; p/b/m reference: {c.reference_source}"
        for c in clip_list
    )
    return f"""## Lip sync

{stamp(command)} Took {seconds / 60:.1f} min.

Each clip is rendered at {FPS:g} fps (512² crop, head motion on) with every lip-sync method, then
re-analysed by `talkingface analyze` (Face Landmarker re-detects the face in every frame).
Methods: **loudness** = `--lipsync loudness` (jaw follows volume; the baseline), **allphone** =
PocketSphinx phone recognition (no transcript, `--language en`), **acoustic** = the
language-agnostic path (`--language fr/de/es/it…`), **align** = forced alignment to the transcript
(`--transcript`), **live** = the live engine streaming the file at real-time pace
(`talkingface stream PORTRAIT --audio FILE -o out.mp4`: phones recognised as the audio arrives,
80 ms look-ahead; dropped frames repeat the last one).

Columns: **offset** = audio–video offset in frames by cross-correlation over ±10 (confidence =
peak − median correlation); target 0 ± 1. **agreement** = THEval lip–loudness agreement over
speech frames, mean |o − v| of min–max normalised openness and loudness (lower is better) / Pearson
r (higher is better). **silence MAD** = median absolute deviation of the lip gap in silences
(share of inter-ocular distance); target < 2 %. **p/b/m closed** = share of reference bilabials
during which the re-detected lip gap falls under 3 % of the inter-ocular distance (or under
30 % of the face's own rest gap, for a photo smiling with parted lips); target ≥ 90 %
with a transcript, ≥ 75 % without. **closed elsewhere** = share of the other speech frames (away
from every reference p/b/m by more than 40 ms) with the lips closed by the same measure: a mouth
that shut at every consonant would pass the p/b/m column and fail this one (real speakers close
theirs in 5–16 % of all speech frames, p/b/m included: the self-reenactment clips).

| clip | method | offset (conf.) | agreement \\|o−v\\| / r | silence MAD | p/b/m closed | closed elsewhere |
|---|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

¹ alignment failed on this clip and the generator fell back to recognition (its note says so).

Clips:
{sources}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    parser.add_argument("--quick", action="store_true", help="short clips (a smoke run, ~2 min)")
    parser.add_argument("--clips", help="only clips whose name contains one of these (comma-separated)")
    parser.add_argument("--methods", help="only these methods (comma-separated, e.g. allphone,live)")
    parser.add_argument(
        "--section", default=SECTION, help="BENCHMARKS.md section to write (a subset: its own)"
    )
    parser.add_argument("--title", default="Lip sync", help="the section's heading")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip_list = clips(tmp, args.quick)
        if args.clips:
            clip_list = [c for c in clip_list if any(k in c.name for k in args.clips.split(","))]
        for clip in clip_list:
            for label, options in methods(clip):
                if args.methods and label not in args.methods.split(","):
                    continue
                r = run_one(clip, label, options, tmp)
                rows.append(fmt_row(clip, label, r))
                took = f"gen {r['generate_s']:.1f} s, analyse {r['analyse_s']:.1f} s"
                print(rows[-1], took, *(r["notes"] if label == "live" else []), flush=True)
        command = "python scripts/bench_lipsync.py" + (" --quick" if args.quick else "")
        extra = (
            ("clips", args.clips),
            ("methods", args.methods),
            ("section", args.section),
            ("title", args.title),
        )
        command += "".join(f' --{k} "{v}"' for k, v in extra if v and v != parser.get_default(k))
        body = section(rows, clip_list, command, time.perf_counter() - started).replace(
            "## Lip sync", "## " + args.title, 1
        )
        write_section(args.out, args.section, body)
    print(f"wrote the lip-sync section of {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
