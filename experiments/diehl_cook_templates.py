"""Why the Diehl & Cook network plateaus on Fashion-MNIST: its competition vs template readouts.

The question: is the accuracy of a trained D&C network limited by the receptive fields
it learned or by how its neurons compete? The network picks winners by their input
drive, sum_i w_ij x_i, with every neuron's weights normalised to the same sum (78).
For a given image that favours templates whose weight sits on the image's brightest
region, whatever the shape around it, which suits MNIST's thin strokes better than
Fashion-MNIST's filled garments of very different areas. Scaling the input (brighter
or dimmer images) does not change which neuron has the largest drive.

This script reads a trained network (``model.npz`` from
``experiments/diehl_cook_2015.py``) and classifies the test set by its learned weights
used as templates, each template keeping the class the network assigned it:

- ``drive``: the template with the largest drive sum_i w_ij x_i (the network's
  competition without theta and without its spike dynamics);
- ``cosine``: the largest normalised correlation, which is also the nearest template
  when each template may be scaled to fit the image (the weights have no pixel scale).

As a reference it runs k-means with the same number of centroids on the same training
images (labels: each centroid's majority class) and reads its centroids out the same
two ways (``drive`` uses centroids normalised to a common sum, as the network's
weights are) and by k-means' own rule, the nearest centroid (``euclidean``). The
network's own test accuracy is taken from the ``metrics.json`` beside the model when
it is there.

Run ``python experiments/diehl_cook_templates.py --model results/diehl_cook_2015/
fashion-mnist-N400-seed0/model.npz`` (about 2 min at N = 400, most of it k-means);
``--quick`` uses 5,000 training and 2,000 test images. Results go to
``results/diehl_cook_templates/<model directory name>/``: ``readouts.csv`` and
``readouts.md``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

TASK = "fashion-mnist"
SEED = 0
KMEANS_ITERATIONS = 50
QUICK = {"n_train": 5_000, "n_test": 2_000}
READOUTS = ("drive", "cosine", "euclidean")
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="model.npz of a trained network")
    parser.add_argument("--task", default=TASK, help="the task the model was trained on")
    parser.add_argument("--data-dir", type=Path, default=None, help="directory of IDX files")
    parser.add_argument("--n-train", type=int, default=None, help="k-means images; default all")
    parser.add_argument("--n-test", type=int, default=None, help="default: the whole test set")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--quick", action="store_true", help="smoke-size run")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    return args


def template_predictions(templates: np.ndarray, X: np.ndarray, readout: str) -> np.ndarray:
    """Index of the winning template (rows of ``templates``) for each row of ``X``.

    >>> t = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> template_predictions(t, np.array([[0.9, 0.1]]), "drive").tolist()
    [0]
    """
    templates = np.asarray(templates, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if readout == "drive":
        return np.argmax(X @ templates.T, axis=1)
    if readout == "cosine":
        norms = np.linalg.norm(templates, axis=1)
        return np.argmax((X @ templates.T) / np.maximum(norms, 1e-12), axis=1)
    if readout == "euclidean":
        distances = (templates**2).sum(axis=1)[None, :] - 2 * X @ templates.T
        return np.argmin(distances, axis=1)
    raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")


def kmeans_templates(X, y, k: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """k-means centroids of X, each centroid's majority class (-1 if empty), seconds."""
    from sklearn.cluster import KMeans

    started = time.perf_counter()
    km = KMeans(k, n_init=1, max_iter=KMEANS_ITERATIONS, random_state=seed).fit(X)
    labels = np.full(k, -1)
    for c in range(k):
        members = y[km.labels_ == c]
        if len(members):
            labels[c] = np.bincount(members).argmax()
    return km.cluster_centers_, labels, time.perf_counter() - started


def main(argv=None) -> int:
    args = parse_args(argv)
    from compare.data.tasks import load_task
    from compare.files import atomic_write_text, environment, write_csv, write_json
    from compare.tables import format_table
    from spiking.networks.diehl_cook import DiehlCook2015

    model = DiehlCook2015.load(args.model)
    kwargs = {"data_dir": args.data_dir} if args.data_dir is not None else {}
    task = load_task(args.task, **kwargs).subset(args.n_train, args.n_test, random_state=args.seed)
    if task.n_features != model.weights_.shape[0]:
        raise SystemExit(
            f"{args.model} has {model.weights_.shape[0]} inputs; {task.name} has "
            f"{task.n_features} features: use the task the model was trained on"
        )
    out = args.out or ROOT / "results" / "diehl_cook_templates" / args.model.parent.name
    out.mkdir(parents=True, exist_ok=True)
    X_train, X_test = task.X_train.astype(np.float64), task.X_test.astype(np.float64)
    y_train = np.searchsorted(model.classes_, task.y_train)
    y_test = np.searchsorted(model.classes_, task.y_test)
    n = model.n_excitatory

    rows = []
    metrics_path = args.model.parent / "metrics.json"
    if metrics_path.exists():
        network = json.loads(metrics_path.read_text())
        rows.append(
            {
                "templates": f"D&C network, N = {n}",
                "readout": "network (spike counts, class vote)",
                "accuracy": round(float(network["accuracy"]), 4),
                "test_examples": network["task"]["n_test"],
            }
        )
    network_templates = model.weights_.T
    centroids, centroid_labels, seconds = kmeans_templates(X_train, y_train, n, args.seed)
    print(f"k-means with {n} centroids on {len(X_train)} images: {seconds:.0f} s")
    drive_centroids = centroids / np.maximum(centroids.sum(axis=1, keepdims=True), 1e-12)
    sources = {
        f"D&C weights, N = {n}": (network_templates, network_templates, model.assignments_),
        f"k-means, k = {n}": (drive_centroids, centroids, centroid_labels),
    }
    for name, (for_drive, templates, labels) in sources.items():
        # The weights have no pixel scale, so the nearest-centroid rule is k-means' only.
        for readout in READOUTS if name.startswith("k-means") else READOUTS[:2]:
            chosen = template_predictions(
                for_drive if readout == "drive" else templates, X_test, readout
            )
            rows.append(
                {
                    "templates": name,
                    "readout": readout,
                    "accuracy": round(float(np.mean(labels[chosen] == y_test)), 4),
                    "test_examples": len(X_test),
                }
            )
    fields = ["templates", "readout", "accuracy", "test_examples"]
    write_csv(out / "readouts.csv", rows, fields)
    table = format_table(rows, [(k, k.replace("_", " ")) for k in fields])
    atomic_write_text(out / "readouts.md", table + "\n")
    write_json(
        out / "run.json",
        {
            "model": str(args.model),
            "task": task.describe(),
            "kmeans_seconds": seconds,
            "environment": environment(),
        },
    )
    print(table)
    print(f"results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
