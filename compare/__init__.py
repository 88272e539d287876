"""spikearena from Python: run experiment specs and read their results as DataFrames.

The entry points, imported on first use so that ``import compare`` stays cheap (no
torch, Brian2, Dask or pandas until one is called)::

    run(name_or_spec, *, set=(), quick=False, jobs=1, scheduler=None, out=None,
        fresh=False, progress=True) -> Results
                                  a spec run, as `spikearena run SPEC.toml` does
                                  (compare.api.run)
    read_results(directory) -> Results
                                  a finished results directory read back
                                  (compare.api.read_results)
    Results                       output_dir, spec, rows (results.csv), summary
                                  (summary.csv); to_frame() and summary_frame() give
                                  pandas DataFrames (compare.api.Results)
    load_spec(path, overrides=(), *, quick=False) -> Spec
                                  a spec file read and checked (compare.pipeline.spec.load_spec)
    load_task(name, **kwargs) -> Task
                                  a task by name: arrays, shape, classes, provenance
                                  (compare.data.tasks.load_task)

>>> import compare
>>> sorted(compare.__all__)
['Results', 'load_spec', 'load_task', 'read_results', 'run']
"""

from importlib import import_module

_EXPORTS = {
    "Results": "compare.api",
    "load_spec": "compare.pipeline.spec",
    "load_task": "compare.data.tasks",
    "read_results": "compare.api",
    "run": "compare.api",
}
"""Public name -> the module that defines it."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import an entry point on first use (PEP 562) and keep it."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'compare' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
