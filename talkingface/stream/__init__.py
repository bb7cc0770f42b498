"""Live streaming: audio arrives in small chunks, frames leave at the chosen fps with bounded latency.

:class:`~talkingface.stream.engine.StreamEngine` is the clock and the causal motion generator;
:class:`~talkingface.stream.engine.LiveRenderer` turns its motion frames into JPEG frames.
"""
