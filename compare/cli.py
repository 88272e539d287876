"""The ``spikearena`` command line (also ``python -m compare``).

spikearena list                      the experiments, specs, model kinds, tasks, cost tables
spikearena run NAME [ARGS...]        run experiments/NAME.py; ARGS go to the script
                                     (e.g. ``spikearena run quickstart --quick``)
spikearena run SPEC.toml [OPTIONS]   run an experiment spec through compare.pipeline.runner:
                                     ``--set KEY=VALUE`` (repeatable), ``--jobs N`` or
                                     ``--scheduler ADDR``, ``--out DIR``, ``--fresh``,
                                     ``--dry-run``, ``--no-progress``
spikearena bench [NAME [ARGS...]]    run benchmarks/bench_NAME.py (``spiking`` or
                                     ``bench_spiking``); without NAME, list them
spikearena data list                 each data set: where it is looked for, found, its
                                     files' pinned SHA-256s
spikearena data fetch NAME           download fashion-mnist or mnist, verified, into
                                     ``--to DIR`` (default: where the loaders look);
                                     ``--force``; ``$SPIKEARENA_DATA_URLS`` replaces
                                     its URLs (compare.data.fetch)

Global options, before the subcommand: ``-v`` (DEBUG messages; ``-vv`` the libraries'
too) and ``-q`` (warnings and errors only, no progress bars); log lines go to standard
error (:mod:`compare.logs`), what a command exists to print to standard output.

A SPEC.toml that is not a file is looked for in ``experiments/specs/``.

Exit status: 0 on success; 2 for a usage error (unknown experiment or spec, a mistake
in a spec or a ``--set`` flag, bad options), printed as one line; 1 when a run fails
(a job raised, the results directory is in use, data is missing), also one line
(``SPIKEARENA_DEBUG=1`` shows the traceback); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import logging
import os
import sys
import tomllib
from pathlib import Path

from compare.api import (
    experiment_dirs,
    known_experiments,
    known_specs,
    project_dirs,
    project_files,
)
from compare.api import find_spec as _find_spec_file
from compare.logs import configured

__all__ = [
    "benchmark_dirs",
    "experiment_dirs",
    "find_benchmark",
    "find_experiment",
    "find_spec",
    "main",
]


logger = logging.getLogger(__name__)


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are :class:`UsageError` (one line, exit status 2)."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def find_experiment(name: str) -> Path:
    """Path of experiments/<name>.py; a UsageError listing the known ones if absent."""
    scripts = known_experiments()
    if name.endswith(".py") and Path(name).is_file():
        return Path(name)
    if name not in scripts:
        known = ", ".join(scripts) or "none"
        where = ", ".join(map(str, experiment_dirs())) or "no experiments/ directory found"
        raise UsageError(f"unknown experiment {name!r}; known: {known} (looked in {where})")
    return scripts[name]


def find_spec(name: str) -> Path:
    """The spec file ``name``, or ``experiments/specs/<name>``; a UsageError if neither
    (:func:`compare.api.find_spec`)."""
    try:
        return _find_spec_file(name)
    except FileNotFoundError as err:
        raise UsageError(str(err)) from None


def _summary_line(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError):
        doc = None
    return (doc or "(no description)").strip().splitlines()[0]


def _spec_description(path: Path) -> str:
    try:
        description = tomllib.loads(path.read_text(encoding="utf-8")).get("description")
    except (OSError, tomllib.TOMLDecodeError) as err:
        return f"(unreadable: {err})"
    return str(description or "(no description)").strip().splitlines()[0]


def _first_line(obj) -> str:
    return (obj.__doc__ or "(no description)").strip().splitlines()[0]


def _run(name: str, args: list[str]) -> int:
    return _call_main(find_experiment(name), args, "experiment")


def _call_main(path: Path, args: list[str], what: str) -> int:
    """Import the script at ``path`` (not as __main__) and return its ``main(args)``."""
    spec = importlib.util.spec_from_file_location(f"spikearena_{what}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "main"):
        raise UsageError(f"{what} {path} has no main(argv) function")
    saved, sys.argv = sys.argv, [str(path), *args]  # as if run directly (its usage line)
    try:
        return int(module.main(args) or 0)
    finally:
        sys.argv = saved


def benchmark_dirs() -> list[Path]:
    """Where benchmark scripts are looked for: ./benchmarks, then the source tree's."""
    return project_dirs("benchmarks")


def _benchmarks() -> dict[str, Path]:
    """Short name (``spiking`` for bench_spiking.py) -> path of each benchmark script."""
    scripts = project_files("benchmarks", "bench_*.py")
    return {p.stem.removeprefix("bench_"): p for p in scripts.values()}


