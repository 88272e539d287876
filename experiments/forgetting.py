"""Forgetting: does local STDP learning forget earlier classes less than backprop does?

A brain keeps learning without erasing what it knew; a network trained by backprop on
new classes alone is known to forget the old ones almost entirely ("catastrophic
forgetting", McCloskey & Cohen 1989). Competitive STDP networks are said to forget
less, because each neuron learns only from the inputs it wins and most neurons are
left alone by a new class (Allred & Roy 2020). This study (study 6 of the studies
issue) puts both on the class-incremental protocol of :mod:`compare.measure.continual`:
Fashion-MNIST's 10 classes as 5 tasks of 2, learnt in turn, with no replay and no
task label, tested after each task on every class seen so far.

The spec is ``experiments/specs/forgetting.toml``: the Diehl & Cook network (N = 100),
its MLP twin (784-100-10), a surrogate-gradient SNN of the same shape and logistic
regression, 3 seeds. Each job also trains the model on all classes at once (its
``accuracy``: the joint reference), and after the last task a linear probe of what its
read-out sees (:func:`compare.measure.continual.linear_probe`): the accuracy a fresh linear
read-out of its last hidden layer (of the D&C network's spike counts) reaches on all
classes, which tells forgetting in the representation from forgetting in the read-out.

Outputs (``results/forgetting/``): the spec run (results.csv, summary.csv, report.md,
jobs/) and ``study/``: ``forgetting.csv`` (per model: joint accuracy, final
class-incremental accuracy, average forgetting, the linear probe on all classes and on
the first task; means over seeds with 95 % t-intervals), ``accuracy_after_each_task.csv``
(per model and task learnt: accuracy on all classes seen so far and on the first
task), ``forgetting.md`` (both tables) and ``figures/forgetting.png`` / ``.svg`` (the
probe as filled markers after the last task).

Run ``python experiments/forgetting.py`` (about half an hour on one core); ``--quick``
is a smoke-size run (minutes); the options of ``spikearena run SPEC.toml`` apply.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from compare.files import staged_directory, write_csv
from compare.measure.stats import interval_rows
from compare.measure.tidy import Metric, matches
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.report import figures
from compare.tables import format_table, percent_interval

SPEC = ROOT / "experiments" / "specs" / "forgetting.toml"


def stage_rows(rows) -> list[dict]:
    """Rows of the per-task curves: ``curve`` ("all seen classes" or "first task") and
    ``after`` (the number of tasks learnt)."""
    out = []
    for row in rows:
        if row["metric"] == "accuracy_seen":
            curve = "all seen classes"
        elif row["metric"] == "group_accuracy" and row["task_group"] == 1:
            curve = "first task"
        else:
            continue
        out.append({**row, "curve": curve, "after": row["after_group"]})
    return out


def plot_forgetting(curves: list[dict], joint: dict, styles: dict, probe: dict | None = None):
    """Two panels: accuracy on all seen classes and on the first task, after each task.

    ``joint`` (model -> accuracy) is drawn as an open marker right of the last task;
    ``probe`` (model -> {curve: accuracy}) as a filled one.
    """
    probe = probe or {}
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), sharey=True)
    for ax, curve in zip(axes, ("all seen classes", "first task")):
        for model, style in styles.items():
            points = sorted(
                (r["after"], r) for r in curves if r["model"] == model and r["curve"] == curve
            )
            xs = [a for a, _ in points]
            ax.plot(xs, [100 * r["mean"] for _, r in points], label=model, **style, ms=4)
            lows = [100 * r["low"] for _, r in points]
            highs = [100 * r["high"] for _, r in points]
            ax.fill_between(xs, lows, highs, color=style["color"], alpha=0.15, lw=0)
            if curve == "all seen classes" and model in joint:
                ax.scatter(
                    [xs[-1] + 0.25],
                    [100 * joint[model]],
                    marker=style["marker"],
                    facecolors="none",
                    edgecolors=style["color"],
                    s=30,
                )
            if curve in probe.get(model, {}):
                ax.scatter(
                    [xs[-1] + 0.5],
                    [100 * probe[model][curve]],
                    marker=style["marker"],
                    color=style["color"],
                    s=30,
                )
        ax.set_xticks(range(1, max(r["after"] for r in curves) + 1))
        ax.set_xlabel("tasks learnt")
        ax.set_title(f"accuracy on {curve}", fontsize=9)
        ax.set_ylim(0, 100)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel("test accuracy (%)")
    handles, _ = axes[0].get_legend_handles_labels()
    joint_marker = Line2D(
        [], [], ls="", marker="o", mfc="none", mec="#555555", label="all classes at once"
    )
    markers = [joint_marker]
    if probe:
        markers.append(
            Line2D([], [], ls="", marker="o", color="#555555", label="linear probe, last task")
        )
    axes[0].legend(handles=[*handles, *markers], fontsize=7, frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    args = parser.parse_args(argv)
    result = run_study(SPEC, args, parser=parser)
    rows = result.rows
    summary = []
    for metric, name in (
        ("accuracy", "joint"),
        ("continual_accuracy", "class-incremental"),
        ("average_forgetting", "average forgetting"),
        ("probe_accuracy", "linear probe"),
        (Metric("probe_group_accuracy", task_group=1), "linear probe, first task"),
    ):
        for r in interval_rows([r for r in rows if matches(r, metric)], ["model", "arm"]):
            summary.append({**r, "measure": name})
    curves = interval_rows(stage_rows(rows), ["model", "arm", "curve", "after"])
    joint = {r["model"]: r["mean"] for r in summary if r["measure"] == "joint"}
    probe: dict[str, dict] = {}
    for r in summary:
        curve = {"linear probe": "all seen classes", "linear probe, first task": "first task"}
        if r["measure"] in curve:
            probe.setdefault(r["model"], {})[curve[r["measure"]]] = r["mean"]
    styles = figures.model_styles({r["model"]: r["arm"] for r in summary})
    with staged_directory(result.output_dir / "study") as staging:
        (staging / "figures").mkdir()
        write_csv(staging / "forgetting.csv", summary, list(summary[0]))
        write_csv(staging / "accuracy_after_each_task.csv", curves, list(curves[0]))
        figures.save(
            plot_forgetting(curves, joint, styles, probe), staging / "figures" / "forgetting"
        )
        cells = [
            dict(r, value=f"{100 * r['mean']:.1f} %", ci=percent_interval(r["low"], r["high"]))
            for r in summary + curves
        ]
        table = [c for c in cells if "measure" in c]
        stages = [c for c in cells if "curve" in c]
        text = [
            "# Forgetting: class-incremental learning, 5 tasks of 2 classes\n",
            format_table(
                table,
                [
                    ("model", "model"),
                    ("arm", "arm"),
                    ("measure", "measure"),
                    ("value", "mean"),
                    ("ci", "95 % CI"),
                    ("n", "seeds"),
                ],
            ),
            "\n## After each task\n",
            format_table(
                stages,
                [
                    ("model", "model"),
                    ("curve", "accuracy on"),
                    ("after", "tasks learnt"),
                    ("value", "mean"),
                    ("ci", "95 % CI"),
                ],
            ),
            "",
        ]
        (staging / "forgetting.md").write_text("\n".join(text))
    print(f"study: {result.output_dir / 'study' / 'forgetting.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
