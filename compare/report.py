"""The Markdown report of an experiment: what ran, on what, and how each model did.

Sections: results per model; accuracy over seeds with t- and bootstrap intervals
(:mod:`compare.stats`); energy per inference under each cost table, compute-only and
with memory (:mod:`compare.energy`); paired statistics between models when there are
2 or more seeds; confusion matrices, receptive fields, provenance
(:func:`write_report`, one per sweep point). A spec with sweeps also gets an overview
over its points (:func:`write_overview`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from compare import figures
from compare.energy import energy_metric, get_table
from compare.results import atomic_write_text, format_table
from compare.stats import format_paired_statistics, paired_statistics

__all__ = ["PAIRED_METRICS", "format_joules", "format_table", "write_overview", "write_report"]

PAIRED_METRICS = ("accuracy", "macro_f1", "fit_wall_time", "predict_time_per_example")
"""Metrics the report's paired statistics compare, before the energy estimates (all of
the experiment's tables, compute-only and with memory)."""

_PREFIXES = ((1.0, "J"), (1e-3, "mJ"), (1e-6, "µJ"), (1e-9, "nJ"), (1e-12, "pJ"), (1e-15, "fJ"))


def format_joules(value: float) -> str:
    """An energy with an SI prefix and 3 significant digits.

    >>> format_joules(2.346e-7), format_joules(0.0), format_joules(float("nan"))
    ('235 nJ', '0 J', '–')
    """
    if math.isnan(value):
        return "–"
    if value == 0:
        return "0 J"
    scale, unit = next((p for p in _PREFIXES if abs(value) >= p[0]), _PREFIXES[-1])
    return f"{value / scale:.3g} {unit}"


def _accuracy_cell(row):
    acc = f"{100 * row['accuracy_mean']:.1f} %"
    if not math.isnan(row["accuracy_ci95_halfwidth"]):
        acc += f" ± {100 * row['accuracy_ci95_halfwidth']:.1f}"
    return acc


def _interval_cell(low: float, high: float) -> str:
    if math.isnan(low):
        return "–"
    return f"[{100 * low:.1f}, {100 * high:.1f}] %"


def _accuracy_section(summary) -> list[str]:
    rows = [
        dict(
            s,
            mean=f"{100 * s['accuracy_mean']:.1f} %",
            sd="–" if math.isnan(s["accuracy_sd"]) else f"{100 * s['accuracy_sd']:.2f}",
            t=_interval_cell(s["accuracy_ci95_low"], s["accuracy_ci95_high"]),
            bootstrap=_interval_cell(s["accuracy_bootstrap95_low"], s["accuracy_bootstrap95_high"]),
            f1=f"{s['macro_f1_mean']:.3f}",
        )
        for s in summary
    ]
    lines = [
        "## Accuracy over seeds",
        "",
        format_table(
            rows,
            [
                ("model", "model"),
                ("seeds", "seeds"),
                ("mean", "mean accuracy"),
                ("sd", "SD (points)"),
                ("t", "95 % t-interval"),
                ("bootstrap", "95 % bootstrap interval"),
                ("f1", "macro-F1 (mean)"),
            ],
        ),
        "",
        "The t-interval is mean ± t(0.975, n − 1) · SD / √n over the seeds (`scipy.stats.t`); "
        "the bootstrap interval is the 2.5-97.5 percentile range of the means of 9,999 "
        "resamples of the seeds (`scipy.stats.bootstrap`, seeded), which with few seeds is "
        "too narrow. Macro-F1 is the unweighted mean of the per-class F1 scores.",
    ]
    if min(s["seeds"] for s in summary) < 2:
        lines.append("With one seed there is no spread to estimate an interval from (–).")
    return lines + [""]


def _memory_share(table, compute: float, with_memory: float) -> str:
    if table.memory_in_operation_costs:
        return "in op costs"
    if not with_memory > 0:
        return "–"
    return f"{100 * (with_memory - compute) / with_memory:.0f} %"


