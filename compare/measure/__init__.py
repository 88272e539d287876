"""Measurements: accuracy and operations, energy, forgetting, statistics.

See docs/ARCHITECTURE.md for how the rooms of compare/ fit together.
"""
