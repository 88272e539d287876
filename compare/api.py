"""Drive spikearena from Python: run a spec, read a results directory, get DataFrames.

:func:`run` is ``spikearena run SPEC.toml`` as a function and :func:`read_results`
reads a finished results directory back; both give a :class:`Results`, whose
:meth:`~Results.to_frame` is the tidy table as a pandas DataFrame (pandas and pyarrow
are the ``frames`` extra: ``pip install 'spikearena[frames]'``). What a results
directory holds is described in docs/ARCHITECTURE.md (``compare/pipeline/runner.py``).

This module imports nothing heavy until a function runs: ``import compare`` and the
command line (:mod:`compare.cli`, which finds specs and scripts with it) stay fast.

>>> find_spec("tiny_digits").name
'tiny_digits.toml'
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas

    from compare.pipeline.runner import RunResult
    from compare.pipeline.spec import Spec

__all__ = [
    "FRAMES_INSTALL",
    "Results",
    "experiment_dirs",
    "find_spec",
    "known_experiments",
    "known_specs",
    "project_dirs",
    "project_files",
    "read_results",
    "run",
]

FRAMES_INSTALL = "pip install 'spikearena[frames]'"
"""How to install what :meth:`Results.to_frame` needs (pandas, pyarrow)."""


# --------------------------------------------------------------- finding specs and scripts


def project_dirs(folder: str) -> list[Path]:
    """``./FOLDER``, then the source tree's ``FOLDER`` (experiments, benchmarks), where
    they exist; the first wins where both hold a script of the same name."""
    here = Path.cwd() / folder
    source = Path(__file__).resolve().parents[1] / folder
    return list(dict.fromkeys(p.resolve() for p in (here, source) if p.is_dir()))


def experiment_dirs() -> list[Path]:
    """Where experiment scripts are looked for: ./experiments, then the source tree's."""
    return project_dirs("experiments")


def project_files(folder: str, pattern: str) -> dict[str, Path]:
    """File name -> path of the files matching ``pattern`` in :func:`project_dirs`
    ``(folder)``, sorted by name; ./FOLDER wins over the source tree's."""
    found = {}
    for d in reversed(project_dirs(folder)):
        for path in d.glob(pattern):
            found[path.name] = path
    return dict(sorted(found.items()))


def known_experiments() -> dict[str, Path]:
    """Experiment script name (``quickstart``) -> path; ./experiments wins over the source's."""
    scripts = project_files("experiments", "*.py")
    return {p.stem: p for name, p in scripts.items() if not name.startswith("_")}


def known_specs() -> dict[str, Path]:
    """Spec file name (``tiny_digits.toml``) -> path, from ``experiments/specs/``
    (./experiments/specs wins over the source tree's)."""
    return project_files("experiments/specs", "*.toml")


