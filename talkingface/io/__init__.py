"""Reading portraits and audio, writing videos."""
