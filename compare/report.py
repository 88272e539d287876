"""The Markdown report of an experiment: what ran, on what, and how each model did."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from compare import figures
from compare.results import atomic_write_text, format_table

__all__ = ["format_table", "write_report"]


def _accuracy_cell(row):
    acc = f"{100 * row['accuracy_mean']:.1f} %"
    if not math.isnan(row["accuracy_ci95_halfwidth"]):
        acc += f" ± {100 * row['accuracy_ci95_halfwidth']:.1f}"
    return acc


def write_report(out: Path, config, task, summary, evaluations, env) -> Path:
    """Draw the figures and write ``report.md`` in ``out``; return the report's path."""
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
        model = evaluations[spec.label, first_seed].model
        weights = getattr(model, "weights_", None)
        if weights is not None and np.ndim(weights) == 2 and weights.shape[0] == task.n_features:
            ax = figures.plot_receptive_fields(weights, task.shape)
            ax.set_title(f"{spec.label}: learned input weights (seed {first_seed})", fontsize=9)
            name = f"receptive_fields_{spec.label}"
            figures.save(ax.figure, fig_dir / name)
            field_figures.append((spec.label, name))

    rows = [dict(s, accuracy=_accuracy_cell(s)) for s in summary]
    table = format_table(
        rows,
        [
            ("model", "model"),
            ("arm", "arm"),
            ("accuracy", "test accuracy"),
            ("seeds", "seeds"),
            ("fit_wall_time_s", "fit (s)"),
            ("predict_time_per_example_s", "predict (s/example)"),
            ("parameter_count", "parameters"),
            ("activations_per_example", "spikes or activations / example"),
            ("effective_macs_per_example", "MACs / example"),
            ("effective_acs_per_example", "ACs / example"),
        ],
    )
    git = env["git"]
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
        f"- git commit `{git['commit']}`" + (" (uncommitted changes)" if git.get("dirty") else ""),
        f"- Brian2: spiking models ran in {env.get('spiking_backend', 'an unrecorded')} mode "
        "(`standalone`: compiled C++, `spiking/backend.py`); runtime device "
        f"{env['brian2_device']}, code generation target {env['brian2_codegen_target']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
        f"- machine: {env['platform']}, {env['cpu_count']} CPUs",
        "- files: `results.csv` (tidy: one row per model x task x seed x metric), `summary.csv`, "
        "`config.json` (resolved config), `environment.json`, `task.json`, `artifacts/`",
        "",
    ]
    path = out / "report.md"
    atomic_write_text(path, "\n".join(lines))
    return path
