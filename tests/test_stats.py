"""compare.measure.stats: intervals over seeds, paired tests, Holm's correction, and the
paired table."""

import math

import numpy as np
import pytest
from scipy import stats

from compare.measure.stats import (
    confidence_interval,
    format_p,
    format_paired_statistics,
    holm,
    paired_statistics,
    paired_test,
)

ACCURACIES = [0.81, 0.84, 0.83, 0.86, 0.80]


def test_t_interval_is_the_textbook_formula():
    x = np.array(ACCURACIES)
    ci = confidence_interval(x, method="t")
    # t(0.975, 4) = 2.7764451 (tables); SD with n - 1
    half = 2.7764451 * x.std(ddof=1) / math.sqrt(5)
    assert ci.mean == pytest.approx(0.828, rel=1e-12)  # rel 1e-12: float rounding of a mean
    assert ci.low == pytest.approx(0.828 - half, rel=1e-7)  # 1e-7: t quoted to 8 digits
    assert ci.high == pytest.approx(0.828 + half, rel=1e-7)
    assert ci.half_width == pytest.approx(half, rel=1e-7)
    assert (ci.n, ci.confidence, ci.method, ci.reason) == (5, 0.95, "t", "")
    ci90 = confidence_interval(x, confidence=0.9)
    assert ci90.half_width == pytest.approx(2.1318468 * x.std(ddof=1) / math.sqrt(5), rel=1e-7)


def test_bootstrap_interval_is_seeded_and_within_the_data():
    a = confidence_interval(ACCURACIES, method="bootstrap", random_state=3)
    b = confidence_interval(ACCURACIES, method="bootstrap", random_state=3)
    assert a == b
    # percentiles of resampled means lie between the smallest and largest value
    assert min(ACCURACIES) <= a.low < a.mean < a.high <= max(ACCURACIES)
    assert a.method == "bootstrap" and a.reason == ""
    # the same resamples through scipy directly
    direct = stats.bootstrap(
        (np.array(ACCURACIES),),
        np.mean,
        n_resamples=9999,
        method="percentile",
        rng=np.random.default_rng(3),
    ).confidence_interval
    assert (a.low, a.high) == (direct.low, direct.high)


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_intervals_contain_the_mean_and_widen_with_spread(method):
    centre = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    widths = []
    for spread in (0.001, 0.01, 0.1):
        ci = confidence_interval(0.8 + spread * centre, method=method)
        assert ci.low < ci.mean < ci.high
        assert ci.mean == pytest.approx(0.8, rel=1e-12)
        widths.append(ci.high - ci.low)
    assert widths[0] < widths[1] < widths[2]


def test_the_t_interval_shrinks_with_more_seeds():
    three = [0.80, 0.83, 0.86]
    widths = [confidence_interval(three * k).half_width for k in (1, 2, 4)]
    assert widths[0] > widths[1] > widths[2]


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_one_seed_gives_a_nan_interval_with_the_reason(method):
    ci = confidence_interval([0.9], method=method)
    assert ci.mean == 0.9 and ci.n == 1
    assert math.isnan(ci.low) and math.isnan(ci.high) and math.isnan(ci.half_width)
    assert "at least 2" in ci.reason


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_identical_values_give_a_zero_width_interval(method):
    ci = confidence_interval([0.75, 0.75, 0.75], method=method)
    assert (ci.low, ci.high) == (ci.mean, ci.mean)


def test_interval_arguments_are_checked():
    with pytest.raises(ValueError, match="non-empty 1-D sample"):
        confidence_interval([])
    with pytest.raises(ValueError, match="finite values"):
        confidence_interval([0.8, float("nan")])
    with pytest.raises(ValueError, match="unknown method 'bca'; known: t, bootstrap"):
        confidence_interval([0.8, 0.9], method="bca")
    with pytest.raises(ValueError, match=r"confidence must be in \(0, 1\), got 95"):
        confidence_interval([0.8, 0.9], confidence=95)


