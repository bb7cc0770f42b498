"""Value types every stage shares, below all of them: the MotionTrack and its ARKit channels,
the face-mesh topology, per-frame timelines. Nothing here imports another talkingface package."""
