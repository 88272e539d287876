"""Paper-style figures: pure ``plot_*(data, ax=None)`` functions that return the axes.

They draw; they never compute results or write files (:func:`save` writes).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = [
    "ARM_COLOURS",
    "plot_accuracy",
    "plot_accuracy_vs_time_steps",
    "plot_confusion",
    "plot_learning_curves",
    "plot_accuracy_vs_examples",
    "plot_receptive_fields",
    "plot_spike_raster",
    "plot_training_history",
    "plot_weight_evolution",
    "save",
]

ARM_COLOURS = {"spiking": "#c0392b", "artificial": "#2c6fbb"}
"""One colour per arm, used in every figure."""


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_accuracy(labels, means, errors, arms, *, chance=None, ax=None):
    """Test accuracy per model as bars, coloured by arm.

    Parameters
    ----------
    labels : sequence of str
        Model labels.
    means : sequence of float
        Mean accuracy (fraction) per model.
    errors : sequence of float
        Half-width of the error bar per model (0 or NaN for a single seed).
    arms : sequence of str
        ``"spiking"`` or ``"artificial"`` per model.
    chance : float, optional
        Chance level, drawn as a dashed line.
    """
    ax = _axes(ax, (1.2 + 1.1 * len(labels), 3.2))
    x = np.arange(len(labels))
    colours = [ARM_COLOURS.get(a, "grey") for a in arms]
    yerr = np.nan_to_num(np.asarray(errors, dtype=float))
    yerr = 100 * yerr if yerr.any() else None  # no caps for single-seed results
    bars = ax.bar(x, 100 * np.asarray(means), yerr=yerr, color=colours, capsize=3)
    for bar, m in zip(bars, means):
        ax.annotate(
            f"{100 * m:.1f}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    if chance is not None:
        ax.axhline(100 * chance, ls="--", lw=1, color="k", label="chance")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_xticks(x, labels, rotation=20, ha="right")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 105)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_accuracy_vs_time_steps(curves, *, reference=None, reference_label="ANN", ax=None):
    """Test accuracy of rate-coded SNNs against the number of simulated time steps.

    Parameters
    ----------
    curves : dict of str -> (time_steps, accuracy)
        One line per label (e.g. per normalisation percentile); accuracy as fractions.
    reference : float, optional
        Accuracy of the network they were converted from, drawn as a dashed line.
    reference_label : str
        Legend entry of the reference line.
    """
    ax = _axes(ax, (4.8, 3.4))
    shades = plt.get_cmap("Reds")(np.linspace(0.9, 0.45, max(len(curves), 1)))
    for colour, (label, (steps, accuracy)) in zip(shades, curves.items()):
        ax.plot(steps, 100 * np.asarray(accuracy), marker="o", ms=3.5, color=colour, label=label)
    if reference is not None:
        ax.axhline(
            100 * reference,
            ls="--",
            lw=1,
            color=ARM_COLOURS["artificial"],
            label=f"{reference_label} ({100 * reference:.1f} %)",
        )
    ax.set_xscale("log")
    ticks = sorted({int(s) for steps, _ in curves.values() for s in steps})
    ax.set_xticks(ticks, [str(t) for t in ticks], fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel("time steps per example")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_confusion(matrix, classes, *, title=None, ax=None):
    """Confusion matrix as row-normalised percentages (rows = true class)."""
    ax = _axes(ax, (3.6, 3.2))
    matrix = np.asarray(matrix, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    ax.imshow(100 * share, cmap="Blues", vmin=0, vmax=100)
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, classes, rotation=90, fontsize=7)
    ax.set_yticks(ticks, classes, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_receptive_fields(weights, shape, *, max_fields=100, fig=None):
    """Input weights of each neuron drawn as images on a grid (Diehl & Cook Fig. 2).

    Parameters
    ----------
    weights : ndarray of shape (n_features, n_neurons)
    shape : tuple of int
        Image shape of one input, ``prod(shape) == n_features``.
    """
    weights = np.asarray(weights)
    n = min(weights.shape[1], max_fields)
    side = int(np.ceil(np.sqrt(n)))
    fig = fig or plt.figure(figsize=(0.55 * side + 1.0, 0.55 * side), layout="constrained")
    # tiles separated by a one-pixel gap (NaN, drawn in the background colour)
    h, w = shape[0] + 1, shape[1] + 1
    grid = np.full((side * h - 1, side * w - 1), np.nan)
    for k in range(n):
        r, c = divmod(k, side)
        grid[r * h : r * h + shape[0], c * w : c * w + shape[1]] = weights[:, k].reshape(shape)
    ax = fig.add_subplot()
    cmap = plt.get_cmap("hot_r").with_extremes(bad="#d0d0d0")
    image = ax.imshow(grid, cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
    return ax


def plot_training_history(history, *, fig=None):
    """Threshold, repeats and memory over training, from a DiehlCook2015 ``history_``.

    Three panels against training examples: the adaptive threshold theta (median and
    10-90 % band over neurons, in mV), the presentations per example in each chunk
    (1 = no repeats), and memory (the simulation binary's peak per chunk and the Python
    process's resident set after it).
    """
    examples = np.asarray(history["examples"])
    fig = fig or plt.figure(figsize=(9.0, 2.6), layout="constrained")
    axes = fig.subplots(1, 3)
    theta = 1e3 * np.asarray(history["theta"])
    lo, mid, hi = np.percentile(theta, [10, 50, 90], axis=1)
    colour = ARM_COLOURS["spiking"]
    axes[0].fill_between(examples, lo, hi, color=colour, alpha=0.25, lw=0, label="10-90 %")
    axes[0].plot(examples, mid, color=colour, label="median")
    axes[0].set_ylabel("theta (mV)")
    axes[0].legend(fontsize=7, frameon=False)
    per_chunk = np.diff(np.concatenate([[0], history["presentations"]])) / np.diff(
        np.concatenate([[0], examples])
    )
    axes[1].plot(examples, per_chunk, color=colour)
    axes[1].set_ylabel("presentations per example")
    axes[2].plot(examples, history["binary_peak_rss_mb"], color=colour, label="binary (peak)")
    axes[2].plot(examples, history["process_rss_mb"], color="#555555", label="Python (RSS)")
    axes[2].set_ylabel("memory (MB)")
    axes[2].set_ylim(bottom=0)
    axes[2].legend(fontsize=7, frameon=False)
    for ax in axes:
        ax.set_xlabel("training examples")
        ax.spines[["top", "right"]].set_visible(False)
    return axes


def plot_learning_curves(curves, *, test_accuracy=None, published=None, fig=None):
    """Training loss and accuracy per epoch of several models, test accuracy at the end.

    Two panels against epochs (one line per model, same colour in both): the mean
    training loss (log scale) and the training accuracy. A model's final test accuracy,
    when given, is a filled marker just after its last epoch; a published accuracy, when
    given, a horizontal tick of the same colour at the right edge, so the reader sees
    how far a training curve ends from the literature.

    Parameters
    ----------
    curves : dict of str -> dict
        Model label -> ``{"train_loss": [...], "train_accuracy": [...]}``, one value per
        epoch (an artificial model's ``history_``; accuracies as fractions).
    test_accuracy : dict of str -> float, optional
        Model label -> final test accuracy (fraction).
    published : dict of str -> float, optional
        Model label -> published test accuracy (fraction) to compare with.
    """
    fig = fig or plt.figure(figsize=(8.0, 3.0), layout="constrained")
    axes = fig.subplots(1, 2)
    colours = plt.get_cmap("tab10")
    for k, (label, curve) in enumerate(curves.items()):
        colour = colours(k % 10)
        epochs = np.arange(1, len(curve["train_loss"]) + 1)
        axes[0].plot(epochs, curve["train_loss"], color=colour, label=label)
        axes[1].plot(epochs, 100 * np.asarray(curve["train_accuracy"]), color=colour)
        if test_accuracy and label in test_accuracy:
            axes[1].plot([epochs[-1] + 0.5], [100 * test_accuracy[label]], "o", color=colour, ms=5)
        if published and label in published:
            axes[1].plot(
                [1.0], [100 * published[label]], marker=0, ms=9, mew=2, color=colour,
                transform=axes[1].get_yaxis_transform(), clip_on=False,
            )  # fmt: skip
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training loss")
    axes[0].legend(fontsize=7, frameon=False)
    axes[1].set_ylabel("accuracy (%)")
    notes = ["lines: training set"]
    if test_accuracy:
        notes.append("dots: final test")
    if published:
        notes.append("ticks at right: published")
    axes[1].set_title("; ".join(notes), fontsize=7)
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.spines[["top", "right"]].set_visible(False)
    return axes


def plot_accuracy_vs_examples(
    curves, *, n_train=None, final=None, published=None, ax=None, published_label="published"
):
    """Test accuracy while a model learns, against the training examples it has seen.

    One line per label: the mean over its runs (seeds) at each number of examples, with
    a band from the lowest to the highest run where there are several. A label's final
    accuracy, when given, is a filled marker at its last point; a published accuracy a
    horizontal tick of the same colour at the right edge. With ``n_train``, dotted
    vertical lines mark the ends of epochs.

    Parameters
    ----------
    curves : dict of str -> list of list of dict
        Label -> runs -> points ``{"examples": int, "accuracy": fraction}``.
    n_train : int, optional
        Training examples per epoch.
    final, published : dict of str -> float, optional
        Label -> final test accuracy / published accuracy (fractions).
    """
    ax = _axes(ax, (6.0, 3.6))
    colours = plt.get_cmap("tab10")
    longest = 0
    for k, (label, runs) in enumerate(curves.items()):
        colour = colours(k % 10)
        by_examples: dict[int, list[float]] = {}
        for run in runs:
            for point in run:
                by_examples.setdefault(int(point["examples"]), []).append(point["accuracy"])
        examples = np.array(sorted(by_examples))
        if not len(examples):
            continue
        longest = max(longest, int(examples[-1]))
        values = [100 * np.asarray(by_examples[e]) for e in examples]
        n_runs = max(len(v) for v in values)
        ax.plot(
            examples,
            [v.mean() for v in values],
            marker="o",
            ms=3,
            color=colour,
            label=label + (f" ({n_runs} seeds)" if n_runs > 1 else ""),
        )
        if n_runs > 1:
            ax.fill_between(
                examples, [v.min() for v in values], [v.max() for v in values],
                color=colour, alpha=0.2, lw=0,
            )  # fmt: skip
        if final and label in final:
            ax.plot([examples[-1]], [100 * final[label]], "D", color=colour, ms=6)
        if published and label in published:
            ax.plot(
                [1.0], [100 * published[label]], marker=0, ms=9, mew=2, color=colour,
                transform=ax.get_yaxis_transform(), clip_on=False,
            )  # fmt: skip
    if n_train:
        for end in range(n_train, longest, n_train):
            ax.axvline(end, color="#999999", lw=0.6, ls=":")
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("test accuracy (%)")
    ax.xaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:g}k" if x else "0")
    )
    notes = ["lines: curve points"]
    if final:
        notes.append("diamonds: final test")
    if published:
        notes.append(f"ticks at right: {published_label}")
    ax.set_title("; ".join(notes), fontsize=7)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_weight_evolution(weights, examples, shape, *, neurons=None, fig=None):
    """Receptive fields of a few neurons (columns) at successive snapshots (rows).

    Parameters
    ----------
    weights : ndarray of shape (n_snapshots, n_features, n_neurons)
    examples : sequence of int
        Training examples seen at each snapshot (row labels).
    shape : tuple of int
        Image shape of one input.
    neurons : sequence of int or None
        Which neurons to show; None shows the first 10.
    """
    weights = np.asarray(weights)
    neurons = list(range(min(10, weights.shape[2]))) if neurons is None else list(neurons)
    rows, cols = len(weights), len(neurons)
    fig = fig or plt.figure(figsize=(0.7 * cols + 1.2, 0.7 * rows + 0.3), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    vmax = float(weights[:, :, neurons].max()) or 1.0
    for r in range(rows):
        for c, j in enumerate(neurons):
            ax = axes[r, c]
            ax.imshow(
                weights[r, :, j].reshape(shape),
                cmap="hot_r",
                vmin=0,
                vmax=vmax,
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f"{examples[r]:,}", fontsize=7, rotation=0, ha="right", va="center")
            if r == 0:
                ax.set_title(f"#{j}", fontsize=7)
    return axes


def plot_spike_raster(groups, *, input_time=None, duration=None, sizes=None, fig=None):
    """Spike raster of one presentation: one panel per group, time on a shared axis.

    Parameters
    ----------
    groups : dict of str -> (times in seconds, neuron indices)
        In drawing order, top to bottom (e.g. input, excitatory, inhibitory).
    input_time : float or None
        End of the input period in seconds, drawn as a dashed line.
    duration : float or None
        Seconds shown (the whole presentation, rest included); None fits the spikes.
    sizes : dict of str -> int, optional
        Neurons per group, to show the whole index range.
    """
    fig = fig or plt.figure(figsize=(7.0, 1.2 + 1.3 * len(groups)), layout="constrained")
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, (times, indices)) in zip(axes, groups.items(), strict=True):
        dense = len(times) > 500
        ax.scatter(
            1e3 * np.asarray(times),
            indices,
            s=2 if dense else 12,
            marker="|",
            color="black",
            lw=0.6 if dense else 1.2,
        )
        if sizes and name in sizes:
            ax.set_ylim(-0.5, sizes[name] - 0.5)
        if duration is not None:
            ax.set_xlim(0, 1e3 * duration)
        ax.set_ylabel(f"{name}\n({len(times)} spikes)", fontsize=8)
        if input_time is not None:
            ax.axvline(1e3 * input_time, color="#888888", ls="--", lw=0.8)
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xlabel("time (ms)")
    return axes


def save(fig, path: Path) -> list[Path]:
    """Write ``fig`` as PNG and SVG next to each other; return the paths."""
    path = Path(path)
    out = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        fig.savefig(target, dpi=150)
        out.append(target)
    plt.close(fig)
    return out


# --- Accuracy against training-set size, corruption severity and energy -----------------
# These take tidy results rows (compare.files.TIDY_COLUMNS: one row per model x task x
# seed x metric; dicts as written, or as read back by compare.measure.tidy.read_tidy_csv),
# average over seeds and draw each model with its 95 % t-interval over seeds.

import math  # noqa: E402

import matplotlib.ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

__all__ += [
    "energy_tables_in",
    "model_styles",
    "pareto_front",
    "plot_accuracy_vs_cost",
    "plot_accuracy_vs_energy",
    "plot_accuracy_vs_severity",
    "plot_accuracy_vs_size",
]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
_ARM_SHADES = {"spiking": "Reds", "artificial": "Blues"}
_KIND_STYLES = ("-", "--", ":", "-.")


def model_styles(models: dict) -> dict:
    """Colour and marker of each model: a shade of its arm's colour, a marker of its own.

    Parameters
    ----------
    models : dict of str -> str
        Model label -> arm (``"spiking"`` or ``"artificial"``; anything else is grey),
        in drawing order.

    Returns
    -------
    dict of str -> dict
        Model label -> ``{"color": ..., "marker": ...}``. A model alone in its arm gets
        exactly the arm's colour of :data:`ARM_COLOURS`; several share the arm's hue,
        darkest first.

    >>> model_styles({"stdp": "spiking", "mlp": "artificial"})["stdp"]
    {'color': '#c0392b', 'marker': 'o'}
    """
    styles, by_arm = {}, {}
    for label, arm in models.items():
        by_arm.setdefault(arm, []).append(label)
    for arm, labels in by_arm.items():
        if len(labels) == 1 or arm not in _ARM_SHADES:
            colours = [ARM_COLOURS.get(arm, "#777777")] * len(labels)
        else:
            shades = plt.get_cmap(_ARM_SHADES[arm])(np.linspace(0.95, 0.5, len(labels)))
            colours = [matplotlib.colors.to_hex(c) for c in shades]
        for label, colour in zip(labels, colours):
            styles[label] = {"color": colour}
    for k, label in enumerate(models):
        styles[label]["marker"] = _MARKERS[k % len(_MARKERS)]
    return styles


def pareto_front(energy, accuracy) -> np.ndarray:
    """Indices of the points that no other point beats on both energy and accuracy.

    Point ``i`` is dominated when some ``j`` has ``energy[j] <= energy[i]`` and
    ``accuracy[j] >= accuracy[i]``, one of the two strictly; the front is the rest
    (identical points are all on it). The indices come in order of increasing energy
    (then decreasing accuracy): the order the front is drawn in.

    >>> pareto_front([1.0, 2.0, 3.0, 2.5], [0.80, 0.90, 0.85, 0.95]).tolist()
    [0, 1, 3]
    """
    e, a = np.asarray(energy, dtype=float), np.asarray(accuracy, dtype=float)
    if e.shape != a.shape or e.ndim != 1:
        raise ValueError(
            f"energy and accuracy must be 1-D and of equal length, got shapes {e.shape} "
            f"and {a.shape}"
        )
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(a))):
        raise ValueError("energy and accuracy must be finite (leave unpriced models out)")
    better_or_equal = (e[None, :] <= e[:, None]) & (a[None, :] >= a[:, None])
    strictly = (e[None, :] < e[:, None]) | (a[None, :] > a[:, None])
    front = np.flatnonzero(~np.any(better_or_equal & strictly, axis=1))
    return front[np.lexsort((-a[front], e[front]))]


def _arms(rows) -> dict:
    """Model label -> arm, in order of first appearance."""
    return {row["model"]: row.get("arm", "") for row in rows}


def _collect(groups: dict, key, row) -> None:
    """Put ``row``'s value into ``groups[key][seed]``; a second row for a seed is an error."""
    by_seed = groups.setdefault(key, {})
    if row["seed"] in by_seed:
        raise ValueError(
            f"two {row['metric']} rows for {key!r}, seed {row['seed']}: expected one per "
            "model, point and seed (do the rows mix experiments? filter them first)"
        )
    by_seed[row["seed"]] = float(row["value"])


def _intervals(groups: dict) -> dict:
    """``{key: {seed: value}}`` -> ``{key: Interval}``: mean and 95 % t-interval."""
    from compare.measure.stats import confidence_interval

    return {key: confidence_interval(list(by_seed.values())) for key, by_seed in groups.items()}


def _draw_line(ax, points, style, label, linestyle="-"):
    """A line of means (in %) through ``points`` = [(x, Interval)], with its band."""
    points = sorted(points, key=lambda p: p[0])
    x = np.array([p[0] for p in points], dtype=float)
    mean, low, high = (
        100 * np.array([getattr(p[1], k) for p in points]) for k in ("mean", "low", "high")
    )
    ax.plot(x, mean, ls=linestyle, marker=style["marker"], ms=4, color=style["color"], label=label)
    band = np.isfinite(low)
    if band.any():
        ax.fill_between(x, low, high, where=band, color=style["color"], alpha=0.18, lw=0)


def _accuracy_axes(ax):
    """Label the accuracy axis and keep it within 0-100 % (a t-interval over few seeds
    can reach past either end)."""
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, 0.0), min(high, 101.0))
    ax.set_ylabel("test accuracy (%)")
    ax.spines[["top", "right"]].set_visible(False)


