"""Training and inference speed of the Diehl & Cook (2015) network, standalone vs runtime.

Prints, for each network size, examples/s for training (STDP on, the full protocol:
350 ms + 150 ms, repeats, normalisation) and for inference (plasticity off, the
labelling pass), synaptic events/s, the compile time, and the peak memory of the
simulation; then, on a short subset and in the same run, the same network in Brian2's
runtime mode and the usual runtime-mode Python loop (one network, two ``run()`` calls
per example, as in Brian2's own example: benchmarks/reference_loop.py), and the
ratios. Data: Fashion-MNIST training images (784 inputs), read from
Debian's dataset-fashion-mnist package or $SPIKEARENA_DATA; with ``--digits`` the 8x8
digits instead (64 inputs).

Every measurement runs in a fresh process after a warm-up process has compiled what
it needs (C++ for standalone, Cython for runtime), so the timed runs contain no
compilation. Peak memory is the binary's own high-water mark (standalone) or the
Python process's (runtime, which simulates in-process and also holds the data set).
The warm-up's wall time is reported as the compile time.

Run ``python benchmarks/bench_spiking.py`` (defaults: N = 100 and 400, 512 standalone
examples timed 3 times, 16 runtime examples); ``--sizes 100 --examples 256
--repeats 1`` for a shorter run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

WARMUP_EXAMPLES = 20  # enough for two classes, which labelling needs


def _data(digits: bool):
    from compare.data.tasks import load_digits, load_fashion_mnist

    task = load_digits() if digits else load_fashion_mnist()
    order = np.random.default_rng(0).permutation(task.n_train)
    return task.name, task.X_train[order], task.y_train[order]


def measure(n_exc: int, backend: str, examples: int, digits: bool) -> dict:
    """Train on `examples` images (one epoch), label on the same; time each pass."""
    from compare.measure.metrics import maxrss_mb
    from spiking.networks.diehl_cook import DiehlCook2015

    _, X, y = _data(digits)
    X, y = X[:examples], y[:examples]
    if backend == "runtime-loop":
        from reference_loop import train_reference_loop

        r = train_reference_loop(X, n_exc)
        return {
            "train_ex_per_s": r["train_ex_per_s"],
            "train_presentations_per_ex": r["presentations"] / len(X),
            "compile_s_in_run": 0.0,
            "self_peak_rss_mb": maxrss_mb(),
        }
    model = DiehlCook2015(n_excitatory=n_exc, n_label=len(X), backend=backend, random_state=0)
    model.fit(X, y)
    stats = model.fit_stats_
    ops = model.operations(X[: min(len(X), 64)])
    return {
        "train_ex_per_s": len(X) / stats["train_seconds"],
        "infer_ex_per_s": len(X) / stats["label_seconds"],
        "train_presentations_per_ex": stats["train_presentations"] / len(X),
        "syn_events_per_s": ops["effective_acs"] * len(X) / stats["label_seconds"],
        "compile_s_in_run": stats["compile_seconds"],
        "binary_peak_rss_mb": stats["peak_rss_mb"],
        "self_peak_rss_mb": maxrss_mb(),
    }


def _median_run(runs: list[dict]) -> dict:
    """The run of median training speed, with the range of all of them."""
    ordered = sorted(runs, key=lambda r: r["train_ex_per_s"])
    speeds = [r["train_ex_per_s"] for r in ordered]
    return {**ordered[len(ordered) // 2], "train_range": (speeds[0], speeds[-1])}


def _in_subprocess(n_exc, backend, examples, digits) -> tuple[dict, float]:
    cmd = [sys.executable, __file__, "--measure", str(n_exc), backend, str(examples)]
    cmd += ["--digits"] if digits else []
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"measuring N = {n_exc} ({backend}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--examples", type=int, default=512, help="standalone examples")
    parser.add_argument("--runtime-examples", type=int, default=16, help="0 skips runtime")
    parser.add_argument(
        "--loop-examples", type=int, default=4, help="runtime-loop examples; 0 skips it"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed standalone runs per size, each in a fresh process: the median is "
        "printed, with the range (this machine's speed varies by 10-30 %% run to run)",
    )
    parser.add_argument("--digits", action="store_true", help="8x8 digits instead")
    parser.add_argument(
        "--measure", nargs=3, metavar=("N", "BACKEND", "EXAMPLES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        n_exc, backend, examples = args.measure
        print(json.dumps(measure(int(n_exc), backend, int(examples), args.digits)))
        return 0

    name, X, _ = _data(args.digits)
    print(f"{name}: {X.shape[1]} inputs; 1 thread; full Diehl & Cook protocol", flush=True)
    print(
        "| N | backend | examples | train ex/s | inference ex/s | presentations/ex "
        "| synaptic events/s | compile (s) | peak RSS of the simulation (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n_exc in args.sizes:
        runs = [("standalone", args.examples)]
        if args.runtime_examples:
            runs.append(("runtime", args.runtime_examples))
        if args.loop_examples:
            runs.append(("runtime-loop", args.loop_examples))
        speed = {}
        for backend, examples in runs:
            warm_up = 1 if backend == "runtime-loop" else WARMUP_EXAMPLES  # no labelling
            _, compile_s = _in_subprocess(n_exc, backend, warm_up, args.digits)
            repeats = max(1, args.repeats) if backend == "standalone" else 1
            r = _median_run(
                [_in_subprocess(n_exc, backend, examples, args.digits)[0] for _ in range(repeats)]
            )
            # Standalone: the binary is a child process; runtime simulates in-process.
            rss = r["binary_peak_rss_mb"] if backend == "standalone" else r["self_peak_rss_mb"]
            speed[backend] = r["train_ex_per_s"]
            train = f"{r['train_ex_per_s']:.2f}"
            if repeats > 1:
                low, high = r["train_range"]
                train += f" ({low:.0f}-{high:.0f}, {repeats} runs)"
            infer = f"{r['infer_ex_per_s']:.2f}" if "infer_ex_per_s" in r else "-"
            events = f"{r['syn_events_per_s']:.3g}" if "syn_events_per_s" in r else "-"
            print(
                f"| {n_exc} | {backend} | {examples} | {train} | "
                f"{infer} | {r['train_presentations_per_ex']:.2f} | "
                f"{events} | {compile_s:.0f} (warm-up) | {rss:.0f} |",
                flush=True,
            )
            if r["compile_s_in_run"] > 30:  # a cached build takes 2-11 s (code generation)
                print(
                    f"  note: the timed run spent {r['compile_s_in_run']:.0f} s building: "
                    "more than a cached build takes (was the cache reused?)",
                    flush=True,
                )
        for other in ("runtime", "runtime-loop"):
            if other in speed:
                print(
                    f"N = {n_exc}: standalone / {other} training speed = "
                    f"{speed['standalone'] / speed[other]:.0f}x (same run, same machine)",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
