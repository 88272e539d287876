"""Diehl & Cook (2015) at the paper's scale: accuracy against network size, and while it learns.

The paper (Front. Comput. Neurosci. 9:99, Table 1) reports MNIST test accuracies of
82.9, 87.0, 91.9 and 95.0 % for 100, 400, 1600 and 6400 excitatory neurons after 1,
3, 7 and 15 epochs over the 60,000 training images: more neurons learn more
prototypes, and they need more presentations to do it. This study (study 1) trains the
network (:class:`spiking.networks.diehl_cook.DiehlCook2015`, the authors' dynamics) with
the paper's protocol at each size: every training image per epoch, neurons labelled
from all of them with plasticity off, the whole test set. Each (size, seed) is one run
of ``experiments/diehl_cook_2015.py``: checkpointed every 10,000 examples, resumed when
this command is run again, with a learning-curve point at each checkpoint.

The epochs per size default to what this 2-core machine affords (``EPOCHS``: the
paper's for N = 100 and 400, one of the paper's seven for N = 1600); ``--paper-epochs``
asks for all of the paper's. N = 6400 is not trained: ``--project 6400`` measures it
on 1,024 training images (a stratified subset; 256 labelling and test images), scales that
rate by the slowdown over an epoch measured at the largest finished size (more images
need a repeat as theta grows), and writes the projected hours per epoch and for the
paper's 15 epochs to ``study/cost_N6400.md`` / ``.json``; each later ``--report``
projects it again from the runs finished by then.

Outputs (``results/diehl_cook_sizes/``, ``results/diehl_cook_sizes-<task>/`` for another
task than Fashion-MNIST, or ``--out``): one directory per run
(``<task>-N<N>-seed<seed>/``, see diehl_cook_2015.py) and ``study/``: ``sizes.csv``
(per N: epochs, examples seen, seeds, test accuracy mean and 95 % t-interval, wall
time per run, the paper's epochs and MNIST accuracy), ``curves.csv`` (every curve
point of every run), ``sizes.md`` and ``figures/learning_curves.png`` / ``.svg`` and
``figures/accuracy_vs_size.png`` / ``.svg``.

Run ``python experiments/diehl_cook_sizes.py`` (measured on one core of a 2-core
machine: N = 100 about 27 minutes per seed, N = 400 1.35 hours per seed for 3 epochs,
N = 1600 1.8 hours per epoch, labelling and testing included); ``--report`` only
gathers the runs that finished; ``--quick`` is a smoke-size run on the digits (a
minute).
"""

from __future__ import annotations

import argparse
import json
import runpy
from pathlib import Path

import numpy as np

TASK = "fashion-mnist"
SIZES = (100, 400, 1600)
SEEDS = {100: (0, 1, 2), 400: (0,), 1600: (0,)}  # more seeds where a run is short
EPOCHS = {100: 1, 400: 3, 1600: 1}
QUICK = {"task": "digits", "sizes": (20, 40), "seeds": (0,), "epochs": 1}
QUICK_RUN = ["--n-train", "300", "--n-test", "100", "--checkpoint-every", "100"]
QUICK_RUN += ["--curve-test", "60", "--record-every", "100"]
# The cost run of --project N: training examples (the history records every "record"),
# labelling and test examples; smaller with --quick.
COST_RUN = {"examples": 1024, "evaluate": 256, "record": 256}
QUICK_COST_RUN = {"examples": 200, "evaluate": 50, "record": 100}
ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default=TASK, help="fashion-mnist, mnist or mnist-5k")
    parser.add_argument("--data-dir", type=Path, default=None, help="directory of IDX files")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="default: SIZES")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="default: SEEDS")
    parser.add_argument("--epochs", type=int, default=None, help="default: EPOCHS per size")
    parser.add_argument("--paper-epochs", action="store_true", help="1, 3, 7, 15 epochs")
    parser.add_argument("--report", action="store_true", help="only gather finished runs")
    parser.add_argument(
        "--project", type=int, default=None, metavar="N", help="measure N; project an epoch"
    )
    parser.add_argument("--quick", action="store_true", help="smoke-size run (a minute)")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.project is not None and args.project < 1:
        parser.error(f"--project must be a positive number of neurons, got {args.project}")
    if args.quick:
        args.task, args.epochs = QUICK["task"], args.epochs or QUICK["epochs"]
        args.sizes, args.seeds = args.sizes or QUICK["sizes"], args.seeds or QUICK["seeds"]
    args.sizes = args.sizes or SIZES
    name = "diehl_cook_sizes" + ("" if args.task == TASK else f"-{args.task}")
    name += "-quick" if args.quick else ""
    args.out = args.out or ROOT / "results" / name
    return args


