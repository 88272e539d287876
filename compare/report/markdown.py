"""The report of an experiment: what ran, on what, and how each model did.

The report's content is built once, as data: :class:`Section` objects holding
paragraphs, :class:`Table` objects and :class:`Figure` references, made by the
builders below from the summary and the tidy results rows. :func:`markdown_section`
renders a section as Markdown (``report.md``, :func:`write_report`) and
:mod:`compare.report.html` renders the same sections as HTML (``report.html``), so the two
reports always hold the same tables.

Sections: a summary of which model does best on what (:func:`findings_section`);
results per model (:func:`results_section`); accuracy over seeds with t- and bootstrap
intervals (:func:`accuracy_section`, :mod:`compare.measure.stats`); energy per inference under
each cost table, compute-only and with memory (:func:`energy_section`,
:mod:`compare.measure.energy`); paired statistics between models when there are 2 or more
seeds (:func:`paired_section`); confusion matrices, receptive fields
(:func:`figure_sections`); provenance (:func:`write_report`, one per sweep
point). A spec with sweeps also gets an overview over its points (:func:`write_overview`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from compare.files import METRIC_COLUMNS, atomic_write_text
from compare.measure.energy import CostTable, energy_metric, estimate_energy, get_table
from compare.measure.stats import (
    PAIRED_COLUMNS,
    format_p,
    paired_statistics,
    paired_statistics_cells,
)
from compare.measure.tidy import Metric, matches, metric_columns, metric_key
from compare.report import figures
from compare.tables import (
    format_cell,
    format_joules,
    format_seconds,
    format_table,
    percent_interval,
)

__all__ = [
    "PAIRED_METRICS",
    "Figure",
    "Section",
    "Table",
    "accuracy_section",
    "energy_section",
    "figure_sections",
    "findings_section",
    "markdown_section",
    "markdown_table",
    "metrics_section",
    "paired_section",
    "report_sections",
    "results_section",
    "task_paragraph",
    "write_overview",
    "write_report",
]

_VARIABLES = METRIC_COLUMNS[1:]

PAIRED_METRICS = (
    "accuracy",
    "macro_f1",
    "fit_wall_time",
    "predict_time_per_example",
    "decision_latency",
)
"""Metrics the report's paired statistics compare, before the energy estimates (all of
the experiment's tables, compute-only and with memory)."""


@dataclass(frozen=True)
class Table:
    """A table of a report: rows of cells under ``(key, header)`` columns.

    Cells are numbers or text; both renderers format them with
    :func:`compare.tables.format_cell` (3 significant digits, NaN as a dash). Cells
    of the ``code`` columns are identifiers (cost-table labels), shown as code.
    """

    columns: tuple[tuple[str, str], ...]
    rows: tuple[dict, ...]
    code: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Figure:
    """A figure of a report: a file of the results directory and its alternative text."""

    path: str
    """Relative to the results directory, e.g. ``"figures/accuracy.png"``."""
    alt: str


@dataclass(frozen=True)
class Section:
    """A titled part of a report, a sequence of blocks.

    A block is a paragraph (``str``, with inline Markdown only: ```code```,
    ``*emphasis*``, ``**strong**``), a bullet list (``tuple`` of such strings), a
    :class:`Table` or a :class:`Figure`.
    """

    title: str
    blocks: tuple = field(default_factory=tuple)

    @property
    def anchor(self) -> str:
        """An id for links to the section: its title, lower case, words joined by ``-``.

        >>> Section("Energy per inference (estimates)").anchor
        'energy-per-inference-estimates'
        """
        return "-".join(re.findall(r"[0-9a-z]+", self.title.lower())) or "section"


def markdown_table(table: Table) -> str:
    """``table`` as a Markdown table (code cells in backticks)."""
    rows = [
        {k: f"`{format_cell(r[k])}`" if k in table.code else r[k] for k, _ in table.columns}
        for r in table.rows
    ]
    return format_table(rows, list(table.columns))


def markdown_section(section: Section, level: int = 2) -> list[str]:
    """The lines of ``section`` in Markdown, a heading of ``level`` first, a blank last."""
    lines = ["#" * level + " " + section.title, ""]
    for block in section.blocks:
        if isinstance(block, Table):
            lines.append(markdown_table(block))
        elif isinstance(block, Figure):
            lines.append(f"![{block.alt}]({block.path})")
        elif isinstance(block, tuple):
            lines.extend(f"- {item}" for item in block)
        else:
            lines.append(block)
        lines.append("")
    return lines


