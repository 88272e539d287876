"""Data: the tasks (data sets as arrays), where their files are and how they are
fetched, and the corrupted and class-split copies of a task.

See docs/ARCHITECTURE.md for how the rooms of compare/ fit together.
"""
