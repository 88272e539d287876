"""compare.report.figures on tidy rows: accuracy against training-set size, corruption severity
and energy (with the Pareto front), drawn from hand-made rows with known means."""

import itertools
import math

import matplotlib.colors
import numpy as np
import pytest
from scipy import stats

from compare.measure.tidy import Metric, metric_columns, tidy_row
from compare.report import figures

T_975_1 = stats.t.ppf(0.975, 1)  # 95 % t quantile with 1 degree of freedom (2 seeds)


def _row(model, arm, seed, value, *, metric="accuracy", task=None, **extra):
    """A tidy row; ``metric`` a name or a Metric, ``task`` its task columns."""
    return dict(
        experiment="e",
        **(task or _whole()),
        model=model,
        arm=arm,
        kind="k",
        seed=seed,
        **metric_columns(metric),
        value=value,
        unit="1",
        **extra,
    )


def _whole():
    return dict(task="digits", n_train=None, n_test=None, subset_seed=None)


def _subset(n):
    return dict(task="digits", n_train=n, n_test=50, subset_seed=0)


# accuracy per (model, training examples): one value per seed (0, 1)
SIZE_CURVES = {
    ("stdp", "spiking"): {100: (0.60, 0.64), 1000: (0.80, 0.84), 400: (0.70, 0.72)},
    ("mlp", "artificial"): {100: (0.70, 0.70), 400: (0.85, 0.81), 1000: (0.90, 0.94)},
}


def _size_rows():
    return [
        _row(model, arm, seed, value, task=_subset(n))
        for (model, arm), curve in SIZE_CURVES.items()
        for n, values in curve.items()
        for seed, value in enumerate(values)
    ]


def _line(ax, label):
    [line] = [line for line in ax.lines if line.get_label() == label]
    return line


def test_accuracy_vs_size_draws_seed_means_with_t_bands():
    rows = _size_rows() + [_row("stdp", "spiking", 0, 0.5, metric="macro_f1")]  # ignored
    ax = figures.plot_accuracy_vs_size(rows)
    assert [line.get_label() for line in ax.lines] == ["stdp", "mlp"]
    for (model, _), curve in SIZE_CURVES.items():
        line = _line(ax, model)
        sizes = sorted(curve)
        assert list(line.get_xdata()) == sizes
        expected = [100 * np.mean(curve[n]) for n in sizes]
        assert np.allclose(line.get_ydata(), expected, rtol=1e-12)  # float rounding only
    # one band per model; with 2 seeds its edge is mean +- t(0.975, 1) |a - b| / 2
    assert len(ax.collections) == 2
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    highest = max(
        np.mean(v) + T_975_1 * abs(v[0] - v[1]) / 2 for v in SIZE_CURVES["stdp", "spiking"].values()
    )
    assert band.max() == pytest.approx(100 * highest, rel=1e-9)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "training examples"
    assert ax.get_ylabel() == "test accuracy (%)"
    assert 0 <= ax.get_ylim()[0] and ax.get_ylim()[1] <= 101  # t-bands of 2 seeds pass 100 %
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["stdp", "mlp"]


def test_accuracy_vs_size_reads_csv_strings_and_size_columns():
    """Rows as csv.DictReader gives them (all text), the size in a column of their own."""
    rows = [{k: "" if v is None else str(v) for k, v in row.items()} for row in _size_rows()]
    ax = figures.plot_accuracy_vs_size(rows)
    assert list(_line(ax, "mlp").get_xdata()) == [100, 400, 1000]
    assert _line(ax, "mlp").get_ydata()[0] == pytest.approx(70.0)
    ax = figures.plot_accuracy_vs_size(
        [dict(r, examples=r["n_train"], n_train="") for r in rows], size="examples"
    )
    assert list(_line(ax, "stdp").get_xdata()) == [100, 400, 1000]


def test_accuracy_vs_size_without_spread_has_no_band_and_bad_rows_are_refused():
    rows = [_row("mlp", "artificial", 0, 0.5 + n / 1e4, task=_subset(n)) for n in (100, 200)]
    ax = figures.plot_accuracy_vs_size(rows)
    assert len(ax.lines) == 1 and len(ax.collections) == 0  # one seed: no interval
    with pytest.raises(ValueError, match="training-set size of model 'mlp'"):
        figures.plot_accuracy_vs_size([_row("mlp", "artificial", 0, 0.5)])
    with pytest.raises(ValueError, match="two accuracy rows"):
        figures.plot_accuracy_vs_size(rows + rows[:1])
    with pytest.raises(ValueError, match="no accuracy rows"):
        figures.plot_accuracy_vs_size([_row("mlp", "artificial", 0, 0.5, metric="macro_f1")])


