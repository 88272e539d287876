"""Training speed of the artificial arm's families, measured side by side in one run.

For each family the table shows training throughput (epochs/s on the subset and
examples/s) of a whole ``fit`` of ``--epochs`` epochs on the same ``--n-train`` images,
the loop's per-epoch evaluation pass included (what a user waits for), the seconds one
epoch of the 60,000 Fashion-MNIST training images would take at that rate, and
inference examples/s (``predict`` on the same images). The families, all 784 inputs
and 10 classes:

- ``logistic``: :class:`artificial.LogisticRegression` (Adam, batch 64);
- ``mlp-twin-400``: the MLP twin of the N = 400 Diehl & Cook network, 784-400-10
  (:meth:`artificial.MLPClassifier.twin_of`, Adam, batch 64);
- ``keras-784-512-10``: Chollet's Keras network (:meth:`artificial.MLPClassifier.keras_mnist`,
  Keras' RMSprop, batch 128);
- ``cnn``: the Fashion-MNIST CNN preset (:meth:`artificial.CNNClassifier.fashion_mnist`,
  batch 128) with its augmentation;
- ``gru-rows``: a GRU of 128 units reading each image row by row (28 steps of 28
  pixels, :class:`artificial.RNNClassifier`, batch 64);
- ``sg-snn``: the surrogate-gradient spiking MLP 784-400-10, T = 25 steps
  (:class:`artificial.SpikingMLPClassifier`, batch 128).

Every family first fits once, untimed, on the first 128 images (one-time costs:
allocator, kernel selection), then is timed once per repeat, in alternation, on one
thread; the table shows the median over ``--repeats`` (and the spread). Data: the
first ``--n-train`` Fashion-MNIST training images when the data set is installed,
otherwise uniform random pixels (the header says which). Figures only: nothing here
asserts a speed.

Run ``python benchmarks/bench_artificial.py`` (defaults: 2,048 images, 2 epochs,
3 repeats; a few minutes on one core).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator

from artificial import (
    CNNClassifier,
    LogisticRegression,
    MLPClassifier,
    RNNClassifier,
    SpikingMLPClassifier,
)

FASHION_MNIST_EPOCH = 60_000  # training images in one Fashion-MNIST epoch
WARMUP_EXAMPLES = 128  # images of the untimed first fit of every family

FAMILIES: dict[str, Callable[[int, int], BaseEstimator]] = {
    "logistic": lambda epochs, seed: LogisticRegression(epochs=epochs, random_state=seed),
    "mlp-twin-400": lambda epochs, seed: MLPClassifier.twin_of(
        400, epochs=epochs, random_state=seed
    ),
    "keras-784-512-10": lambda epochs, seed: MLPClassifier.keras_mnist(
        epochs=epochs, random_state=seed
    ),
    "cnn": lambda epochs, seed: CNNClassifier.fashion_mnist(epochs=epochs, random_state=seed),
    "gru-rows": lambda epochs, seed: RNNClassifier(
        (28, 28), "gru", 128, epochs=epochs, random_state=seed
    ),
    "sg-snn": lambda epochs, seed: SpikingMLPClassifier(
        (400,), n_steps=25, epochs=epochs, random_state=seed
    ),
}
"""Family name -> factory ``(epochs, seed) -> unfitted estimator``."""


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        from compare.data.tasks import load_fashion_mnist

        task = load_fashion_mnist()
        return task.X_train[:n], task.y_train[:n], "Fashion-MNIST training images"
    except FileNotFoundError:
        rng = np.random.default_rng(seed)
        X = rng.random((n, 784), dtype=np.float32)
        return X, np.arange(n) % 10, "uniform random pixels (Fashion-MNIST not installed)"


def measure(
    make: Callable[[int, int], BaseEstimator], X: np.ndarray, y: np.ndarray, epochs: int, seed: int
) -> tuple[float, float]:
    """Seconds of ``make(epochs, seed).fit(X, y)`` and of ``predict(X)`` on the fitted model."""
    model = make(epochs, seed)
    start = time.perf_counter()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model.predict(X)
    return fit_seconds, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=2048, help="training images")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES), metavar="NAME"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    X, y, source = _data(args.n_train, args.seed)
    n = len(X)
    for name in args.families:  # warm-up, untimed
        measure(FAMILIES[name], X[:WARMUP_EXAMPLES], y[:WARMUP_EXAMPLES], 1, args.seed)
    fits: dict[str, list[float]] = {name: [] for name in args.families}
    predictions: dict[str, list[float]] = {name: [] for name in args.families}
    for repeat in range(args.repeats):
        for name in args.families:
            fit_seconds, predict_seconds = measure(
                FAMILIES[name], X, y, args.epochs, args.seed + repeat
            )
            fits[name].append(fit_seconds)
            predictions[name].append(predict_seconds)

    print(
        f"{n} {source}, {args.epochs} epochs per fit, {args.threads} thread(s), "
        f"torch {torch.__version__}; median of {args.repeats} repeats (min-max of "
        f"train examples/s)"
    )
    header = (
        f"{'family':<18} {'epochs/s':>9} {'train ex/s':>11} {'min-max':>13} "
        f"{'s per 60k epoch':>16} {'predict ex/s':>13}"
    )
    print(header)
    for name in args.families:
        fit_seconds = statistics.median(fits[name])
        rates = [args.epochs * n / seconds for seconds in fits[name]]
        rate = args.epochs * n / fit_seconds
        predict_rate = n / statistics.median(predictions[name])
        spread = f"{min(rates):.0f}-{max(rates):.0f}"
        print(
            f"{name:<18} {args.epochs / fit_seconds:>9.3f} {rate:>11.0f} {spread:>13} "
            f"{FASHION_MNIST_EPOCH / rate:>16.0f} {predict_rate:>13.0f}"
        )


if __name__ == "__main__":
    main()
