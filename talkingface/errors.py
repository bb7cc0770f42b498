"""Exceptions a user can act on.

Every error raised for a user mistake derives from :class:`TalkingFaceError` and carries a
one-line message that says what is wrong and what to do, plus, when known, the file (``path``)
and the frame or row (``frame``) it is about. The CLI prints the line and exits non-zero; the
API lets it propagate; the server answers with it. Each subclass also inherits the matching
builtin so callers can catch either::

    TalkingFaceError
    ├── InputError (ValueError)            bad portrait/audio/options
    │   ├── NoFaceError
    │   ├── FaceTooSmallError
    │   ├── UnreadableImageError
    │   ├── ImageTooLargeError             too many pixels, known from the header alone
    │   ├── UnreadableAudioError
    │   ├── NoSpeechError
    │   ├── AudioTooLongError
    │   ├── AlignmentError                 transcript cannot be aligned to the speech
    │   ├── MotionFileError                motion track file unusable (path, frame = row)
    │   ├── UploadError                    server upload refused (``status``: its HTTP code)
    │   └── ProtocolError                  a live WebSocket message or query the server cannot use
    ├── SigningError                       signing certificate/key unusable, or signing failed
    ├── OutputError (OSError)              output path not writable / equal to an input
    ├── AudioDeviceError (OSError)         no microphone / audio library for live streaming
    └── ModelError (FileNotFoundError)     a model file (Face Landmarker, MODNet) missing or corrupt
"""

from __future__ import annotations

from pathlib import Path


class TalkingFaceError(Exception):
    """Root of every error talkingface raises on purpose."""

    def __init__(self, message: str = "", *, path: str | Path | None = None, frame: int | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None  # the file it is about
        self.frame = frame  # the frame (or row of a track file) it is about


class InputError(TalkingFaceError, ValueError):
    """An input file or option cannot be used."""


class NoFaceError(InputError):
    pass


class FaceTooSmallError(InputError):
    pass


class UnreadableImageError(InputError):
    pass


class ImageTooLargeError(InputError):
    pass


class UnreadableAudioError(InputError):
    pass


class NoSpeechError(InputError):
    pass


class AudioTooLongError(InputError):
    pass


class AlignmentError(InputError):
    """The transcript could not be aligned to the audio (wrong text, or no speech)."""


class MotionFileError(InputError):
    """A motion track file cannot be used."""


class UploadError(InputError):
    """A refused upload; ``status`` is the HTTP code (413 too large, 415 unsupported format,
    422 unusable)."""

    def __init__(self, status: int, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message, path=path)
        self.status = status


class SigningError(TalkingFaceError):
    """A signing key or certificate cannot be used, or signing failed."""


class ProtocolError(InputError):
    """A live WebSocket message the server cannot accept; the message says what to send instead."""


class OutputError(TalkingFaceError, OSError):
    """The output cannot be written where asked."""


class AudioDeviceError(TalkingFaceError, OSError):
    """No usable audio input device (live streaming from a microphone)."""


class ModelError(TalkingFaceError, FileNotFoundError):
    """A model file is missing or does not match its checksum."""