# accuracy per (model, kind, severity), seeds 0 and 1; severity 0 is the clean set
SEVERITY = {
    ("a", "spiking"): {
        (None, 0): (0.90, 0.92),
        ("gaussian", 1): (0.80, 0.82),
        ("gaussian", 2): (0.70, 0.74),
        ("occlusion", 3): (0.50, 0.56),
    },
    ("b", "artificial"): {
        (None, 0): (0.95, 0.97),
        ("gaussian", 1): (0.90, 0.90),
        ("gaussian", 2): (0.85, 0.81),
        ("occlusion", 3): (0.60, 0.62),
    },
}


def _severity_rows(old_form=False):
    """The rows of SEVERITY; ``old_form``: as rows were once written, the corruption in
    the task name (``digits[n_train=100,n_test=50,seed=0][gaussian=1,seed=0]``), read
    through the translation."""
    rows = []
    for (model, arm), points in SEVERITY.items():
        for (kind, severity), values in points.items():
            for seed, value in enumerate(values):
                if old_form:
                    task = "digits[n_train=100,n_test=50,seed=0]"
                    task += f"[{kind}={severity},seed=0]" if kind else ""
                    old = dict(
                        experiment="e",
                        task=task,
                        model=model,
                        arm=arm,
                        kind="k",
                        seed=seed,
                        metric="accuracy",
                        value=value,
                        unit="1",
                    )
                    rows.append(tidy_row(old))
                else:
                    corrupted = Metric("corrupted_accuracy", corruption=kind, severity=severity)
                    metric = corrupted if kind else "accuracy"
                    rows.append(_row(model, arm, seed, value, metric=metric))
    return rows


@pytest.mark.parametrize("old_form", [False, True])
def test_accuracy_vs_severity_draws_a_line_per_model_and_kind(old_form):
    ax = figures.plot_accuracy_vs_severity(_severity_rows(old_form))
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["a · gaussian", "a · occlusion", "b · gaussian", "b · occlusion"]
    for (model, _), points in SEVERITY.items():
        clean = 100 * np.mean(points[None, 0])
        gaussian = _line(ax, f"{model} · gaussian")
        assert list(gaussian.get_xdata()) == [0, 1, 2]  # the clean point starts every line
        expected = [clean] + [100 * np.mean(points["gaussian", s]) for s in (1, 2)]
        assert np.allclose(gaussian.get_ydata(), expected, rtol=1e-12)
        occlusion = _line(ax, f"{model} · occlusion")
        assert list(occlusion.get_xdata()) == [0, 3]
        # colour says the model, line style the kind
        assert gaussian.get_color() == occlusion.get_color()
        assert gaussian.get_linestyle() != occlusion.get_linestyle()
    assert _line(ax, "a · gaussian").get_color() != _line(ax, "b · gaussian").get_color()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["a", "b", "gaussian", "occlusion"]
    assert ax.get_xlabel() == "corruption severity (0 = clean)"
    assert list(ax.get_xticks()) == [0, 1, 2, 3]


def test_accuracy_vs_severity_needs_a_corrupted_test_set():
    with pytest.raises(ValueError, match="no corrupted test set"):
        figures.plot_accuracy_vs_severity([_row("a", "spiking", 0, 0.9, task=_subset(100))])


def _brute_force_front(energy, accuracy):
    points = list(zip(energy, accuracy))
    return {
        i
        for i, (e, a) in enumerate(points)
        if not any(
            e2 <= e and a2 >= a and (e2 < e or a2 > a)
            for j, (e2, a2) in enumerate(points)
            if j != i
        )
    }


def test_pareto_front_is_the_set_of_non_dominated_points():
    rng = np.random.default_rng(0)
    for _ in range(50):  # small integers: many ties and identical points
        energy, accuracy = rng.integers(0, 6, size=(2, 12)).astype(float)
        front = figures.pareto_front(energy, accuracy)
        assert set(front.tolist()) == _brute_force_front(energy, accuracy)
        assert np.all(np.diff(energy[front]) >= 0)  # drawn left to right
    assert figures.pareto_front([1.0], [0.5]).tolist() == [0]
    with pytest.raises(ValueError, match="finite"):
        figures.pareto_front([1.0, math.nan], [0.5, 0.6])