def test_paired_test_against_hand_values_and_scipy():
    b = np.array([0.70, 0.75, 0.72, 0.78])
    a = b + np.array([0.01, 0.02, 0.03, 0.04])  # differences 1..4 hundredths
    r = paired_test(a, b)
    # d: mean 0.025, SD 0.0129099 (sqrt(5/3) / 100); d_z = 1.936492, t = d_z sqrt(4)
    assert r.mean_difference == pytest.approx(0.025, rel=1e-9)
    assert r.cohens_dz == pytest.approx(0.025 / (math.sqrt(5 / 3) / 100), rel=1e-9)
    assert r.t_statistic == pytest.approx(2 * r.cohens_dz, rel=1e-9)
    # two-sided p of t = 3.87298 on 3 degrees of freedom
    assert r.t_pvalue == pytest.approx(2 * stats.t.sf(3.8729833, 3), rel=1e-6)
    # Wilcoxon, exact: all 4 differences positive, so W- = 0 and p = 2 / 2^4
    assert (r.wilcoxon_statistic, r.wilcoxon_pvalue) == (0.0, pytest.approx(0.125))
    assert (r.n, r.note) == (4, "")
    # and the same as scipy on data with mixed signs and spread
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.8, 0.02, 8), rng.normal(0.79, 0.02, 8)
    r = paired_test(x, y)
    assert r.t_pvalue == pytest.approx(stats.ttest_rel(x, y).pvalue, rel=1e-12)
    assert r.wilcoxon_pvalue == pytest.approx(stats.wilcoxon(x - y).pvalue, rel=1e-12)
    assert r.cohens_dz == pytest.approx(np.mean(x - y) / np.std(x - y, ddof=1), rel=1e-12)


def test_identical_results_give_p_one():
    r = paired_test(ACCURACIES, list(ACCURACIES))
    assert (r.t_pvalue, r.wilcoxon_pvalue, r.cohens_dz, r.mean_difference) == (1.0, 1.0, 0.0, 0.0)
    assert r.note == "identical results in every pair"


def test_differences_without_spread_have_no_t_test_but_a_wilcoxon():
    # accuracies that differ by the same 10 % in every seed: the float differences
    # differ in the last bits (0.1000000000000001 vs 0.0999999999999999)
    a, b = [0.8, 0.7, 0.9], [0.7, 0.6, 0.8]
    r = paired_test(a, b)
    assert math.isnan(r.t_pvalue) and math.isnan(r.cohens_dz)
    assert r.wilcoxon_pvalue == pytest.approx(0.25)  # 3 positive differences: 2 / 2^3
    assert "no spread" in r.note


def test_fewer_than_two_pairs_give_nan_with_a_note():
    r = paired_test([0.9], [0.8])
    assert r.n == 1 and r.mean_difference == pytest.approx(0.1)
    assert all(math.isnan(v) for v in (r.t_pvalue, r.wilcoxon_pvalue, r.cohens_dz))
    assert "at least 2" in r.note
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        paired_test([0.9, 0.8], [0.8, 0.7, 0.6])


def test_holm_adjustments_by_hand():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06], rel=1e-12)
    # sorted 0.001 x 4, 0.011 x 3, 0.02 x 2, 0.04 x 1 -> running maximum
    assert holm([0.04, 0.001, 0.02, 0.011]) == pytest.approx([0.04, 0.004, 0.04, 0.033])
    assert holm([0.5, 0.6]) == [1.0, 1.0]  # capped at 1
    # NaN stays NaN and is not one of the m tests
    adjusted = holm([0.01, float("nan"), 0.04])
    assert adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.04)
    assert math.isnan(adjusted[1])
    assert holm([]) == []
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        holm([0.5, 1.5])


def _rows(values_by_model, metric="accuracy", unit="1"):
    return [
        dict(model=m, task="digits", seed=s, metric=metric, value=v, unit=unit)
        for m, values in values_by_model.items()
        for s, v in enumerate(values)
    ]


