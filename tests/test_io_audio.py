"""Audio decoding: every format a user may hand us, at any rate, mono or stereo."""

from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from talkingface.errors import UnreadableAudioError
from talkingface.io.audio import load_audio, probe_audio
from talkingface.samples import Samples


def _encode(src, path, codec, rate, layout="mono", container_format=None):
    """Transcode a real clip with PyAV into another format."""
    data = np.atleast_2d(load_audio(src, rate))
    if layout == "stereo":
        data = np.vstack([data, 0.5 * data])
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        fmt = stream.codec_context.format.name
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(data.astype(np.float32)), format="fltp", layout=layout
        )
        frame.sample_rate = rate
        if fmt != "fltp":
            frame = av.AudioResampler(format=fmt, layout=layout, rate=rate).resample(frame)[0]
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize(
    "name, codec, rate, layout, fmt",
    [
        ("clip.flac", "flac", 44100, "stereo", None),
        ("clip.mp3", "libmp3lame", 44100, "stereo", None),
        ("clip.ogg", "libopus", 48000, "mono", None),
        ("clip.m4a", "aac", 48000, "stereo", "mp4"),
        ("clip.wav", "pcm_s16le", 22050, "stereo", None),
    ],
)
def test_formats_decode_to_16k_mono_with_the_right_length(
    speech_clip, tmp_path, name, codec, rate, layout, fmt
):
    path = _encode(speech_clip, tmp_path / name, codec, rate, layout, fmt)
    reference = load_audio(speech_clip)
    audio = load_audio(path)
    assert audio.ndim == 1 and audio.dtype == np.float32
    # lossy codecs pad a little (encoder delay); ±60 ms is a frame and a half at 25 fps
    assert abs(len(audio) - len(reference)) / 16000 < 0.06
    assert abs(probe_audio(path).duration - len(reference) / 16000) < 0.06
    assert probe_audio(path).channels == (2 if layout == "stereo" else 1)
    # same speech: loudness envelopes agree
    a, r = _envelope(audio), _envelope(reference)
    n = min(len(a), len(r)) - 4
    best = max(np.corrcoef(a[k : k + n], r[:n])[0, 1] for k in range(4))  # codec delay ≤ 3 hops
    assert best > 0.95


def _envelope(x: np.ndarray) -> np.ndarray:
    """RMS per 25 ms hop."""
    hops = len(x) // 400
    return np.sqrt((x[: hops * 400].reshape(hops, 400) ** 2).mean(1))


def test_asterisk_g722_prompt_decodes(samples: Samples):
    path = samples.asterisk("en", "vm-goodbye")
    audio = load_audio(path)
    assert 0.3 < len(audio) / 16000 < 5 and np.abs(audio).max() > 0.05


def test_audio_track_of_a_video_is_used(speech_clip, tmp_path):
    path = tmp_path / "talk.mp4"
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        a = out.add_stream("aac", rate=16000, layout="mono")
        for i in range(25):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 8, np.uint8), format="rgb24")
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode(None):
            out.mux(p)
        data = load_audio(speech_clip)[None]
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format="fltp", layout="mono")
        af.sample_rate = 16000
        for p in a.encode(af):
            out.mux(p)
        for p in a.encode(None):
            out.mux(p)
    assert abs(probe_audio(path).duration - probe_audio(speech_clip).duration) < 0.1


@pytest.mark.parametrize("content", [b"", b"this is not audio at all" * 50])
def test_unreadable_audio_is_one_clear_error(tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(UnreadableAudioError) as info:
        load_audio(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_image_is_not_audio(samples: Samples):
    with pytest.raises(UnreadableAudioError, match="no audio track|not a readable"):
        probe_audio(samples.astronaut)


def test_wav_with_zero_samples_has_zero_duration(tmp_path):
    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    assert probe_audio(path).duration == 0
