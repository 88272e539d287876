"""The Diehl & Cook network's dynamics, one choice at a time (study 11).

The authors' Brian 1 code computed three things differently from this project's
earlier model: forward Euler instead of exponential Euler, spikes blocked (not the
membrane clamped) during the 5 ms refractory period, and spike counts that include the
rest before each input (:data:`spiking.networks.diehl_cook.DYNAMICS`). Forward Euler
runs away on Fashion-MNIST, so the default keeps the authors' conductance decay and
integrates the membrane stably ("default"). This study trains N = 400 with the
default, each deviation alone, and the earlier model ("legacy"), 3 seeds, and
measures the authors' exact dynamics ("authors"): whether and where each seed runs
away (stopped by the spike-count guard) on the same Fashion-MNIST images and on real
MNIST digits (mnist-5k, the authors' data set), and their accuracy where they do not,
beside the default's.

The spec is ``experiments/specs/dynamics_ablation.toml``. Outputs
(``results/dynamics_ablation/``): the spec run (results.csv, summary.csv, report.md,
jobs/) and ``study/``: ``dynamics_ablation.csv`` (accuracy per variant: mean, 95 %
t-interval over seeds, the paired difference from the default with its interval and
p-value, spikes and presentations per example, fit seconds), ``authors_euler.csv``
(per data set and seed: where the authors' dynamics ran away, or their accuracy beside
the default's; each run is kept in ``authors_euler.json`` as it finishes, so the study
resumes) and ``dynamics_ablation.md``.

Run ``python experiments/dynamics_ablation.py --jobs 2`` (about four job-hours at N =
400); ``--quick`` is a smoke-size run (N = 100, minutes).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from compare.data.tasks import load_task
from compare.files import staged_directory, write_csv, write_json
from compare.measure.stats import confidence_interval, format_p, interval_rows, paired_test
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.tables import format_table, percent_interval
from spiking.networks.diehl_cook import DiehlCook2015, RunawayError

SPEC = ROOT / "experiments" / "specs" / "dynamics_ablation.toml"
VARIANT = "models.dc400.params.dynamics"
BASE = "default"
MNIST_TASK = "mnist-5k"


def _mean(by: dict, name: str, metric: str) -> float:
    values = by.get((name, metric), {})
    return float(np.mean(list(values.values()))) if values else float("nan")


def ablation_table(rows: list[dict]) -> list[dict]:
    """Per variant: accuracy interval, paired difference from BASE, activity, time."""
    by = {}
    for r in rows:
        by.setdefault((r["dynamics"], r["metric"]), {})[r["seed"]] = float(r["value"])
    accuracy = interval_rows([r for r in rows if r["metric"] == "accuracy"], ["model", "dynamics"])
    table = []
    for r in accuracy:
        name, seeds = r["dynamics"], sorted(by[r["dynamics"], "accuracy"])
        base = by.get((BASE, "accuracy"), {})
        shared = [s for s in seeds if s in base]
        diff = [by[name, "accuracy"][s] - base[s] for s in shared]
        ci = confidence_interval(diff) if len(diff) > 1 else None
        test = paired_test([by[name, "accuracy"][s] for s in shared], [base[s] for s in shared])

        table.append(
            {
                "dynamics": name,
                "accuracy": r["mean"],
                "low": r["low"],
                "high": r["high"],
                "seeds": r["n"],
                "difference": float(np.mean(diff)) if diff else float("nan"),
                "difference_low": ci.low if ci else float("nan"),
                "difference_high": ci.high if ci else float("nan"),
                "difference_p": test.t_pvalue,
                "spikes_per_example": _mean(by, name, "activations"),
                "presentations_per_example": _mean(by, name, "presentations_per_example"),
                "fit_seconds": _mean(by, name, "fit_wall_time"),
            }
        )
    return table


def authors_runs(
    X_fashion, y_fashion, seeds, *, n_excitatory, mnist_sizes, cache: Path
) -> list[dict]:
    """The authors' exact dynamics: where they run away on the Fashion-MNIST training
    images of the spec, and their accuracy on MNIST digits beside the default's.

    Each finished run is kept in ``cache`` (JSON, written atomically after every run,
    keyed by what defines it), so an interrupted study resumes where it stopped.
    """
    done = json.loads(cache.read_text()) if cache.exists() else {}
    mnist = load_task(MNIST_TASK)
    n_train, n_test = mnist_sizes
    fashion_name = f"fashion-mnist ({len(X_fashion)} training images of the spec)"
    mnist_name = f"{MNIST_TASK} ({n_train} training, {n_test} test digits)"
    runs = [(fashion_name, "authors", seed) for seed in seeds]
    runs += [(mnist_name, dynamics, seed) for seed in seeds for dynamics in ("authors", BASE)]
    out = []
    for task, dynamics, seed in runs:
        key = f"N={n_excitatory}|{task}|{dynamics}|seed={seed}"
        if key not in done:
            started = time.perf_counter()
            model = DiehlCook2015(n_excitatory, dynamics=dynamics, random_state=seed)
            ran_away, accuracy = "", float("nan")
            try:
                if task == fashion_name:
                    model.fit(X_fashion, y_fashion)
                else:
                    model.fit(mnist.X_train[:n_train], mnist.y_train[:n_train])
                    accuracy = float(model.score(mnist.X_test[:n_test], mnist.y_test[:n_test]))
            except RunawayError as err:
                ran_away = err.example
            done[key] = {
                "task": task,
                "dynamics": dynamics,
                "seed": seed,
                "ran_away_at_example": ran_away,
                "accuracy": accuracy,
                "seconds": time.perf_counter() - started,
            }
            write_json(cache, done)
        out.append(done[key])
    return out


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    args = parser.parse_args(argv)
    result = run_study(SPEC, args, parser=parser)
    rows = [dict(r, dynamics=r[VARIANT]) for r in result.rows]
    table = ablation_table(rows)
    point = result.plan.points[0]
    task = point.task
    seeds = sorted(result.plan.spec.seeds)
    n_excitatory = int(result.plan.jobs[0].config["model"]["params"]["n_excitatory"])
    mnist_sizes = (200, 100) if args.quick else (4000, 1000)
    authors = authors_runs(
        task.X_train,
        task.y_train,
        seeds,
        n_excitatory=n_excitatory,
        mnist_sizes=mnist_sizes,
        cache=result.output_dir / "authors_euler.json",
    )
    with staged_directory(result.output_dir / "study") as staging:
        write_csv(staging / "dynamics_ablation.csv", table, list(table[0]))
        write_csv(staging / "authors_euler.csv", authors, list(authors[0]))
        cells = [
            dict(
                r,
                acc=f"{100 * r['accuracy']:.1f} %",
                ci=percent_interval(r["low"], r["high"]),
                diff="–"
                if r["dynamics"] == BASE
                else f"{100 * r['difference']:+.1f} pp "
                + percent_interval(r["difference_low"], r["difference_high"]).replace(" %", " pp"),
                p="–" if r["dynamics"] == BASE else format_p(r["difference_p"]),
                spikes=f"{r['spikes_per_example']:.1f}",
                pres=f"{r['presentations_per_example']:.3f}",
                fit=f"{r['fit_seconds']:.0f}",
            )
            for r in table
        ]
        authors_cells = [
            dict(
                r,
                outcome=(
                    f"ran away at example {r['ran_away_at_example']}"
                    if r["ran_away_at_example"] != ""
                    else f"{100 * r['accuracy']:.1f} %"
                ),
                secs=f"{r['seconds']:.0f}",
            )
            for r in authors
        ]
        text = [
            "# The Diehl & Cook dynamics, one choice at a time\n",
            f"Task: {task.name}, N = {n_excitatory}, seeds {seeds}; each row differs from "
            f"`{BASE}` as `spiking.networks.diehl_cook.DYNAMICS` says. Difference: paired "
            "by seed, 95 % t-interval, paired t-test.\n",
            format_table(
                cells,
                [
                    ("dynamics", "dynamics"),
                    ("acc", "accuracy"),
                    ("ci", "95 % CI"),
                    ("seeds", "seeds"),
                    ("diff", f"minus {BASE}"),
                    ("p", "p"),
                    ("spikes", "spikes / test example"),
                    ("pres", "presentations / test example"),
                    ("fit", "fit (s)"),
                ],
            ),
            "\n## The authors' exact dynamics (forward Euler)\n",
            format_table(
                authors_cells,
                [
                    ("task", "task"),
                    ("dynamics", "dynamics"),
                    ("seed", "seed"),
                    ("outcome", "outcome"),
                    ("secs", "seconds"),
                ],
            ),
            "",
        ]
        (staging / "dynamics_ablation.md").write_text("\n".join(text))
    print(f"study: {result.output_dir / 'study' / 'dynamics_ablation.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
