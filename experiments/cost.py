"""Cost: what does each model's accuracy cost, and when would a spiking network save energy?

Spiking networks are promoted as energy-efficient because they compute only when a
spike arrives (an accumulate, AC) where a dense network multiplies every weight with
every input (a multiply-accumulate, MAC). Whether that saves energy depends on how
many spikes the network needs, and on memory: every synaptic event also reads a weight
(Dampfhoffer et al. 2023, IEEE TETCI: spiking networks win only below about 0.15-1.38
spikes per synapse per inference). This study (study 7 of the studies issue) reads the
operations and energy estimates a spec run measured for every model and shows:

- accuracy against operations per inference (MACs + ACs) and against energy per
  inference under every cost table, compute only and with memory reads, each with its
  Pareto front (:func:`compare.report.figures.plot_accuracy_vs_cost`);
- for each spiking model, the synaptic events per spike-driven synapse per inference
  it measured, beside the break-even value above which it costs more than its dense
  twin (:func:`compare.measure.energy.break_even_spikes_per_synapse`), per cost table.

By default it reads ``results/fashion_learning_rules_n6000/`` (study 3's committed run:
D&C-400, its MLP twin, the SG-SNN 784-400-10 and logistic regression on Fashion-MNIST,
6,000 training images, 3 seeds); ``--results DIR`` names another spec run.

Outputs (``results/cost/study/``): ``cost.csv`` (per model: accuracy, operations,
energy per table and estimate; means over seeds), ``break_even.csv`` (per spiking model
and table: spikes per synapse measured and break-even, compute only and with memory),
``cost.md`` (both tables), ``source.json`` (the directory read), and in ``figures/``
``accuracy_vs_operations`` and ``accuracy_vs_energy_<TABLE>_<compute|memory>`` (PNG
and SVG).

Run ``python experiments/cost.py`` (seconds); ``--quick`` first runs
``experiments/specs/fashion_learning_rules.toml`` at smoke size (minutes) and analyses
that.
"""

from __future__ import annotations

import math

import numpy as np

from compare.files import recorded_path, staged_directory, write_csv, write_json
from compare.measure.energy import TABLES, break_even_spikes_per_synapse
from compare.measure.tidy import Metric, metric_key
from compare.pipeline.study import ROOT, analysis_parser, analysis_source
from compare.report import figures
from compare.tables import format_joules, format_table

DEFAULT_RESULTS = ROOT / "results" / "fashion_learning_rules_n6000"
SPEC = ROOT / "experiments" / "specs" / "fashion_learning_rules.toml"
OPERATIONS = "operations"
"""The synthetic tidy metric this study adds: effective MACs + effective ACs per example."""


def spike_driven_layer(kind: str, params: dict, n_features: int, n_classes: int):
    """``(synapses, fan_in)`` of a spiking model's spike-driven synapses; None if unknown.

    - ``diehl-cook``: every synapse carries spikes: input -> excitatory (``n_features``
      x N), excitatory -> inhibitory (N), inhibitory -> excitatory (N (N - 1)); fan-in
      ``n_features`` (the input layer dominates).
    - ``sg-snn``: with its default ``"direct"`` encoding the first layer is computed
      once from the analog input (MACs); the later layers carry spikes: fan-in the
      last hidden layer's width.
    """
    if kind == "diehl-cook":
        n = int(params.get("n_excitatory", 100))
        return n_features * n + n + n * (n - 1), n_features
    if kind == "sg-snn" and params.get("encoding", "direct") == "direct":
        sizes = [*params.get("hidden_sizes", [100]), n_classes]
        if len(sizes) < 2:
            return None
        return sum(a * b for a, b in zip(sizes, sizes[1:])), sizes[-2]
    return None


def time_steps(kind: str, params: dict, means: dict) -> float:
    """Neuron updates per neuron per inference (what the break-even's T counts)."""
    if kind == "diehl-cook":
        return means["neuron_updates"] / (2 * int(params.get("n_excitatory", 100)))
    return float(params.get("n_steps", 25))


def with_operations(rows) -> list[dict]:
    """``rows`` plus one ``operations`` row per job: effective MACs + effective ACs."""
    rows = list(rows)
    per_job = {}
    for r in rows:
        if r["metric"] in ("effective_macs", "effective_acs"):
            key = (r["model"], r["seed"])
            base = per_job.setdefault(
                key, {**r, "metric": OPERATIONS, "value": 0.0, "unit": "op/example"}
            )
            base["value"] += float(r["value"])
    return rows + list(per_job.values())


def model_means(rows) -> dict[str, dict]:
    """Model -> metric key (:func:`compare.measure.tidy.metric_key`) -> mean over seeds."""
    values = {}
    for r in rows:
        values.setdefault(r["model"], {}).setdefault(metric_key(r), []).append(float(r["value"]))
    return {m: {k: float(np.mean(v)) for k, v in metrics.items()} for m, metrics in values.items()}


def _energy_column(metric: Metric) -> str:
    """The column of ``cost.csv`` holding an energy estimate (a header, never parsed)."""
    return f"{metric.name}[{metric.cost_table}]"


