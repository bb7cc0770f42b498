"""Measuring the output: lip-sync metrics and video re-analysis."""
