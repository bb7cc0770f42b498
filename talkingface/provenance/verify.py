"""``talkingface verify VIDEO``: is this one of ours, and is it as we made it?

Three independent checks, each reported on its own:

* **watermark** — read from every 2-second window of the video (see :mod:`.watermark`);
  found when a payload decodes with a valid magic number and CRC, from one window or from the
  windows pooled (:class:`.watermark.VideoEvidence`). Reported with the payload, the share of
  windows that carry it (decoded alone, or matched: that payload's pattern at the video's
  geometry), the mean decoding strength and the false-alarm bound for that many windows.
* **manifest** — the embedded C2PA manifest: present, valid (signature and content hashes
  match) or tampered, who signed it and whether the key was a locally generated one.
* **metadata tag** — our plain container tag. Anyone can write it (``ffmpeg -metadata
  comment=…``), so on its own it is reported as an *unverified claim*, never as proof.

The verdict lives in one place, :func:`verdict`: "made by talkingface" only when the watermark
decodes or a C2PA manifest validates; a manifest that fails validation makes it "tampered";
a tag with neither is an unverified claim. :func:`exit_code`: 0 made by talkingface, 1 nothing
verified (including a tag alone), 2 a manifest present but failing validation.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import InputError
from .credentials import ManifestReport, read_manifest, read_metadata_tag
from .watermark import Payload, VideoEvidence, WatermarkDetector, WindowResult


@dataclass(frozen=True)
class WatermarkReport:
    found: bool
    payload: dict[str, object] | None
    windows: int
    windows_found: int  # decoded alone or matched (the video's payload at the video's geometry)
    strength: float  # mean decoding strength over the windows that decoded, 0..1
    false_alarm_bound: float  # P(this many windows give ≥ 1 false decode on unmarked video)
    windows_decoded: int = 0  # windows whose own payload decoded

    @property
    def detection_rate(self) -> float:
        return self.windows_found / self.windows if self.windows else 0.0

    @property
    def confidence(self) -> float:
        return 1.0 - self.false_alarm_bound if self.found else 0.0


@dataclass(frozen=True)
class VerifyReport:
    path: str
    watermark: WatermarkReport
    manifest: ManifestReport
    metadata_tag: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def anything_found(self) -> bool:
        return self.watermark.found or self.manifest.present or self.metadata_tag is not None

    @property
    def verdict(self) -> Verdict:
        return verdict(self)

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["watermark"]["detection_rate"] = self.watermark.detection_rate
        d["watermark"]["confidence"] = self.watermark.confidence
        d["manifest"]["notice"] = self.manifest.notice
        d["anything_found"] = self.anything_found
        d["verdict"] = asdict(self.verdict)
        return d


@dataclass(frozen=True)
class Verdict:
    """What the checks add up to: ``kind`` is made / tampered / unverified-claim / none."""

    kind: str
    exit_code: int
    text: str


def verdict(report: VerifyReport) -> Verdict:
    """The one place that turns the three checks into an answer.

    Only evidence that cannot be written by hand counts: a decoded watermark (magic + CRC, with
    its false-alarm bound) or a manifest whose signature and hashes validate. A metadata tag
    alone is a claim anyone can type, so it is reported as such and exits 1.
    """
    wm, mf = report.watermark, report.manifest
    if mf.present and not mf.valid:
        return Verdict(
            "tampered", 2,
            "the file was changed after it was made: its content credentials fail validation "
            "(changed since signing, or forged)",
        )  # fmt: skip
    if wm.found or (mf.present and mf.valid):
        return Verdict("made", 0, "made by talkingface")
    if report.metadata_tag is not None:
        return Verdict(
            "unverified-claim",
            1,
            "unverified claim: the metadata tag says talkingface, but no watermark or valid "
            "credentials confirm it (anyone can write that tag)",
        )
    return Verdict("none", 1, "no talkingface marks found")


def iter_windows(path: str | Path, window_s: float = 2.0, max_side: int = 540):
    """Yield (first frame index, mean luma float32, the window's luma frames) per ``window_s``.

    Frames larger than ``max_side`` on their short side are reduced (the mark lives at low
    frequencies; the detector works at ~340 px anyway), so a window holds at most ~26 MB. A
    trailing part shorter than half a window is dropped unless it is the whole video; packets
    that fail to decode are skipped.
    """
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise InputError(f"cannot read video {path}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise InputError(f"{path} has no video track")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or 25)
        per_window = max(1, round(window_s * fps))
        frames: list[np.ndarray] = []
        start = 0
        for index, gray in enumerate(_gray_frames(container, stream, max_side)):
            if frames and frames[0].shape != gray.shape:
                frames = []
            if not frames:
                start = index
            frames.append(gray)
            if len(frames) == per_window:
                yield start, _mean(frames), frames
                frames = []
        if frames and (len(frames) * 2 >= per_window or start == 0):
            yield start, _mean(frames), frames


def _mean(frames: list[np.ndarray]) -> np.ndarray:
    total = np.zeros(frames[0].shape, np.float32)
    for gray in frames:
        cv2.accumulate(gray, total)
    return total / len(frames)


def _gray_frames(container, stream, max_side: int):
    """Decoded luma frames; packets that fail to decode (damaged files) are skipped, not fatal."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError:
            continue
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            continue
        for frame in frames:
            gray = frame.to_ndarray(format="gray")
            short = min(gray.shape)
            if short > max_side:
                f = max_side / short
                size = (round(gray.shape[1] * f), round(gray.shape[0] * f))
                gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
            yield gray


def scan_watermark(
    path: str | Path,
    window_s: float = 2.0,
    detector: WatermarkDetector | None = None,
    max_windows: int | None = None,
) -> tuple[WatermarkReport, list[WindowResult]]:
    """Read every window (or the first ``max_windows``, for a quick look at a long video), each on
    its own and all pooled (:class:`VideoEvidence`)."""
    detector = detector or WatermarkDetector()
    video = VideoEvidence(detector)
    for _, mean, frames in iter_windows(path, window_s):
        video.add(detector.detect_window(mean, frames))
        if max_windows is not None and len(video.results) >= max_windows:
            break
    video.finish()
    results = video.results
    found = [r for r in results if r.found and r.payload is not None]
    decoded = [r for r in found if r.how == "decoded"]
    payload: Payload | None = video.geometry[0] if video.geometry else None  # from a window or the pool
    if found:
        payload = Counter(r.payload for r in found).most_common(1)[0][0]
    report = WatermarkReport(
        found=payload is not None,
        payload=payload.to_dict() if payload else None,
        windows=len(results),
        windows_found=len(found),
        strength=float(np.mean([r.strength for r in decoded])) if decoded else 0.0,
        false_alarm_bound=video.false_alarm_bound(),
        windows_decoded=len(decoded),
    )
    return report, results


def verify_video(path: str | Path, window_s: float = 2.0, max_windows: int | None = None) -> VerifyReport:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video {path} does not exist")
    watermark, _ = scan_watermark(path, window_s, max_windows=max_windows)
    manifest = read_manifest(path)
    notes = []
    if manifest.notice:
        notes.append(manifest.notice)
    return VerifyReport(str(path), watermark, manifest, read_metadata_tag(path), notes)


def exit_code(report: VerifyReport) -> int:
    return verdict(report).exit_code


def format_json(report: VerifyReport) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str)


