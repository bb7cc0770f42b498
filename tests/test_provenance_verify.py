"""End to end: an output made the way the pipeline makes it, read back by ``verify_video``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from skimage import data

from talkingface.errors import InputError
from talkingface.io.video import VideoWriter
from talkingface.provenance import (
    FrameMarker,
    ProvenanceOptions,
    container_metadata,
    exit_code,
    finalize,
    format_json,
    format_text,
    verify_video,
)
from talkingface.provenance.label import Labeler
from talkingface.provenance.transforms import gentle_motion
from talkingface.samples import fetch_samples

FPS = 25


def _make(path, options, generation_id=0x1234ABCD, seconds=2.0):
    image = data.astronaut()
    marker = FrameMarker(512, 512, options, generation_id)
    with VideoWriter(path, 512, 512, FPS, metadata=container_metadata(generation_id)) as out:
        for frame in gentle_motion(image, int(seconds * FPS), FPS):
            out.write(marker(frame))
    finalize(path, options, generation_id, source_portrait=fetch_samples().astronaut)
    return path


def test_our_output_is_recognised(tmp_path):
    options = ProvenanceOptions(label="AI-generated", key_dir=tmp_path / "keys")
    path = _make(tmp_path / "out.mp4", options)
    report = verify_video(path)
    assert report.watermark.found and report.watermark.payload["generation_id"] == "1234abcd"
    assert report.watermark.payload["tool"] == "talkingface"
    assert report.watermark.confidence > 0.999999
    assert report.manifest.valid and report.manifest.self_signed
    assert report.metadata_tag and "1234abcd" in report.metadata_tag
    assert exit_code(report) == 0
    text = format_text(report)
    assert "watermark : FOUND" in text and "VALID C2PA" in text and "not who made it" in text
    assert json.loads(format_json(report))["watermark"]["windows_found"] == 1


def test_tampered_output_still_recognised_but_flagged(tmp_path):
    path = _make(tmp_path / "out.mp4", ProvenanceOptions(key_dir=tmp_path / "keys"))
    raw = bytearray(path.read_bytes())
    mdat = raw.find(b"mdat")
    raw[mdat + 5000 : mdat + 5004] = b"\x00\x00\x00\x00"  # damage a few bytes of coded video
    path.write_bytes(bytes(raw))
    report = verify_video(path)
    assert report.manifest.present and report.manifest.tampered
    assert exit_code(report) == 2
    text = format_text(report)
    assert "TAMPERED" in text and "made by talkingface" not in text
    assert "changed after it was made" in text.splitlines()[-1]


def test_unmarked_video_reports_nothing_and_fails(tmp_path):
    path = _make(tmp_path / "plain.mp4", ProvenanceOptions(watermark=False, sign=False), seconds=2.0)
    # strip our container tag too: a video we did not make at all
    plain = tmp_path / "other.mp4"
    with VideoWriter(plain, 512, 512, FPS) as out:
        for frame in gentle_motion(data.astronaut(), 2 * FPS, FPS):
            out.write(frame)
    report = verify_video(plain)
    assert not report.watermark.found and not report.manifest.present and report.metadata_tag is None
    assert exit_code(report) == 1
    assert "no talkingface marks found" in format_text(report)
    assert verify_video(path).metadata_tag is not None  # the tag alone still tells


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        verify_video(tmp_path / "nope.mp4")


@pytest.mark.parametrize("size", [(512, 512), (1920, 1080), (128, 96)])
def test_label_sits_in_the_corner_and_scales(size):
    w, h = size
    frame = np.full((h, w, 3), 120, np.uint8)
    lab = Labeler(w, h, "AI-generated")
    out = lab.apply(frame)
    x, y, bw, bh = lab.box
    changed = np.argwhere(np.any(out != frame, axis=2))
    assert changed[:, 0].min() >= y and changed[:, 1].min() >= x
    assert x + bw <= w and y + bh <= h and x + bw > 0.9 * w and y + bh > 0.9 * h
    if min(w, h) >= 512:
        assert bw < 0.3 * w and x > w / 2 and y > h / 2
    assert 0.02 * min(w, h) < bh < 0.12 * min(w, h) + 20
    region = out[y : y + bh, x : x + bw].astype(int)
    assert region.max() > 200 and region.min() < 80  # white text on a darkened box
    with pytest.raises(InputError):
        Labeler(w, h, "AI", corner="middle")
