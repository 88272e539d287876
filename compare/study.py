"""What the study scripts that run a spec share: their command line and the run.

A study in ``experiments/`` is a spec in ``experiments/specs/`` (what to train and
measure: :mod:`compare.spec`), run by :mod:`compare.runner` (resumable, local or on
Dask), plus the figures and tables that answer its question, drawn from the tidy rows.
Every such script takes the options of ``spikearena run SPEC.toml`` (``--set``,
``--jobs``/``--scheduler``, ``--out``, ``--fresh``, ``--no-progress``) and
``--quick``: the spec with the script's smoke-size overrides applied first (``--set``
flags still win), written to ``results/<name>-quick/`` so that a smoke run never
replaces a full run's report.

>>> parser = study_parser("Robustness: a question.")
>>> args = parser.parse_args(["--quick", "--set", "seeds=[0]"])
>>> args.quick, args.overrides, args.jobs
(True, ['seeds=[0]'], 1)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from compare.cli import add_run_options, print_run
from compare.runner import RunResult, run_spec
from compare.spec import Spec, SpecError, load_spec

__all__ = ["ROOT", "load_study_spec", "run_study", "study_output", "study_parser"]

ROOT = Path(__file__).resolve().parents[1]
"""The project directory (experiments/, results/)."""


def study_parser(doc: str) -> argparse.ArgumentParser:
    """A parser with the spec-run options and ``--quick``; ``doc``'s first line describes it."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    add_run_options(parser)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke-size run (minutes), written to results/NAME-quick/",
    )
    return parser


def load_study_spec(path: str | Path, args: argparse.Namespace, quick: Sequence[str] = ()) -> Spec:
    """The study's spec with ``quick`` overrides (under ``--quick``), then ``--set``'s.

    Raises
    ------
    SpecError
        Naming the file line or the flag, as :func:`compare.spec.load_spec` does.
    """
    return load_spec(path, [*(quick if args.quick else ()), *args.overrides])


def study_output(spec: Spec, args: argparse.Namespace) -> Path:
    """``--out``, or ``results/<name>`` (``results/<name>-quick`` with ``--quick``)."""
    if args.out is not None:
        return Path(args.out)
    return ROOT / "results" / (spec.name + ("-quick" if args.quick else ""))


def run_study(
    path: str | Path,
    args: argparse.Namespace,
    quick: Sequence[str] = (),
    *,
    parser: argparse.ArgumentParser | None = None,
) -> RunResult:
    """Load the study's spec (:func:`load_study_spec`), run it and print what it computed.

    A spec mistake (in the file or a ``--set`` flag) goes to ``parser.error`` when a
    parser is given (one line, exit status 2), else it is raised.
    """
    try:
        spec = load_study_spec(path, args, quick)
    except SpecError as err:
        if parser is None:
            raise
        parser.error(str(err))
    result = run_spec(
        spec,
        study_output(spec, args),
        jobs=args.jobs,
        scheduler=args.scheduler,
        progress=not args.no_progress,
        fresh=args.fresh,
    )
    print_run(result)
    return result