def _log_x(ax, values):
    """A logarithmic x axis spanning at least one decade around ``values``, so that it
    has a labelled power of ten and no crowded minor-tick labels."""
    ax.set_xscale("log")
    values = np.asarray([v for v in values if v > 0], dtype=float)
    if values.size:
        low, high = values.min() / 1.5, values.max() * 1.5
        if high / low < 10:
            centre = math.sqrt(low * high)
            low, high = centre / math.sqrt(10), centre * math.sqrt(10)
        ax.set_xlim(low, high)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _accuracy_rows(rows) -> list[dict]:
    rows = [r for r in rows if r["metric"] == "accuracy"]
    if not rows:
        raise ValueError("no accuracy rows to plot (metric == 'accuracy')")
    return rows


def _training_size(row, size: str | None) -> int:
    if size is not None:
        return int(float(row[size]))
    if row.get("n_train") in (None, ""):
        raise ValueError(
            f"cannot tell the training-set size of model {row['model']!r} on task "
            f"{row.get('task')!r}: its n_train column is empty (the whole training set); "
            "name a column with size="
        )
    return int(float(row["n_train"]))


def plot_accuracy_vs_size(rows, *, size=None, ax=None):
    """Test accuracy against the number of training examples: one line per model.

    Each point is the mean over seeds and its band the 95 % t-interval (no band where a
    point has a single seed); the x axis is logarithmic.

    Parameters
    ----------
    rows : iterable of dict
        Tidy results rows (``model``, ``arm``, ``task``, ``seed``, ``metric``,
        ``value``); only the ``accuracy`` rows are used. A row's training-set size is
        its ``size`` column when that is given, else its ``n_train`` column.
    size : str, optional
        Name of the column holding the training-set size.

    Returns
    -------
    matplotlib.axes.Axes
        One line per model, labelled with the model, in order of first appearance.
    """
    rows = _accuracy_rows(rows)
    groups = {}
    for row in rows:
        _collect(groups, (row["model"], _training_size(row, size)), row)
    intervals = _intervals(groups)
    ax = _axes(ax, (4.8, 3.4))
    for model, style in model_styles(_arms(rows)).items():
        points = [(n, ci) for (m, n), ci in intervals.items() if m == model]
        _draw_line(ax, points, style, model)
    ax.set_xscale("log")
    sizes = sorted({n for _, n in intervals})
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training examples")
    _accuracy_axes(ax)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return ax