def plan(args) -> list[tuple[int, int, int]]:
    """(N, seed, epochs) of every run."""
    from spiking.networks.diehl_cook import PAPER_VARIANTS

    runs = []
    for n in args.sizes:
        if args.paper_epochs and n in PAPER_VARIANTS:
            epochs = PAPER_VARIANTS[n][0]
        else:
            epochs = args.epochs or EPOCHS.get(n, 1)
        for seed in args.seeds or SEEDS.get(n, (0,)):
            runs.append((n, seed, epochs))
    return runs


def run_directory(args, n: int, seed: int) -> Path:
    return args.out / f"{args.task}-N{n}-seed{seed}"


def _single_run():
    """The namespace of ``experiments/diehl_cook_2015.py`` (its ``main`` runs one size)."""
    return runpy.run_path(str(ROOT / "experiments" / "diehl_cook_2015.py"), run_name="study")


def _cost_history(path: Path) -> dict:
    """The cumulative examples, seconds and presentations of a run's history.npz, without
    reading its weight snapshots (tens of MB at N = 1600 and up)."""
    with np.load(path) as history:
        return {key: history[key] for key in ("examples", "seconds", "presentations")}


def _run_command(args, n: int, seed: int, epochs: int, out: Path) -> list[str]:
    """The diehl_cook_2015.py arguments of one run: task, size, seed, epochs, output."""
    command = ["--task", args.task, "--n-excitatory", str(n), "--seed", str(seed)]
    command += ["--epochs", str(epochs), "--out", str(out)]
    if args.data_dir is not None:
        command += ["--data-dir", str(args.data_dir)]
    if args.no_progress:
        command.append("--no-progress")
    return command


def run_all(args, runs) -> None:
    """Run (or resume, or re-evaluate) each run in turn with diehl_cook_2015.py."""
    single = _single_run()
    for n, seed, epochs in runs:
        command = _run_command(args, n, seed, epochs, run_directory(args, n, seed))
        if args.quick:
            command += QUICK_RUN
        metrics = run_directory(args, n, seed) / "metrics.json"
        if metrics.exists() and json.loads(metrics.read_text())["epochs"] == epochs:
            continue  # finished: --report-style reuse, no second evaluation
        single["main"](command)


def gather(args, runs) -> tuple[list[dict], dict]:
    """The finished runs' metrics, and what is missing of the planned runs.

    Besides the planned runs, every other finished run of these sizes in the output
    directory counts (other seeds, run by an earlier command): ``--report`` gathers
    all that finished. A planned run with fewer epochs than planned is missing."""
    finished, missing = [], {}
    planned = {(n, seed) for n, seed, _ in runs}
    for n, seed, epochs in runs:
        path = run_directory(args, n, seed) / "metrics.json"
        metrics = json.loads(path.read_text()) if path.exists() else None
        if metrics is None or metrics["epochs"] != epochs:
            done = _checkpointed(run_directory(args, n, seed))
            missing[n, seed] = (
                f"{done:,} examples trained so far, of {epochs} epoch(s)" if done else "not run"
            )
            continue
        finished.append(metrics)
    for n in sorted({n for n, _, _ in runs}):
        epochs = {e for m, _, e in runs if m == n}
        for path in sorted(args.out.glob(f"{args.task}-N{n}-seed*/metrics.json")):
            metrics = json.loads(path.read_text())
            if (n, metrics["seed"]) not in planned and metrics["epochs"] in epochs:
                finished.append(metrics)
    return finished, missing


