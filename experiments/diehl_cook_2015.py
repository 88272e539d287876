"""Diehl & Cook (2015) reproduction: one network size, one data set, one epoch, measured.

The question: how well does the paper's unsupervised STDP network, exactly as the
authors' code defines it (spiking.networks.diehl_cook), learn a data set, and what does
training cost? It trains N excitatory neurons for one epoch, assigns each neuron a class
from training data with plasticity off, and tests on the held-out test set.

Outputs (``results/diehl_cook_2015/<task>-N<N>-seed<seed>/``):
``metrics.json`` (accuracy, per-class accuracy, throughput, peak memory at 1k / 10k /
all examples, the fit statistics, the environment), ``confusion.csv``, ``model.npz``
(the trained network, :meth:`DiehlCook2015.load`), ``history.npz`` (theta, memory and
weight snapshots over training) and the figures: receptive fields (the paper's Fig. 4
style grid), weight evolution, training history (theta, repeats, memory), a spike
raster of one test example, the confusion matrix.

Run ``python experiments/diehl_cook_2015.py`` for the default (N = 400, Fashion-MNIST,
60,000 training examples, labels from 10,000 of them: about 1 h 10 min on one core);
``--quick`` is a smoke-size run (minutes). Fashion-MNIST comes from Debian's
``dataset-fashion-mnist`` package (see README); ``--task mnist --data-dir DIR`` reads
MNIST from a directory of IDX files.

Epochs are trained one at a time (``fit``, then ``partial_fit``, each followed by the
labelling pass) and the model is saved after each, so a long run (``--paper-epochs``:
3 epochs at N = 400) can stop anywhere: ``--resume`` loads ``model.npz`` from the output
directory, trains the epochs still missing and evaluates.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

N_EXCITATORY = 400
TASK = "fashion-mnist"
N_TRAIN = None  # None: the whole training set (60,000), one epoch as in the paper's N=400 row
N_LABEL = 10_000  # training examples presented with plasticity off to assign classes
N_TEST = None  # None: the whole test set
SEED = 0
RECORD_EVERY = 5_000  # weight snapshots for the evolution figure
MEMORY_MARKS = (1_000, 10_000, 60_000)
QUICK = {"n_train": 600, "n_label": 300, "n_test": 300, "n_excitatory": 100, "record_every": 200}
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-excitatory", type=int, default=N_EXCITATORY)
    parser.add_argument("--task", default=TASK, help="fashion-mnist, mnist or digits")
    parser.add_argument("--data-dir", type=Path, default=None, help="directory of IDX files")
    parser.add_argument("--n-train", type=int, default=N_TRAIN, help="default: all")
    parser.add_argument("--n-label", type=int, default=N_LABEL)
    parser.add_argument("--n-test", type=int, default=N_TEST, help="default: all")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--paper-epochs",
        action="store_true",
        help="train for the paper's number of epochs for this N (1, 3, 7, 15)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--record-every", type=int, default=RECORD_EVERY)
    parser.add_argument("--backend", default="standalone", choices=("standalone", "runtime"))
    parser.add_argument("--quick", action="store_true", help="smoke-size run (minutes)")
    parser.add_argument("--resume", action="store_true", help="reuse model.npz in --out")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    if args.paper_epochs:
        from spiking.networks.diehl_cook import PAPER_VARIANTS

        if args.n_excitatory not in PAPER_VARIANTS:
            parser.error(f"--paper-epochs: the paper has N in {sorted(PAPER_VARIANTS)}")
        args.epochs = PAPER_VARIANTS[args.n_excitatory][0]
    return args


def load(args):
    from compare.data.tasks import load_task

    kwargs = {"data_dir": args.data_dir} if args.data_dir is not None else {}
    task = load_task(args.task, **kwargs)
    return task.subset(args.n_train, args.n_test, random_state=args.seed)


def memory_at(history: dict, marks) -> dict:
    """Peak binary memory up to, and process memory at, the first chunk reaching each mark."""
    examples = np.asarray(history["examples"])
    out = {}
    labelled = [(str(mark), mark) for mark in marks]
    if len(examples):
        labelled.append(("all", int(examples[-1])))
    for label, mark in labelled:
        reached = np.nonzero(examples >= mark)[0]
        if not len(reached):
            continue
        k = int(reached[0])
        out[label] = {
            "examples": int(examples[k]),
            "binary_peak_rss_mb": float(np.nanmax(history["binary_peak_rss_mb"][: k + 1])),
            "process_rss_mb": float(history["process_rss_mb"][k]),
        }
    return out


def checkpoint(model, out: Path) -> None:
    """Save the model and its training history (each file atomically) after an epoch."""
    model.save(out / "model.npz")
    np.savez_compressed(out / ".history.tmp.npz", **model.history_)
    (out / ".history.tmp.npz").replace(out / "history.npz")
    print(f"checkpoint: {model.fit_stats_['train_examples']} examples trained, in {out}")


def main(argv=None) -> int:
    args = parse_args(argv)
    from sklearn.metrics import confusion_matrix

    from compare.files import environment, write_csv, write_json
    from compare.report import figures
    from spiking.networks.diehl_cook import PAPER_VARIANTS, DiehlCook2015

    task = load(args)
    name = f"{args.task}-N{args.n_excitatory}-seed{args.seed}" + ("-quick" if args.quick else "")
    out = args.out or ROOT / "results" / "diehl_cook_2015" / name
    out.mkdir(parents=True, exist_ok=True)
    print(f"{task.name}: {task.n_train} train / {task.n_test} test; output {out}")

    model_path = out / "model.npz"
    if args.resume and model_path.exists():
        model = DiehlCook2015.load(model_path)
        if model.n_excitatory != args.n_excitatory:
            raise SystemExit(
                f"{model_path} holds N = {model.n_excitatory}, not --n-excitatory "
                f"{args.n_excitatory}; use another --out"
            )
        model.verbose = not args.no_progress
        if (out / "history.npz").exists():
            model.history_ = dict(np.load(out / "history.npz"))
        done = model.fit_stats_["train_examples"] // task.n_train
        print(f"loaded {model_path}: {done} of {args.epochs} epochs trained")
    else:
        model = DiehlCook2015(
            args.n_excitatory,
            n_label=args.n_label,
            backend=args.backend,
            random_state=args.seed,
            record_every=args.record_every,
            verbose=not args.no_progress,
        )
        model.fit(task.X_train, task.y_train)
        done = 1
        checkpoint(model, out)
    while done < args.epochs:
        model.partial_fit(task.X_train, task.y_train)
        done += 1
        checkpoint(model, out)
    history = model.history_
    print(f"trained: {json.dumps(model.fit_stats_)}")

    started = time.perf_counter()
    predicted = model.predict(task.X_test)
    test_seconds = time.perf_counter() - started
    accuracy = float(np.mean(predicted == task.y_test))
    classes = list(task.classes) if task.classes is not None else list(model.classes_)
    matrix = confusion_matrix(task.y_test, predicted, labels=model.classes_)
    per_class = matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)
    stats = model.fit_stats_
    metrics = {
        "task": task.describe(),
        "n_excitatory": model.n_excitatory,
        "epochs": done,
        "seed": args.seed,
        "backend": model.backend,
        "accuracy": accuracy,
        "paper_mnist": dict(
            zip(("epochs", "accuracy"), PAPER_VARIANTS.get(model.n_excitatory, (None, None)))
        ),
        "per_class_accuracy": dict(zip(map(str, classes), per_class.tolist(), strict=True)),
        "neurons_per_class": dict(
            zip(
                map(str, classes),
                np.bincount(
                    model.assignments_[model.assignments_ >= 0], minlength=len(classes)
                ).tolist(),
                strict=True,
            )
        ),
        "unassigned_neurons": int(np.sum(model.assignments_ < 0)),
        "train_examples_per_second": stats["train_examples"] / stats["train_seconds"],
        "label_examples_per_second": stats["label_examples"] / stats["label_seconds"],
        "test_examples_per_second": task.n_test / test_seconds,
        "train_repeat_fraction": 1 - stats["train_examples"] / stats["train_presentations"],
        "memory": memory_at(history, MEMORY_MARKS),
        "fit_stats": stats,
        "environment": environment(),
        "command": "python experiments/diehl_cook_2015.py " + " ".join(argv or []),
    }
    write_json(out / "metrics.json", metrics)
    write_csv(
        out / "confusion.csv",
        [
            {"true": str(c), **{str(k): int(v) for k, v in zip(classes, row, strict=True)}}
            for c, row in zip(classes, matrix, strict=True)
        ],
        ["true", *map(str, classes)],
    )

    shape = task.shape
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(12, 11), layout="constrained")
    figures.plot_receptive_fields(model.weights_, shape, max_fields=model.n_excitatory, fig=fig)
    figures.save(fig, out / "receptive_fields")
    if len(history["weights"]):
        fig = plt.figure(figsize=(8, 0.75 * len(history["weights"]) + 0.4), layout="constrained")
        figures.plot_weight_evolution(
            history["weights"], history["weight_examples"], shape, fig=fig
        )
        figures.save(fig, out / "weight_evolution")
    fig = plt.figure(figsize=(10, 2.8), layout="constrained")
    figures.plot_training_history(history, fig=fig)
    figures.save(fig, out / "training_history")
    raster = model.spike_raster(task.X_test[0])
    fig = plt.figure(figsize=(7, 5), layout="constrained")
    n_input, n_exc = model.weights_.shape
    figures.plot_spike_raster(
        raster.groups(),
        input_time=raster.input_time,
        duration=raster.n_presentations * raster.presentation_time,
        sizes={"input": n_input, "excitatory": n_exc, "inhibitory": n_exc},
        fig=fig,
    )
    figures.save(fig, out / "spike_raster")
    fig, ax = plt.subplots(figsize=(5, 4.2), layout="constrained")
    figures.plot_confusion(
        matrix, classes, title=f"N = {model.n_excitatory}: {accuracy:.1%}", ax=ax
    )
    figures.save(fig, out / "confusion")

    print(f"test accuracy {accuracy:.2%} on {task.n_test} examples")
    print(f"per class: {metrics['per_class_accuracy']}")
    print(f"train {metrics['train_examples_per_second']:.1f} ex/s; memory {metrics['memory']}")
    print(f"results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
