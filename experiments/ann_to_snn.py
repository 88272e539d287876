"""ANN-to-SNN conversion: accuracy of a converted ReLU MLP against simulated time steps.

The question (Diehl et al. 2015, IJCNN, Fig. 4; Rueckauer et al. 2017, Front. Neurosci.
11:682, Fig. 2): a ReLU MLP trained by backprop, its weights normalised on training
data and run as integrate-and-fire neurons (reset by subtraction, threshold 1, analog
input), approaches its ANN's accuracy as the number of time steps grows; how many
steps does it take, and does Rueckauer's 99.9th-percentile normalisation beat Diehl's
max-norm? Both papers lose under about 1 point on MNIST with enough steps.

The default trains the 784-400-10 ReLU MLP (the twin of the Diehl & Cook N = 400
network) on Fashion-MNIST, converts it with each normalisation in ``PERCENTILES``
(the same trained ANN for all; statistics from ``N_NORMALISE`` training images) and
simulates every test image once in Brian2 (C++ standalone), reading the output spike
counts after each number of steps in ``TIME_STEPS``.

Outputs (``results/ann_to_snn/<task>-h<hidden>-seed<seed>/``): ``accuracy_vs_time_steps.csv``
(one row per normalisation and number of steps: SNN accuracy, agreement with the ANN,
ANN accuracy), ``metrics.json`` (the same plus simulation speed, normalisation scales,
saturation, operations per example, the configuration and the environment) and the
figure ``accuracy_vs_time_steps.png`` / ``.svg``.

Run ``python experiments/ann_to_snn.py`` (about 10-15 min on one core: training, then
one 10,000-image simulation per normalisation); ``--quick`` is a smoke-size run on
8x8 digits (a minute, most of it compiling).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

TASK = "fashion-mnist"
HIDDEN_SIZES = (400,)  # the Diehl & Cook N = 400 twin: 784-400-10
EPOCHS = 20
DROPOUT = 0.0
PERCENTILES = (99.9, 100.0)  # Rueckauer et al. 2017's robust normalisation; Diehl's max-norm
N_NORMALISE = 10_000  # training images the normalisation statistics come from
TIME_STEPS = (1, 2, 5, 10, 25, 50, 100, 200, 500)  # all read from one simulation of 500
N_TRAIN = None  # None: all 60,000
N_TEST = None  # None: all 10,000
N_OPERATIONS = 1_000  # test images the operations report is measured on
SEED = 0
QUICK = {
    "task": "digits",
    "hidden": (32,),
    "epochs": 20,
    "n_train": None,
    "n_test": None,
    "time_steps": (5, 20, 100),
    "n_operations": 100,
}
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=TASK, help="fashion-mnist, mnist or digits")
    parser.add_argument("--data-dir", type=Path, default=None, help="directory of IDX files")
    parser.add_argument("--hidden", type=int, nargs="+", default=HIDDEN_SIZES)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--dropout", type=float, default=DROPOUT)
    parser.add_argument("--percentiles", type=float, nargs="+", default=PERCENTILES)
    parser.add_argument("--n-normalise", type=int, default=N_NORMALISE)
    parser.add_argument("--time-steps", type=int, nargs="+", default=TIME_STEPS)
    parser.add_argument("--n-train", type=int, default=N_TRAIN, help="default: all")
    parser.add_argument("--n-test", type=int, default=N_TEST, help="default: all")
    parser.add_argument("--n-operations", type=int, default=N_OPERATIONS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--backend", default="standalone", choices=("standalone", "runtime"))
    parser.add_argument("--quick", action="store_true", help="smoke-size run on digits")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    args.hidden = tuple(args.hidden)
    args.time_steps = tuple(sorted(set(args.time_steps)))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    import matplotlib.pyplot as plt

    from compare.data.tasks import load_task
    from compare.files import environment, write_csv, write_json
    from compare.models.converted_snn import ConvertedSNNClassifier
    from compare.report import figures

    kwargs = {"data_dir": args.data_dir} if args.data_dir is not None else {}
    task = load_task(args.task, **kwargs).subset(args.n_train, args.n_test, random_state=args.seed)
    hidden = "-".join(map(str, args.hidden))
    name = f"{args.task}-h{hidden}-seed{args.seed}" + ("-quick" if args.quick else "")
    out = args.out or ROOT / "results" / "ann_to_snn" / name
    out.mkdir(parents=True, exist_ok=True)
    print(f"{task.name}: {task.n_train} train / {task.n_test} test; output {out}")

    common = {
        "time_steps": args.time_steps[-1],
        "n_normalise": args.n_normalise,
        "backend": args.backend,
        "random_state": args.seed,
        "verbose": not args.no_progress,
    }
    started = time.perf_counter()
    first = ConvertedSNNClassifier(
        hidden_sizes=args.hidden,
        percentile=args.percentiles[0],
        epochs=args.epochs,
        dropout=args.dropout,
        **common,
    ).fit(task.X_train, task.y_train)
    train_seconds = time.perf_counter() - started
    print(f"ANN trained in {train_seconds:.0f} s")

    rows, runs = [], {}
    for percentile in args.percentiles:
        model = (
            first
            if percentile == args.percentiles[0]
            else ConvertedSNNClassifier.from_ann(
                first.ann_, task.X_train, percentile=percentile, **common
            )
        )
        curve = model.accuracy_vs_time_steps(task.X_test, task.y_test, args.time_steps)
        n_ops = min(args.n_operations, task.n_test)
        rates = model.conversion_.rates(task.X_test[:n_ops])
        runs[percentile] = {
            "scales": [layer.scale for layer in model.conversion_.layers],
            "saturated_fraction": [float(np.mean(r >= 1)) for r in rates],
            "snn_accuracy": dict(zip(map(int, curve.time_steps), map(float, curve.accuracy))),
            "agreement_with_ann": dict(
                zip(map(int, curve.time_steps), map(float, curve.agreement))
            ),
            "simulation_seconds": curve.simulation_seconds,
            "compile_seconds": curve.compile_seconds,
            "examples_per_second": curve.examples_per_second,
            "operations": model.operations(task.X_test[:n_ops]),
        }
        for row in curve.rows():
            rows.append({"percentile": percentile, **row})
        print(
            f"percentile {percentile:g}: "
            + ", ".join(
                f"{steps} steps {acc:.2%}" for steps, acc in zip(curve.time_steps, curve.accuracy)
            )
            + f" (ANN {curve.ann_accuracy:.2%}); {curve.examples_per_second:.0f} examples/s "
            f"at {curve.time_steps[-1]} steps"
        )

    columns = ["percentile", "time_steps", "snn_accuracy", "agreement_with_ann"]
    columns += ["ann_accuracy", "n_examples"]
    write_csv(out / "accuracy_vs_time_steps.csv", rows, columns)
    metrics = {
        "task": task.describe(),
        "hidden_sizes": list(args.hidden),
        "epochs": args.epochs,
        "dropout": args.dropout,
        "seed": args.seed,
        "n_normalise": args.n_normalise,
        "time_steps": list(args.time_steps),
        "ann_accuracy": rows[0]["ann_accuracy"],
        "train_seconds": train_seconds,
        "by_percentile": {f"{p:g}": run for p, run in runs.items()},
        "environment": environment(),
        "command": "python experiments/ann_to_snn.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
    }
    write_json(out / "metrics.json", json.loads(json.dumps(metrics, default=float)))

    fig, ax = plt.subplots(figsize=(4.8, 3.4), layout="constrained")
    curves = {
        ("max-norm" if p == 100 else f"{p:g}th percentile"): (
            args.time_steps,
            [run["snn_accuracy"][s] for s in args.time_steps],
        )
        for p, run in runs.items()
    }
    figures.plot_accuracy_vs_time_steps(curves, reference=metrics["ann_accuracy"], ax=ax)
    ax.set_title(f"{args.task}: {task.n_features}-{hidden}-{task.n_classes}")
    figures.save(fig, out / "accuracy_vs_time_steps")
    print(f"results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
