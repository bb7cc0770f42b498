"""Live streaming: audio arrives in small chunks, frames leave at the chosen fps with bounded latency.

:class:`~talkingface.stream.engine.StreamEngine` is the one motion engine
(:mod:`talkingface.motion.engine`) with the live passes; :class:`~talkingface.stream.engine.LiveRenderer`
turns its motion frames into JPEG frames; :mod:`~talkingface.stream.protocol` is the WebSocket wire
format and validates every message.
"""
