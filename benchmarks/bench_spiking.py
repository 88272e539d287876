"""Training and inference speed of the Diehl & Cook (2015) network, standalone vs runtime.

Prints, for each network size, examples/s for training (STDP on, the full protocol:
350 ms + 150 ms, repeats, normalisation) and for inference (plasticity off), synaptic
events/s, the compile time (separately), and the peak memory of the simulation
process; then the same for Brian2's runtime mode on a short subset, measured in the
same run, and the ratio. Data: Fashion-MNIST training images (784 inputs), read from
Debian's dataset-fashion-mnist package or $SPIKEARENA_DATA; with ``--digits`` the 8x8
digits instead (64 inputs).

Run ``python benchmarks/bench_spiking.py`` (defaults: N = 100 and 400, 512 standalone and
16 runtime examples); ``--sizes 100 --examples 256`` for a shorter run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from compare.tasks import load_digits, load_fashion_mnist
from spiking.networks.diehl_cook import DiehlCook2015


def _peak_child_rss_mb() -> float:
    """Peak resident memory of any finished child (the standalone binary), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(X, y, n_exc, backend, seed=0) -> dict:
    """Train on X (one epoch), then run inference on X; time each inside fit/predict."""
    model = DiehlCook2015(n_excitatory=n_exc, n_label=len(X), backend=backend, random_state=seed)
    start = time.perf_counter()
    model.fit(X, y)
    fit_s = time.perf_counter() - start
    stats = model.fit_stats_
    # fit = compile (standalone, first use) + training pass + labelling pass (inference)
    compile_s = stats["compile_seconds"]
    train_s, label_s = stats["train_seconds"], stats["label_seconds"]
    ops = model.operations(X[: min(len(X), 64)])
    return {
        "backend": backend,
        "n_exc": n_exc,
        "examples": len(X),
        "compile_s": compile_s,
        "train_ex_per_s": len(X) / train_s,
        "infer_ex_per_s": len(X) / label_s,
        "train_presentations_per_ex": stats["train_presentations"] / len(X),
        "syn_events_per_s": ops["effective_acs"] * len(X) / label_s,
        "fit_wall_s": fit_s,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--examples", type=int, default=512, help="standalone examples")
    parser.add_argument("--runtime-examples", type=int, default=16, help="0 skips runtime")
    parser.add_argument("--digits", action="store_true", help="8x8 digits instead")
    args = parser.parse_args(argv)

    task = load_digits() if args.digits else load_fashion_mnist()
    rng = np.random.default_rng(0)
    order = rng.permutation(task.n_train)
    X, y = task.X_train[order], task.y_train[order]
    print(f"{task.name}: {X.shape[1]} inputs; 1 thread; full Diehl & Cook protocol", flush=True)
    print(
        "| N | backend | examples | train ex/s | inference ex/s | presentations/ex "
        "| synaptic events/s | compile (s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n_exc in args.sizes:
        rows = [measure(X[: args.examples], y[: args.examples], n_exc, "standalone")]
        if args.runtime_examples:
            n = args.runtime_examples
            rows.append(measure(X[:n], y[:n], n_exc, "runtime"))
        for r in rows:
            print(
                f"| {r['n_exc']} | {r['backend']} | {r['examples']} | "
                f"{r['train_ex_per_s']:.2f} | {r['infer_ex_per_s']:.2f} | "
                f"{r['train_presentations_per_ex']:.2f} | {r['syn_events_per_s']:.3g} | "
                f"{r['compile_s']:.1f} |",
                flush=True,
            )
        if len(rows) == 2:
            print(
                f"N = {n_exc}: standalone / runtime training speed = "
                f"{rows[0]['train_ex_per_s'] / rows[1]['train_ex_per_s']:.0f}x",
                flush=True,
            )
    print(f"peak RSS of the simulation processes: {_peak_child_rss_mb():.0f} MB")
    print(
        f"peak RSS of this Python process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
