"""Classic networks: the textbook families on Fashion-MNIST and MNIST-1D, beside published numbers.

The question: do the artificial arm's implementations of the classic families reach
the test accuracies the literature reports for them? They are the baselines the
spiking models of this project are compared with, so they should be as good as their
published versions, trained as those were:

- Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747, Table 3 and the
  repository's benchmark list): logistic regression (0.842), an MLP with one hidden
  layer of 100 ReLU units (scikit-learn's MLPClassifier, 0.871), Chollet's Keras
  784-512-10 network (``MLPClassifier.keras_mnist``: 5 epochs of Keras' RMSprop; no
  published Fashion-MNIST number), and a small batch-normalised CNN
  (``CNNClassifier.fashion_mnist``) with and without shift/flip augmentation (the
  benchmark list's 2-conv networks reach 0.876-0.932; the augmented one trains 40
  epochs with less dropout, chosen on a validation split by
  ``experiments/tune_cnn_augmentation.py``);
- MNIST-1D (Greydanus 2020, arXiv:2011.14439, the mnist1d README table): logistic
  regression (0.32), MLP (0.68), CNN (0.94), GRU (0.91), trained as the benchmark code
  does (Adam at 1e-2, batches of 100, 8,000 steps = 200 epochs) on the standardised
  signals the benchmark uses (``standardize=True`` undoes the task's [0, 1] map). Two
  departures, both named in the table: the MLP has no residual connection (the
  benchmark's adds its second layer's output to its input), and the GRU is one
  unidirectional layer of 64 units classifying its last state, trained 60 epochs
  with a cosine schedule (the benchmark's: bidirectional, 6 units, a read-out of every
  step's state, whose operations :mod:`artificial.operations` does not count).

Outputs (``results/classic_networks/``): ``accuracies.csv`` (one row per task and
model: the task's subset (``n_train``, ``n_test``, ``subset_seed``; empty: the whole
split), mean, SD and per-seed test accuracy, epochs, mean fit seconds, parameters, the
published accuracy and its source), ``results.csv`` (tidy: every metric of compare's
evaluation per seed, operations included), ``history.csv`` (tidy: training loss,
accuracy and learning rate per epoch and seed), ``figures/learning_curves_<task>.png``
and ``.svg``, ``config.json`` (arguments and every model's parameters),
``environment.json``.

Run ``python experiments/classic_networks.py`` for the whole study (one seed by
default; ``--seeds 0 1 2`` for three); ``--quick`` is a smoke-size run (1,000
training examples, 2 epochs: about two minutes); ``--tasks`` and ``--models`` pick a
part, ``--n-train``/``--n-test``/``--epochs`` override sizes. On one core the full run
takes hours, most of them the two Fashion-MNIST CNNs; ``--workers N`` trains N (model,
seed) runs at once, each in its own process (same numbers as one process on the CPU),
and ``--device cuda`` trains on a GPU (the Fashion-MNIST part, 3 seeds, 15 workers:
under 3 minutes on one H200; ``results/classic_networks_fashion-mnist-gpu/``).
Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` package (see README);
MNIST-1D is generated offline.
"""

from __future__ import annotations

import argparse
import functools
import math
import pickle
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from artificial import CNNClassifier, MLPClassifier
from compare.data.tasks import load_task
from compare.files import (
    atomic_write_bytes,
    environment,
    staged_directory,
    write_csv,
    write_json,
    write_tidy_csv,
)
from compare.measure.metrics import evaluate
from compare.measure.tidy import metric_rows, task_columns
from compare.models.registry import ModelSpec, build_model
from compare.report import figures
from compare.tables import format_table


def _preset(estimator) -> dict:
    """An estimator's hyperparameters as a ModelSpec's params (the seed comes per run)."""
    return {k: v for k, v in estimator.get_params().items() if k != "random_state"}


@dataclass(frozen=True)
class Entry:
    """One model of the study and the published accuracy it is measured against."""

    spec: ModelSpec
    published: str = ""
    """Published test accuracy (fraction; a range as ``low-high``); empty if none."""
    source: str = ""
    """Where the published number comes from."""