def _corruption(row) -> tuple[str | None, int]:
    """(kind, severity) of an accuracy row; ``(None, 0)`` for the clean test set."""
    if row["metric"] != "corrupted_accuracy":
        return None, 0
    severity = int(row["severity"])
    return (str(row["corruption"]) if severity else None), severity


def plot_accuracy_vs_severity(rows, *, ax=None):
    """Test accuracy against corruption severity: one line per model and corruption kind.

    Severity 0 is the clean test set (:mod:`compare.data.corruptions`, severities 0-5); its
    point starts every kind's line. Colour and marker say the model, the line style the
    kind. Each point is the mean over seeds, its band the 95 % t-interval.

    Parameters
    ----------
    rows : iterable of dict
        Tidy results rows of one training set; only the ``accuracy`` (the clean test
        set) and ``corrupted_accuracy`` rows are used, the latter with their
        ``corruption`` and ``severity`` columns (the runner's ``[corruptions]`` rows,
        :func:`compare.measure.metrics.corruption_metric`).

    Returns
    -------
    matplotlib.axes.Axes
        One line per (model, kind), labelled ``"model · kind"``; the legend lists each
        model (colour, marker) and each kind (line style) once.
    """
    from compare.data.corruptions import CORRUPTIONS

    rows = [r for r in rows if r["metric"] in ("accuracy", "corrupted_accuracy")]
    if not rows:
        raise ValueError("no accuracy rows to plot (metric 'accuracy' or 'corrupted_accuracy')")
    groups = {}
    for row in rows:
        _collect(groups, (row["model"], *_corruption(row)), row)
    kinds = list(dict.fromkeys(kind for _, kind, _ in groups if kind is not None))
    if not kinds:
        raise ValueError(
            "no corrupted test set among the rows: expected corrupted_accuracy rows "
            f"(kinds: {', '.join(CORRUPTIONS)})"
        )
    known = list(CORRUPTIONS) + [k for k in kinds if k not in CORRUPTIONS]
    dashes = {kind: _KIND_STYLES[k % len(_KIND_STYLES)] for k, kind in enumerate(known)}
    intervals = _intervals(groups)
    styles = model_styles(_arms(rows))
    ax = _axes(ax, (5.2, 3.6))
    for model, style in styles.items():
        clean = [(0, ci) for (m, kind, _), ci in intervals.items() if m == model and kind is None]
        for kind in kinds:
            corrupted = [(s, ci) for (m, k, s), ci in intervals.items() if (m, k) == (model, kind)]
            if corrupted:
                _draw_line(ax, clean + corrupted, style, f"{model} · {kind}", dashes[kind])
    handles = [
        Line2D([], [], color=s["color"], marker=s["marker"], ms=4, label=m)
        for m, s in styles.items()
    ] + [Line2D([], [], color="#555555", ls=dashes[k], label=k) for k in kinds]
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower left")
    ax.set_xticks(range(max(s for _, _, s in intervals) + 1))
    ax.set_xlabel("corruption severity (0 = clean)")
    _accuracy_axes(ax)
    return ax