def test_paired_statistics_pairs_models_and_corrects_across_metrics():
    rows = (
        _rows({"snn": [0.80, 0.82, 0.81, 0.79], "mlp": [0.90, 0.93, 0.91, 0.92],
               "lr": [0.88, 0.86, 0.89, 0.90]})
        + _rows({"snn": [3.0, 3.1, 2.9, 3.3], "mlp": [1.0, 1.1, 1.0, 1.2],
                 "lr": [0.2, 0.2, 0.3, 0.2]}, metric="energy", unit="J/example")
        + _rows({"snn": [6500] * 4, "mlp": [7510] * 4, "lr": [650] * 4},
                metric="parameter_count", unit="count")
        + _rows({"snn": [0.1] * 4, "mlp": [0.2, 0.3, 0.1, 0.2], "lr": [float("nan")] * 4},
                metric="activation_sparsity")
    )  # fmt: skip
    table = paired_statistics(rows)
    pairs = [(r["model_a"], r["model_b"], r["metric"]) for r in table]
    # parameter_count never varies over seeds: nothing to test; NaN sparsity: left out
    assert pairs == [
        ("snn", "mlp", "accuracy"),
        ("snn", "mlp", "energy"),
        ("snn", "mlp", "activation_sparsity"),
        ("snn", "lr", "accuracy"),
        ("snn", "lr", "energy"),
        ("mlp", "lr", "accuracy"),
        ("mlp", "lr", "energy"),
    ]
    for row in table:
        a = [
            r["value"]
            for r in rows
            if r["model"] == row["model_a"] and r["metric"] == row["metric"]
        ]
        b = [
            r["value"]
            for r in rows
            if r["model"] == row["model_b"] and r["metric"] == row["metric"]
        ]
        assert row["n"] == 4
        assert row["t_pvalue"] == pytest.approx(stats.ttest_rel(a, b).pvalue, rel=1e-12)
    # Holm within each pair: snn vs mlp is a family of 3 tests, snn vs lr one of 2
    first = [r for r in table if (r["model_a"], r["model_b"]) == ("snn", "mlp")]
    expected = holm([r["t_pvalue"] for r in first])
    assert [r["t_pvalue_holm"] for r in first] == expected
    assert first[0]["t_pvalue_holm"] > first[0]["t_pvalue"]
    assert table[0]["unit"] == "1" and table[1]["unit"] == "J/example"

    chosen = paired_statistics(rows, models=["mlp", "snn"], metrics=["parameter_count", "none"])
    # an explicitly asked constant metric is tested (no spread); an absent one skipped
    assert [(r["model_a"], r["metric"]) for r in chosen] == [("mlp", "parameter_count")]
    assert "no spread" in chosen[0]["note"]


def test_paired_statistics_pairs_by_seed_and_refuses_bad_rows():
    rows = _rows({"a": [0.1, 0.2, 0.3], "b": [0.1, 0.2, 0.3]})
    shuffled = rows[::-1]  # order does not matter: values are matched on (task, seed)
    [row] = paired_statistics(shuffled)
    assert row["t_pvalue"] == 1.0 and row["mean_difference"] == 0.0
    with pytest.raises(ValueError, match="two rows for model 'a', metric 'accuracy'"):
        paired_statistics(rows + rows[:1])
    with pytest.raises(ValueError, match=r"no rows for models \['c'\]"):
        paired_statistics(rows, models=["a", "c"])


def test_the_paired_table_renders_as_markdown():
    rows = _rows({"snn": [0.80, 0.82, 0.81], "mlp": [0.90, 0.93, 0.91]})
    text = format_paired_statistics(paired_statistics(rows))
    header, rule, line = text.splitlines()
    assert header.startswith("| A | B | metric (unit) | seeds |")
    assert rule.count("---") == 11
    assert line.startswith("| snn | mlp | accuracy (1) | 3 | 0.81 | 0.913 | -0.103 |")
    p = paired_test([0.80, 0.82, 0.81], [0.90, 0.93, 0.91]).t_pvalue
    assert f"| {format_p(p)} ({format_p(p)}) |" in line  # one test: Holm changes nothing