FASHION = "Xiao et al. 2017 (arXiv:1708.07747)"
MNIST1D = "Greydanus 2020 (arXiv:2011.14439), mnist1d README"
# MNIST-1D benchmark training (mnist1d notebooks/train.py): Adam 1e-2, batch 100, 8000
# steps, on the standardised signals (standardize=True undoes the task's [0, 1] map).
MNIST1D_TRAINING = {"learning_rate": 1e-2, "batch_size": 100, "epochs": 200, "standardize": True}

STUDY: dict[str, tuple[Entry, ...]] = {
    "fashion-mnist": (
        Entry(
            # A cosine schedule ends near the minimum scikit-learn's solver finds; a constant
            # rate of 1e-2 ends wherever the last batches left it (81.7-83.4 % over 3 seeds).
            ModelSpec(
                "logistic", "logistic", {"epochs": 20, "batch_size": 128, "lr_schedule": "cosine"}
            ),
            "0.842",
            f"{FASHION}, Table 3: LogisticRegression",
        ),
        Entry(
            ModelSpec("mlp-100", "mlp", {"hidden_sizes": (100,), "epochs": 20}),
            "0.871",
            f"{FASHION}, Table 3: MLPClassifier hidden (100,), relu",
        ),
        Entry(
            ModelSpec("keras-784-512-10", "mlp", _preset(MLPClassifier.keras_mnist())),
            "",
            "Chollet, Deep Learning with Python, sec. 2.1 (MNIST 0.978; none for Fashion-MNIST)",
        ),
        Entry(
            ModelSpec("cnn", "cnn", _preset(CNNClassifier.fashion_mnist(augment=False))),
            "0.876-0.932",
            f"{FASHION}, README benchmark: 2-conv networks",
        ),
        Entry(
            ModelSpec("cnn-augmented", "cnn", _preset(CNNClassifier.fashion_mnist())),
            "0.876-0.932",
            f"{FASHION}, README benchmark: 2-conv networks",
        ),
        Entry(
            # The image read row by row: 28 steps of 28 pixels into one GRU layer whose
            # last state a linear layer classifies.
            ModelSpec(
                "gru-rows",
                "rnn",
                {
                    "sequence_shape": (28, 28),
                    "cell": "gru",
                    "hidden_size": 128,
                    "epochs": 10,
                    "batch_size": 128,
                    "learning_rate": 2e-3,
                    "lr_schedule": "cosine",
                },
            ),
            "0.888",
            f"{FASHION}, README benchmark: GRU+SVM (Agarap: 256 cells, an SVM read-out)",
        ),
    ),
    "mnist1d": (
        Entry(
            ModelSpec("logistic", "logistic", MNIST1D_TRAINING),
            "0.32",
            MNIST1D,
        ),
        Entry(
            ModelSpec("mlp-100-100", "mlp", {"hidden_sizes": (100, 100), **MNIST1D_TRAINING}),
            "0.68",
            MNIST1D,
        ),
        Entry(ModelSpec("cnn1d", "cnn1d", {"standardize": True}), "0.94", MNIST1D),
        Entry(
            ModelSpec(
                "gru",
                "rnn",
                {
                    "sequence_shape": (40, 1),
                    "cell": "gru",
                    "hidden_size": 64,
                    **MNIST1D_TRAINING,
                    "epochs": 60,
                    "lr_schedule": "cosine",
                },
            ),
            "0.91",
            f"{MNIST1D} (a bidirectional GRU of 6 units reading every step)",
        ),
    ),
}
"""Task -> the models trained on it, in table order."""

SEEDS = (0,)
OPERATIONS_EXAMPLES = 200  # test examples the operations report is measured on
QUICK = {"n_train": 1000, "n_test": 500, "operations_examples": 20, "epochs": 2}
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(STUDY), choices=list(STUDY))
    parser.add_argument("--models", nargs="+", default=None, help="model labels (default: all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--n-train", type=int, default=None, help="stratified subset size")
    parser.add_argument("--n-test", type=int, default=None, help="stratified subset size")
    parser.add_argument("--epochs", type=int, default=None, help="override every model's epochs")
    parser.add_argument("--operations-examples", type=int, default=OPERATIONS_EXAMPLES)
    parser.add_argument("--quick", action="store_true", help="smoke-size run (minutes)")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--device", default="cpu", choices=("cpu", "cuda"), help="torch device of every model"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="train this many (model, seed) runs at once, each in its own process",
    )
    parser.add_argument(
        "--unit", nargs=3, metavar=("TASK", "MODEL", "SEED"), help=argparse.SUPPRESS
    )
    parser.add_argument("--unit-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: PyTorch sees no CUDA device here (use --device cpu)")
    if args.quick:  # smoke size, except what the command line sets
        for name, value in QUICK.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    known = {entry.spec.label for entries in STUDY.values() for entry in entries}
    unknown = sorted(set(args.models or ()) - known)
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return args


