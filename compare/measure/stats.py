"""Statistics over seeds: confidence intervals, paired comparisons, Holm's correction.

A result over seeds is a small sample (often 3-10 values), so every function here says
what it can and cannot conclude from it instead of failing: one seed gives a NaN
interval with the reason, identical results give p = 1.

- :func:`confidence_interval`: the mean of a metric over seeds with a t-interval
  (``scipy.stats.t``) or a percentile bootstrap interval (``scipy.stats.bootstrap``,
  seeded).
- :func:`paired_test`: two models on the same seeds (and data): the paired t-test
  (``scipy.stats.ttest_rel``), the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``)
  and Cohen's :math:`d_z`.
- :func:`holm`: Holm's (1979) step-down adjustment of a family of p-values.
- :func:`paired_statistics`: every pair of models x every metric of a tidy results
  table, Holm-adjusted across the metrics of each pair: a list of dicts;
  :func:`paired_statistics_cells` formats it for a table (:data:`PAIRED_COLUMNS`) and
  :func:`format_paired_statistics` renders that as Markdown.

References
----------
- S. Holm, "A simple sequentially rejective multiple test procedure", Scand. J.
  Statist. 6(2):65-70, 1979.
- J. Cohen, *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., 1988
  (:math:`d_z` for paired samples, section 2.3.5).
- F. Wilcoxon, "Individual comparisons by ranking methods", Biometrics Bull.
  1(6):80-83, 1945.
- B. Efron, R. Tibshirani, *An Introduction to the Bootstrap*, 1993 (percentile
  intervals, chapter 13).

Example
-------
>>> ci = confidence_interval([0.81, 0.84, 0.83])
>>> round(ci.mean, 4), ci.low < ci.mean < ci.high
(0.8267, True)
>>> test = paired_test([0.81, 0.84, 0.83], [0.81, 0.84, 0.83])
>>> test.t_pvalue, test.wilcoxon_pvalue
(1.0, 1.0)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from compare.measure.tidy import Metric, metric_columns, metric_key, metric_label
from compare.tables import format_table

__all__ = [
    "INTERVAL_METHODS",
    "Interval",
    "PAIRED_COLUMNS",
    "PairedTest",
    "confidence_interval",
    "format_p",
    "interval_rows",
    "format_paired_statistics",
    "holm",
    "paired_statistics",
    "paired_statistics_cells",
    "paired_test",
]

INTERVAL_METHODS = ("t", "bootstrap")
"""Methods of :func:`confidence_interval`."""

_TIE_ULPS = 64
"""Differences within this many float64 ulps of the compared values count as equal."""


@dataclass(frozen=True)
class Interval:
    """The mean of a sample and a confidence interval around it."""

    mean: float
    """Sample mean."""
    low: float
    """Lower end (NaN when no interval can be given: see ``reason``)."""
    high: float
    """Upper end (NaN when no interval can be given)."""
    n: int
    """Sample size (e.g. seeds)."""
    confidence: float
    """Nominal coverage, e.g. 0.95."""
    method: str
    """``"t"`` or ``"bootstrap"`` (percentile)."""
    reason: str = ""
    """Why the interval is NaN; empty when it is not."""

    @property
    def half_width(self) -> float:
        """``(high - low) / 2``: the ± of a t-interval (NaN where there is no interval)."""
        return (self.high - self.low) / 2


def _sample(values, name="values") -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D sample, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: expected finite values, got {x.tolist()}")
    return x


def confidence_interval(
    values: Sequence[float],
    *,
    confidence: float = 0.95,
    method: str = "t",
    n_resamples: int = 9999,
    random_state: int = 0,
) -> Interval:
    """Mean of ``values`` (e.g. accuracy over seeds) with a confidence interval.

    ``"t"``: :math:`\\bar x \\pm t_{(1+c)/2,\\,n-1}\\, s / \\sqrt n` (Student's t with
    :math:`n - 1` degrees of freedom, :math:`s` the sample standard deviation), via
    ``scipy.stats.t.interval``; it assumes the values are roughly normal, and widens
    with their spread and as :math:`n` falls. ``"bootstrap"``: the
    :math:`(1 - c)/2` and :math:`(1 + c)/2` percentiles of the means of
    ``n_resamples`` resamples with replacement (``scipy.stats.bootstrap``, method
    ``"percentile"``), drawn by a generator seeded with ``random_state``; with a
    handful of seeds it is narrower than it should be (it cannot see beyond the
    values observed), so prefer the t-interval below about 10.

    Parameters
    ----------
    values
        The sample: finite numbers, at least one.
    confidence
        Nominal coverage, in (0, 1).
    method
        ``"t"`` or ``"bootstrap"``.
    n_resamples, random_state
        Bootstrap resamples and the seed of their generator.

    Returns
    -------
    Interval
        With one value, ``low`` and ``high`` are NaN and ``reason`` says why. With
        identical values, both equal the mean.

    Examples
    --------
    >>> ci = confidence_interval([1.0, 2.0, 3.0])  # 2 +- t(0.975, 2) x 1 / sqrt(3)
    >>> round(ci.half_width, 4)
    2.4841
    >>> confidence_interval([0.9]).reason
    'one value: an interval needs at least 2 (e.g. seeds)'
    """
    x = _sample(values)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if method not in INTERVAL_METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(INTERVAL_METHODS)}")
    mean, n = float(x.mean()), len(x)
    if n == 1:
        reason = "one value: an interval needs at least 2 (e.g. seeds)"
        return Interval(mean, math.nan, math.nan, 1, confidence, method, reason)
    if np.ptp(x) == 0:  # no spread: every method gives the point (scipy would give NaN)
        return Interval(mean, mean, mean, n, confidence, method)
    if method == "t":
        low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=stats.sem(x))
    else:
        result = stats.bootstrap(
            (x,),
            np.mean,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(random_state),
        )
        low, high = result.confidence_interval
    return Interval(mean, float(low), float(high), n, confidence, method)


@dataclass(frozen=True)
class PairedTest:
    """Two models compared on the same seeds: ``a - b``."""

    n: int
    """Number of pairs."""
    mean_a: float
    mean_b: float
    mean_difference: float
    """Mean of ``a - b``."""
    t_statistic: float
    t_pvalue: float
    """Two-sided paired t-test."""
    wilcoxon_statistic: float
    wilcoxon_pvalue: float
    """Two-sided Wilcoxon signed-rank test (zero differences dropped)."""
    cohens_dz: float
    """Mean difference / standard deviation of the differences."""
    note: str = ""
    """Why a statistic is NaN or set by hand; empty otherwise."""


def interval_rows(rows: Iterable[Mapping], keys: Sequence[str], **options) -> list[dict]:
    """Mean and confidence interval over seeds of tidy rows, one result per group.

    Rows are grouped by the values of ``keys`` (for instance ``("model", "metric")``);
    each group's ``value`` column (one per seed; a repeated seed is an error) gives a
    :func:`confidence_interval` (``options`` are its keyword arguments). Groups come
    out in order of first appearance, as dicts of the keys plus ``mean``, ``low``,
    ``high``, ``n`` and ``seeds``.

    >>> rows = [{"model": "a", "seed": s, "value": v} for s, v in enumerate([0.8, 0.9])]
    >>> [(r["model"], round(r["mean"], 2), r["n"]) for r in interval_rows(rows, ["model"])]
    [('a', 0.85, 2)]
    """
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        by_seed = groups.setdefault(key, {})
        if row["seed"] in by_seed:
            raise ValueError(
                f"two rows for {dict(zip(keys, key))}, seed {row['seed']}: group by more keys"
            )
        by_seed[row["seed"]] = float(row["value"])
    out = []
    for key, by_seed in groups.items():
        ci = confidence_interval(list(by_seed.values()), **options)
        out.append(
            {
                **dict(zip(keys, key)),
                "mean": ci.mean,
                "low": ci.low,
                "high": ci.high,
                "n": ci.n,
                "seeds": " ".join(str(s) for s in by_seed),
            }
        )
    return out


def paired_test(a: Sequence[float], b: Sequence[float]) -> PairedTest:
    """Paired t-test, Wilcoxon signed-rank test and Cohen's :math:`d_z` of ``a`` vs ``b``.

    ``a[i]`` and ``b[i]`` must come from the same seed (and data). With differences
    :math:`d_i = a_i - b_i`, :math:`t = \\bar d / (s_d / \\sqrt n)` on :math:`n - 1`
    degrees of freedom (``scipy.stats.ttest_rel``) and :math:`d_z = \\bar d / s_d`
    (Cohen 1988). Wilcoxon's test (``scipy.stats.wilcoxon``, exact for small samples)
    ranks the non-zero :math:`|d_i|`; it assumes no normality, but with few pairs its
    p-value cannot be small: with :math:`n` non-zero differences the smallest
    two-sided p is :math:`2^{1-n}` (0.25 for 3 seeds).

    Degenerate cases, each explained in ``note``:

    - :math:`n < 2`: every statistic NaN.
    - all differences zero (identical results): p = 1 for both tests, statistics and
      :math:`d_z` 0.
    - all differences equal but not zero (no spread): the t-test and :math:`d_z` are
      undefined (NaN); Wilcoxon still applies.

    Differences within a few float64 rounding errors of the values are taken as
    equal (accuracies that differ by the same count of test examples in every seed
    are not told apart by rounding).

    Examples
    --------
    >>> r = paired_test([0.90, 0.92, 0.91, 0.93], [0.85, 0.88, 0.86, 0.86])
    >>> round(r.mean_difference, 4), round(r.cohens_dz, 2), round(r.wilcoxon_pvalue, 3)
    (0.0525, 4.17, 0.125)
    """
    x, y = _sample(a, "a"), _sample(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"paired samples must have the same length, got {len(x)} and {len(y)}")
    n = len(x)
    d = x - y
    scale = max(float(np.max(np.abs(x))), float(np.max(np.abs(y))), np.finfo(float).tiny)
    tolerance = _TIE_ULPS * np.finfo(float).eps * scale
    d[np.abs(d) <= tolerance] = 0.0
    means = dict(
        n=n, mean_a=float(x.mean()), mean_b=float(y.mean()), mean_difference=float(d.mean())
    )
    nan = math.nan
    if n < 2:
        return PairedTest(
            **means,
            t_statistic=nan,
            t_pvalue=nan,
            wilcoxon_statistic=nan,
            wilcoxon_pvalue=nan,
            cohens_dz=nan,
            note=f"{n} pair: a paired test needs at least 2 (seeds)",
        )
    if not d.any():
        return PairedTest(
            **means,
            t_statistic=0.0,
            t_pvalue=1.0,
            wilcoxon_statistic=0.0,
            wilcoxon_pvalue=1.0,
            cohens_dz=0.0,
            note="identical results in every pair",
        )
    wilcoxon = stats.wilcoxon(d)
    if np.ptp(d) <= tolerance:
        return PairedTest(
            **means,
            t_statistic=nan,
            t_pvalue=nan,
            wilcoxon_statistic=float(wilcoxon.statistic),
            wilcoxon_pvalue=float(wilcoxon.pvalue),
            cohens_dz=nan,
            note=f"every difference is {d[0]:.3g}: no spread, so no t-test or d_z",
        )
    t = stats.ttest_rel(x, y)
    return PairedTest(
        **means,
        t_statistic=float(t.statistic),
        t_pvalue=float(t.pvalue),
        wilcoxon_statistic=float(wilcoxon.statistic),
        wilcoxon_pvalue=float(wilcoxon.pvalue),
        cohens_dz=float(d.mean() / d.std(ddof=1)),
    )


def holm(pvalues: Iterable[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order.

    Sorted ascending, :math:`p_{(i)}` (:math:`i = 1..m`) becomes
    :math:`\\max_{j \\le i} \\min(1, (m - j + 1)\\, p_{(j)})`; rejecting where the
    adjusted p is below :math:`\\alpha` controls the family-wise error rate at
    :math:`\\alpha` (Holm 1979). NaN p-values stay NaN and are not counted in
    :math:`m`.

    >>> [round(p, 10) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(list(pvalues), dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p-values must be in [0, 1], got {p.tolist()}")
    adjusted = np.full(p.shape, math.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = len(finite)
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def _paired_values(rows, model_a, model_b, metric):
    """Values of the metric key ``metric`` of two models matched on (task, seed), in
    sorted key order."""
    found = {model_a: {}, model_b: {}}
    for row in rows:
        if row["model"] in found and metric_key(row) == metric:
            key = (row.get("task"), row["seed"])
            if key in found[row["model"]]:
                raise ValueError(
                    f"two rows for model {row['model']!r}, metric {metric_label(metric)!r}, "
                    f"task {key[0]!r}, seed {key[1]!r}: expected one per model x task x seed"
                )
            found[row["model"]][key] = float(row["value"])
    keys = sorted(found[model_a].keys() & found[model_b].keys(), key=str)
    return [found[model_a][k] for k in keys], [found[model_b][k] for k in keys]


def paired_statistics(
    rows: Iterable[dict],
    *,
    models: Sequence[str] | None = None,
    metrics: Sequence[str | Metric] | None = None,
) -> list[dict]:
    """Paired comparisons of every pair of models on every metric: a tidy table.

    Parameters
    ----------
    rows
        Tidy results rows (:data:`compare.files.TIDY_COLUMNS`: ``model``, ``task``,
        ``seed``, ``metric``, ``value``, ``unit``). Values are paired on (task, seed).
    models
        Models to compare, in this order (``a`` is the earlier one); default: every
        model, in order of appearance.
    metrics
        Metric keys to compare (names, or :class:`compare.measure.tidy.Metric` for a
        metric with variables, such as an energy estimate's cost table); default:
        every metric both models of a pair have, except
        those that do not vary over seeds within either model (structural constants
        such as ``parameter_count``: nothing to test) when there are 2 or more seeds.
        Metrics with a non-finite value in either model are left out (e.g.
        ``activation_sparsity`` of a model without hidden layers).

    Returns
    -------
    list of dict
        One per (model pair, metric): ``model_a``, ``model_b``, the metric's columns
        (:data:`compare.files.METRIC_COLUMNS`: ``metric`` and its variables, None where
        they do not apply), ``unit``, ``n`` and the fields of :class:`PairedTest`
        (``mean_a``, ``mean_b``, ``mean_difference`` (a - b), ``t_statistic``,
        ``t_pvalue``, ``wilcoxon_statistic``, ``wilcoxon_pvalue``, ``cohens_dz``,
        ``note``), plus
        ``t_pvalue_holm`` and ``wilcoxon_pvalue_holm``: Holm-adjusted across the
        metrics of the same pair of models (the family is one pair's metrics).

    Examples
    --------
    >>> rows = [dict(model=m, task="digits", seed=s, metric="accuracy", value=v, unit="1")
    ...         for m, vs in {"snn": [0.80, 0.82, 0.81], "mlp": [0.90, 0.93, 0.91]}.items()
    ...         for s, v in enumerate(vs)]
    >>> [row] = paired_statistics(rows)
    >>> row["model_a"], row["model_b"], row["n"], round(row["mean_difference"], 3)
    ('snn', 'mlp', 3, -0.103)
    """
    rows = list(rows)
    models = list(dict.fromkeys(r["model"] for r in rows)) if models is None else list(models)
    units = {(r["model"], metric_key(r)): r.get("unit", "") for r in rows}
    known = {m for m, _ in units}
    unknown = [m for m in models if m not in known]
    if unknown:
        raise ValueError(f"no rows for models {unknown}; models in the rows: {sorted(known)}")
    table = []
    for model_a, model_b in itertools.combinations(models, 2):
        if metrics is None:
            candidates = [
                metric
                for (model, metric) in units
                if model == model_a and (model_b, metric) in units
            ]
        else:
            candidates = [metric_key(metric_columns(m)) for m in metrics]
        family = []
        for metric in candidates:
            a, b = _paired_values(rows, model_a, model_b, metric)
            if not a or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                continue
            if metrics is None and len(a) >= 2 and np.ptp(a) == 0 and np.ptp(b) == 0:
                continue
            test = paired_test(a, b)
            family.append(
                {
                    "model_a": model_a,
                    "model_b": model_b,
                    **metric_columns(metric),
                    "unit": units.get((model_a, metric), ""),
                    **dataclasses.asdict(test),
                }
            )
        for key in ("t_pvalue", "wilcoxon_pvalue"):
            for row, adjusted in zip(family, holm(r[key] for r in family)):
                row[f"{key}_holm"] = adjusted
        table.extend(family)
    return table


def format_p(p: float) -> str:
    """A p-value for a table: 2 significant digits, ``< 0.001`` below, ``–`` for NaN.

    >>> format_p(0.04321), format_p(1.0), format_p(2e-5), format_p(float("nan"))
    ('0.043', '1', '< 0.001', '–')
    """
    if math.isnan(p):
        return "–"
    if p < 0.001:
        return "< 0.001"
    return f"{p:.2g}"


PAIRED_COLUMNS = (
    ("model_a", "A"),
    ("model_b", "B"),
    ("metric", "metric (unit)"),
    ("n", "seeds"),
    ("mean_a", "mean A"),
    ("mean_b", "mean B"),
    ("difference", "A − B"),
    ("cohens_dz", "d_z"),
    ("t", "paired t p (Holm)"),
    ("wilcoxon", "Wilcoxon p (Holm)"),
    ("note", "note"),
)
"""(key, header) of the columns of a paired-statistics table (:func:`paired_statistics_cells`)."""


def paired_statistics_cells(table: Sequence[dict]) -> list[dict]:
    """:func:`paired_statistics`' rows with the cells of :data:`PAIRED_COLUMNS`.

    p-values are formatted by :func:`format_p`, each with its Holm-adjusted value in
    brackets; ``metric`` is the metric's label (:func:`compare.measure.tidy.metric_label`)
    with its unit; numbers stay numbers (for
    :func:`compare.tables.format_cell`).
    """
    return [
        dict(
            row,
            difference=row["mean_difference"],
            t=f"{format_p(row['t_pvalue'])} ({format_p(row['t_pvalue_holm'])})",
            wilcoxon=(
                f"{format_p(row['wilcoxon_pvalue'])} ({format_p(row['wilcoxon_pvalue_holm'])})"
            ),
            metric=f"{_label(row)} ({row['unit']})" if row["unit"] else _label(row),
        )
        for row in table
    ]


def _label(row: Mapping) -> str:
    return metric_label(metric_key(row))


def format_paired_statistics(table: Sequence[dict]) -> str:
    """Markdown table of :func:`paired_statistics`' rows (p-values with Holm's in brackets)."""
    return format_table(paired_statistics_cells(table), list(PAIRED_COLUMNS))
