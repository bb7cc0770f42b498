"""What the speech says to the face: loudness, voice activity, (later) phones and pitch."""