_ENERGY = ("energy_compute_only", "energy_with_memory")


def energy_tables_in(rows) -> dict:
    """The cost tables of the energy metrics in tidy ``rows``, in order of appearance.

    Returns ``{"NAME@VERSION": {"energy_compute_only": key, "energy_with_memory": key}}``
    with the kinds present, each with its metric key
    (:class:`compare.measure.tidy.Metric`, as :func:`compare.measure.energy.energy_metric`
    makes it).

    >>> tables = energy_tables_in([{"metric": "energy_with_memory", "cost_table": "loihi-2018@1"}])
    >>> tables["loihi-2018@1"]
    {'energy_with_memory': Metric('energy_with_memory', cost_table='loihi-2018@1')}
    """
    from compare.measure.tidy import metric_key

    found = {}
    for row in rows:
        if row["metric"] in _ENERGY:
            found.setdefault(row["cost_table"], {})[row["metric"]] = metric_key(row)
    return found


def _find_table(tables: dict, table: str | None) -> str:
    if table is None:
        if len(tables) != 1:
            raise ValueError(
                f"the rows hold {len(tables)} cost tables ({', '.join(tables) or 'none'}): "
                "name one with table="
            )
        return next(iter(tables))
    matches = [t for t in tables if table in (t, t.split("@")[0])]
    if len(matches) != 1:
        problem = "is ambiguous" if matches else "has no energy rows"
        raise ValueError(
            f"cost table {table!r} {problem}; tables in the rows: {', '.join(tables) or 'none'}"
        )
    return matches[0]


