"""Brain vs models in numbers: neurons, synapses, operations, energy and power, side by side.

The project grew from articles that set artificial networks beside the brain: about 86
billion neurons, some 10^14-10^15 synapses, about 20 W. This study (study 9 of the
studies issue) puts every trained model of a spec run next to those figures, on the
same quantities: neurons (units that compute, inputs not counted), synapses
(connections with a weight), operations per inference (effective MACs + ACs, measured
by compare's operations report), energy per inference (compare.measure.energy's estimates,
Horowitz 45 nm fp32, compute only and with memory reads; Loihi for the spiking
models) and the power each would draw answering once per brain recognition time.

The brain's figures are order-of-magnitude values from the literature, each with its
source in ``BRAIN`` below and in the table; the brain's "operations" and "energy per
inference" are derived from them (stated as ranges, with how). A brain does not do one
task at a time: the derived per-inference figures charge the whole brain for one
recognition, an upper bound on what the task itself needs.

By default it reads ``results/fashion_learning_rules_n6000/`` (study 3's committed run);
``--results DIR`` names another spec run. Outputs (``results/brain_vs_models/study/``):
``brain_vs_models.csv`` (one row per model and one for the brain, low and high ends for
the brain's ranges), ``brain_vs_models.md`` (the table with sources),
``source.json``, and ``figures/brain_vs_models.png`` / ``.svg`` (four log-scale panels).

Run ``python experiments/brain_vs_models.py`` (seconds); ``--quick`` first runs
``experiments/specs/fashion_learning_rules.toml`` at smoke size (minutes).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from compare.files import recorded_path, staged_directory, write_csv, write_json
from compare.measure.tidy import Metric, metric_key
from compare.pipeline.study import ROOT, analysis_parser, analysis_source
from compare.report import figures
from compare.tables import format_joules, format_si, format_table

DEFAULT_RESULTS = ROOT / "results" / "fashion_learning_rules_n6000"
SPEC = ROOT / "experiments" / "specs" / "fashion_learning_rules.toml"
ENERGY = "horowitz-45nm-fp32@1"
NEUROMORPHIC = "loihi-2018@1"

BRAIN = {
    "neurons": (8.6e10, 8.6e10, "Azevedo et al. 2009, J. Comp. Neurol. 513:532: 86 billion"),
    "synapses": (
        1e14,
        1e15,
        "Drachman 2005, Neurology 64:2004: 10^14-10^15; the neocortex alone about 1.5e14 "
        "(Pakkenberg et al. 2003, Exp. Gerontol. 38:95)",
    ),
    "power_w": (
        20.0,
        20.0,
        "about 20 W: some 20 % of the body's resting energy use "
        "(Attwell & Laughlin 2001, J. Cereb. Blood Flow Metab. 21:1133)",
    ),
    "recognition_s": (
        0.15,
        0.15,
        "Thorpe, Fize & Marlot 1996, Nature 381:520: visual categorisation within 150 ms",
    ),
    "rate_hz": (
        0.1,
        1.0,
        "mean cortical firing rate below about 1 Hz (Lennie 2003, "
        "Curr. Biol. 13:493); 0.1-1 Hz assumed",
    ),
}
"""Quantity -> (low, high, source) of the human brain's figures."""
QUANTITIES = {
    "neurons": "neurons",
    "synapses": "synapses",
    "power_w": "power (W)",
    "recognition_s": "recognition time (s)",
    "rate_hz": "mean firing rate (Hz)",
}


def brain_row() -> dict:
    """The brain's figures and the per-inference values derived from them (low, high)."""
    n, s, p, t, r = (
        BRAIN[k] for k in ("neurons", "synapses", "power_w", "recognition_s", "rate_hz")
    )
    return {
        "model": "human brain",
        "arm": "brain",
        "accuracy": math.nan,
        "neurons_low": n[0],
        "neurons_high": n[1],
        "synapses_low": s[0],
        "synapses_high": s[1],
        # every synapse receives `rate` spikes per second: synaptic events in one recognition
        "operations_low": s[0] * r[0] * t[0],
        "operations_high": s[1] * r[1] * t[1],
        "energy_compute_only": math.nan,
        "energy_low": p[0] * t[0],
        "energy_high": p[1] * t[1],
        "energy_neuromorphic": math.nan,
        "power_low": p[0],
        "power_high": p[1],
    }


def structure(kind: str, params: dict, n_features: int, n_classes: int):
    """``(neurons, synapses)`` of a model from its kind and hyperparameters; None if unknown.

    Neurons are the units that compute (inputs excluded); synapses the weighted
    connections. The Diehl & Cook network: N excitatory + N inhibitory neurons, input
    -> excitatory (all to all), excitatory -> inhibitory (one to one), inhibitory ->
    excitatory (all others). Dense layered nets: their layer sizes.
    """
    if kind == "diehl-cook":
        n = int(params.get("n_excitatory", 100))
        return 2 * n, n_features * n + n + n * (n - 1)
    if kind in ("mlp", "sg-snn", "converted-snn"):
        hidden = list(params.get("hidden_sizes", [100]))
    elif kind == "logistic":
        hidden = []
    else:
        return None
    sizes = [n_features, *hidden, n_classes]
    return sum(sizes[1:]), sum(a * b for a, b in zip(sizes, sizes[1:]))