def _checkpointed(directory: Path) -> int:
    curve = directory / "curve.csv"
    if not curve.exists():
        return 0
    lines = curve.read_text().splitlines()
    return int(lines[-1].split(",")[0]) if len(lines) > 1 else 0


def table(finished: list[dict]) -> list[dict]:
    """One row per N: accuracy over seeds with its 95 % t-interval, and what it cost."""
    from compare.measure.stats import confidence_interval
    from spiking.networks.diehl_cook import PAPER_VARIANTS

    rows = []
    for n in sorted({m["n_excitatory"] for m in finished}):
        runs = [m for m in finished if m["n_excitatory"] == n]
        accuracy = confidence_interval([m["accuracy"] for m in runs], method="t")
        seconds = [sum(m["seconds"][k] for k in ("train", "label", "test")) for m in runs]
        paper_epochs, paper = PAPER_VARIANTS.get(n, (None, float("nan")))
        rows.append(
            {
                "n_excitatory": n,
                "epochs": runs[0]["epochs"],
                "examples_seen": runs[0]["examples_seen"],
                "seeds": len(runs),
                "accuracy": accuracy.mean,
                "ci95_low": accuracy.low,
                "ci95_high": accuracy.high,
                "train_seconds": float(np.mean([m["seconds"]["train"] for m in runs])),
                "wall_seconds_per_run": float(np.mean(seconds)),
                "train_examples_per_second": float(
                    np.mean([m["train_examples_per_second"] for m in runs])
                ),
                "test_examples": runs[0]["test_examples"],
                "label_examples": runs[0]["label_examples"],
                "paper_epochs": paper_epochs,
                "paper_mnist_accuracy": paper,
            }
        )
    return rows


def measure_cost(args, n: int, single) -> dict:
    """Run N = ``n`` on a stratified subset of the task (``COST_RUN``: 1,024 training
    images, 256 labelling and 256 test images), the paper's dynamics and protocol
    otherwise, and return its metrics and history: the measured cost of that size.

    The run's accuracy means nothing (a thousand images) and is not reported. A cost run
    already in the output directory is reused."""
    cost = QUICK_COST_RUN if args.quick else COST_RUN
    out = args.out / f"{args.task}-N{n}-cost"
    command = _run_command(args, n, 0, 1, out)
    command += ["--n-train", str(cost["examples"]), "--n-label", str(cost["evaluate"])]
    command += ["--n-test", str(cost["evaluate"]), "--curve-test", "0"]
    command += ["--record-every", str(cost["record"])]
    command += ["--checkpoint-every", str(cost["examples"])]
    if not (out / "metrics.json").exists():
        single["main"](command)
    metrics = json.loads((out / "metrics.json").read_text())
    metrics["history"] = _cost_history(out / "history.npz")
    return metrics


def _early_and_epoch(history: dict, early: int, n_train: int) -> tuple[float, float, float, float]:
    """Seconds and presentations per training example over the first ``early`` examples
    and over the whole first epoch, from a run's history (cumulative totals recorded
    every few hundred examples, interpolated between records)."""
    examples = np.asarray(history["examples"], dtype=float)
    if len(examples) == 0 or examples[-1] < n_train:
        raise ValueError(f"the history does not reach {n_train} examples (one epoch)")
    seconds = np.interp([early, n_train], examples, history["seconds"], left=np.nan)
    presentations = np.interp([early, n_train], examples, history["presentations"], left=np.nan)
    if not np.isfinite(seconds).all():
        raise ValueError(f"the history starts after {early} examples")
    return (
        seconds[0] / early,
        presentations[0] / early,
        seconds[1] / n_train,
        presentations[1] / n_train,
    )