def _energy_section(config, rows, evaluations) -> list[str]:
    def mean(label, metric):
        values = [r["value"] for r in rows if r["model"] == label and r["metric"] == metric]
        return float(np.mean(values)) if values else math.nan

    table_rows, not_priced = [], []
    for name in config.energy_tables:
        table = get_table(name)
        priced_by = []
        for spec in config.models:
            compute = mean(spec.label, energy_metric(table, memory=False))
            if math.isnan(compute):
                continue
            priced_by.append(spec.label)
            with_memory = mean(spec.label, energy_metric(table, memory=True))
            unpriced = sorted(
                {
                    term.replace("_", " ")
                    for seed in config.seeds
                    for estimate in evaluations[spec.label, seed].energy
                    if estimate["table"] == table.name
                    for term in estimate["unpriced"]
                }
            )
            table_rows.append(
                {
                    "table": f"`{table.label}`",
                    "model": spec.label,
                    "arm": spec.arm,
                    "compute": format_joules(compute),
                    "memory": format_joules(with_memory),
                    "share": _memory_share(table, compute, with_memory),
                    "unpriced": ", ".join(unpriced) or "–",
                }
            )
        missing = [spec.label for spec in config.models if spec.label not in priced_by]
        if missing:
            not_priced.append(f"`{table.label}` cannot price {', '.join(missing)}")
    lines = [
        "## Energy per inference (estimates)",
        "",
        format_table(
            table_rows,
            [
                ("table", "cost table"),
                ("model", "model"),
                ("arm", "arm"),
                ("compute", "compute only"),
                ("memory", "with memory"),
                ("share", "memory share"),
                ("unpriced", "not priced"),
            ],
        ),
        "",
        "Energy = operations per test example (mean over seeds) × energy per operation from "
        "the cost table (`compare/energy.py`). *Compute only* is the usual estimate: "
        "MACs × E_MAC, synaptic events (ACs) × E_AC, neuron updates × E_neuron where the "
        "table has that cost (else listed under *not priced*). *With memory* adds the reads "
        "of weights and neuron states (Dampfhoffer et al. 2023): weights stored at the "
        "table's width in the smallest SRAM that holds them (DRAM beyond 1 MB); artificial "
        "layers read each weight used once per inference, spiking layers once per synaptic "
        "event; every neuron update reads one state from the smallest SRAM; writes are not "
        "counted (a lower bound). Loihi's and TrueNorth's figures include their memory, so "
        "they add nothing. These are estimates of idealised hardware, not measurements.",
    ]
    if not_priced:
        lines.append(
            "No estimate where a table lacks a cost the model needs (neuromorphic tables "
            f"price no MACs): {'; '.join(not_priced)}."
        )
    lines += ["", "Cost tables (all values in `energy_tables.json`):", ""]
    for name in config.energy_tables:
        table = get_table(name)
        lines.append(
            f"- `{table.label}`: {table.description}. {table.notes} Source: {table.source}."
        )
    return lines + [""]


def _paired_section(config, rows) -> list[str]:
    lines = ["## Paired statistics", ""]
    if len(config.models) < 2 or len(config.seeds) < 2:
        return lines + [
            f"Paired comparisons need at least 2 models and 2 seeds; this run has "
            f"{len(config.models)} model(s) and {len(config.seeds)} seed(s).",
            "",
        ]
    metrics = list(PAIRED_METRICS)
    for name in config.energy_tables:
        metrics += [energy_metric(name, memory=False), energy_metric(name, memory=True)]
    table = paired_statistics(rows, models=[m.label for m in config.models], metrics=metrics)
    n = len(config.seeds)
    return lines + [
        format_paired_statistics(table),
        "",
        "Every pair of models on the same seeds and test set, A − B. Two-sided paired t-test "
        "(`scipy.stats.ttest_rel`) and Wilcoxon signed-rank test (`scipy.stats.wilcoxon`, "
        "zero differences dropped); in brackets, p adjusted by Holm's method across the "
        "metrics of each pair. d_z = mean difference / SD of the differences (Cohen). With "
        f"{n} seeds the smallest possible Wilcoxon p is {2 ** (1 - n):.2g}: "
        "few seeds cannot show a significant difference with it.",
        "",
    ]


