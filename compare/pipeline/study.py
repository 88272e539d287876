"""What the study scripts that run a spec share: their command line and the run.

A study in ``experiments/`` is a spec in ``experiments/specs/`` (what to train and
measure: :mod:`compare.pipeline.spec`), run by :mod:`compare.pipeline.runner`
(resumable, local or on Dask), plus the figures and tables that answer its question,
drawn from the tidy rows.
Every such script takes the options of ``spikearena run SPEC.toml`` (``--set``,
``--quick``, ``--jobs``/``--scheduler``, ``--out``, ``--fresh``, ``--no-progress``).
``--quick`` is the spec's own smoke-size run (its ``[quick]`` table, applied before
the ``--set`` flags), written to ``results/<name>-quick/`` so that a smoke run never
replaces a full run's report.

Studies that analyse what an earlier run measured (cost, brain vs models) read a
results directory instead (``--results DIR``); their ``--quick`` runs a spec's smoke
size into ``OUT/run/`` and analyses that (:func:`analysis_parser`,
:func:`analysis_source`). Every study writes its own tables and figures to
``OUT/study/``, replaced as a whole when it is done.

>>> parser = study_parser("Robustness: a question.")
>>> args = parser.parse_args(["--quick", "--set", "seeds=[0]"])
>>> args.quick, args.overrides, args.jobs
(True, ['seeds=[0]'], 1)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from compare.pipeline.runner import RunInterrupted, RunResult, format_summary, run_spec
from compare.pipeline.spec import Spec, SpecError, load_spec
from compare.tables import format_table

if TYPE_CHECKING:
    from compare.report.html import ResultsDirectory

__all__ = [
    "ROOT",
    "add_run_options",
    "analysis_parser",
    "analysis_source",
    "load_study_spec",
    "print_run",
    "run_study",
    "study_output",
    "study_parser",
]

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
"""The project directory (experiments/, results/)."""


def add_run_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of a spec run to ``parser``: --set, --quick, --jobs / --scheduler,
    --out, --fresh, --no-progress (``overrides``, ``quick``, ``jobs``, ``scheduler``,
    ``out``, ``fresh``, ``no_progress``). The study scripts that run a spec take them too."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of the spec (dotted key, TOML value), e.g. --set seeds=[0,1,2] "
        "--set task.n_train=1000; repeatable",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the spec's smoke-size run: its [quick] table applied before --set, results in "
        "results/NAME-quick/",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="1 (default): run the jobs in this process; N > 1: on a local Dask cluster of "
        "N single-threaded worker processes",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="run the jobs on an existing Dask cluster, e.g. tcp://host:8786",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="results directory (default results/NAME, or results/NAME-quick with --quick)",
    )
    parser.add_argument("--fresh", action="store_true", help="recompute this spec's finished jobs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def print_run(result) -> None:
    """Print what a spec run (a :class:`compare.pipeline.runner.RunResult`) computed and
    where it is."""
    spec = result.plan.spec
    sweeps = [(path, path.rsplit(".", 1)[-1]) for path in spec.sweeps]
    print()
    print(
        format_table(
            format_summary(result),
            [
                ("model", "model"),
                ("arm", "arm"),
                *sweeps,
                ("accuracy", "test accuracy"),
                ("fit_wall_time_s", "fit (s)"),
                ("parameter_count", "parameters"),
            ],
        )
    )
    print(
        f"\n{len(result.plan.jobs)} jobs: {len(result.computed)} computed, "
        f"{len(result.reused)} already finished"
        + (f", {len(result.discarded)} partial discarded" if result.discarded else "")
    )
    if len(result.commits) > 1:
        print(f"note: the jobs ran at different git commits: {', '.join(result.commits)}")
    print(f"results: {result.output_dir / 'results.csv'}")
    print(f"report: {result.output_dir / 'report.md'}")


def study_parser(doc: str) -> argparse.ArgumentParser:
    """A parser with the spec-run options; ``doc``'s first line describes it."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    add_run_options(parser)
    return parser


def load_study_spec(path: str | Path, args: argparse.Namespace) -> Spec:
    """The study's spec: its ``[quick]`` table applied under ``--quick``, then ``--set``'s.

    Raises
    ------
    SpecError
        Naming the file line or the flag, as :func:`compare.pipeline.spec.load_spec` does.
    """
    return load_spec(path, args.overrides, quick=args.quick)


def study_output(spec: Spec, args: argparse.Namespace) -> Path:
    """``--out``, or ``results/<name>`` (``results/<name>-quick`` for a quick spec)."""
    if args.out is not None:
        return Path(args.out)
    return ROOT / "results" / spec.results_name


def run_study(
    path: str | Path,
    args: argparse.Namespace,
    *,
    parser: argparse.ArgumentParser | None = None,
) -> RunResult:
    """Load the study's spec (:func:`load_study_spec`), run it and print what it computed.

    A spec mistake (in the file or a ``--set`` flag) goes to ``parser.error`` when a
    parser is given (one line, exit status 2), else it is raised. Ctrl-C keeps the
    finished jobs, says so in one line and exits with status 130; the same command
    resumes.
    """
    try:
        spec = load_study_spec(path, args)
    except SpecError as err:
        if parser is None:
            raise
        parser.error(str(err))
    try:
        result = run_spec(
            spec,
            study_output(spec, args),
            jobs=args.jobs,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            fresh=args.fresh,
        )
    except RunInterrupted as err:  # Ctrl-C: say how to resume, as `spikearena run` does
        logger.warning("%s: %s", Path(sys.argv[0]).name, err)
        raise SystemExit(130) from None
    print_run(result)
    return result


def analysis_parser(doc: str, default_results: Path) -> argparse.ArgumentParser:
    """A parser for a study that analyses a results directory: ``--results``, ``--quick``,
    ``--out``, ``--no-progress``."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument(
        "--results",
        type=Path,
        default=default_results,
        metavar="DIR",
        help=f"the results directory of a spec run to analyse (default {default_results})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="analyse a fresh smoke-size run instead (minutes), in OUT/run/",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="output directory")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def analysis_source(
    args: argparse.Namespace, name: str, spec: str | Path
) -> tuple[ResultsDirectory, Path]:
    """The results an analysis reads and where it writes: ``(results, OUT)``.

    ``OUT`` is ``--out`` or ``results/<name>`` (``results/<name>-quick`` with
    ``--quick``). Under ``--quick`` the spec's smoke-size run (its ``[quick]`` table)
    runs into ``OUT/run/`` first (resumable, like any spec run); otherwise
    ``--results`` is read.

    Raises
    ------
    FileNotFoundError
        If ``--results`` is not a spec run's results directory (the message names what
        is missing).
    """
    from compare.report.html import read_results

    out = (
        Path(args.out)
        if args.out is not None
        else ROOT / "results" / (name + ("-quick" if args.quick else ""))
    )
    directory = Path(args.results)
    if args.quick:
        directory = out / "run"
        result = run_spec(load_spec(spec, quick=True), directory, progress=not args.no_progress)
        print_run(result)
    return read_results(directory), out