def find_benchmark(name: str) -> Path:
    """Path of benchmarks/bench_<name>.py (``name`` with or without ``bench_``); a
    UsageError listing the known ones if absent."""
    benchmarks = _benchmarks()
    short = name.removesuffix(".py").removeprefix("bench_")
    if short not in benchmarks:
        known = ", ".join(benchmarks) or "none"
        where = ", ".join(map(str, benchmark_dirs())) or "no benchmarks/ directory found"
        raise UsageError(f"unknown benchmark {name!r}; known: {known} (looked in {where})")
    return benchmarks[short]


def _bench(name: str | None, args: list[str]) -> int:
    if name is None:
        _print_entries("benchmarks (spikearena bench NAME [ARGS...])", _benchmark_entries())
        return 0
    return _call_main(find_benchmark(name), args, "benchmark")


def _benchmark_entries() -> list[tuple[str, str]]:
    return [(name, _summary_line(path)) for name, path in _benchmarks().items()]


def _print_entries(title: str, entries: list[tuple[str, str]]) -> None:
    print(f"{title}:")
    width = max((len(name) for name, _ in entries), default=0)
    for name, line in entries:
        print(f"  {name:<{width}}  {line}")
    if not entries:
        print("  (none found: run from the project directory)")


def _list() -> int:
    from compare.data.tasks import TASKS
    from compare.measure.energy import TABLES
    from compare.models.registry import MODELS, ModelSpec, build_model

    sections = []
    scripts = known_experiments()
    sections.append(
        (
            "experiments (spikearena run NAME)",
            [(name, _summary_line(path)) for name, path in scripts.items()],
        )
    )
    sections.append(
        (
            "specs (spikearena run SPEC.toml)",
            [(name, _spec_description(path)) for name, path in known_specs().items()],
        )
    )
    sections.append(("benchmarks (spikearena bench NAME)", _benchmark_entries()))
    models = []
    for kind, (arm, _) in sorted(MODELS.items()):
        estimator = type(build_model(ModelSpec(kind, kind), random_state=0))
        models.append((kind, f"{arm}: {estimator.__name__}. {_first_line(estimator)}"))
    sections.append(("model kinds (kind = ... in a spec)", models))
    sections.append(
        (
            "tasks ([task] name = ... in a spec)",
            [(name, _first_line(loader)) for name, loader in sorted(TASKS.items())],
        )
    )
    sections.append(
        (
            "cost tables (energy_tables = [...] in a spec)",
            [(t.label, t.description) for t in TABLES.values()],
        )
    )
    for title, entries in sections:
        _print_entries(title, entries)
    return 0


def _spec_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spikearena run SPEC.toml",
        description=(
            "Run an experiment spec: every model x seed x sweep point is a job; finished "
            "jobs are kept under OUT/jobs/ and never recomputed, so a rerun after Ctrl-C "
            "or a failure resumes. Results: OUT/results.csv (tidy), summary.csv, report.md."
        ),
    )
    from compare.pipeline.study import add_run_options

    add_run_options(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="list the jobs and which are finished; run nothing"
    )
    return parser


def _run_spec(name: str, args: list[str]) -> int:
    from compare.pipeline.runner import ResultsStore, plan_spec, run_spec
    from compare.pipeline.spec import SpecError, load_spec

    ns = _spec_parser().parse_args(args)
    path = find_spec(name)
    try:
        spec = load_spec(path, ns.overrides, quick=ns.quick)
    except SpecError as err:
        raise UsageError(str(err)) from None
    out = ns.out or Path("results") / spec.results_name
    quick = " with its [quick] table" if ns.quick else ""
    logger.debug("%s: spec %s%s; results in %s", spec.name, path, quick, out)
    if ns.dry_run:
        plan = plan_spec(spec)
        store = ResultsStore(out)
        done = sum(store.is_done(job.id) for job in plan.jobs)
        print(f"{spec.name}: {len(plan.points)} point(s), {len(plan.jobs)} jobs, {done} finished")
        for job in plan.jobs:
            state = "done" if store.is_done(job.id) else "todo"
            print(f"  {job.id}  {state}  {job.describe()}")
        return 0
    result = run_spec(
        spec,
        out,
        jobs=ns.jobs,
        scheduler=ns.scheduler,
        progress=not ns.no_progress,
        fresh=ns.fresh,
    )
    from compare.pipeline.study import print_run

    print_run(result)
    return 0


def _report(directory: Path) -> int:
    from compare.report.html import write_html_report

    try:
        print(write_html_report(directory))
    except (FileNotFoundError, NotADirectoryError, ValueError) as err:
        raise UsageError(_one_line(err)) from None
    return 0


def _one_line(err: BaseException) -> str:
    parts = [str(err).strip() or type(err).__name__, *getattr(err, "__notes__", [])]
    return " ".join(" ".join(parts).split())


def _add_log_options(parser: argparse.ArgumentParser) -> None:
    """-v / -q: how much the command logs to standard error (see compare.logs)."""
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more: DEBUG messages of spikearena (each job started, finished); -vv: "
        "of the libraries it uses too",
    )
    noise.add_argument(
        "-q", "--quiet", action="store_true", help="log only warnings and errors; no progress bars"
    )


