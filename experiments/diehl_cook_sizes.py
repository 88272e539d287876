"""Diehl & Cook (2015) reproduction: how does the STDP network's accuracy grow with its size?

The paper (Front. Comput. Neurosci. 9:99, Table 1) reports MNIST test accuracies of
82.9, 87.0, 91.9 and 95.0 % for 100, 400, 1600 and 6400 excitatory neurons: more
neurons learn more prototypes. This study (study 1 of the studies issue) trains the
faithful network (:class:`spiking.networks.diehl_cook.DiehlCook2015`) at several sizes
on the same images and draws its accuracy against N beside the paper's numbers, with
the receptive fields each size learnt (the paper's Fig. 2 style).

The spec is ``experiments/specs/diehl_cook_sizes.toml``; what it reduces (data set,
training images, epochs, seeds, N = 6400) and why is written there. ``--set
task.name=mnist`` runs it on MNIST where its IDX files are found
(``$SPIKEARENA_DATA``), the paper's data set.

Outputs (``results/diehl_cook_sizes/``): the spec run (results.csv, summary.csv,
report.md with a page per size under points/, jobs/) and ``study/``:
``accuracy_vs_size.csv`` (per N: accuracy mean over seeds and its 95 % t-interval,
fit seconds (the STDP epoch and the labelling pass), the paper's epochs and MNIST
accuracy),
``diehl_cook_sizes.md``, ``figures/accuracy_vs_size.png`` / ``.svg`` and
``figures/receptive_fields_N<N>.png`` / ``.svg`` (seed 0; at most 400 fields).

Run ``python experiments/diehl_cook_sizes.py`` (about half an hour on one core, most of
it N = 1600); ``--quick`` is a smoke-size run (N = 100 alone, minutes); the options of
``spikearena run SPEC.toml`` apply.
"""

from __future__ import annotations

from compare.files import staged_directory, write_csv
from compare.measure.stats import interval_rows
from compare.pipeline.runner import ResultsStore
from compare.pipeline.study import ROOT, run_study, study_parser
from compare.report import figures
from compare.tables import format_table, percent_interval
from spiking.networks.diehl_cook import PAPER_VARIANTS

SPEC = ROOT / "experiments" / "specs" / "diehl_cook_sizes.toml"
SIZE = "models.dc.params.n_excitatory"
MAX_FIELDS = 400


def main(argv=None) -> int:
    parser = study_parser(__doc__)
    args = parser.parse_args(argv)
    result = run_study(SPEC, args, parser=parser)
    rows = [dict(r, n_excitatory=int(float(r[SIZE]))) for r in result.rows]
    accuracy = interval_rows(
        [r for r in rows if r["metric"] == "accuracy"], ["model", "arm", "n_excitatory"]
    )
    fit_time = interval_rows(
        [r for r in rows if r["metric"] == "fit_wall_time"], ["model", "n_excitatory"]
    )
    fit_seconds = {r["n_excitatory"]: r["mean"] for r in fit_time}
    table = []
    for r in sorted(accuracy, key=lambda r: r["n_excitatory"]):
        epochs, paper = PAPER_VARIANTS.get(r["n_excitatory"], (None, float("nan")))
        table.append(
            {
                **r,
                "fit_seconds": fit_seconds[r["n_excitatory"]],
                "paper_epochs": epochs,
                "paper_mnist_accuracy": paper,
            }
        )
    store = ResultsStore(result.output_dir)
    task_shape = result.plan.points[0].task.shape
    with staged_directory(result.output_dir / "study") as staging:
        fig_dir = staging / "figures"
        fig_dir.mkdir()
        write_csv(staging / "accuracy_vs_size.csv", table, list(table[0]))
        ax = figures.plot_accuracy_vs_size(
            [r for r in rows if r["metric"] == "accuracy"], size="n_excitatory"
        )
        paper = sorted(PAPER_VARIANTS.items())
        ax.plot(
            [n for n, _ in paper],
            [100 * acc for _, (_, acc) in paper],
            ls="--",
            marker="o",
            mfc="none",
            color="#555555",
            label="Diehl & Cook 2015, MNIST (1-15 epochs of 60,000)",
        )
        ax.set_xticks([n for n, _ in paper], [f"{n:,}" for n, _ in paper])
        ax.set_xlabel("excitatory neurons N")
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        ax.set_title(result.plan.points[0].task.name, fontsize=8)
        figures.save(ax.figure, fig_dir / "accuracy_vs_size")
        for job in result.plan.jobs:
            if job.config["seed"] != min(result.plan.spec.seeds):
                continue
            weights = store.read(job.id).weights
            if weights is None or len(task_shape) != 2:
                continue
            ax = figures.plot_receptive_fields(weights, task_shape, max_fields=MAX_FIELDS)
            n = job.config["model"]["params"]["n_excitatory"]
            figures.save(ax.figure, fig_dir / f"receptive_fields_N{n}")
        cells = [
            dict(
                r,
                accuracy=f"{100 * r['mean']:.1f} %",
                ci=percent_interval(r["low"], r["high"]),
                paper=(
                    f"{100 * r['paper_mnist_accuracy']:.1f} % ({r['paper_epochs']} epoch"
                    + ("s)" if r["paper_epochs"] > 1 else ")")
                    if r["paper_epochs"]
                    else "–"
                ),
            )
            for r in table
        ]
        text = [
            "# Diehl & Cook (2015): accuracy against network size\n",
            f"Task: {result.plan.points[0].task.name}.\n",
            format_table(
                cells,
                [
                    ("n_excitatory", "N"),
                    ("accuracy", "accuracy"),
                    ("ci", "95 % CI"),
                    ("n", "seeds"),
                    ("fit_seconds", "fit (s): STDP epoch + labelling"),
                    ("paper", "paper (MNIST)"),
                ],
            ),
            "",
        ]
        (staging / "diehl_cook_sizes.md").write_text("\n".join(text))
    print(f"study: {result.output_dir / 'study' / 'diehl_cook_sizes.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