def project_measured(cost: dict, reference: dict, n_train: int, n_test: int) -> dict:
    """The cost of N = cost's size on the whole task, from its measured cost run.

    Training slows as the network learns: more images need a repeat (fewer than five
    spikes) once theta has grown. The cost run sees only the first images, so its
    seconds per example are scaled by the ratio (first epoch / first images) measured
    in the largest finished run (``reference``, its own history). Labelling and test
    run with plasticity off and are taken as measured. N = ``cost``'s size is trained for
    the paper's epochs at that size (15 at N = 6400), else one."""
    from spiking.networks.diehl_cook import PAPER_VARIANTS

    early = int(cost["examples_seen"])
    cost_s, cost_p, _, _ = _early_and_epoch(cost["history"], early, early)
    ref_early_s, ref_early_p, ref_epoch_s, ref_epoch_p = _early_and_epoch(
        reference["history"], early, reference["task"]["n_train"]
    )
    slowdown = ref_epoch_s / ref_early_s
    train = cost_s * slowdown
    label = 1 / cost["label_examples_per_second"]
    test = 1 / cost["test_examples_per_second"]
    epoch_hours = train * n_train / 3600
    evaluation_hours = (label * n_train + test * n_test) / 3600
    epochs = PAPER_VARIANTS.get(cost["n_excitatory"], (1,))[0]
    return {
        "n_excitatory": cost["n_excitatory"],
        "measured_examples": early,
        "measured_train_seconds_per_example": cost_s,
        "measured_presentations_per_example": cost_p,
        "measured_label_seconds_per_example": label,
        "measured_test_seconds_per_example": test,
        "reference_n_excitatory": reference["n_excitatory"],
        "reference_early_seconds_per_example": ref_early_s,
        "reference_epoch_seconds_per_example": ref_epoch_s,
        "reference_early_presentations_per_example": ref_early_p,
        "reference_epoch_presentations_per_example": ref_epoch_p,
        "slowdown": slowdown,
        "projected_train_seconds_per_example": train,
        "epoch_hours": epoch_hours,
        "evaluation_hours": evaluation_hours,
        "paper_epochs": epochs,
        "paper_epochs_hours": epochs * epoch_hours + evaluation_hours,
    }


def cost_sizes(args) -> list[int]:
    """The sizes with a finished cost run in the output directory (``--project`` made them)."""
    sizes = set()
    for path in args.out.glob(f"{args.task}-N*-cost/metrics.json"):
        sizes.add(int(path.parent.name[len(args.task) + 2 : -len("-cost")]))
    return sorted(sizes)


