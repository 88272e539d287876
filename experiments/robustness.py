"""Robustness: how does each arm's accuracy fall as the test images are corrupted?

Spiking networks are often said to be robust to noise because a neuron integrates
many inputs before it fires; a backprop network is said to be brittle outside the
distribution it was trained on. This study (study 5 of the studies issue) tests both
claims the same way for every model: each model trains once on clean images and is
then tested on seeded corrupted copies of the test set (:mod:`compare.data.corruptions`:
additive Gaussian noise, salt-and-pepper noise, an occluding square; severities 1-5),
the same copies for every model and seed, so the accuracies pair.

The spec is ``experiments/specs/robustness.toml``: Fashion-MNIST, the Diehl & Cook
network with 100 excitatory neurons (STDP), its MLP twin (784-100-10), a
surrogate-gradient SNN of the same shape and logistic regression, 3 seeds. The
runner records ``corrupted_accuracy`` (with its ``corruption`` and ``severity``
columns) beside the clean ``accuracy`` of every job.

Outputs (``results/robustness/``): everything a spec run writes (``results.csv``,
``summary.csv``, ``report.md``, ``jobs/``), plus ``study/``:
``accuracy_vs_severity.csv`` (per model, kind and severity: mean accuracy over seeds
and its 95 % t-interval; severity 0 is the clean test set), ``retention.csv`` (per
model and kind: accuracy at each severity as a fraction of the clean accuracy, mean
over seeds), ``robustness.md`` (both as tables) and
``figures/accuracy_vs_severity.png`` / ``.svg``.

Run ``python experiments/robustness.py`` (about an hour on two cores with ``--jobs
2``); ``--quick`` is a smoke-size run (300 training images, 100 test images, one seed,
minutes); the options of ``spikearena run SPEC.toml`` apply (``--set``, ``--jobs``,
``--out``, ...).
"""

from __future__ import annotations

from compare.files import staged_directory, write_csv
from compare.measure.stats import interval_rows
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.report import figures
from compare.tables import format_table, percent_interval

SPEC = ROOT / "experiments" / "specs" / "robustness.toml"


def corruption_rows(rows) -> list[dict]:
    """The clean and corrupted accuracy rows, the clean ones with ``corruption`` "" and
    ``severity`` 0."""
    out = []
    for row in rows:
        if row["metric"] == "accuracy":
            out.append({**row, "corruption": "", "severity": 0})
        elif row["metric"] == "corrupted_accuracy":
            out.append(row)
    return out


def retention(table: list[dict]) -> list[dict]:
    """Accuracy at every severity as a fraction of the clean accuracy, per model and kind."""
    clean = {r["model"]: r["mean"] for r in table if r["severity"] == 0}
    out = []
    for model in clean:
        kinds = dict.fromkeys(r["corruption"] for r in table if r["model"] == model)
        for kind in (k for k in kinds if k):
            row = {"model": model, "corruption": kind}
            for r in table:
                if (r["model"], r["corruption"]) == (model, kind):
                    row[f"severity_{r['severity']}"] = r["mean"] / clean[model]
            out.append(row)
    return out


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    args = parser.parse_args(argv)
    result = run_study(SPEC, args, parser=parser)
    rows = corruption_rows(result.rows)
    table = interval_rows(rows, ["model", "arm", "corruption", "severity"])
    table.sort(key=lambda r: (r["model"], r["corruption"], r["severity"]))
    kept = retention(table)
    severities = sorted({r["severity"] for r in table if r["severity"]})
    with staged_directory(result.output_dir / "study") as staging:
        (staging / "figures").mkdir()
        write_csv(staging / "accuracy_vs_severity.csv", table, list(table[0]))
        write_csv(staging / "retention.csv", kept, list(kept[0]))
        ax = figures.plot_accuracy_vs_severity(result.rows)
        ax.set_title(result.plan.points[0].task.name, fontsize=8)
        figures.save(ax.figure, staging / "figures" / "accuracy_vs_severity")
        cells = [
            dict(
                r,
                accuracy=f"{100 * r['mean']:.1f}",
                ci=percent_interval(r["low"], r["high"]),
                corruption=r["corruption"] or "clean",
            )
            for r in table
        ]
        text = [
            "# Robustness: accuracy on corrupted test sets\n",
            format_table(
                cells,
                [
                    ("model", "model"),
                    ("arm", "arm"),
                    ("corruption", "corruption"),
                    ("severity", "severity"),
                    ("accuracy", "accuracy (%)"),
                    ("ci", "95 % CI"),
                    ("n", "seeds"),
                ],
            ),
            "\n## Accuracy kept (fraction of the clean accuracy)\n",
            format_table(
                kept,
                [("model", "model"), ("corruption", "corruption")]
                + [(f"severity_{s}", f"severity {s}") for s in severities],
            ),
            "",
        ]
        (staging / "robustness.md").write_text("\n".join(text))
    print(f"study: {result.output_dir / 'study' / 'robustness.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
