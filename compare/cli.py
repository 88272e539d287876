"""The ``spikearena`` command line (also ``python -m compare``).

spikearena list                  the experiments there are, one line each
spikearena run NAME [ARGS...]    run experiments/NAME.py; ARGS go to the script
                                 (e.g. ``spikearena run quickstart --quick``)
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["experiment_dirs", "find_experiment", "main"]


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def experiment_dirs() -> list[Path]:
    """Where experiment scripts are looked for: ./experiments, then the source tree's."""
    here = Path.cwd() / "experiments"
    source = Path(__file__).resolve().parents[1] / "experiments"
    return list(dict.fromkeys(p.resolve() for p in (here, source) if p.is_dir()))


def _scripts() -> dict[str, Path]:
    found = {}
    for d in reversed(experiment_dirs()):
        for path in sorted(d.glob("*.py")):
            if not path.name.startswith("_"):
                found[path.stem] = path
    return dict(sorted(found.items()))


def find_experiment(name: str) -> Path:
    """Path of experiments/<name>.py; a UsageError listing the known ones if absent."""
    scripts = _scripts()
    if name.endswith(".py") and Path(name).is_file():
        return Path(name)
    if name not in scripts:
        known = ", ".join(scripts) or "none"
        where = ", ".join(map(str, experiment_dirs())) or "no experiments/ directory found"
        raise UsageError(f"unknown experiment {name!r}; known: {known} (looked in {where})")
    return scripts[name]


def _summary_line(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError):
        doc = None
    return (doc or "(no description)").strip().splitlines()[0]


def _run(name: str, args: list[str]) -> int:
    path = find_experiment(name)
    spec = importlib.util.spec_from_file_location(f"spikearena_experiment_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "main"):
        raise UsageError(f"experiment {path} has no main(argv) function")
    return int(module.main(args) or 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="spikearena",
        description=(
            "Compare a Brian2 spiking network trained with STDP and an equivalent PyTorch "
            "network trained with backprop, on the same tasks, measured the same way."
        ),
        epilog="Each experiment is a script in experiments/; results go to results/<name>/.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments")
    run = sub.add_parser(
        "run",
        help="run an experiment; further arguments go to its script (try NAME --help)",
    )
    run.add_argument("name", help="experiment name (a script in experiments/) or a path to one")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the experiment script")
    ns = parser.parse_args(argv)
    try:
        if ns.command == "list":
            scripts = _scripts()
            if not scripts:
                raise UsageError("no experiments found (run from the project directory)")
            width = max(map(len, scripts))
            for name, path in scripts.items():
                print(f"{name:<{width}}  {_summary_line(path)}")
            return 0
        return _run(ns.name, ns.args)
    except UsageError as err:
        print(f"spikearena: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spikearena: interrupted; earlier results were left as they were", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, NotADirectoryError, PermissionError) as err:
        if os.environ.get("SPIKEARENA_DEBUG"):
            raise
        print(
            f"spikearena: error: {err} (set SPIKEARENA_DEBUG=1 for the traceback)", file=sys.stderr
        )
        return 2