HOROWITZ = Metric("energy_compute_only", cost_table="horowitz-45nm-fp32@1")
HOROWITZ_MEMORY = Metric("energy_with_memory", cost_table="horowitz-45nm-fp32@1")
LOIHI = Metric("energy_compute_only", cost_table="loihi-2018@1")
# model -> (arm, accuracy per seed, Horowitz compute-only energy per seed in J)
ENERGY_MODELS = {
    "snn": ("spiking", (0.79, 0.81), (1.0e-9, 1.2e-9)),
    "mlp": ("artificial", (0.89, 0.91), (2.0e-9, 2.0e-9)),
    "wide": ("artificial", (0.84, 0.86), (3.0e-9, 3.2e-9)),  # dominated by mlp
    "cnn": ("artificial", (0.94, 0.96), (2.5e-9, 2.7e-9)),
    "logreg": ("artificial", (0.70, 0.72), None),  # not priced by the table
}


def _energy_rows():
    rows = []
    for model, (arm, accuracy, energy) in ENERGY_MODELS.items():
        for seed in (0, 1):
            rows.append(_row(model, arm, seed, accuracy[seed]))
            if energy is not None:
                rows.append(_row(model, arm, seed, energy[seed], metric=HOROWITZ))
                rows.append(_row(model, arm, seed, 3 * energy[seed], metric=HOROWITZ_MEMORY))
        if model == "snn":
            rows += [_row(model, arm, s, 5e-8, metric=LOIHI) for s in (0, 1)]
    return rows


def test_accuracy_vs_energy_draws_each_model_and_the_pareto_front():
    ax = figures.plot_accuracy_vs_energy(_energy_rows(), table="horowitz-45nm-fp32")
    priced = [m for m, v in ENERGY_MODELS.items() if v[2] is not None]
    assert [line.get_label() for line in ax.lines] == [*priced, "Pareto front"]
    energy = [np.mean(ENERGY_MODELS[m][2]) for m in priced]
    accuracy = [100 * np.mean(ENERGY_MODELS[m][1]) for m in priced]
    for model, e, a in zip(priced, energy, accuracy):
        line = _line(ax, model)
        assert np.allclose(line.get_xdata(), [e], rtol=1e-12)
        assert np.allclose(line.get_ydata(), [a], rtol=1e-12)
    front = sorted(_brute_force_front(energy, accuracy), key=lambda i: energy[i])
    assert [priced[i] for i in front] == ["snn", "mlp", "cnn"]
    pareto = _line(ax, "Pareto front")
    assert np.allclose(pareto.get_xdata(), [energy[i] for i in front], rtol=1e-12)
    assert np.allclose(pareto.get_ydata(), [accuracy[i] for i in front], rtol=1e-12)
    assert pareto.get_drawstyle() == "steps-post"
    assert ax.get_xscale() == "log"
    assert "compute only" in ax.get_xlabel() and "horowitz-45nm-fp32@1" in ax.get_xlabel()
    assert ax.get_title(loc="left") == "not priced: logreg"

    ax = figures.plot_accuracy_vs_energy(_energy_rows(), table="horowitz-45nm-fp32@1", memory=True)
    assert "with memory" in ax.get_xlabel()
    assert np.allclose(_line(ax, "snn").get_xdata(), [3 * 1.1e-9], rtol=1e-12)


def test_accuracy_vs_energy_names_its_table():
    rows = _energy_rows()
    with pytest.raises(ValueError, match="2 cost tables.*horowitz-45nm-fp32@1, loihi-2018@1"):
        figures.plot_accuracy_vs_energy(rows)
    with pytest.raises(ValueError, match="'truenorth-2014' has no energy rows"):
        figures.plot_accuracy_vs_energy(rows, table="truenorth-2014")
    with pytest.raises(ValueError, match="no energy_with_memory rows"):
        figures.plot_accuracy_vs_energy(rows, table="loihi-2018", memory=True)
    ax = figures.plot_accuracy_vs_energy(
        [r for r in rows if "horowitz" not in str(r["cost_table"])]
    )
    assert [line.get_label() for line in ax.lines] == ["snn"]  # one model: no front
    assert "loihi-2018@1" in ax.get_xlabel()


def test_model_styles_keep_the_arm_colours():
    styles = figures.model_styles({"snn": "spiking", "mlp": "artificial"})
    assert styles["snn"]["color"] == figures.ARM_COLOURS["spiking"]
    assert styles["mlp"]["color"] == figures.ARM_COLOURS["artificial"]
    many = figures.model_styles({"s1": "spiking", "s2": "spiking", "a": "artificial", "x": "?"})
    r1, _, b1 = matplotlib.colors.to_rgb(many["s1"]["color"])
    assert many["s1"]["color"] != many["s2"]["color"] and r1 > b1  # two shades of red
    assert many["a"]["color"] == figures.ARM_COLOURS["artificial"]
    markers = [s["marker"] for s in many.values()]
    assert len(set(markers)) == len(markers)
    assert all(a != b for a, b in itertools.pairwise(markers))