def _params(entry: Entry, args: argparse.Namespace) -> dict:
    params = dict(entry.spec.params)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.device != "cpu":
        params["device"] = args.device
    return params


def _entries(task_name: str, args: argparse.Namespace) -> list[Entry]:
    return [e for e in STUDY[task_name] if not args.models or e.spec.label in args.models]


@functools.lru_cache(maxsize=None)
def _task(task_name: str, n_train: int | None, n_test: int | None):
    task = load_task(task_name)
    if n_train is not None or n_test is not None:
        task = task.subset(n_train, n_test, random_state=0)
    return task


def train_one(task_name: str, label: str, seed: int, args: argparse.Namespace) -> dict:
    """Train and evaluate one (task, model, seed): the study's unit of work."""
    task = _task(task_name, args.n_train, args.n_test)
    (entry,) = [e for e in STUDY[task_name] if e.spec.label == label]
    spec = ModelSpec(entry.spec.label, entry.spec.kind, _params(entry, args))
    model = build_model(spec, random_state=seed)
    model.set_params(verbose=not args.no_progress)
    result = evaluate(model, task, operations_examples=args.operations_examples)
    history = model.history_
    accuracy = result.metrics["accuracy"][0]
    seconds = result.metrics["fit_wall_time"][0]
    print(
        f"{task.name} {spec.label} seed {seed}: test accuracy {100 * accuracy:.2f} % "
        f"({len(history.train_loss)} epochs, fit {seconds:.0f} s)",
        flush=True,
    )
    return {
        "accuracy": accuracy,
        "seconds": seconds,
        "epochs": len(history.train_loss),
        "parameters": result.metrics["parameter_count"][0],
        "rows": _tidy_rows(_task_columns(task_name, args), spec, seed, result.metrics),
        "history": [
            {"task": task_name, "model": spec.label, "seed": seed, **record}
            for record in history.as_records()
        ],
        "curve": {"train_loss": history.train_loss, "train_accuracy": history.train_accuracy},
    }


def _forwarded(args: argparse.Namespace) -> list[str]:
    """The command-line arguments a worker process needs to train one unit as ``args`` says."""
    argv = ["--operations-examples", str(args.operations_examples), "--device", args.device]
    for name in ("n_train", "n_test", "epochs"):
        if getattr(args, name) is not None:
            argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    return argv + ["--no-progress"]


def train_all(units: list[tuple[str, str, int]], args: argparse.Namespace, staging: Path) -> dict:
    """Outputs of :func:`train_one` per unit: in this process, or ``args.workers`` at a time.

    Each worker is this script run again with ``--unit TASK MODEL SEED``; it pickles its
    result to a file in ``staging``. A worker that fails stops the study with its exit
    status (its output went to this terminal).
    """
    if args.workers == 1:
        return {unit: train_one(*unit, args) for unit in units}
    results, running, queue = {}, {}, list(units)
    while queue or running:
        while queue and len(running) < args.workers:
            unit = queue.pop(0)
            out = staging / "units" / f"{unit[0]}__{unit[1]}__{unit[2]}.pkl"
            out.parent.mkdir(exist_ok=True)
            command = [sys.executable, str(Path(__file__).resolve()), "--unit", *map(str, unit)]
            command += ["--unit-file", str(out), *_forwarded(args)]
            running[unit] = (subprocess.Popen(command), out)
        time.sleep(0.5)
        for unit, (process, out) in list(running.items()):
            if process.poll() is None:
                continue
            del running[unit]
            if process.returncode != 0:
                for other, _ in running.values():
                    other.terminate()
                raise RuntimeError(f"{' '.join(map(str, unit))}: exit status {process.returncode}")
            results[unit] = pickle.loads(out.read_bytes())
    shutil.rmtree(staging / "units", ignore_errors=True)
    return {unit: results[unit] for unit in units}


def _task_columns(task_name: str, args: argparse.Namespace) -> dict:
    """The task columns of the rows: the name, and the subset :func:`_task` draws."""
    table = {"name": task_name, "n_train": args.n_train, "n_test": args.n_test, "subset_seed": 0}
    return task_columns(table)


