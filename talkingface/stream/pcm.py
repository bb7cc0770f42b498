"""Raw PCM chunks (as a microphone or a WebSocket delivers them) → 16 kHz float32 mono."""

from __future__ import annotations

import av
import numpy as np

from .engine import SAMPLE_RATE

FORMATS = {"s16le": np.dtype("<i2"), "f32le": np.dtype("<f4")}


class PcmDecoder:
    """Stateful: a chunk may end mid-sample, and resampling carries its filter state across chunks."""

    def __init__(self, fmt: str = "s16le", sample_rate: int = SAMPLE_RATE) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"audio format {fmt!r} is not supported: use s16le or f32le")
        if not 8000 <= sample_rate <= 192000:
            raise ValueError(f"sample rate {sample_rate} is out of range: use 8000 to 192000")
        self.dtype = FORMATS[fmt]
        self.rate = sample_rate
        self._carry = b""
        self._resampler = (
            None
            if sample_rate == SAMPLE_RATE
            else av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        )
        self._pts = 0

    def decode(self, data: bytes) -> np.ndarray:
        data = self._carry + data
        usable = len(data) - len(data) % self.dtype.itemsize
        self._carry = data[usable:]
        x = np.frombuffer(data[:usable], self.dtype)
        x = x.astype(np.float32) / 32768.0 if self.dtype.kind == "i" else x.astype(np.float32)
        if self._resampler is None or len(x) == 0:
            return x
        frame = av.AudioFrame.from_ndarray(x.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._pts
        self._pts += len(x)
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)
