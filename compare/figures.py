"""Paper-style figures: pure ``plot_*(data, ax=None)`` functions that return the axes.

They draw; they never compute results or write files (:func:`save` writes).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["ARM_COLOURS", "plot_accuracy", "plot_confusion", "plot_receptive_fields", "save"]

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
