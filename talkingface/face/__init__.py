"""Face analysis: landmarks, blendshapes and pose of the portrait (and of rendered frames)."""
