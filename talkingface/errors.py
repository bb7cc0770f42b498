"""Exceptions a user can act on.

Every error raised for a user mistake derives from :class:`TalkingFaceError` and carries a
one-line message that says what is wrong and what to do. The CLI prints that line and exits
non-zero; the API lets it propagate. Each subclass also inherits the matching builtin so
callers can catch either::

    TalkingFaceError
    ├── InputError (ValueError)            bad portrait/audio/options
    │   ├── NoFaceError
    │   ├── FaceTooSmallError
    │   ├── UnreadableImageError
    │   ├── UnreadableAudioError
    │   ├── NoSpeechError
    │   ├── AudioTooLongError
    │   └── ProtocolError                  a live WebSocket message or query the server cannot use
    ├── OutputError (OSError)              output path not writable / equal to an input
    ├── AudioDeviceError (OSError)         no microphone / audio library for live streaming
    └── ModelError (FileNotFoundError)     Face Landmarker bundle missing or corrupt
"""

from __future__ import annotations


class TalkingFaceError(Exception):
    """Root of every error talkingface raises on purpose."""


class InputError(TalkingFaceError, ValueError):
    """An input file or option cannot be used."""


class NoFaceError(InputError):
    pass


class FaceTooSmallError(InputError):
    pass


class UnreadableImageError(InputError):
    pass


class UnreadableAudioError(InputError):
    pass


class NoSpeechError(InputError):
    pass


class AudioTooLongError(InputError):
    pass


class ProtocolError(InputError):
    """A live-stream message or query parameter is malformed or out of range (stream/protocol.py)."""


class OutputError(TalkingFaceError, OSError):
    """The output cannot be written where asked."""


class AudioDeviceError(TalkingFaceError, OSError):
    """No usable audio input device (live streaming from a microphone)."""


class ModelError(TalkingFaceError, FileNotFoundError):
    """A model file is missing or does not match its checksum."""