def _provenance(env) -> list[str]:
    git = env["git"]
    current = git["commit"] + ("+dirty" if git.get("dirty") else "")
    lines = [
        f"- git commit `{git['commit']}`" + (" (uncommitted changes)" if git.get("dirty") else "")
    ]
    commits = env.get("job_commits") or [current]
    if commits != [current]:
        lines.append(
            "- **the jobs ran at " + ", ".join(f"`{c}`" for c in commits) + "**, not all at "
            "the current commit: finished jobs are reused across commits (`--fresh` "
            "recomputes them)"
        )
    return lines + [
        f"- Brian2: spiking models ran in {env.get('spiking_backend', 'an unrecorded')} mode "
        "(`standalone`: compiled C++, `spiking/backend.py`); runtime device "
        f"{env['brian2_device']}, code generation target {env['brian2_codegen_target']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
        f"- machine: {env['platform']}, {env['cpu_count']} CPUs",
    ]


def write_report(out: Path, config, task, summary, evaluations, env, rows) -> Path:
    """Draw the figures and write ``report.md`` in ``out``; return the report's path.

    ``config`` is the :class:`compare.experiment.ExperimentConfig` of one point,
    ``summary`` one dict per model (:func:`compare.runner.summarise`), ``evaluations``
    maps (label, seed) to an object with ``confusion``, ``energy`` (the
    :func:`compare.energy.estimate_energy` breakdowns) and ``weights`` (learned input
    weights or None): a :class:`compare.metrics.Evaluation` or a
    :class:`compare.runner.JobRecord`. ``rows`` are the tidy results rows and ``env``
    :func:`compare.results.environment`, with ``job_commits`` where jobs were reused.
    """
    fig_dir = out / "figures"
    chance = float(np.max(np.bincount(task.y_test)) / task.n_test)

    ax = figures.plot_accuracy(
        [s["model"] for s in summary],
        [s["accuracy_mean"] for s in summary],
        [s["accuracy_ci95_halfwidth"] for s in summary],
        [s["arm"] for s in summary],
        chance=chance,
    )
    ax.set_title(f"{task.name}: test accuracy", fontsize=9)
    figures.save(ax.figure, fig_dir / "accuracy")

    first_seed = config.seeds[0]
    n = len(config.models)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.4), layout="constrained", squeeze=False)
    for spec, ax in zip(config.models, axes[0]):
        figures.plot_confusion(
            evaluations[spec.label, first_seed].confusion, task.classes, title=spec.label, ax=ax
        )
    figures.save(fig, fig_dir / "confusion")

    field_figures = []
    for spec in config.models:
        weights = evaluations[spec.label, first_seed].weights
        if weights is not None and np.ndim(weights) == 2 and weights.shape[0] == task.n_features:
            ax = figures.plot_receptive_fields(weights, task.shape)
            ax.set_title(f"{spec.label}: learned input weights (seed {first_seed})", fontsize=9)
            name = f"receptive_fields_{spec.label}"
            figures.save(ax.figure, fig_dir / name)
            field_figures.append((spec.label, name))

    table = format_table(
        [dict(s, accuracy=_accuracy_cell(s)) for s in summary],
        [
            ("model", "model"),
            ("arm", "arm"),
            ("accuracy", "test accuracy"),
            ("macro_f1_mean", "macro-F1"),
            ("seeds", "seeds"),
            ("fit_wall_time_s", "fit (s)"),
            ("predict_time_per_example_s", "predict (s/example)"),
            ("parameter_count", "parameters"),
            ("activations_per_example", "spikes or activations / example"),
            ("effective_macs_per_example", "MACs / example"),
            ("effective_acs_per_example", "ACs / example"),
        ],
    )
    lines = [
        f"# {config.name}",
        "",
        f"Task **{task.name}**: {task.n_train} training and {task.n_test} test examples, "
        f"{task.n_features} features (shape {task.shape}), {task.n_classes} classes. "
        f"Source: {task.source}; sha256 `{task.sha256[:16]}…`.",
        f"Seeds: {', '.join(map(str, config.seeds))}. "
        f"Chance (majority class): {100 * chance:.1f} %.",
        "",
        "## Results",
        "",
        table,
        "",
        "Accuracy: mean over seeds, ± the half-width of the 95 % t-interval (with 2+ seeds). "
        "Times are wall clock on this machine; per-example costs are measured on the first "
        f"{config.operations_examples or task.n_test} test examples: spikes counted in the "
        "Brian2 run (repeated presentations included), non-zero hidden activations counted "
        "by torch hooks. MACs are multiply-accumulates with a non-zero input; ACs are "
        "accumulates triggered by spikes (synaptic events).",
        "",
        "![accuracy](figures/accuracy.png)",
        "",
        *_accuracy_section(summary),
        *_energy_section(config, rows, evaluations),
        *_paired_section(config, rows),
        "## Confusion matrices (seed {})".format(first_seed),
        "",
        "![confusion](figures/confusion.png)",
        "",
    ]
    for label, name in field_figures:
        lines += [f"## Receptive fields: {label}", "", f"![{label}](figures/{name}.png)", ""]
    lines += [
        "## Provenance",
        "",
        *_provenance(env),
        "- files: `results.csv` (tidy: one row per job x metric, with unit and the job's id), "
        "`summary.csv`, `spec.json` (the resolved spec), `environment.json`, `task.json`, "
        "`energy_tables.json` (the cost tables used), `jobs/<id>/` (per model and seed: "
        "config, metrics, environment, and in `artifacts/` the confusion matrix, learned "
        "state and energy breakdowns)",
        "",
    ]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path


