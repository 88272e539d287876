"""The pipeline from a spec to a results directory: specs, plans, jobs, the results store,
execution and aggregation, and what the study scripts share.

See docs/ARCHITECTURE.md for how the rooms of compare/ fit together.
"""