def find_spec(name: str | os.PathLike) -> Path:
    """The spec file ``name``, or ``experiments/specs/<name>`` (``.toml`` may be left off).

    Raises
    ------
    FileNotFoundError
        If neither exists; the message lists the known specs (and says so when
        ``name`` is an experiment script rather than a spec).
    """
    if Path(name).is_file():
        return Path(name)
    file_name = str(name) if str(name).endswith(".toml") else f"{name}.toml"
    specs = known_specs()
    if Path(file_name).parent == Path(".") and file_name in specs:
        return specs[file_name]
    known = ", ".join(specs) or "none"
    message = f"no spec file {name}; specs in experiments/specs/: {known}"
    if str(name) in known_experiments():
        message += (
            f" ({name!r} is an experiment script: run it with `spikearena run {name}` or "
            f"`python experiments/{name}.py`)"
        )
    raise FileNotFoundError(message)


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Results:
    """A spec run's results directory, read back: what :func:`run` and
    :func:`read_results` return.

    ``rows`` and ``summary`` are the directory's ``results.csv`` and ``summary.csv``
    as :func:`compare.report.html.read_results` reads them (rows in the present form,
    :func:`compare.measure.tidy.read_tidy_csv`: ``value`` a float, ``seed`` and the
    whole-number columns ints, a tidy column None where it does not apply; a sweep
    column is empty where its sweep does not apply to the row's model).
    """

    output_dir: Path
    """The results directory."""
    spec: Spec
    """The resolved spec that ran (``spec.json``; its ``[quick]`` table and ``--set``
    flags already applied)."""
    rows: list[dict] = field(repr=False)
    """Tidy rows (``results.csv``): one per model x task x seed x metric x sweep point."""
    summary: list[dict] = field(repr=False)
    """``summary.csv``: one row per sweep point x model, numbers as numbers."""
    run: RunResult | None = field(default=None, repr=False, compare=False)
    """What :func:`run` computed and reused (job ids); None when read back."""

    @property
    def sweeps(self) -> tuple[str, ...]:
        """The sweep paths: extra columns of both tables, e.g.
        ``models.mlp.params.hidden_sizes``."""
        return tuple(self.spec.sweeps)

    def to_frame(self) -> pandas.DataFrame:
        """The tidy table as a DataFrame: one row per model x task x seed x metric x
        sweep point.

        Columns (:data:`compare.files.TIDY_COLUMNS`): ``experiment``, ``task`` (its
        plain name) with ``n_train``, ``n_test`` and ``subset_seed`` (Int64, missing
        where the whole split was used), ``model``, ``arm``, ``kind``, ``seed`` (int64),
        one column per sweep path (numbers where every value is one, else text as in
        ``results.csv``; missing where the sweep does not apply to the model),
        ``metric`` with what it was measured under (``corruption``, ``severity``,
        ``cost_table``, ``after_group``, ``task_group``: missing where they do not
        apply; :mod:`compare.measure.tidy`), ``value`` (float64), ``unit`` and ``job``
        (the id of the job that measured it).

        Raises
        ------
        ImportError
            Without pandas; the message says how to install it.
        """
        from compare.files import METRIC_COLUMNS, TASK_COLUMNS
        from compare.measure.tidy import INTEGER_COLUMNS

        pd = _pandas()
        frame = pd.DataFrame(self.rows)
        frame = frame.astype({"seed": "int64", "value": "float64"})
        text = frame["model"].dtype  # what pandas makes of text: str in pandas 3, object before
        for column in (*TASK_COLUMNS, *METRIC_COLUMNS):
            frame[column] = frame[column].astype("Int64" if column in INTEGER_COLUMNS else text)
        return _with_sweep_columns(pd, frame, self.sweeps)

    def summary_frame(self) -> pandas.DataFrame:
        """``summary.csv`` as a DataFrame: one row per sweep point x model (mean accuracy,
        its intervals over seeds, macro-F1, times, operations).

        Raises
        ------
        ImportError
            Without pandas; the message says how to install it.
        """
        pd = _pandas()
        return _with_sweep_columns(pd, pd.DataFrame(self.summary), self.sweeps)


def _pandas():
    try:
        import pandas
    except ImportError as err:
        raise ImportError(
            f"DataFrames need pandas, which is not installed: {FRAMES_INSTALL} "
            "(pandas and pyarrow); Results.rows and Results.summary hold the same tables "
            "as lists of dicts"
        ) from err
    return pandas


def _with_sweep_columns(pd, frame, sweeps: Sequence[str]):
    """Sweep cells as numbers where all are, else as text; empty cells as missing values."""
    text = frame["model"].dtype  # what pandas makes of text: str in pandas 3, object before
    for column in sweeps:
        cells = frame[column].astype(object).where(frame[column] != "", None)
        try:
            frame[column] = pd.to_numeric(cells)
        except (ValueError, TypeError):
            frame[column] = cells.astype(text)
    return frame


def read_results(directory: str | os.PathLike) -> Results:
    """Read a finished spec run's results directory (``results/<name>/`` or ``--out``).

    Parameters
    ----------
    directory
        A directory written by :func:`run`, ``spikearena run SPEC.toml``, a study
        script or :func:`compare.pipeline.runner.run_experiment`.

    Returns
    -------
    Results
        Its spec, tidy rows and summary; ``results.run`` is None.

    Raises
    ------
    FileNotFoundError
        If the directory or a file of a finished run is missing (the message names it;
        a run that was interrupted writes them when rerun to the end).
    ValueError
        If a file is malformed.
    """
    from compare.pipeline.spec import Spec, SpecError
    from compare.report.html import read_results as read_directory

    found = read_directory(directory, sweeps=True)
    path = found.path
    if found.config_file != "spec.json":
        raise FileNotFoundError(
            f"{path} has {found.config_file} but no spec.json: written before the runner; "
            "run its experiment again to read it here"
        )
    source = path / "spec.toml"
    text = source.read_text(encoding="utf-8") if source.is_file() else None
    try:
        spec = Spec.from_dict(found.config, source_text=text)
    except SpecError as err:
        raise ValueError(f"{path / 'spec.json'} is not a spec this version reads: {err}") from None
    return Results(output_dir=path, spec=spec, rows=found.rows, summary=found.summary)