def projection(args, n: int, finished: list[dict]) -> tuple[dict, str]:
    """The projected cost of N = ``n``: its cost run (run now if missing) and the slowdown
    over an epoch of the largest finished size whose run directory holds its history.

    Every ``--report`` projects again each cost run in the output directory, with the
    runs finished by then; only ``--project`` starts a cost run."""
    cost = measure_cost(args, n, _single_run())
    with_history = [
        m
        for m in finished
        if (run_directory(args, m["n_excitatory"], m["seed"]) / "history.npz").exists()
    ]
    if not with_history:
        raise SystemExit(f"--project: no finished run under {args.out} keeps its history.npz")
    reference = max(with_history, key=lambda m: (m["n_excitatory"], -m["seed"]))
    history = run_directory(args, reference["n_excitatory"], reference["seed"]) / "history.npz"
    reference = dict(reference, history=_cost_history(history))
    n_train, n_test = finished[0]["task"]["n_train"], finished[0]["task"]["n_test"]
    result = project_measured(cost, reference, n_train, n_test)
    r = result
    lines = [
        f"# The cost of N = {r['n_excitatory']:,} on this machine (one core)\n",
        f"Measured: a run of N = {r['n_excitatory']:,} on {r['measured_examples']:,} "
        f"training images took {1000 * r['measured_train_seconds_per_example']:.0f} ms per "
        f"image ({r['measured_presentations_per_example']:.2f} presentations per image, "
        "the network fresh); "
        f"labelling {1000 * r['measured_label_seconds_per_example']:.0f} ms and testing "
        f"{1000 * r['measured_test_seconds_per_example']:.0f} ms per image.\n",
        f"Slowdown over an epoch, measured at N = {r['reference_n_excitatory']:,}: "
        f"{1000 * r['reference_early_seconds_per_example']:.0f} ms per image over the first "
        f"{r['measured_examples']:,}, {1000 * r['reference_epoch_seconds_per_example']:.0f} ms "
        f"over its first epoch (x {r['slowdown']:.2f}; presentations per image "
        f"{r['reference_early_presentations_per_example']:.2f} -> "
        f"{r['reference_epoch_presentations_per_example']:.2f}).\n",
        f"Projected: {1000 * r['projected_train_seconds_per_example']:.0f} ms per training "
        f"image, {r['epoch_hours']:.1f} h per epoch of {n_train:,} images, "
        f"{r['evaluation_hours']:.1f} h to label on {n_train:,} and test on {n_test:,}; the "
        f"paper's {_epochs(r['paper_epochs'])}: {r['paper_epochs_hours']:.0f} h "
        f"({r['paper_epochs_hours'] / 24:.1f} days). Without the slowdown (the first "
        f"images' rate throughout): {r['epoch_hours'] / r['slowdown']:.1f} h per epoch.\n",
    ]
    return result, "\n".join(lines)


