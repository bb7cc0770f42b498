"""What the face does over time: the MotionTrack and the passes that build it from audio."""
