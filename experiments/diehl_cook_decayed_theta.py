"""Neurons that seldom win: does their decayed threshold decide a trained network's answers?

The Diehl & Cook excitatory neuron fires when ``v > v_thresh + theta - offset``. Theta
grows by 0.05 mV per spike while the network learns and decays with tau_theta = 1e7 ms
(20,000 presentations of 500 ms) otherwise. A neuron that wins seldom therefore drifts
towards its resting potential: with the authors' constants its threshold sits 13 mV
above rest at theta = 20 mV (the initial value) and at rest when theta has decayed to
7 mV. In training such a neuron fires, learns the image and gets its theta back. In
test mode theta is frozen: a neuron left near rest when training stopped fires first on
any image, inhibits the others, and answers with a receptive field it never learned.

This script reads a trained network (``model.npz`` of ``experiments/diehl_cook_2015.py``)
and measures that:

- the distribution of each neuron's threshold above rest
  (:meth:`~spiking.networks.diehl_cook.DiehlCook2015.threshold_above_rest`), and how many
  lie within ``--margin`` (5 mV) of rest;
- on the run's test images: the share of images whose most active neuron is one of
  those, and of the spikes they fire;
- the counterfactual: the same network with those neurons' theta raised to the median
  theta, labelled again from the training images with plasticity off (the paper's
  protocol), tested on the same images. Nothing else changes, so the difference is what
  the decayed thresholds cost.

Run ``python experiments/diehl_cook_decayed_theta.py --run
results/diehl_cook_sizes-mnist-5k/mnist-5k-N1600-seed0``: a run directory as
``diehl_cook_sizes.py`` leaves it, with its ``model.npz`` (not committed under
``results/``); its ``run.json`` and ``metrics.json`` name the task, subset and seed.
About 5 minutes at N = 1600 on 4,000 + 1,000 images. Results go to
``<run>/decayed_theta.json`` and ``.md``, or ``--out``. ``--thresholds-only`` reports the
thresholds alone (seconds: no simulation).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

MARGIN_MV = 5.0  # a threshold within this of rest counts as decayed


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a diehl_cook_2015.py run")
    parser.add_argument("--model", type=Path, default=None, help="default: RUN/model.npz")
    parser.add_argument("--margin", type=float, default=MARGIN_MV, help="mV above rest")
    parser.add_argument("--data-dir", type=Path, default=None, help="directory of IDX files")
    parser.add_argument("--out", type=Path, default=None, help="default: the run directory")
    parser.add_argument(
        "--thresholds-only", action="store_true", help="no test pass, no counterfactual"
    )
    args = parser.parse_args(argv)
    args.model = args.model or args.run / "model.npz"
    for path in (args.run / "run.json", args.run / "metrics.json", args.model):
        if not path.exists():
            parser.error(f"{path} does not exist: --run must be a finished diehl_cook_2015.py run")
    if args.margin <= 0:
        parser.error("--margin must be positive (mV)")
    args.out = args.out or args.run
    return args


def load_run_task(run: dict, metrics: dict, data_dir=None):
    """The training and test images the run used: its task (``run.json``), sizes and
    seed (``metrics.json``), checked against the data fingerprint its metrics recorded."""
    from compare.data.tasks import load_task

    kwargs = {"data_dir": data_dir} if data_dir is not None else {}
    recorded = metrics["task"]
    task = load_task(run["task"], **kwargs)
    task = task.subset(recorded["n_train"], recorded["n_test"], random_state=metrics["seed"])
    if recorded.get("sha256") not in (None, task.sha256):
        raise SystemExit(
            f"the {run['task']} data here differ from the run's (sha256 {task.sha256[:12]}..., "
            f"the run had {recorded['sha256'][:12]}...)"
        )
    return task


def diagnose(model, task, margin_mv: float, simulate: bool = True) -> dict:
    """What the neurons within ``margin_mv`` of rest do to the test answers (see module).

    ``simulate=False`` gives only the thresholds (no test pass). The counterfactual runs
    only where some neuron has decayed; otherwise it would be the same network."""
    from spiking.networks.diehl_cook import vote

    above = 1000 * model.threshold_above_rest()
    decayed = above < margin_mv
    result = {
        "n_excitatory": int(len(above)),
        "margin_mv": margin_mv,
        "threshold_above_rest_mv_percentiles": {
            str(q): float(v)
            for q, v in zip((5, 25, 50, 75, 95), np.percentile(above, [5, 25, 50, 75, 95]))
        },
        "decayed_neurons": int(decayed.sum()),
    }
    if not simulate:
        return result
    counts = model.spike_counts(task.X_test).astype(float)
    winners = counts.argmax(axis=1)
    # the answers of this very pass (another pass draws other Poisson spikes)
    predicted = model.classes_[vote(counts, model.assignments_, len(model.classes_))]
    result.update(
        silent_on_test=int((counts.sum(axis=0) == 0).sum()),
        test_images=int(len(counts)),
        test_winner_decayed_share=float(decayed[winners].mean()),
        test_spike_share_of_decayed=float(counts[:, decayed].sum() / max(counts.sum(), 1.0)),
        distinct_test_winners=int(len(np.unique(winners))),
        top_winner_share=float(np.bincount(winners).max() / len(winners)),
        accuracy=float(np.mean(predicted == np.asarray(task.y_test))),
    )
    if decayed.any():
        raised = _with_theta_raised(model, decayed)
        raised.label(task.X_train, task.y_train)
        result["accuracy_with_decayed_theta_raised"] = float(raised.score(task.X_test, task.y_test))
        result["raised_to_theta_mv"] = float(1000 * np.median(model.theta_))
    return result


def _with_theta_raised(model, decayed: np.ndarray):
    """A copy of ``model`` whose decayed neurons have the median theta."""
    import copy

    raised = copy.deepcopy(model)
    raised.theta_ = np.where(decayed, np.median(model.theta_), model.theta_)
    return raised


def write(result: dict, out: Path, source: str) -> None:
    from compare.files import atomic_write_text, write_json

    r = result
    p = r["threshold_above_rest_mv_percentiles"]
    lines = [
        f"# Decayed thresholds in {source}\n",
        f"Threshold above rest over the {r['n_excitatory']:,} excitatory neurons "
        f"(percentiles 5/25/50/75/95): {p['5']:.1f} / {p['25']:.1f} / {p['50']:.1f} / "
        f"{p['75']:.1f} / {p['95']:.1f} mV (13 mV in a fresh network). Within "
        f"{r['margin_mv']:g} mV of rest: {r['decayed_neurons']:,} neurons.\n",
    ]
    if "test_images" in r:
        lines.append(
            f"On the {r['test_images']:,} test images the decayed neurons are the most active "
            f"neuron on {100 * r['test_winner_decayed_share']:.0f} % of the images and fire "
            f"{100 * r['test_spike_share_of_decayed']:.0f} % of the spikes "
            f"({r['distinct_test_winners']} distinct winners, the commonest on "
            f"{100 * r['top_winner_share']:.0f} % of the images; {r['silent_on_test']} neurons "
            f"never fire). Test accuracy as trained: {100 * r['accuracy']:.1f} % in this pass"
            + (
                f" ({100 * r['run_accuracy']:.1f} % in the run's own test pass; each pass "
                "draws other Poisson spikes)"
                if "run_accuracy" in r
                else ""
            )
            + ".\n"
        )
    if "accuracy_with_decayed_theta_raised" in r:
        lines.append(
            f"With the decayed neurons' theta raised to the median ({r['raised_to_theta_mv']:.1f} "
            f"mV), labelled again from the training images: "
            f"{100 * r['accuracy_with_decayed_theta_raised']:.1f} %.\n"
        )
    text = "\n".join(lines)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "decayed_theta.json", result)
    atomic_write_text(out / "decayed_theta.md", text)
    print(text)


def main(argv=None) -> int:
    args = parse_args(argv)
    from compare.files import recorded_path
    from spiking.networks.diehl_cook import DiehlCook2015

    run = json.loads((args.run / "run.json").read_text())
    metrics = json.loads((args.run / "metrics.json").read_text())
    task = load_run_task(run, metrics, args.data_dir)
    model = DiehlCook2015.load(args.model)
    result = diagnose(model, task, args.margin, simulate=not args.thresholds_only)
    result["model"] = recorded_path(args.model)
    if args.model == args.run / "model.npz" and not args.thresholds_only:
        result["run_accuracy"] = metrics["accuracy"]
    write(result, args.out, args.run.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