def _energy_header(metric: Metric) -> str:
    memory = metric.name == "energy_with_memory"
    return f"{metric.cost_table.split('@')[0]}, {'with memory' if memory else 'compute only'} (J)"


def main(argv=None) -> int:
    parser = analysis_parser(__doc__, DEFAULT_RESULTS)
    args = parser.parse_args(argv)
    results, out = analysis_source(args, "cost", SPEC)
    rows = with_operations(results.rows)
    means = model_means(rows)
    config_models = results.config["models"]
    n_features = int(np.prod(results.task["shape"])) if results.task else None
    n_classes = len(results.task["classes"]) if results.task else None
    energy_metrics = sorted(
        {metric_key(r) for r in rows if r["metric"].startswith("energy_")},
        key=lambda m: (m.name, m.cost_table),
    )

    cost = []
    for model, arm in results.models.items():
        m = means[model]
        row = {"model": model, "arm": arm, "accuracy": m["accuracy"], OPERATIONS: m[OPERATIONS]}
        row |= {k: m.get(k, math.nan) for k in ("effective_macs", "effective_acs")}
        row |= {_energy_column(metric): m.get(metric, math.nan) for metric in energy_metrics}
        cost.append(row)

    break_even = []
    for model, arm in results.models.items():
        kind, params = config_models[model]["kind"], config_models[model].get("params", {})
        layer = (
            spike_driven_layer(kind, params, n_features, n_classes)
            if arm == "spiking" or kind == "sg-snn"
            else None
        )
        if layer is None:
            continue
        synapses, fan_in = layer
        steps = time_steps(kind, params, means[model])
        measured = means[model]["effective_acs"] / synapses
        for table in ("horowitz-45nm-fp32", "horowitz-45nm-int8"):
            row = {
                "model": model,
                "table": TABLES[table].label,
                "spike_driven_synapses": synapses,
                "fan_in": fan_in,
                "time_steps": steps,
                "spikes_per_synapse": measured,
            }
            for memory in (False, True):
                key = "break_even_with_memory" if memory else "break_even_compute_only"
                row[key] = break_even_spikes_per_synapse(
                    table,
                    fan_in=fan_in,
                    n_steps=max(1, round(steps)),
                    memory=memory,
                    parameter_count=means[model]["parameter_count"],
                )
            break_even.append(row)

    with staged_directory(out / "study") as staging:
        fig_dir = staging / "figures"
        fig_dir.mkdir()
        write_csv(staging / "cost.csv", cost, list(cost[0]))
        if break_even:
            write_csv(staging / "break_even.csv", break_even, list(break_even[0]))
        write_json(
            staging / "source.json", {"results": recorded_path(results.path), "quick": args.quick}
        )
        ax = figures.plot_accuracy_vs_cost(
            rows, OPERATIONS, xlabel="operations per inference (effective MACs + ACs)"
        )
        figures.save(ax.figure, fig_dir / "accuracy_vs_operations")
        for label in figures.energy_tables_in(rows):
            for memory in (False, True):
                try:
                    ax = figures.plot_accuracy_vs_energy(rows, table=label, memory=memory)
                except ValueError:  # no estimate of this kind under this table
                    continue
                name = (
                    f"accuracy_vs_energy_{label.split('@')[0]}_{'memory' if memory else 'compute'}"
                )
                figures.save(ax.figure, fig_dir / name)
        text = ["# Cost: accuracy against operations and estimated energy per inference\n"]
        text.append(f"Source: `{recorded_path(results.path)}`.\n")
        columns = [
            ("model", "model"),
            ("arm", "arm"),
            ("accuracy", "accuracy"),
            (OPERATIONS, "MACs + ACs"),
        ]
        columns += [(_energy_column(metric), _energy_header(metric)) for metric in energy_metrics]
        energy_columns = {_energy_column(metric) for metric in energy_metrics}
        cells = [
            {k: format_joules(v) if k in energy_columns and v == v else v for k, v in r.items()}
            for r in cost
        ]
        text.append(format_table(cells, columns))
        if break_even:
            text.append("\n## Spikes per synapse per inference against the break-even point\n")
            text.append(
                "A spiking layer costs less than its dense twin only while its synaptic "
                "events per spike-driven synapse per inference stay below the break-even "
                "(Dampfhoffer et al. 2023; "
                "`compare.measure.energy.break_even_spikes_per_synapse`).\n"
            )
            text.append(
                format_table(
                    break_even,
                    [
                        ("model", "model"),
                        ("table", "cost table"),
                        ("spike_driven_synapses", "spike-driven synapses"),
                        ("fan_in", "fan-in"),
                        ("time_steps", "time steps"),
                        ("spikes_per_synapse", "measured"),
                        ("break_even_compute_only", "break-even, compute only"),
                        ("break_even_with_memory", "break-even, with memory"),
                    ],
                )
            )
        (staging / "cost.md").write_text("\n".join(text) + "\n")
    print((out / "study" / "cost.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