def write_overview(out: Path, spec, points, env) -> Path:
    """Write the ``report.md`` of a spec with sweeps: one table over all points.

    ``points`` pairs each :class:`compare.runner.PlannedPoint` with its summary rows;
    each point's own report (:func:`write_report`) is in ``points/<slug>/``.
    """
    sweeps = list(spec.sweeps)
    rows = []
    for point, summary in points:
        for s in summary:
            cells = {p: _value_cell(point.values[p]) for p in sweeps}
            link = f"[{point.slug}](points/{point.slug}/report.md)"
            rows.append({**s, **cells, "point": link, "accuracy": _accuracy_cell(s)})
    table = format_table(
        rows,
        [
            ("point", "point"),
            *[(p, f"`{p}`") for p in sweeps],
            ("model", "model"),
            ("arm", "arm"),
            ("accuracy", "test accuracy"),
            ("macro_f1_mean", "macro-F1"),
            ("seeds", "seeds"),
            ("fit_wall_time_s", "fit (s)"),
            ("parameter_count", "parameters"),
            ("activations_per_example", "spikes or activations / example"),
        ],
    )
    first = points[0][0].task
    lines = [
        f"# {spec.name}",
        "",
        *([spec.description, ""] if spec.description else []),
        f"Task **{spec.task.name}** ({first.source}; sha256 `{first.sha256[:16]}…`), "
        f"seeds {', '.join(map(str, spec.seeds))}. {len(points)} sweep points: "
        + "; ".join(f"`{p}` in {_value_cell(list(v))}" for p, v in spec.sweeps.items())
        + " (every combination).",
        "",
        "## Results per point",
        "",
        table,
        "",
        "Accuracy: mean over seeds ± the half-width of the 95 % t-interval (with 2+ seeds). "
        "Each point's report holds its intervals, energy estimates, paired statistics, "
        "confusion matrices and figures.",
        "",
        "## Provenance",
        "",
        *_provenance(env),
        "- files: `results.csv` (tidy: one row per job x metric, one column per sweep path: "
        "the value where the sweep applies to the job's model), `summary.csv` (one row per "
        "point x model), `spec.json` (the resolved spec), `environment.json`, "
        "`energy_tables.json`, `points/<point>/` (report, summary, figures, task), "
        "`jobs/<id>/` (config, metrics, environment, artifacts)",
        "",
    ]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path


def _value_cell(value) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)
