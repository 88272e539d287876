"""compare.report.markdown's builders: the report as data (sections, tables), from
hand-made rows."""

import numpy as np
import pytest
from scipy import stats

from compare.measure.energy import energy_metric, estimate_energy, get_table
from compare.measure.stats import confidence_interval, format_p
from compare.measure.tidy import Metric, metric_columns
from compare.report.markdown import (
    Figure,
    Section,
    Table,
    energy_section,
    findings_section,
    markdown_section,
    metrics_section,
    paired_section,
)

HOROWITZ = get_table("horowitz-45nm-fp32")
LOIHI = get_table("loihi-2018")

# model -> arm and metric -> value per seed (0, 1)
MODELS = {
    "snn": (
        "spiking",
        {
            "accuracy": (0.80, 0.82),
            energy_metric(HOROWITZ, memory=False): (1e-9, 1e-9),
            energy_metric(HOROWITZ, memory=True): (5e-9, 5e-9),
            energy_metric(LOIHI, memory=False): (5e-8, 5e-8),
            energy_metric(LOIHI, memory=True): (5e-8, 5e-8),
            "predict_time_per_example": (1e-3, 1e-3),
            "decision_latency": (0.045, 0.045),
            "effective_macs": (0.0, 0.0),
            "effective_acs": (3000.0, 3000.0),
            "neuron_updates": (700.0, 700.0),
            "parameter_count": (7850.0, 7850.0),
            "fit_wall_time": (60.0, 62.0),
        },
    ),
    "mlp": (
        "artificial",
        {
            "accuracy": (0.90, 0.94),
            energy_metric(HOROWITZ, memory=False): (4e-9, 4e-9),
            energy_metric(HOROWITZ, memory=True): (6e-9, 6e-9),
            "predict_time_per_example": (2e-6, 2e-6),
            "effective_macs": (1000.0, 1000.0),
            "effective_acs": (0.0, 0.0),
            "neuron_updates": (0.0, 0.0),
            "parameter_count": (8000.0, 8000.0),
            "fit_wall_time": (2.0, 2.0),
        },
    ),
    "logreg": (
        "artificial",
        {
            "accuracy": (0.84, 0.86),
            energy_metric(HOROWITZ, memory=False): (2e-9, 2e-9),
            energy_metric(HOROWITZ, memory=True): (5e-9, 5e-9),
            "predict_time_per_example": (3e-6, 3e-6),
            "effective_macs": (500.0, 500.0),
            "effective_acs": (0.0, 0.0),
            "neuron_updates": (0.0, 0.0),
            "parameter_count": (650.0, 650.0),
            "fit_wall_time": (0.02, 0.02),
        },
    ),
}


def _rows():
    return [
        dict(
            task="t",
            model=model,
            arm=arm,
            seed=seed,
            **metric_columns(metric),
            value=values[seed],
            unit="",
        )
        for model, (arm, metrics) in MODELS.items()
        for metric, values in metrics.items()
        for seed in (0, 1)
    ]


def _summary():
    summary = []
    for model, (arm, metrics) in MODELS.items():
        ci = confidence_interval(metrics["accuracy"])
        summary.append(
            dict(
                model=model,
                arm=arm,
                seeds=2,
                accuracy_mean=ci.mean,
                accuracy_ci95_halfwidth=ci.half_width,
            )
        )
    return summary


def test_findings_name_the_best_model_on_each_count_with_its_numbers():
    [bullets, note] = findings_section(_summary(), _rows()).blocks
    text = {b.split("**")[1]: b for b in bullets}
    # mlp 92.0 %, next logreg 85.0 %; the paired t-test of the two over seeds 0 and 1
    p = stats.ttest_rel([0.90, 0.94], [0.84, 0.86]).pvalue
    half = 100 * stats.t.ppf(0.975, 1) * np.std([0.90, 0.94], ddof=1) / np.sqrt(2)
    assert text["Highest test accuracy"] == (
        f"**Highest test accuracy**: mlp, 92.0 % (± {half:.1f}, 95 % t-interval over 2 "
        f"seeds); next logreg, 85.0 %, 7.0 points lower (paired over 2 seeds: t-test p = "
        f"{format_p(p)}, Wilcoxon p = 0.5)."
    )
    # every table: compute only and with memory; ties share first place
    assert text["Lowest energy per inference, `horowitz-45nm-fp32@1`"].endswith(
        ": compute only: snn, 1 nJ; next logreg, 2 nJ, 2× as much; "
        "with memory: snn and logreg, 5 nJ (a tie); next mlp, 6 nJ, 1.2× as much."
    )
    assert (
        "snn, 50 nJ (the only model measured)"
        in text["Lowest energy per inference, `loihi-2018@1`"]
    )
    assert "mlp, 2 µs; next logreg, 3 µs, 1.5× as much." in text["Fastest prediction"]
    assert "snn, 45 ms (the only model measured)" in text["Earliest decision"]
    assert text["Fewest operations per example"].endswith(
        "logreg, 500 (500 MACs + 0 ACs); next mlp, 1,000, 2× as much."
    )
    assert "logreg, 650; next snn, 7,850" in text["Fewest parameters"]
    assert "logreg, 20 ms; next mlp, 2 s, 100× as much." in text["Fastest training"]
    assert "Paired statistics" in note


