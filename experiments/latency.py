"""Latency: how long must a spiking network run before its answer is right?

A spiking network answers over time: the longer it integrates, the more spikes its
read-out has counted. The brain categorises an image within about 150 ms (Thorpe,
Fize & Marlot 1996). This study (study 8 of the studies issue) measures, for every
spiking model and each test example, the simulated time until its read-out settled on
the true class and stayed there (``decision_latency``: NaN where it ends wrong), and
turns these into accuracy against simulated time: the fraction of examples whose
answer is right from time t on. At the end of the run that is the model's accuracy.

The spec is ``experiments/specs/latency.toml``: the Diehl & Cook network with N = 100
(0.5 ms steps; 350 ms presentations, repeated with stronger input when it fires fewer
than 5 spikes, so its time counts the rejected presentations too), a
surrogate-gradient SNN (784-100-10, 25 steps of 1 ms) and the ReLU MLP 784-100-10
converted to integrate-and-fire neurons (100 steps of 1 ms), with the MLP twin's
accuracy as the reference; Fashion-MNIST, 3 seeds, latencies on 200 test examples.

Outputs (``results/latency/``): the spec run and ``study/``: ``accuracy_vs_time.csv``
(per model and time: mean over seeds of the fraction decided right by then, with its
95 % t-interval), ``latency.csv`` (per model: accuracy at the end, mean and median
latency of the right answers, time to reach 90 % of the final accuracy; means over
seeds), ``latency.md`` and ``figures/accuracy_vs_time.png`` / ``.svg``.

Run ``python experiments/latency.py`` (about half an hour on one core); ``--quick`` is a
smoke-size run (minutes); the options of ``spikearena run SPEC.toml`` apply.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from compare.files import staged_directory, write_csv
from compare.measure.stats import interval_rows
from compare.pipeline.runner import ResultsStore
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.report import figures
from compare.tables import format_seconds, format_table, percent_interval

SPEC = ROOT / "experiments" / "specs" / "latency.toml"
GRID_POINTS = 60
"""Times (log-spaced, from the smallest to the largest latency seen) the curve is read at."""


def latencies(result) -> dict[tuple[str, int], np.ndarray]:
    """(model, seed) -> per-example decision latencies (s) of the models that have them."""
    store = ResultsStore(result.output_dir)
    out = {}
    for job in result.plan.jobs:
        record = store.read(job.id)
        if record.decision_latency is not None:
            out[job.config["model"]["label"], job.config["seed"]] = record.decision_latency
    return out


def curve_rows(found: dict, arms: dict, grid: np.ndarray) -> list[dict]:
    """Tidy rows: the fraction of examples decided right by each time of ``grid``."""
    rows = []
    for (model, seed), latency in found.items():
        decided = np.where(np.isnan(latency), np.inf, latency)
        for t in grid:
            rows.append(
                {
                    "model": model,
                    "arm": arms[model],
                    "seed": seed,
                    "time_s": float(t),
                    "value": float(np.mean(decided <= t)),
                }
            )
    return rows


def summary_rows(found: dict, arms: dict) -> list[dict]:
    """Per model: final accuracy, mean and median latency, time to 90 % of the final."""
    per_seed = []
    for (model, seed), latency in found.items():
        right = np.sort(latency[np.isfinite(latency)])
        final = len(right) / len(latency)
        # the time by which 90 % of the finally right answers were decided
        t90 = right[max(0, math.ceil(0.9 * len(right)) - 1)] if len(right) else math.nan
        for metric, value in (
            ("final_accuracy", final),
            ("mean_latency_s", float(right.mean()) if len(right) else math.nan),
            ("median_latency_s", float(np.median(right)) if len(right) else math.nan),
            ("time_to_90pct_s", float(t90)),
        ):
            per_seed.append(
                {"model": model, "arm": arms[model], "seed": seed, "metric": metric, "value": value}
            )
    return interval_rows(per_seed, ["model", "arm", "metric"])


def plot_accuracy_vs_time(curves: list[dict], references: dict, ax=None):
    """Accuracy decided by time t, one line per model (95 % band); references as dashes."""
    styles = figures.model_styles({r["model"]: r["arm"] for r in curves} | references["arms"])
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 3.6))
    for model in dict.fromkeys(r["model"] for r in curves):
        points = sorted((r["time_s"], r) for r in curves if r["model"] == model)
        t = [1e3 * x for x, _ in points]
        ax.plot(t, [100 * r["mean"] for _, r in points], label=model, color=styles[model]["color"])
        low = [100 * r["low"] for _, r in points]
        high = [100 * r["high"] for _, r in points]
        ax.fill_between(t, low, high, color=styles[model]["color"], alpha=0.15, lw=0)
    for model, accuracy in references["accuracy"].items():
        ax.axhline(
            100 * accuracy, ls="--", lw=1, color=styles[model]["color"], label=f"{model} (no time)"
        )
    ax.set_xscale("log")
    ax.set_xlabel("simulated time (ms)")
    ax.set_ylabel("right and settled by then (%)")
    ax.set_ylim(0, 100)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax.figure.tight_layout()
    return ax


def _cells(row: dict) -> dict:
    """The ``mean`` and ``ci`` cells of a summary row: a percentage or a duration."""
    if row["metric"] == "final_accuracy":
        return {
            "mean": f"{100 * row['mean']:.1f} %",
            "ci": percent_interval(row["low"], row["high"]),
        }
    ci = (
        "–"
        if math.isnan(row["low"])
        else f"[{format_seconds(row['low'])}, {format_seconds(row['high'])}]"
    )
    return {"mean": format_seconds(row["mean"]), "ci": ci}


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    args = parser.parse_args(argv)
    result = run_study(SPEC, args, parser=parser)
    arms = {m.label: m.arm for m in result.plan.spec.models}
    found = latencies(result)
    if not found:
        parser.error("no model of the spec measured a decision latency")
    every = np.concatenate([v[np.isfinite(v)] for v in found.values()])
    grid = np.geomspace(every.min(), every.max(), GRID_POINTS)
    curves = interval_rows(curve_rows(found, arms, grid), ["model", "arm", "time_s"])
    summary = summary_rows(found, arms)
    timed = {model for model, _ in found}
    references = {
        "accuracy": {
            r["model"]: r["mean"]
            for r in interval_rows(
                [r for r in result.rows if r["metric"] == "accuracy" and r["model"] not in timed],
                ["model"],
            )
        },
        "arms": {m: a for m, a in arms.items() if m not in timed},
    }
    with staged_directory(result.output_dir / "study") as staging:
        (staging / "figures").mkdir()
        write_csv(staging / "accuracy_vs_time.csv", curves, list(curves[0]))
        write_csv(staging / "latency.csv", summary, list(summary[0]))
        ax = plot_accuracy_vs_time(curves, references)
        ax.set_title(f"{result.plan.points[0].task.name}", fontsize=8)
        figures.save(ax.figure, staging / "figures" / "accuracy_vs_time")
        cells = [dict(r, **_cells(r)) for r in summary]
        text = [
            "# Latency: time to a settled right answer\n",
            format_table(
                cells,
                [
                    ("model", "model"),
                    ("metric", "measure"),
                    ("mean", "mean"),
                    ("ci", "95 % CI"),
                    ("n", "seeds"),
                ],
            ),
            "",
            f"Measured on the first {result.plan.spec.operations_examples or 'all'} test "
            f"examples of each job (the spec's operations_examples); final_accuracy is the "
            f"accuracy on "
            f"them, latencies count the right answers only. "
            f"Task: {result.plan.points[0].task.name}.",
            "",
        ]
        (staging / "latency.md").write_text("\n".join(text))
    print(f"study: {result.output_dir / 'study' / 'latency.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
