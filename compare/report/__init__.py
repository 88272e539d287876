"""Reports: Markdown and HTML reports and the figures, from the tidy results.

See docs/ARCHITECTURE.md for how the rooms of compare/ fit together.
"""
