"""Learning rules head to head: local STDP without labels against global backprop.

The brain learns with local rules: a synapse changes with the timing of the spikes on
its two sides (spike-timing-dependent plasticity), with no error signal sent back
through the network; backpropagation sends every weight its exact share of a global
error. This study (study 3 of the studies issue) trains, on the same images with the
same seeds, the Diehl & Cook network (N = 400, STDP, labels only to name its neurons),
its MLP twin (784-400-10, backprop), a surrogate-gradient spiking MLP of the same
shape (backprop through time through LIF neurons), the twin converted to
integrate-and-fire neurons (ANN-to-SNN conversion, 100 steps) and logistic regression,
and compares them with confidence intervals and paired tests over seeds.

The spec is ``experiments/specs/fashion_learning_rules.toml`` (Fashion-MNIST, 3 seeds);
the runner's report (``report.md``) holds every metric. The committed reference run
(``results/fashion_learning_rules_n6000/``) is reduced to 6,000 training images:
``--set task.n_train=6000``.

Outputs (``results/fashion_learning_rules/``, or ``--out``): the spec run and
``study/``: ``learning_rules.csv`` (per model: accuracy, macro-F1, decision latency and
energy per inference (Horowitz fp32, with memory), means over seeds with 95 %
t-intervals), ``paired.csv`` (paired t and Wilcoxon tests between every pair of models
on those metrics, Holm-adjusted), ``learning_rules.md`` and ``figures/accuracy.png`` /
``.svg``.

Run ``python experiments/learning_rules.py --set task.n_train=6000`` (two to three hours
on one core, most of it the D&C network; the whole training set takes one to two hours
per D&C seed more); ``--quick`` is a smoke-size run (minutes).
"""

from __future__ import annotations

from compare.files import staged_directory, write_csv
from compare.measure.stats import format_paired_statistics, interval_rows, paired_statistics
from compare.measure.tidy import Metric, matches, metric_key, metric_label
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.report import figures
from compare.tables import format_table, percent_interval

SPEC = ROOT / "experiments" / "specs" / "fashion_learning_rules.toml"
ENERGY = Metric("energy_with_memory", cost_table="horowitz-45nm-fp32@1")
METRICS = ("accuracy", "macro_f1", "decision_latency", ENERGY)


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    args = parser.parse_args(argv)
    result = run_study(SPEC, args, parser=parser)
    rows = [r for r in result.rows if any(matches(r, m) for m in METRICS)]
    table = interval_rows(rows, ["model", "arm", "metric", "cost_table"])
    paired = paired_statistics(rows, metrics=list(METRICS))
    accuracy = [r for r in table if r["metric"] == "accuracy"]
    with staged_directory(result.output_dir / "study") as staging:
        (staging / "figures").mkdir()
        write_csv(staging / "learning_rules.csv", table, list(table[0]))
        if paired:
            write_csv(staging / "paired.csv", paired, list(paired[0]))
        ax = figures.plot_accuracy(
            [r["model"] for r in accuracy],
            [r["mean"] for r in accuracy],
            [(r["high"] - r["low"]) / 2 for r in accuracy],
            [r["arm"] for r in accuracy],
            chance=1 / result.plan.points[0].task.n_classes,
        )
        ax.set_title(result.plan.points[0].task.name, fontsize=8)
        figures.save(ax.figure, staging / "figures" / "accuracy")
        cells = [
            dict(
                r,
                metric=metric_label(metric_key(r)),
                value=f"{100 * r['mean']:.1f} %" if r["metric"] in METRICS[:2] else r["mean"],
                ci=percent_interval(r["low"], r["high"])
                if r["metric"] in METRICS[:2]
                else f"[{r['low']:.3g}, {r['high']:.3g}]",
            )
            for r in table
        ]
        text = [
            "# Learning rules head to head\n",
            f"Task: {result.plan.points[0].task.name}; decision latency in s, energy in "
            "J per inference (Horowitz 45 nm fp32, with memory reads).\n",
            format_table(
                cells,
                [
                    ("model", "model"),
                    ("arm", "arm"),
                    ("metric", "metric"),
                    ("value", "mean"),
                    ("ci", "95 % CI"),
                    ("n", "seeds"),
                ],
            ),
            "\n## Paired tests over seeds\n",
            format_paired_statistics(paired) if paired else "(fewer than 2 seeds: none)",
            "",
        ]
        (staging / "learning_rules.md").write_text("\n".join(text))
    print(f"study: {result.output_dir / 'study' / 'learning_rules.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