def plot_accuracy_vs_energy(rows, *, table=None, memory=False, ax=None):
    """Test accuracy against estimated energy per inference, with the Pareto front.

    One marker per model at its mean energy and mean accuracy over seeds (a vertical bar
    shows the accuracy's 95 % t-interval), energy on a logarithmic axis. The dashed
    staircase through ringed markers is the Pareto front (:func:`pareto_front`): the
    models that no other model beats on both counts (a lone ring where one model beats
    all others); a model below and to the right of it is dominated. Models without an
    estimate under the table (a neuromorphic table prices no MACs, so no artificial
    network), or with zero energy, are named above the axes instead.

    Parameters
    ----------
    rows : iterable of dict
        Tidy results rows of one experiment: the ``accuracy`` rows and the energy rows
        ``energy_compute_only`` / ``energy_with_memory`` with their ``cost_table``
        ``TABLE@VERSION`` (:func:`compare.measure.energy.energy_metric`).
    table : str, optional
        The cost table, as ``name`` or ``name@version``; None: the only one in ``rows``
        (an error lists them when there are several).
    memory : bool
        Plot the memory-aware estimate instead of the compute-only one.

    Returns
    -------
    matplotlib.axes.Axes
        One line per drawn model (a single marker, labelled with the model) and, with 2
        or more models, one labelled ``"Pareto front"``. The x label names the estimate
        and the table (``NAME@VERSION``).
    """
    rows = list(rows)
    tables = energy_tables_in(rows)
    label = _find_table(tables, table)
    kind = "energy_with_memory" if memory else "energy_compute_only"
    if kind not in tables[label]:
        raise ValueError(f"no {kind} rows for cost table {label}")
    estimate = "with memory" if memory else "compute only"
    return plot_accuracy_vs_cost(
        rows,
        tables[label][kind],
        xlabel=f"energy per inference (J), {estimate}\ncost table {label}",
        missing="not priced",
        ax=ax,
    )