def _tidy_rows(task: dict, spec: ModelSpec, seed: int, metrics: dict) -> list[dict]:
    return metric_rows(
        metrics,
        experiment="classic_networks",
        **task,
        model=spec.label,
        arm=spec.arm,
        kind=spec.kind,
        seed=seed,
    )


def _summary_row(task: dict, entry: Entry, seeds, accuracies, seconds, epochs, parameters) -> dict:
    return {
        **task,
        "model": entry.spec.label,
        "kind": entry.spec.kind,
        "seeds": " ".join(map(str, seeds)),
        "accuracy_mean": float(np.mean(accuracies)),
        "accuracy_sd": float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else math.nan,
        "accuracy_per_seed": " ".join(f"{a:.4f}" for a in accuracies),
        "epochs": " ".join(map(str, sorted(set(epochs)))),
        "fit_seconds_mean": float(np.mean(seconds)),
        "parameter_count": parameters,
        "published_accuracy": entry.published,
        "published_source": entry.source,
    }


def run(args: argparse.Namespace, staging: Path) -> list[dict]:
    """Train and evaluate every selected (task, model, seed); write the files into ``staging``."""
    units = [
        (task_name, entry.spec.label, seed)
        for task_name in args.tasks
        for entry in _entries(task_name, args)
        for seed in args.seeds
    ]
    done = train_all(units, args, staging)
    rows, history_rows, table = [], [], []
    for task_name in args.tasks:
        entries = _entries(task_name, args)
        if not entries:
            continue
        task = _task(task_name, args.n_train, args.n_test)
        curves, finals, published = {}, {}, {}
        for entry in entries:
            label = entry.spec.label
            runs = [done[(task_name, label, seed)] for seed in args.seeds]
            for result in runs:
                rows += result["rows"]
                history_rows += result["history"]
            curves[label] = runs[0]["curve"]
            finals[label] = runs[0]["accuracy"]
            if entry.published and "-" not in entry.published:
                published[label] = float(entry.published)
            table.append(
                _summary_row(
                    _task_columns(task_name, args),
                    entry,
                    args.seeds,
                    [r["accuracy"] for r in runs],
                    [r["seconds"] for r in runs],
                    [r["epochs"] for r in runs],
                    runs[0]["parameters"],
                )
            )
        axes = figures.plot_learning_curves(curves, test_accuracy=finals, published=published)
        axes[0].set_title(f"{task.name}: {task.n_train} training examples", fontsize=8)
        figures.save(axes[0].figure, staging / "figures" / f"learning_curves_{task_name}")
    write_tidy_csv(staging / "results.csv", rows)
    history_columns = ["task", "model", "seed", "epoch", "metric", "value"]
    write_csv(staging / "history.csv", history_rows, history_columns)
    write_csv(staging / "accuracies.csv", table, list(table[0]))
    return table


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)  # small networks: threads only contend (see benchmarks/)
    if args.unit:  # a worker of train_all
        task_name, label, seed = args.unit
        result = train_one(task_name, label, int(seed), args)
        atomic_write_bytes(args.unit_file, pickle.dumps(result))
        return 0
    out = Path(args.out or ROOT / "results" / "classic_networks")
    with staged_directory(out) as staging:
        (staging / "figures").mkdir()
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        config["models_run"] = {
            task: {
                entry.spec.label: {"kind": entry.spec.kind, "params": _params(entry, args)}
                for entry in STUDY[task]
                if not args.models or entry.spec.label in args.models
            }
            for task in args.tasks
        }
        write_json(staging / "config.json", config)
        write_json(staging / "environment.json", environment())
        table = run(args, staging)
    rows = [
        dict(
            r,
            accuracy=f"{100 * r['accuracy_mean']:.2f} %"
            + ("" if math.isnan(r["accuracy_sd"]) else f" ± {100 * r['accuracy_sd']:.2f}"),
        )
        for r in table
    ]
    print(
        "\n"
        + format_table(
            rows,
            [
                ("task", "task"),
                ("model", "model"),
                ("accuracy", "test accuracy"),
                ("published_accuracy", "published"),
                ("epochs", "epochs"),
                ("fit_seconds_mean", "fit (s)"),
            ],
        )
    )
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