def write_study(args, finished, missing, rows, projected=()) -> Path:
    import matplotlib.pyplot as plt

    from compare.files import staged_directory, write_csv
    from compare.report import figures
    from compare.tables import format_table, percent_interval
    from spiking.networks.diehl_cook import PAPER_VARIANTS

    curves = [
        {"n_excitatory": m["n_excitatory"], "seed": m["seed"], **point}
        for m in finished
        for point in m["curve"]
    ]
    with staged_directory(args.out / "study") as staging:
        fig_dir = staging / "figures"
        fig_dir.mkdir()
        write_csv(staging / "sizes.csv", rows, list(rows[0]))
        if curves:
            write_csv(staging / "curves.csv", curves, list(curves[0]))
        labels = {r["n_excitatory"]: f"N = {r['n_excitatory']}" for r in rows}
        ax = figures.plot_accuracy_vs_examples(
            {labels[n]: [m["curve"] for m in finished if m["n_excitatory"] == n] for n in labels},
            n_train=finished[0]["task"]["n_train"],
            final={labels[r["n_excitatory"]]: r["accuracy"] for r in rows},
            published={labels[n]: PAPER_VARIANTS[n][1] for n in labels if n in PAPER_VARIANTS},
            published_label="the paper, MNIST",
        )
        ax.set_title(f"{finished[0]['task']['name']}: " + ax.get_title(), fontsize=7)
        figures.save(ax.figure, fig_dir / "learning_curves")
        plt.close(ax.figure)
        ax = _accuracy_vs_size(finished, finished[0]["task"]["name"])
        figures.save(ax.figure, fig_dir / "accuracy_vs_size")
        plt.close(ax.figure)
        cells = [
            dict(
                r,
                epochs=f"{r['epochs']:g}",
                examples_seen=f"{r['examples_seen']:,}",
                accuracy=f"{100 * r['accuracy']:.1f} %",
                ci=percent_interval(r["ci95_low"], r["ci95_high"]),
                hours=f"{r['wall_seconds_per_run'] / 3600:.2f}",
                rate=f"{r['train_examples_per_second']:.0f}",
                paper=(
                    f"{100 * r['paper_mnist_accuracy']:.1f} % ({_epochs(r['paper_epochs'])})"
                    if r["paper_epochs"]
                    else "-"
                ),
            )
            for r in rows
        ]
        text = [
            "# Diehl & Cook (2015): accuracy against network size, the paper's protocol\n",
            f"Task: {finished[0]['task']['name']} ({finished[0]['task']['n_train']:,} training "
            f"images per epoch, labels from {rows[0]['label_examples']:,} of them, "
            f"{rows[0]['test_examples']:,} test images).\n",
            format_table(
                cells,
                [
                    ("n_excitatory", "N"),
                    ("epochs", "epochs"),
                    ("examples_seen", "examples seen"),
                    ("seeds", "seeds"),
                    ("accuracy", "test accuracy"),
                    ("ci", "95 % CI"),
                    ("hours", "wall h per run"),
                    ("rate", "train ex/s"),
                    ("paper", "paper (MNIST)"),
                ],
            ),
            "",
        ]
        if missing:
            text += ["Not finished:", ""]
            text += [f"- N = {n}, seed {seed}: {why}" for (n, seed), why in missing.items()]
            text.append("")
        (staging / "sizes.md").write_text("\n".join(text))
        for result, text in projected:
            name = f"cost_N{result['n_excitatory']}"
            (staging / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
            (staging / f"{name}.md").write_text(text)
    return args.out / "study"


def _epochs(n) -> str:
    return f"{n:g} epoch" + ("" if n == 1 else "s")


def _accuracy_vs_size(finished, task_name):
    """Accuracy against N (mean over seeds, 95 % t-band), the paper's MNIST line beside it."""
    from compare.report import figures
    from spiking.networks.diehl_cook import PAPER_VARIANTS

    rows = [
        {
            "model": f"this network, {task_name}",
            "arm": "spiking",
            "metric": "accuracy",
            "value": m["accuracy"],
            "seed": m["seed"],
            "n_excitatory": m["n_excitatory"],
        }
        for m in finished
    ]
    ax = figures.plot_accuracy_vs_size(rows, size="n_excitatory")
    paper = sorted(PAPER_VARIANTS.items())
    ax.plot(
        [k for k, _ in paper],
        [100 * acc for _, (_, acc) in paper],
        ls="--",
        marker="o",
        mfc="none",
        color="#555555",
        label="Diehl & Cook 2015, MNIST (1-15 epochs)",
    )
    ax.set_autoscaley_on(True)  # the paper's line too, within 0-100 %
    ax.relim()
    ax.autoscale_view(scalex=False)
    ax.set_ylim(max(ax.get_ylim()[0], 0.0), min(ax.get_ylim()[1], 101.0))
    ax.set_xticks([k for k, _ in paper], [f"{k:,}" for k, _ in paper])
    ax.set_xlabel("excitatory neurons N")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return ax


def main(argv=None) -> int:
    args = parse_args(argv)
    runs = plan(args)
    if not args.report:
        args.out.mkdir(parents=True, exist_ok=True)
        run_all(args, runs)
    finished, missing = gather(args, runs)
    if not finished:
        raise SystemExit(f"no finished run under {args.out}; run without --report first")
    rows = table(finished)
    sizes = sorted(set(cost_sizes(args)) | ({args.project} if args.project else set()))
    projected = [projection(args, n, finished) for n in sizes]
    study = write_study(args, finished, missing, rows, projected)
    for _, text in projected:
        print(text)
    for r in rows:
        print(
            f"N = {r['n_excitatory']}: {100 * r['accuracy']:.1f} % over {r['seeds']} seed(s), "
            f"{_epochs(r['epochs'])}, {r['wall_seconds_per_run'] / 3600:.2f} h per run"
        )
    for (n, seed), why in missing.items():
        print(f"not finished: N = {n}, seed {seed}: {why}")
    print(f"study: {study / 'sizes.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
