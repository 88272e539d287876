"""Memory of a long Diehl & Cook (2015) training run: does it stay flat in the example count?

Trains one network (default N = 400, the full protocol, C++ standalone) for one pass
over the Fashion-MNIST training images (default all 60,000) and prints, at 1k, 10k
and the last example, the Python process's resident memory after that chunk of
training and the simulation binary's peak memory during it, both read from the
network's ``history_`` (one record per chunk of 256 examples). Flat means the last
figures equal the 1k ones up to allocator noise: nothing grows with the examples seen
(no per-step monitors, spikes read back and dropped chunk by chunk). Labelling uses
1,000 examples and nothing is tested, so the run is the training epoch.

Run ``python benchmarks/bench_memory.py`` (one to two hours on one core at N = 400);
``--examples 12000`` or ``--n-excitatory 100`` for shorter runs; ``--digits`` streams
the 8x8 digits (1,797 images, repeated) instead. ``--out FILE.json`` keeps the records.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

CHECKPOINTS = (1_000, 10_000)


def _stream(examples: int, digits: bool):
    from compare.data.tasks import load_digits, load_fashion_mnist

    task = load_digits() if digits else load_fashion_mnist()
    order = np.random.default_rng(0).permutation(task.n_train)
    repeats = -(-examples // task.n_train)
    order = np.concatenate([order] * repeats)[:examples]
    return task.name, task.X_train[order], task.y_train[order]


def _row(history: dict, examples: int) -> dict:
    """The first chunk record at or after ``examples`` examples."""
    k = int(np.searchsorted(history["examples"], examples))
    k = min(k, len(history["examples"]) - 1)
    return {
        "examples": int(history["examples"][k]),
        "process_rss_mb": float(history["process_rss_mb"][k]),
        "binary_peak_rss_mb": float(history["binary_peak_rss_mb"][k]),
        "seconds": float(history["seconds"][k]),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-excitatory", type=int, default=400)
    parser.add_argument("--examples", type=int, default=60_000)
    parser.add_argument("--digits", action="store_true", help="8x8 digits instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the per-chunk records here (JSON)")
    args = parser.parse_args(argv)
    if args.examples < 1:
        parser.error(f"--examples must be at least 1, got {args.examples}")

    from compare.measure.metrics import maxrss_mb
    from spiking.networks.diehl_cook import DiehlCook2015

    name, X, y = _stream(args.examples, args.digits)
    model = DiehlCook2015(
        n_excitatory=args.n_excitatory, n_label=1000, random_state=args.seed, verbose=True
    )
    start = time.perf_counter()
    model.fit(X, y)
    wall = time.perf_counter() - start
    history = model.history_
    marks = [m for m in CHECKPOINTS if m < args.examples] + [args.examples]
    rows = [_row(history, m) for m in marks]
    print(f"\n{name}, N = {args.n_excitatory}, {args.examples} training examples, fit {wall:.0f} s")
    print("| examples | process RSS (MB) | binary peak (MB) | training s |")
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['examples']} | {r['process_rss_mb']:.0f} | {r['binary_peak_rss_mb']:.0f} "
            f"| {r['seconds']:.0f} |"
        )
    rss = history["process_rss_mb"]
    print(
        f"process RSS over all {len(rss)} chunks: min {np.nanmin(rss):.0f}, max "
        f"{np.nanmax(rss):.0f} MB; this process's peak (ru_maxrss) {maxrss_mb():.0f} MB"
    )
    if args.out:
        records = {
            k: np.asarray(history[k]).tolist()
            for k in ("examples", "process_rss_mb", "binary_peak_rss_mb", "seconds")
        }
        with open(args.out, "w") as fh:
            json.dump({"args": vars(args), "fit_seconds": wall, "history": records}, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