def plot_accuracy_vs_cost(rows, metric, *, xlabel=None, missing="no value", ax=None):
    """Test accuracy against any cost per inference, with the Pareto front.

    What :func:`plot_accuracy_vs_energy` draws, for the tidy metric ``metric`` (a name
    or a :class:`compare.measure.tidy.Metric`: energy under one cost table, operations,
    time per example...): one marker per model at its mean cost
    and mean accuracy over seeds, a 95 % t-interval bar, the cost on a logarithmic
    axis, the Pareto front as a dashed staircase through ringed markers. Models
    without a positive value of ``metric`` are named above the axes, after
    ``missing``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from compare.measure.tidy import matches, metric_label

    rows = list(rows)
    accuracy, energy = {}, {}
    for row in rows:
        if row["metric"] == "accuracy":
            _collect(accuracy, row["model"], row)
        elif matches(row, metric):
            _collect(energy, row["model"], row)
    arms = _arms(rows)
    drawn, left_out = [], []
    for model in arms:
        seeds = accuracy.get(model, {}).keys() & energy.get(model, {}).keys()
        e = float(np.mean([energy[model][s] for s in seeds])) if seeds else math.nan
        if not e > 0:
            left_out.append(model)
            continue
        ci = _intervals({model: {s: accuracy[model][s] for s in seeds}})[model]
        drawn.append((model, e, ci))

    styles = model_styles(arms)
    ax = _axes(ax, (4.8, 3.6))
    for model, e, ci in drawn:
        if np.isfinite(ci.low):
            ax.errorbar(
                [e],
                [100 * ci.mean],
                yerr=[[100 * (ci.mean - ci.low)], [100 * (ci.high - ci.mean)]],
                fmt="none",
                ecolor=styles[model]["color"],
                elinewidth=1,
                capsize=0,
            )
        ax.plot([e], [100 * ci.mean], ls="none", ms=7, label=model, **styles[model])
    if len(drawn) >= 2:
        front = pareto_front([d[1] for d in drawn], [d[2].mean for d in drawn])
        ax.plot(
            [drawn[i][1] for i in front],
            [100 * drawn[i][2].mean for i in front],
            drawstyle="steps-post",
            ls="--",
            lw=1,
            color="#555555",
            marker="o",
            ms=13,
            mfc="none",
            mew=0.8,
            zorder=0,
            label="Pareto front",
        )
    _log_x(ax, [d[1] for d in drawn])
    ax.set_xlabel(xlabel or metric_label(metric))
    _accuracy_axes(ax)
    if drawn:
        ax.legend(fontsize=7, frameon=False, loc="best")
    if left_out:
        ax.set_title(f"{missing}: {', '.join(left_out)}", fontsize=7, color="#555555", loc="left")
    return ax
