"""Sample efficiency: how many labelled examples does each arm need?

Brains learn from few labels; backprop networks are said to need many. The STDP
network of Diehl & Cook learns its weights without labels and uses them only to say
which class each neuron stands for, so two questions (study 4 of the studies issue):

1. With n labelled training images and nothing else, which arm is more accurate, from
   10 per class up? (``experiments/specs/sample_efficiency.toml``: the D&C network
   with N = 100, its MLP twin 784-100-10, a surrogate-gradient SNN of the same shape
   and logistic regression, on the same stratified subsets of Fashion-MNIST.)
2. If the STDP network learns from 6,000 unlabelled images and only n of them are
   labelled, how does it compare with the backprop networks trained on the n labelled
   ones alone? (``experiments/specs/sample_efficiency_labels.toml``; its 6,000-label
   point is the first spec's 6,000-image job, the same computation.)

Outputs: the two spec runs (``results/sample_efficiency/`` and
``results/sample_efficiency_labels/``: results.csv, summary.csv, report.md, jobs/),
and in ``results/sample_efficiency/study/``: ``accuracy_vs_examples.csv`` (per model
and number of labelled examples: mean accuracy over seeds, 95 % t-interval; the rows
of model ``dc100-unlabelled-6000`` are part 2), ``sample_efficiency.md`` (the table)
and ``figures/sample_efficiency.png`` / ``.svg`` (accuracy against labelled examples,
part 2 as a dashed line).

Run ``python experiments/sample_efficiency.py`` (about an hour on one core);
``--quick`` is a smoke-size run (minutes). The options of ``spikearena run SPEC.toml``
apply to both specs (``--set`` names fields both specs have, ``--jobs``, ``--fresh``);
``--out DIR`` puts the runs in ``DIR/`` and ``DIR/labels/``; ``--no-labels`` runs
part 1 alone.
"""

from __future__ import annotations

from compare.files import staged_directory, write_csv
from compare.measure.stats import interval_rows
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.report import figures
from compare.tables import format_table, percent_interval

SPECS = ROOT / "experiments" / "specs"
SPEC = SPECS / "sample_efficiency.toml"
LABELS_SPEC = SPECS / "sample_efficiency_labels.toml"
STDP = "dc100"
"""The label of the STDP network in both specs."""
N_LABEL = "models.dc100.params.n_label"


def accuracy_rows(rows, labelled_rows) -> list[dict]:
    """Accuracy rows with a ``labelled`` column: part 1's n_train, part 2's n_label.

    Part 2's rows (and part 1's STDP job at part 2's training-set size, where every
    image is labelled) come back as the model ``<STDP>-unlabelled-<n_train>``.
    """
    out = [
        {**r, "labelled": int(float(r["task.n_train"]))} for r in rows if r["metric"] == "accuracy"
    ]
    part2 = [r for r in labelled_rows if r["metric"] == "accuracy"]
    if not part2:
        return out
    n_train = part2[0]["n_train"]
    name = f"{STDP}-unlabelled-{n_train}"
    for r in part2:
        out.append({**r, "model": name, "labelled": int(float(r[N_LABEL]))})
    for r in rows:
        if r["metric"] == "accuracy" and r["model"] == STDP and r["n_train"] == n_train:
            out.append({**r, "model": name, "labelled": n_train})
    return out


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    parser.add_argument(
        "--no-labels", action="store_true", help="run part 1 only (sample_efficiency.toml)"
    )
    args = parser.parse_args(argv)
    first = run_study(SPEC, args, parser=parser)
    labelled = []
    if not args.no_labels:
        second_args = parser.parse_args(argv)
        if args.out is not None:
            second_args.out = args.out / "labels"
        labelled = run_study(LABELS_SPEC, second_args, parser=parser).rows
    rows = accuracy_rows(first.rows, labelled)
    table = interval_rows(rows, ["model", "arm", "labelled"])
    table.sort(key=lambda r: (r["model"], r["labelled"]))
    with staged_directory(first.output_dir / "study") as staging:
        (staging / "figures").mkdir()
        write_csv(staging / "accuracy_vs_examples.csv", table, list(table[0]))
        ax = figures.plot_accuracy_vs_size(rows, size="labelled")
        for line in ax.get_lines():
            if "unlabelled" in str(line.get_label()):
                line.set_linestyle("--")
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        ax.set_xlabel("labelled training examples")
        ax.set_title(
            f"{first.plan.spec.task.name}: {first.plan.spec.task.n_test or 'all'} test images",
            fontsize=8,
        )
        figures.save(ax.figure, staging / "figures" / "sample_efficiency")
        cells = [
            dict(r, accuracy=f"{100 * r['mean']:.1f}", ci=percent_interval(r["low"], r["high"]))
            for r in table
        ]
        columns = [
            ("model", "model"),
            ("arm", "arm"),
            ("labelled", "labelled examples"),
            ("accuracy", "accuracy (%)"),
            ("ci", "95 % CI"),
            ("n", "seeds"),
        ]
        text = "# Sample efficiency: accuracy against labelled examples\n\n"
        (staging / "sample_efficiency.md").write_text(text + format_table(cells, columns) + "\n")
    print(f"study: {first.output_dir / 'study' / 'sample_efficiency.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