# --- builders: the summary and tidy rows -> sections ---------------------------------


def _means(rows, metric: str | Metric) -> dict[str, float]:
    """Model -> mean of ``metric`` (a metric key: a name, or a
    :class:`compare.measure.tidy.Metric`) over its seeds (finite values), in order of
    appearance."""
    values = {}
    for row in rows:
        if matches(row, metric) and math.isfinite(float(row["value"])):
            values.setdefault(row["model"], []).append(float(row["value"]))
    return {model: float(np.mean(v)) for model, v in values.items()}


def _accuracy_cell(row) -> str:
    acc = f"{100 * row['accuracy_mean']:.1f} %"
    if not math.isnan(row["accuracy_ci95_halfwidth"]):
        acc += f" ± {100 * row['accuracy_ci95_halfwidth']:.1f}"
    return acc


def task_paragraph(task: Mapping) -> str:
    """One paragraph on the task: its size, shape, classes and provenance.

    ``task`` is :meth:`compare.data.tasks.Task.describe` (``task.json``).

    >>> task_paragraph({"name": "toy", "n_train": 4, "n_test": 2, "n_features": 4,
    ...                 "shape": [2, 2], "n_classes": 2, "source": "made up",
    ...                 "sha256": "ab" * 32})[:74]
    'Task **toy**: 4 training and 2 test examples, 4 features (shape (2, 2)), 2'
    """
    return (
        f"Task **{task['name']}**: {task['n_train']} training and {task['n_test']} test "
        f"examples, {task['n_features']} features (shape {tuple(task['shape'])}), "
        f"{task['n_classes']} classes. Source: {task['source']}; sha256 "
        f"`{task['sha256'][:16]}…`."
    )


def results_section(summary: Sequence[dict], operations_examples: int | None) -> Section:
    """Results per model: accuracy, macro-F1, times and operations (means over seeds).

    ``summary`` is one dict per model (``summary.csv``); ``operations_examples`` the
    number of test examples the operations were measured on (None: not recorded).
    """
    measured_on = (
        "the test examples"
        if operations_examples is None
        else f"the first {operations_examples} test examples"
    )
    table = Table(
        columns=(
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
        ),
        rows=tuple(dict(s, accuracy=_accuracy_cell(s)) for s in summary),
    )
    return Section(
        "Results",
        (
            table,
            "Accuracy: mean over seeds, ± the half-width of the 95 % t-interval (with 2+ "
            "seeds). Times are wall clock on this machine; per-example costs are measured "
            f"on {measured_on}: spikes counted in the "
            "Brian2 run (repeated presentations included), non-zero hidden activations "
            "counted by torch hooks. MACs are multiply-accumulates with a non-zero input; "
            "ACs are accumulates triggered by spikes (synaptic events).",
            Figure("figures/accuracy.png", "accuracy"),
        ),
    )


def accuracy_section(summary: Sequence[dict]) -> Section:
    """Accuracy over seeds: mean, SD, t- and bootstrap intervals, macro-F1."""
    rows = tuple(
        dict(
            s,
            mean=f"{100 * s['accuracy_mean']:.1f} %",
            sd="–" if math.isnan(s["accuracy_sd"]) else f"{100 * s['accuracy_sd']:.2f}",
            t=percent_interval(s["accuracy_ci95_low"], s["accuracy_ci95_high"]),
            bootstrap=percent_interval(
                s["accuracy_bootstrap95_low"], s["accuracy_bootstrap95_high"]
            ),
            f1=f"{s['macro_f1_mean']:.3f}",
        )
        for s in summary
    )
    table = Table(
        columns=(
            ("model", "model"),
            ("seeds", "seeds"),
            ("mean", "mean accuracy"),
            ("sd", "SD (points)"),
            ("t", "95 % t-interval"),
            ("bootstrap", "95 % bootstrap interval"),
            ("f1", "macro-F1 (mean)"),
        ),
        rows=rows,
    )
    text = (
        "The t-interval is mean ± t(0.975, n − 1) · SD / √n over the seeds "
        "(`scipy.stats.t`); the bootstrap interval is the 2.5-97.5 percentile range of the "
        "means of 9,999 resamples of the seeds (`scipy.stats.bootstrap`, seeded), which with "
        "few seeds is too narrow. Macro-F1 is the unweighted mean of the per-class F1 scores."
    )
    if min(s["seeds"] for s in summary) < 2:
        text += " With one seed there is no spread to estimate an interval from (–)."
    return Section("Accuracy over seeds", (table, text))


