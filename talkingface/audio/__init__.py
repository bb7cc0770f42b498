"""What the speech says and how it sounds: phones, loudness and acoustic cues, frame-aligned."""