def model_rows(results) -> list[dict]:
    """One row per model of the results: means over seeds."""
    values = {}
    for r in results.rows:
        values.setdefault(r["model"], {}).setdefault(metric_key(r), []).append(float(r["value"]))
    n_features = int(np.prod(results.task["shape"]))
    n_classes = len(results.task["classes"])
    t = BRAIN["recognition_s"][0]
    rows = []
    for model, arm in results.models.items():
        m = {k: float(np.mean(v)) for k, v in values[model].items()}
        entry = results.config["models"][model]
        shape = structure(entry["kind"], entry.get("params", {}), n_features, n_classes)
        neurons, synapses = shape if shape else (math.nan, math.nan)
        operations = m.get("effective_macs", 0.0) + m.get("effective_acs", 0.0)
        energy = m.get(Metric("energy_with_memory", cost_table=ENERGY), math.nan)
        row = {
            "model": model,
            "arm": arm,
            "accuracy": m["accuracy"],
            "neurons_low": neurons,
            "neurons_high": neurons,
            "synapses_low": synapses,
            "synapses_high": synapses,
            "operations_low": operations,
            "operations_high": operations,
            "energy_compute_only": m.get(
                Metric("energy_compute_only", cost_table=ENERGY), math.nan
            ),
            "energy_low": energy,
            "energy_high": energy,
            "energy_neuromorphic": m.get(
                Metric("energy_with_memory", cost_table=NEUROMORPHIC), math.nan
            ),
            "power_low": energy / t,
            "power_high": energy / t,
        }
        rows.append(row)
    return rows


PANELS = (
    ("neurons", "neurons"),
    ("synapses", "synapses"),
    ("operations", "operations per inference"),
    ("energy", "energy per inference (J)"),
)


def plot_brain_vs_models(rows: list[dict]):
    """Four log-scale panels; a bar per model, the brain's range as a bar from low to high."""
    fig, axes = plt.subplots(1, len(PANELS), figsize=(11, 0.45 * len(rows) + 1.6), sharey=True)
    styles = figures.model_styles({r["model"]: r["arm"] for r in rows if r["arm"] != "brain"})
    labels = [r["model"] for r in rows]
    for ax, (key, title) in zip(axes, PANELS):
        for y, r in enumerate(rows):
            low, high = r[f"{key}_low"], r[f"{key}_high"]
            if not (low > 0):
                continue
            colour = "#333333" if r["arm"] == "brain" else styles[r["model"]]["color"]
            if high > low:
                ax.plot([low, high], [y, y], color=colour, lw=6, solid_capstyle="butt")
            else:
                ax.plot(
                    [low],
                    [y],
                    marker=styles.get(r["model"], {}).get("marker", "s"),
                    color=colour,
                    ms=7,
                    ls="none",
                )
        ax.set_xscale("log")
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", color="#dddddd", lw=0.5)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(range(len(rows)), labels)
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    parser = analysis_parser(__doc__, DEFAULT_RESULTS)
    args = parser.parse_args(argv)
    results, out = analysis_source(args, "brain_vs_models", SPEC)
    rows = [*model_rows(results), brain_row()]
    with staged_directory(out / "study") as staging:
        (staging / "figures").mkdir()
        write_csv(staging / "brain_vs_models.csv", rows, list(rows[0]))
        write_json(
            staging / "source.json", {"results": recorded_path(results.path), "quick": args.quick}
        )
        figures.save(plot_brain_vs_models(rows), staging / "figures" / "brain_vs_models")
        cells = [
            {
                "model": r["model"],
                "accuracy": "–" if math.isnan(r["accuracy"]) else f"{100 * r['accuracy']:.1f} %",
                "neurons": _range(r, "neurons", "{:.3g}"),
                "synapses": _range(r, "synapses", "{:.3g}"),
                "operations": _range(r, "operations", "{:.3g}"),
                "energy": _range(r, "energy", None),
                "power": _range(r, "power", "W"),
                "neuromorphic": format_joules(r.get("energy_neuromorphic", math.nan)),
            }
            for r in rows
        ]
        text = [
            "# Brain vs models in numbers\n",
            f"Models: `{recorded_path(results.path)}` (means over seeds). Energy: {ENERGY} "
            f"with memory reads; Loihi column: {NEUROMORPHIC}. Power: energy per inference x one "
            f"inference per {BRAIN['recognition_s'][0]} s (the brain's recognition time).\n",
            format_table(
                cells,
                [
                    ("model", "model"),
                    ("accuracy", "accuracy"),
                    ("neurons", "neurons"),
                    ("synapses", "synapses"),
                    ("operations", "operations / inference"),
                    ("energy", "energy / inference"),
                    ("power", "power"),
                    ("neuromorphic", "energy on Loihi"),
                ],
            ),
            "\n## The brain's figures\n",
            format_table(
                [
                    {
                        "quantity": k,
                        "value": _range({"x_low": lo, "x_high": hi}, "x", "{:.3g}"),
                        "source": src,
                    }
                    for k, (lo, hi, src) in BRAIN.items()
                ],
                [("quantity", "quantity"), ("value", "value"), ("source", "source")],
            ),
            "\nDerived: operations per inference = synapses x mean rate x recognition time "
            "(every synapse receives the spikes of its presynaptic neuron); energy per "
            "inference = power x recognition time, for the whole brain.\n",
        ]
        (staging / "brain_vs_models.md").write_text("\n".join(text))
    print((out / "study" / "brain_vs_models.md").read_text())
    return 0


def _range(row: dict, key: str, fmt: str | None) -> str:
    """``low – high`` (one value where they agree); ``fmt`` a format string, a unit
    for SI prefixes (``"W"``), or None for joules."""
    low, high = row[f"{key}_low"], row[f"{key}_high"]
    if fmt is None:
        one = format_joules
    elif "{" in fmt:
        one = fmt.format
    else:
        one = lambda value: format_si(value, fmt)  # noqa: E731
    if isinstance(low, float) and math.isnan(low):
        return "–"
    return one(low) if high == low else f"{one(low)} – {one(high)}"


if __name__ == "__main__":
    raise SystemExit(main())
