"""Quickstart: the Diehl & Cook (2015) STDP network against its MLP twin on 8x8 digits.

The question: on the same data, how does a spiking network that learns without
labels (STDP, labels used only to name its neurons) compare with an equally sized
multilayer perceptron trained by backpropagation, and with logistic regression?
Both networks have 64 inputs, 100 hidden units (excitatory neurons) and 10 classes.
The data is scikit-learn's digits (ships with scikit-learn: nothing to download).

Run ``python experiments/quickstart.py`` (or ``spikearena run quickstart``);
``--quick`` is a smoke-size run. Results go to ``results/quickstart/``; each model is
a job of :mod:`compare.runner`, so a second run reuses the finished ones (``--fresh``
computes them again).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compare.experiment import ExperimentConfig, run_experiment
from compare.models import ModelSpec
from compare.report import format_table

N_HIDDEN = 100  # excitatory neurons of the STDP net = hidden units of its MLP twin
SEEDS = (0,)
MODELS = (
    ModelSpec("stdp-dc2015", "diehl-cook", {"n_excitatory": N_HIDDEN, "epochs": 1}),
    ModelSpec("mlp-twin", "mlp", {"hidden_sizes": (N_HIDDEN,), "epochs": 50}),
    ModelSpec("logistic", "logistic", {"epochs": 30}),
)
QUICK = {"n_train": 100, "n_test": 50, "operations_examples": 20}


def config(quick: bool = False) -> ExperimentConfig:
    """The quickstart's experiment; ``quick`` shrinks the data to a smoke test."""
    return ExperimentConfig(
        name="quickstart",
        task="digits",
        models=MODELS,
        seeds=SEEDS,
        **(QUICK if quick else {}),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke-size run (seconds)")
    parser.add_argument(
        "--out", type=Path, default=None, help="results directory (default results/quickstart)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--fresh", action="store_true", help="recompute the models instead of reusing finished runs"
    )
    args = parser.parse_args(argv)

    result = run_experiment(
        config(args.quick), args.out, progress=not args.no_progress, fresh=args.fresh
    )
    rows = [dict(s, accuracy=f"{100 * s['accuracy_mean']:.1f} %") for s in result.summary]
    print(f"\n{result.task.name}: {result.task.n_train} train / {result.task.n_test} test examples")
    print(
        format_table(
            rows,
            [
                ("model", "model"),
                ("arm", "arm"),
                ("accuracy", "test accuracy"),
                ("fit_wall_time_s", "fit (s)"),
                ("parameter_count", "parameters"),
                ("activations_per_example", "spikes/activations per example"),
            ],
        )
    )
    print(f"\nreport: {result.output_dir / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