def test_findings_leave_out_what_no_model_measured():
    rows = [r for r in _rows() if r["metric"] in ("accuracy", "fit_wall_time")]
    [bullets, _] = findings_section(_summary()[:1], [r for r in rows if r["model"] == "snn"]).blocks
    assert [b.split("**")[1] for b in bullets] == ["Highest test accuracy", "Fastest training"]
    assert (
        bullets[0].startswith("**Highest test accuracy**: snn, 81.0 %") and "next" not in bullets[0]
    )


def test_energy_section_prices_from_the_rows_and_names_what_is_not_priced():
    models = {m: arm for m, (arm, _) in MODELS.items()}
    section = energy_section(_rows(), models, [HOROWITZ, LOIHI], figure="figures/x.png")
    table = section.blocks[0]
    cells = {(r["table"], r["model"]): r for r in table.rows}
    assert list(cells) == [
        ("horowitz-45nm-fp32@1", "snn"),
        ("horowitz-45nm-fp32@1", "mlp"),
        ("horowitz-45nm-fp32@1", "logreg"),
        ("loihi-2018@1", "snn"),
    ]
    # Horowitz has no neuron-update cost: the spiking model's 700 updates are not priced,
    # as estimate_energy says for the same counts
    ops = {k: MODELS["snn"][1][k][0] for k in ("effective_macs", "effective_acs")}
    ops.update(parameter_count=7850.0, neuron_updates=700.0)
    assert estimate_energy(ops, HOROWITZ)["unpriced"] == ("neuron_updates",)
    assert cells["horowitz-45nm-fp32@1", "snn"]["unpriced"] == "neuron updates"
    assert cells["horowitz-45nm-fp32@1", "mlp"]["unpriced"] == "–"
    assert cells["horowitz-45nm-fp32@1", "snn"]["compute"] == "1 nJ"
    assert cells["horowitz-45nm-fp32@1", "snn"]["share"] == "80 %"  # (5 - 1) / 5
    assert cells["loihi-2018@1", "snn"]["share"] == "in op costs"
    assert "`loihi-2018@1` cannot price mlp, logreg" in section.blocks[2]
    assert Figure("figures/x.png", "accuracy against energy") in section.blocks
    assert table.code == {"table"}


def test_paired_section_needs_two_seeds_and_compares_every_pair():
    rows = _rows()
    one_seed = paired_section([r for r in rows if r["seed"] == 0], list(MODELS), 1, [HOROWITZ])
    assert "this run has 3 model(s) and 1 seed(s)" in one_seed.blocks[0]
    table = paired_section(rows, list(MODELS), 2, [HOROWITZ, LOIHI]).blocks[0]
    pairs = {(r["model_a"], r["model_b"]) for r in table.rows}
    assert pairs == {("snn", "mlp"), ("snn", "logreg"), ("mlp", "logreg")}
    accuracy = [r for r in table.rows if r["metric"] == "accuracy"]
    assert len(accuracy) == 3 and all(r["n"] == 2 for r in accuracy)
    # each cost table's estimate is its own metric, named with its table
    energy = {r["metric"] for r in table.rows if r["model_a"] == "snn" and r["model_b"] == "mlp"}
    assert "energy_with_memory, cost_table=horowitz-45nm-fp32@1" in energy
    assert not any("loihi" in m for m in energy)  # mlp has no Loihi estimate


def test_metrics_section_has_a_row_per_corruption_and_severity_in_their_columns():
    rows = [
        dict(model="a", seed=seed, **metric_columns(metric), value=value, unit="1")
        for seed in (0, 1)
        for metric, value in (
            ("accuracy", 0.9),
            (Metric("corrupted_accuracy", corruption="gaussian", severity=1), 0.8 + seed / 10),
            (Metric("corrupted_accuracy", corruption="gaussian", severity=3), 0.5),
            (Metric("energy_with_memory", cost_table="loihi-2018@1"), 1e-9),  # its own section
        )
    ]
    table = metrics_section(rows, ["a"]).blocks[0]
    assert [c for c, _ in table.columns] == ["metric", "corruption", "severity", "unit", "a"]
    cells = [(r["metric"], r["corruption"], r["severity"], r["a"]) for r in table.rows]
    assert cells == [
        ("accuracy", "", "", 0.9),
        ("corrupted_accuracy", "gaussian", 1, pytest.approx(0.85)),
        ("corrupted_accuracy", "gaussian", 3, 0.5),
    ]


def test_markdown_renders_every_block():
    section = Section(
        "Energy (J)",
        (
            Table((("t", "table"), ("v", "value")), ({"t": "a@1", "v": 1234.0},), frozenset({"t"})),
            "A *paragraph*.",
            ("one", "two"),
            Figure("figures/f.png", "f"),
        ),
    )
    assert section.anchor == "energy-j"
    assert markdown_section(section) == [
        "## Energy (J)",
        "",
        "| table | value |\n|---|---|\n| `a@1` | 1,234 |",
        "",
        "A *paragraph*.",
        "",
        "- one",
        "- two",
        "",
        "![f](figures/f.png)",
        "",
    ]


@pytest.mark.parametrize("missing", ["effective_acs", "neuron_updates"])
def test_unpriced_terms_need_a_whole_operations_report(missing):
    """A model without a complete operations report gets no unpriced terms, not an error."""
    rows = [r for r in _rows() if r["metric"] != missing]
    section = energy_section(rows, {"snn": "spiking"}, [HOROWITZ])
    assert section.blocks[0].rows[0]["unpriced"] == "–"
