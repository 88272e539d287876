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
    "plot_confusion",
    "plot_learning_curves",
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