def _add_bench_parser(sub) -> None:
    bench = sub.add_parser(
        "bench",
        help="run a speed benchmark (benchmarks/bench_NAME.py); without NAME, list them",
        description=(
            "Run benchmarks/bench_NAME.py (NAME with or without bench_); further arguments "
            "go to the script (try NAME --help). Without NAME, list the benchmarks."
        ),
    )
    bench.add_argument("name", nargs="?", help="benchmark name, e.g. spiking or bench_spiking")
    bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark")


def _add_data_parser(sub) -> None:
    data = sub.add_parser(
        "data",
        help="list the data sets and where they are, or download one (data fetch NAME)",
        description="Where each data set is looked for and found; download one, verified.",
    )
    actions = data.add_subparsers(dest="action", required=True, metavar="{list,fetch}")
    actions.add_parser(
        "list",
        help="each data set: where it is looked for, found, its files' pinned SHA-256s",
        description="For each data set: where it is looked for, in order, whether and where "
        "it was found, and its files with their pinned SHA-256 digests (and whether the files "
        "found match).",
    )
    fetch = actions.add_parser(
        "fetch",
        help="download a data set (fashion-mnist, mnist), verify it, install it",
        description="Download NAME's files from its canonical URL, then its mirrors "
        "($SPIKEARENA_DATA_URLS replaces them), check each against its pinned SHA-256 and "
        "move it into DIR atomically. Files already there and verified are kept.",
    )
    fetch.add_argument("name", metavar="NAME", help="the data set: fashion-mnist or mnist")
    fetch.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="target directory (default $SPIKEARENA_DATA/NAME when SPIKEARENA_DATA is set, "
        "else ~/.local/share/spikearena/NAME; the loaders look in both)",
    )
    fetch.add_argument("--force", action="store_true", help="download and replace every file")


def _data(ns) -> int:
    from compare.data.fetch import FetchError, data_report, fetch

    if ns.action == "list":
        print(data_report(), end="")
        return 0
    try:
        print(fetch(ns.name, ns.to, force=ns.force))
    except ValueError as err:
        raise UsageError(_one_line(err)) from None
    except FetchError as err:
        print(f"spikearena: error: {_one_line(err)}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    parser = _Parser(
        prog="spikearena",
        description=(
            "Compare a Brian2 spiking network trained with STDP and an equivalent PyTorch "
            "network trained with backprop, on the same tasks, measured the same way."
        ),
        epilog=(
            "Experiments are scripts in experiments/ or specs (TOML) in experiments/specs/; "
            "results go to results/<name>/."
        ),
    )
    _add_log_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "list",
        help="list the experiments, specs, model kinds, tasks and cost tables",
        description="List the experiments, specs, model kinds, tasks and cost tables.",
    )
    run = sub.add_parser(
        "run",
        help="run an experiment script or a spec (try NAME --help or SPEC.toml --help)",
        description=(
            "Run experiments/NAME.py (further arguments go to the script; try NAME --help) "
            "or a spec, SPEC.toml (try SPEC.toml --help)."
        ),
    )
    run.add_argument(
        "name", help="experiment name (a script in experiments/), a path to one, or a .toml spec"
    )
    run.add_argument(
        "args", nargs=argparse.REMAINDER, help="arguments for the script or the spec run"
    )
    report = sub.add_parser(
        "report",
        help="write report.html for a results directory",
        description=(
            "Write DIRECTORY/report.html, a self-contained HTML report of an experiment's "
            "results (report.md, its Markdown twin, is written by the run)."
        ),
    )
    report.add_argument("directory", type=Path, help="an experiment's results directory")
    _add_bench_parser(sub)
    _add_data_parser(sub)
    spec_run = False
    logs = contextlib.ExitStack()
    try:
        ns = parser.parse_args(argv)
        logs.enter_context(configured(-1 if ns.quiet else ns.verbose))
        if ns.command == "list":
            return _list()
        if ns.command == "report":
            return _report(ns.directory)
        if ns.command == "bench":
            return _bench(ns.name, ns.args)
        if ns.command == "data":
            return _data(ns)
        if ns.name.endswith(".toml"):
            spec_run = True
            return _run_spec(ns.name, ns.args)
        return _run(ns.name, ns.args)
    except UsageError as err:
        print(f"spikearena: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `spikearena run X.toml --dry-run | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt as err:
        message = str(err) or "interrupted; earlier results were left as they were"
        print(f"spikearena: {message}", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("SPIKEARENA_DEBUG"):
            raise
        usage = (ValueError, FileNotFoundError, NotADirectoryError, PermissionError)
        if not spec_run and not isinstance(err, usage):
            raise
        print(
            f"spikearena: error: {_one_line(err)} (set SPIKEARENA_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1 if spec_run else 2
    finally:
        logs.close()  # the loggers as they were before the command
