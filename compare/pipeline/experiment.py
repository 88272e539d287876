"""An experiment: models x seeds on one task, measured and written as tidy results.

:class:`ExperimentConfig` says what to run; :func:`compare.pipeline.runner.run_experiment`
runs it through
:mod:`compare.pipeline.runner` (one job per model x seed, resumable) and writes, into
``output_dir`` (default ``results/<name>``):

``spec.json``         the fully resolved config (as a spec, :mod:`compare.pipeline.spec`)
``environment.json``  versions, git commit, Brian2 device/target, machine
``task.json``         the task's size and provenance (source, sha256)
``results.csv``       tidy table: one row per model x task x seed x metric, with unit
                      and the id of the job that measured it
``summary.csv``       one row per model: mean accuracy with its 95 % t- and bootstrap
                      intervals over seeds, macro-F1, times, operations
``energy_tables.json`` the cost tables the energy metrics used (values, versions, sources)
``report.md``         the Markdown report (tables + figures, energy, paired statistics)
``figures/``          PNG + SVG figures
``jobs/<id>/``        per model and seed: config, metrics, environment, and in
                      ``artifacts/`` the confusion matrix, learned weights (npz) and the
                      energy breakdowns (json)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from compare.data.corruptions import CORRUPTIONS, SEVERITIES
from compare.measure.energy import DEFAULT_TABLES, get_table
from compare.measure.metrics import DEFAULT_OPERATIONS_EXAMPLES
from compare.models.registry import ModelSpec

__all__ = ["ExperimentConfig"]


@dataclass(frozen=True)
class ExperimentConfig:
    """What to run. Every field is recorded (as ``spec.json``) next to the results.

    Parameters
    ----------
    name
        Experiment name; the default output directory is ``results/<name>``.
    models
        The models to compare.
    task
        Key of :data:`compare.data.tasks.TASKS`.
    task_params
        Keyword arguments of the task loader (e.g. ``{"data_dir": "..."}``).
    seeds
        One run per model and seed; the seed is each estimator's ``random_state``.
    n_train, n_test
        Stratified subset sizes (None: the whole split). The subset is drawn with
        ``subset_seed``, identical for every model and seed.
    subset_seed
        Seed of the subset draw.
    operations_examples
        Test examples the operations report is measured on (None: all).
    energy_tables
        Cost tables (:data:`compare.measure.energy.TABLES` names) the operations are priced
        with; each model gets the estimates of the tables that can price it.
    corruptions, severities
        Corruption kinds (:data:`compare.data.corruptions.CORRUPTIONS`) and severities
        (1-5): the fitted models are also tested on every (kind, severity) copy of the
        test set (:func:`compare.measure.metrics.corrupted_accuracy`). Empty: clean data only.
    continual_groups
        If set, each job also trains a fresh model (same seed) on this many class groups
        in turn and measures its forgetting
        (:func:`compare.measure.continual.class_incremental_learning`); the number of groups must
        divide the task's classes.
    """

    name: str
    models: tuple[ModelSpec, ...]
    task: str = "digits"
    task_params: dict = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    n_train: int | None = None
    n_test: int | None = None
    subset_seed: int = 0
    operations_examples: int | None = DEFAULT_OPERATIONS_EXAMPLES
    energy_tables: tuple[str, ...] = DEFAULT_TABLES
    corruptions: tuple[str, ...] = ()
    severities: tuple[int, ...] = ()
    continual_groups: int | None = None

    def __post_init__(self):
        if not self.models:
            raise ValueError(f"experiment {self.name!r} has no models")
        labels = [m.label for m in self.models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"experiment {self.name!r}: model labels must be unique, got {labels}")
        if not self.seeds:
            raise ValueError(f"experiment {self.name!r} has no seeds")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"experiment {self.name!r}: seeds must be unique, got {self.seeds}")
        for table in self.energy_tables:
            try:
                get_table(table)
            except ValueError as err:
                raise ValueError(f"experiment {self.name!r}: {err}") from None
        unknown = [k for k in self.corruptions if k not in CORRUPTIONS]
        if unknown:
            raise ValueError(
                f"experiment {self.name!r}: unknown corruption(s) {unknown}; "
                f"known: {', '.join(CORRUPTIONS)}"
            )
        bad = [s for s in self.severities if s not in SEVERITIES or s == 0]
        if bad or bool(self.corruptions) != bool(self.severities):
            raise ValueError(
                f"experiment {self.name!r}: corruptions need severities from 1 to "
                f"{max(SEVERITIES)} and severities need corruptions; got corruptions "
                f"{list(self.corruptions)}, severities {list(self.severities)}"
            )

        groups = self.continual_groups
        if groups is not None and (
            isinstance(groups, bool) or not isinstance(groups, int) or groups < 2
        ):
            raise ValueError(
                f"experiment {self.name!r}: continual_groups must be an integer >= 2 or None, "
                f"got {groups!r}"
            )

    def to_dict(self) -> dict:
        """JSON-able resolved config."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))