# ---------------------------------------------------------------------------------- run


def run(
    name_or_spec: str | os.PathLike | Spec,
    *,
    set: Sequence[str] = (),  # shadows the builtin: the name of `spikearena run --set`
    quick: bool = False,
    jobs: int = 1,
    scheduler: str | None = None,
    out: str | os.PathLike | None = None,
    fresh: bool = False,
    progress: bool = True,
) -> Results:
    """Run an experiment spec, as ``spikearena run SPEC.toml`` does, and read its results.

    Every model x seed x sweep point is a job; finished jobs in the results directory
    are reused (the same call resumes after Ctrl-C or a failure), the others are
    computed, and the tables and reports are rebuilt from all of them.

    Parameters
    ----------
    name_or_spec
        A spec file, the name of one in ``experiments/specs/`` (``"tiny_digits"`` or
        ``"tiny_digits.toml"``), or a :class:`compare.pipeline.spec.Spec`
        (:func:`compare.pipeline.spec.load_spec`).
    set
        ``KEY=VALUE`` overrides (``--set``), e.g. ``["seeds=[0, 1, 2]",
        "task.n_train=1000"]``; for a spec file or name only.
    quick
        Apply the spec's ``[quick]`` table first (``--quick``, a smoke-size run whose
        results go to ``results/<name>-quick/``); for a spec file or name only.
    jobs
        1: in this process; N > 1: on a local Dask cluster of N worker processes.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``) to run the jobs on
        instead; leave ``jobs`` at 1.
    out
        The results directory; default ``results/<name>`` (``results/<name>-quick``),
        relative to the working directory like the command line's.
    fresh
        Recompute this spec's finished jobs.
    progress
        Show a progress bar.

    Returns
    -------
    Results
        The results directory read back (:func:`read_results`), with ``results.run``
        saying which jobs this call computed and which it reused.

    Raises
    ------
    FileNotFoundError
        For an unknown spec name (the message lists the known ones).
    compare.pipeline.spec.SpecError
        For a mistake in the spec or in ``set`` (naming the file line or the flag).
    compare.pipeline.runner.ResultsLocked
        If another run is using the results directory.
    """
    spec = _resolve_spec(name_or_spec, set, quick)
    if scheduler is not None and jobs != 1:
        raise ValueError(
            f"give jobs or scheduler, not both (jobs={jobs}, scheduler={scheduler!r}): "
            "the scheduler's cluster decides how many jobs run at once"
        )
    from compare.pipeline.runner import run_spec

    output_dir = Path(out) if out is not None else Path("results") / spec.results_name
    result = run_spec(
        spec, output_dir, jobs=jobs, scheduler=scheduler, progress=progress, fresh=fresh
    )
    return dataclasses.replace(read_results(result.output_dir), run=result)


def _resolve_spec(name_or_spec, overrides: Sequence[str], quick: bool) -> Spec:
    from compare.pipeline.spec import Spec, load_spec

    if isinstance(overrides, str):
        raise TypeError(f"set takes a list of KEY=VALUE strings: write set=[{overrides!r}]")
    if isinstance(name_or_spec, Spec):
        if overrides or quick:
            raise ValueError(
                "set= and quick= apply to a spec file: pass its path or name, or apply them "
                "when loading it: load_spec(path, overrides, quick=True)"
            )
        return name_or_spec
    if not isinstance(name_or_spec, (str, os.PathLike)):
        raise TypeError(
            "expected a spec name, a path to a .toml spec or a compare.pipeline.spec.Spec, got "
            f"{type(name_or_spec).__name__}"
        )
    return load_spec(find_spec(name_or_spec), list(overrides), quick=quick)
