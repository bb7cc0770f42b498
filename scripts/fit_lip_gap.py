"""Fit talkingface.motion.lip_gap's weights on the calibration clip (psychopy's testMovie).

The real speaker's lip gap is re-detected frame by frame in the same face square the
self-reenactment uses; the inputs are the clip's own sound and what our phone rules make of it
(`mouth_from_phones(..., learned=False)`). Prints the weights; ``--write`` puts them into
talkingface/motion/lip_gap.py. Refit whenever the phone rules change.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from talkingface.audio.phones import recognize_phones
from talkingface.eval import reenact as R
from talkingface.face.landmarker import FaceLandmarker
from talkingface.io.audio import ANALYSIS_RATE, load_audio
from talkingface.motion import lip_gap
from talkingface.motion.lipsync import mouth_from_phones
from talkingface.samples import fetch_real_clips

MODULE = Path(lip_gap.__file__)


def real_gap(path: Path) -> tuple[np.ndarray, float]:
    """The real speaker's lip gap per analysed frame, and that frame rate."""
    src_fps, _ = R.probe(path)
    step = R.analysis_step(src_fps)
    with FaceLandmarker(max_faces=4) as landmarker:
        _, _, track = R.track_real(path, landmarker, step)
    return track.gap, src_fps / step


def weights_block(w: np.ndarray) -> str:
    bands = len(lip_gap.BANDS_HZ)
    rows = [w[i : i + bands] for i in range(0, bands * len(lip_gap.OFFSETS_S), bands)]
    rows.append(w[bands * len(lip_gap.OFFSETS_S) :])
    lines = ["        " + " ".join(f"{v:.5f}," for v in row) for row in rows]
    return "WEIGHTS = np.array(\n    [\n" + "\n".join(lines) + "\n    ]\n)  # fmt: skip"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write the weights into {MODULE.name}")
    args = parser.parse_args()
    clip = fetch_real_clips().psychopy
    gap, fps = real_gap(clip)
    n = len(gap)
    samples = load_audio(clip)[: int(round(n / fps * ANALYSIS_RATE))]
    values = mouth_from_phones(samples, recognize_phones(samples), n, fps, learned=False)
    inputs = lip_gap.design(samples, values, fps)
    w = lip_gap.fit(inputs, gap)
    fitted = inputs @ w
    ok = np.isfinite(gap)
    print(f"{clip.name}: {n} frames @ {fps:g} fps; fitted r {np.corrcoef(fitted[ok], gap[ok])[0, 1]:.3f}")
    centre, spread = float(np.mean(gap[ok])), float(np.std(gap[ok]) / np.std(fitted[ok]))
    block = weights_block(w)
    print(block, f"CENTRE = {centre:.4f}", f"SPREAD = {spread:.3f}", sep="\n")
    if args.write:
        text = MODULE.read_text(encoding="utf-8")
        text = re.sub(r"WEIGHTS = np\.array\(\n.*?\)  # fmt: skip", lambda _m: block, text, flags=re.S)
        text = re.sub(r"\nCENTRE = .*\n", f"\nCENTRE = {centre:.4f}\n", text)
        text = re.sub(r"\nSPREAD = .*\n", f"\nSPREAD = {spread:.3f}\n", text)
        MODULE.write_text(text, encoding="utf-8")
        print(f"wrote {MODULE}")


if __name__ == "__main__":
    main()