def format_text(report: VerifyReport) -> str:
    wm, mf = report.watermark, report.manifest
    lines = [f"{report.path}"]
    if wm.found and wm.payload:
        p = wm.payload
        lines.append(
            f"  watermark : FOUND — {p['tool']} {p['version']}, generation {p['generation_id']}; "
            f"{wm.windows_found}/{wm.windows} windows ({wm.windows_decoded} decoded alone), "
            f"strength {wm.strength:.2f}, "
            f"false-alarm probability ≤ {wm.false_alarm_bound:.1e}"
        )
    else:
        lines.append(f"  watermark : not found ({wm.windows} windows of 2 s checked)")
    if not mf.present:
        lines.append("  manifest  : none (no C2PA content credentials)")
    elif mf.valid:
        who = f"signed by {mf.signer}" if mf.signer else "signed"
        trust = "trusted" if mf.trusted else "signer not on a trust list"
        lines.append(f"  manifest  : VALID C2PA — {who} ({trust}); {mf.generator}; {mf.digital_source_type}")
    else:
        why = ", ".join(c for c in mf.failures if c != "signingCredential.untrusted") or mf.error or mf.state
        lines.append(f"  manifest  : TAMPERED or invalid C2PA — {why}")
    tag = report.metadata_tag
    tag_text = f"{tag} (unverified: anyone can write a tag)" if tag else "no talkingface tag"
    lines.append(f"  metadata  : {tag_text}")
    lines.extend(f"  note      : {n}" for n in report.notes)
    lines.append(f"  verdict   : {verdict(report).text}")
    return "\n".join(lines)
