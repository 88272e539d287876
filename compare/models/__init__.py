"""Models: the registry that names every estimator, and the estimators that join the two arms.

See docs/ARCHITECTURE.md for how the rooms of compare/ fit together.
"""
