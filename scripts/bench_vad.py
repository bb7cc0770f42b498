"""`make bench` (voice activity): the one VAD against reference phone timings, written to BENCHMARKS.md.

Files and live read speech with one detector (talkingface/audio/vad.py); this scores it frame by
frame against speech that does not depend on it: forced alignment of the known text (real
English) or espeak-ng's own phone events (synthetic speech). Three views of the same detector:
with its hangover (what blinks, gaze and head read), without the hangover that ends each run
(what the mouth reads) and without any hangover (what `analyze` measures over).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from talkingface.audio.features import speech_of
from talkingface.audio.phones import Phone, align_phones
from talkingface.audio.vad import without_hangover
from talkingface.io.audio import load_audio
from talkingface.samples import asterisk_dir, fetch_samples

sys.path.insert(0, str(Path(__file__).parent))
from bench_lipsync import ESPEAK, GAP_S, _join, asterisk_texts  # noqa: E402
from benchmd import stamp, write_section  # noqa: E402

FPS = 25.0
#: a frame this far (s) from any reference speech is a pause: speech there is a false alarm
PAUSE_MARGIN_S = 0.2


def clips() -> list[tuple[str, np.ndarray, list[Phone], str]]:
    """(name, 16 kHz speech, reference phones, where they come from)."""
    s = fetch_samples()
    sonnet = load_audio(s.sonnet)
    out = [
        ("LibriVox sonnet (real, 53 s)", sonnet, align_phones(sonnet, s.sonnet_text.read_text()), "alignment")
    ]
    texts = asterisk_texts()
    if (asterisk_dir("en") / "vm-options.g722").is_file() and "vm-options" in texts:
        x = _join([load_audio(asterisk_dir("en") / "vm-options.g722")], 16000)
        out.append(("Asterisk vm-options (real)", x, align_phones(x, texts["vm-options"]), "alignment"))
    try:
        from talkingface.eval.espeak import available, speak
    except OSError:
        return out
    if not available():
        return out
    from scipy.signal import resample_poly

    for lang in ("en", "fr", "de"):
        first, second = (speak(t, lang) for t in ESPEAK[lang])
        rate = first.sample_rate
        x = resample_poly(_join([first.samples, second.samples], rate), 16000, rate).astype(np.float32)
        shift = 0.5 + len(first.samples) / rate + GAP_S
        phones = [Phone(p.label, p.start + 0.5, p.end + 0.5) for p in first.phones]
        phones += [Phone(p.label, p.start + shift, p.end + shift) for p in second.phones]
        out.append((f"espeak-ng {lang} (synthetic)", x, phones, "espeak-ng phone events"))
    return out


def reference(phones: list[Phone], n: int) -> np.ndarray:
    centres = (np.arange(n) + 0.5) / FPS
    speech = np.zeros(n, bool)
    for p in phones:
        if not p.is_silence:
            speech[(centres >= p.start) & (centres < p.end)] = True
    return speech


def score(found: np.ndarray, truth: np.ndarray) -> str:
    margin = int(round(PAUSE_MARGIN_S * FPS))
    pause = np.convolve(truth.astype(float), np.ones(2 * margin + 1), "same") == 0
    false = (found & pause).sum() / max(pause.sum(), 1)
    missed = (~found & truth).sum() / max(truth.sum(), 1)
    return f"{100 * false:.1f} % / {100 * missed:.1f} %"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    for name, x, phones, source in clips():
        n = int(round(len(x) / 16000 * FPS))
        truth = reference(phones, n)
        held = speech_of(x, n, FPS)
        views = (held, without_hangover(held, FPS), speech_of(x, n, FPS, hold=False))
        rows.append(
            f"| {name} | {source} | {100 * truth.mean():.0f} % | "
            + " | ".join(score(v, truth) for v in views)
            + " |"
        )
        print(rows[-1], flush=True)
    body = f"""## Voice activity (one VAD, files and live)

{stamp("python scripts/bench_vad.py")} Took {time.perf_counter() - started:.0f} s.

The one voice-activity detector (`audio/vad.py`: running noise floor and speech peak, threshold
between them, causal, frame by frame at {FPS:g} fps) scored against reference speech timings.
Each cell is **false** / **missed**: the share of pause frames (at least {PAUSE_MARGIN_S:g} s from
any reference speech) marked speech / the share of reference speech frames not marked speech.
Columns: the detector with its hangover (blinks, gaze, head; live and files alike), without the
hangover that ends each run (the mouth's cue), without any hangover (`talkingface analyze`).

| clip | reference | speech | with hangover: false / missed | mouth | analyze |
|---|---|---:|---:|---:|---:|
{chr(10).join(rows)}
"""
    write_section(args.out, "vad", body)
    print(f"wrote the voice-activity section of {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
