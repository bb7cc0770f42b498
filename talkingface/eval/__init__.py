"""Measuring what we made: re-analysis of rendered frames, metrics, contact sheets."""