def _memory_share(table: CostTable, compute: float, with_memory: float) -> str:
    if table.memory_in_operation_costs:
        return "in op costs"
    if not with_memory > 0:
        return "–"
    return f"{100 * (with_memory - compute) / with_memory:.0f} %"


_OPERATION_KEYS = ("parameter_count", "effective_macs", "effective_acs", "neuron_updates")


def _unpriced(rows, model: str, table: CostTable) -> list[str]:
    """The operations ``table`` gives no cost for in any seed of ``model`` (from its rows)."""
    by_seed = {}
    for row in rows:
        if row["model"] == model and row["metric"] in _OPERATION_KEYS:
            by_seed.setdefault(row["seed"], {})[row["metric"]] = float(row["value"])
    terms = set()
    for report in by_seed.values():
        if len(report) == len(_OPERATION_KEYS):
            terms.update(estimate_energy(report, table)["unpriced"])
    return sorted(term.replace("_", " ") for term in terms)


def energy_section(
    rows: Sequence[dict],
    models: Mapping[str, str],
    tables: Sequence[CostTable],
    *,
    figure: str | None = None,
) -> Section:
    """Energy per inference under each cost table, compute-only next to memory-aware.

    Parameters
    ----------
    rows
        Tidy results rows (the energy metrics and each model's operations).
    models
        Model label -> arm, in table order.
    tables
        The cost tables of the experiment (``energy_tables.json``).
    figure
        Path of an accuracy-against-energy figure to show, if any.
    """
    table_rows, not_priced = [], []
    for table in tables:
        compute = _means(rows, energy_metric(table, memory=False))
        with_memory = _means(rows, energy_metric(table, memory=True))
        for model, arm in models.items():
            if model not in compute:
                continue
            memory = with_memory.get(model, math.nan)
            table_rows.append(
                {
                    "table": table.label,
                    "model": model,
                    "arm": arm,
                    "compute": format_joules(compute[model]),
                    "memory": format_joules(memory),
                    "share": _memory_share(table, compute[model], memory),
                    "unpriced": ", ".join(_unpriced(rows, model, table)) or "–",
                }
            )
        missing = [model for model in models if model not in compute]
        if missing:
            not_priced.append(f"`{table.label}` cannot price {', '.join(missing)}")
    blocks = [
        Table(
            columns=(
                ("table", "cost table"),
                ("model", "model"),
                ("arm", "arm"),
                ("compute", "compute only"),
                ("memory", "with memory"),
                ("share", "memory share"),
                ("unpriced", "not priced"),
            ),
            rows=tuple(table_rows),
            code=frozenset({"table"}),
        ),
        "Energy = operations per test example (mean over seeds) × energy per operation from "
        "the cost table (`compare/measure/energy.py`). *Compute only* is the usual estimate: "
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
        blocks.append(
            "No estimate where a table lacks a cost the model needs (neuromorphic tables "
            f"price no MACs): {'; '.join(not_priced)}."
        )
    if figure is not None:
        blocks.append(Figure(figure, "accuracy against energy"))
    blocks += [
        "Cost tables (all values in `energy_tables.json`):",
        tuple(
            f"`{table.label}`: {table.description}. {table.notes} Source: {table.source}."
            for table in tables
        ),
    ]
    return Section("Energy per inference (estimates)", tuple(blocks))


def metrics_section(rows: Sequence[dict], models: Sequence[str]) -> Section:
    """Every measured metric (energy aside, which has its own section) of every model.

    One row per metric in the order the evaluation reports them, one column per model:
    the mean over seeds, NaN (a dash) where a model has no such metric (decision
    latency exists only for spiking read-outs). A metric measured under variables
    (a corruption and severity, class groups) has a row per value of them, in the
    variables' columns, which the table has where some metric fills them.

    >>> rows = [{"model": "a", "metric": "accuracy", "unit": "1", "value": v}
    ...         for v in (0.5, 0.7)] + [{"model": "b", "metric": "peak_rss", "unit": "MB",
    ...                                   "value": 100.0}]
    >>> [(r["metric"], r["a"], r["b"]) for r in metrics_section(rows, ["a", "b"]).blocks[0].rows]
    [('accuracy', 0.6, nan), ('peak_rss', nan, 100.0)]
    """
    units: dict[str | Metric, str] = {}
    for row in rows:
        if not row["metric"].startswith("energy_"):
            units.setdefault(metric_key(row), row["unit"])
    table_rows = []
    for metric, unit in units.items():
        means = _means(rows, metric)
        cells = {k: "" if v is None else v for k, v in metric_columns(metric).items()}
        table_rows.append({**cells, "unit": unit, **{m: means.get(m, math.nan) for m in models}})
    variables = [c for c in _VARIABLES if any(r[c] != "" for r in table_rows)]
    columns = (
        ("metric", "metric"),
        *((c, c.replace("_", " ")) for c in variables),
        ("unit", "unit"),
        *((m, m) for m in models),
    )
    return Section(
        "All metrics",
        (
            Table(columns, tuple(table_rows), code=frozenset({"metric"})),
            "Means over seeds of every metric each job measured (`results.csv` holds every "
            "seed): times in s are wall-clock or CPU time of fit and predict on the whole "
            "sets; `peak_rss` is the memory high-water mark, at the job's end, of the process "
            "that ran it or of a simulation binary it ran (a Dask worker runs several jobs in "
            "turn, so its later jobs carry the earlier ones' peak); the operations "
            "(NeuroBench's names) are per test example, "
            "measured on the operations examples; `decision_latency` is simulated time to a "
            "stable right answer, for spiking read-outs only.",
        ),
    )


def paired_section(
    rows: Sequence[dict], models: Sequence[str], n_seeds: int, tables: Sequence[CostTable]
) -> Section:
    """Paired statistics between every pair of models on the report's metrics.

    With fewer than 2 models or 2 seeds, one paragraph says why there are none.
    """
    title = "Paired statistics"
    if len(models) < 2 or n_seeds < 2:
        return Section(
            title,
            (
                f"Paired comparisons need at least 2 models and 2 seeds; this run has "
                f"{len(models)} model(s) and {n_seeds} seed(s).",
            ),
        )
    metrics = list(PAIRED_METRICS)
    for table in tables:
        metrics += [energy_metric(table, memory=False), energy_metric(table, memory=True)]
    statistics = paired_statistics(rows, models=list(models), metrics=metrics)
    return Section(
        title,
        (
            Table(PAIRED_COLUMNS, tuple(paired_statistics_cells(statistics))),
            "Every pair of models on the same seeds and test set, A − B. Two-sided paired "
            "t-test (`scipy.stats.ttest_rel`) and Wilcoxon signed-rank test "
            "(`scipy.stats.wilcoxon`, zero differences dropped); in brackets, p adjusted by "
            "Holm's method across the metrics of each pair. d_z = mean difference / SD of "
            f"the differences (Cohen). With {n_seeds} seeds the smallest possible Wilcoxon p "
            f"is {2 ** (1 - n_seeds):.2g}: few seeds cannot show a significant difference "
            "with it.",
        ),
    )


def _ranked(values: Mapping[str, float], *, lower: bool) -> tuple[list[str], float, list]:
    """(the best models (ties share first place), the best value, the rest in order)."""
    ranked = sorted(values.items(), key=lambda kv: kv[1] if lower else -kv[1])
    best = ranked[0][1]
    winners = [m for m, v in ranked if math.isclose(v, best, rel_tol=1e-9, abs_tol=1e-300)]
    return winners, best, ranked[len(winners) :]


def _lowest(values: Mapping[str, float], fmt, *, unit_note: str = "") -> str:
    """``"A, 1.2 nJ; next B, 3.4 nJ (2.8× as much)"``: the lowest of ``values``."""
    winners, best, rest = _ranked(values, lower=True)
    text = f"{' and '.join(winners)}, {fmt(best)}{unit_note}"
    if len(winners) > 1:
        text += " (a tie)"
    if rest:
        model, value = rest[0]
        ratio = f", {value / best:.3g}× as much" if best > 0 else ""
        text += f"; next {model}, {fmt(value)}{ratio}"
    elif len(values) == 1:
        text += " (the only model measured)"
    return text


def _count(value: float) -> str:
    return format_cell(float(round(value)) if value >= 100 else float(value))


def _accuracy_finding(summary, rows) -> str:
    accuracy = {s["model"]: s["accuracy_mean"] for s in summary}
    winners, best, rest = _ranked(accuracy, lower=False)
    by_model = {s["model"]: s for s in summary}
    first = by_model[winners[0]]
    text = f"**Highest test accuracy**: {' and '.join(winners)}, {100 * best:.1f} %"
    if not math.isnan(first["accuracy_ci95_halfwidth"]):
        text += f" (± {100 * first['accuracy_ci95_halfwidth']:.1f}, 95 % t-interval"
        text += f" over {first['seeds']} seeds)"
    if len(winners) > 1:
        text += " (a tie)"
    if rest:
        model, value = rest[0]
        text += f"; next {model}, {100 * value:.1f} %, {100 * (best - value):.1f} points lower"
        tests = paired_statistics(rows, models=[winners[0], model], metrics=["accuracy"])
        if tests and tests[0]["n"] >= 2:
            test = tests[0]
            text += (
                f" (paired over {test['n']} seeds: t-test p = {format_p(test['t_pvalue'])}, "
                f"Wilcoxon p = {format_p(test['wilcoxon_pvalue'])})"
            )
    return text + "."


def findings_section(summary: Sequence[dict], rows: Sequence[dict]) -> Section:
    """Which model does best on what, with the numbers, written from the results.

    One bullet each: highest accuracy (with the paired test against the runner-up);
    lowest energy per inference under each cost table, compute-only and with memory;
    fastest prediction; earliest decision (models that report ``decision_latency``);
    fewest operations (effective MACs + ACs per example); fewest parameters; fastest
    training. Every value is a mean over seeds; a bullet whose metric no model has is
    left out.
    """
    bullets = [_accuracy_finding(summary, rows)]
    tables = figures.energy_tables_in(rows)
    for label, kinds in tables.items():
        parts = []
        for kind, name in (
            ("energy_compute_only", "compute only"),
            ("energy_with_memory", "with memory"),
        ):
            values = _means(rows, kinds[kind]) if kind in kinds else {}
            if values:
                parts.append(f"{name}: {_lowest(values, format_joules)}")
        if parts:
            bullets.append(f"**Lowest energy per inference, `{label}`**: {'; '.join(parts)}.")
    latency = _means(rows, "predict_time_per_example")
    if latency:
        bullets.append(
            "**Fastest prediction** (wall clock per test example, this machine): "
            f"{_lowest(latency, format_seconds)}."
        )
    decision = _means(rows, "decision_latency")
    if decision:
        bullets.append(
            "**Earliest decision** (simulated time until the answer is right and stays so): "
            f"{_lowest(decision, format_seconds)}."
        )
    macs, acs = _means(rows, "effective_macs"), _means(rows, "effective_acs")
    operations = {m: macs[m] + acs[m] for m in macs if m in acs}
    if operations:
        winners, _, _ = _ranked(operations, lower=True)
        split = f" ({_count(macs[winners[0]])} MACs + {_count(acs[winners[0]])} ACs)"
        bullets.append(
            "**Fewest operations per example** (effective MACs + ACs): "
            f"{_lowest(operations, _count, unit_note=split)}."
        )
    parameters = _means(rows, "parameter_count")
    if parameters:
        bullets.append(f"**Fewest parameters**: {_lowest(parameters, _count)}.")
    fit = _means(rows, "fit_wall_time")
    if fit:
        bullets.append(f"**Fastest training** (fit, wall clock): {_lowest(fit, format_seconds)}.")
    return Section(
        "Summary",
        (
            tuple(bullets),
            "Means over seeds. Whether a difference is larger than the spread between seeds "
            "is in *Paired statistics*; energies are estimates (see *Energy per inference*).",
        ),
    )


def figure_sections(names: Sequence[str], first_seed) -> list[Section]:
    """Sections for the confusion matrices and each model's receptive fields.

    ``names`` are figure stems in ``figures/`` (``confusion``,
    ``receptive_fields_<model>``); others are not shown here.
    """
    sections = []
    if "confusion" in names:
        sections.append(
            Section(
                f"Confusion matrices (seed {first_seed})",
                (Figure("figures/confusion.png", "confusion"),),
            )
        )
    prefix = "receptive_fields_"
    for name in names:
        if name.startswith(prefix):
            label = name[len(prefix) :]
            sections.append(
                Section(f"Receptive fields: {label}", (Figure(f"figures/{name}.png", label),))
            )
    return sections


def _energy_figure(rows, fig_dir: Path) -> str | None:
    """Draw accuracy against energy, a row per cost table (compute only | with memory)."""
    tables = figures.energy_tables_in(rows)
    if not tables:
        return None
    fig, axes = plt.subplots(
        len(tables), 2, figsize=(9.6, 3.6 * len(tables)), layout="constrained", squeeze=False
    )
    for (label, kinds), row_axes in zip(tables.items(), axes):
        for memory, ax in zip((False, True), row_axes):
            if ("energy_with_memory" if memory else "energy_compute_only") in kinds:
                figures.plot_accuracy_vs_energy(rows, table=label, memory=memory, ax=ax)
            else:
                ax.set_axis_off()
    figures.save(fig, fig_dir / "accuracy_vs_energy")
    return "figures/accuracy_vs_energy.png"


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


def report_sections(
    summary: Sequence[dict],
    rows: Sequence[dict],
    models: Mapping[str, str],
    tables: Sequence[CostTable],
    *,
    seeds: Sequence,
    n_operations: int | None,
    energy_figure: str | None,
    figures: Sequence[str],
) -> list[Section]:
    """The sections every report of one point has, in order: the one route from results
    to sections for report.md (:func:`write_report`) and report.html
    (:func:`compare.report.html.build_sections`).

    ``models`` maps label to arm; ``n_operations`` is the number of test examples the
    operations were counted on; ``energy_figure`` the accuracy-vs-energy figure's path
    (None: none); ``figures`` the stems of the other figures to show.
    """
    return [
        findings_section(summary, rows),
        results_section(summary, n_operations),
        accuracy_section(summary),
        metrics_section(rows, list(models)),
        energy_section(rows, models, tables, figure=energy_figure),
        paired_section(rows, list(models), len(seeds), tables),
        *figure_sections(figures, seeds[0] if len(seeds) else "–"),
    ]


def write_report(out: Path, config, task, summary, evaluations, env, rows) -> Path:
    """Draw the figures and write ``report.md`` in ``out``; return the report's path.

    ``config`` is the :class:`compare.pipeline.spec.ExperimentConfig` of one point,
    ``summary`` one dict per model (:func:`compare.pipeline.runner.summarise`), ``evaluations``
    maps (label, seed) to an object with ``confusion``, ``energy`` (the
    :func:`compare.measure.energy.estimate_energy` breakdowns) and ``weights`` (learned input
    weights or None): a :class:`compare.measure.metrics.Evaluation` or a
    :class:`compare.pipeline.runner.JobRecord`. ``rows`` are the tidy results rows and ``env``
    :func:`compare.files.environment`, with ``job_commits`` where jobs were reused.
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
    ax.set_title(f"{task.name}\ntest accuracy", fontsize=9)
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

    models = {spec.label: spec.arm for spec in config.models}
    tables = [get_table(name) for name in config.energy_tables]
    n_operations = config.operations_examples or task.n_test
    sections = report_sections(
        summary,
        rows,
        models,
        tables,
        seeds=config.seeds,
        n_operations=min(n_operations, task.n_test),
        energy_figure=_energy_figure(rows, fig_dir),
        figures=["confusion", *(name for _, name in field_figures)],
    )
    lines = [
        f"# {config.name}",
        "",
        task_paragraph(task.describe()),
        f"Seeds: {', '.join(map(str, config.seeds))}. "
        f"Chance (majority class): {100 * chance:.1f} %.",
        "",
        *(line for section in sections for line in markdown_section(section)),
    ]
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

    ``points`` pairs each :class:`compare.pipeline.runner.PlannedPoint` with its summary rows;
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
