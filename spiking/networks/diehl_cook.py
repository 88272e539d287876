"""Diehl & Cook (2015): unsupervised digit learning with STDP, as an estimator.

Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition using
spike-timing-dependent plasticity. Front. Comput. Neurosci. 9:99.
The model follows the authors' Brian 1 code (github.com/peter-u-diehl/stdp-mnist).

Architecture: ``n_input`` Poisson inputs -> ``N`` excitatory conductance-based LIF
neurons with adaptive thresholds (plastic, all-to-all, the paper's STDP rule, delays
0-10 ms) -> ``N`` inhibitory neurons (one-to-one) -> every excitatory neuron but the
one that drove it (lateral inhibition). A readout assigns each excitatory neuron the
class it fires most for (on training data) and predicts the class whose neurons fire
most on average.

Protocol of one presentation: 350 ms of Poisson input with rate
``x * 255/8 Hz * intensity`` (intensity starts at 2), then 150 ms of rest. If the
excitatory layer fired fewer than 5 spikes during the input (and the rest before it, as
the authors count), the same example is shown again with intensity + 1. Before every
presentation each excitatory neuron's incoming weights are rescaled to sum to 78
(training only).

Dynamics: the default is what the authors' code computed, with one exception. Brian 1
integrated both cell types with forward Euler (the equations are not linear, and the
code does not ask for ``implicit=True``), which oscillates once about 24 inhibitory
spikes fall in one 0.5 ms step and then locks the network into firing every 5 ms: on
Fashion-MNIST within its first 20 images, on MNIST digits rarely (measured in
docs/FINDINGS.md, study 11). The default integrator,
``"stable-euler"``, keeps the authors' conductance decay (so each spike delivers their
charge) and integrates ``v`` by exponential Euler. :data:`DYNAMICS` names the authors'
exact dynamics (``"authors"``), the earlier model of this project (``"legacy"``) and
the variants between; docs/FINDINGS.md compares them.

Everything per presentation (the repeat rule, the input switch, the normalisation)
happens *inside* the simulation: a one-neuron controller group with a
``run_regularly`` operation holds the example index, intensity and input switch, and
the input neurons read their rates from a 2-D TimedArray indexed by the example index.
By default the network runs as a compiled C++ standalone program (built once per
network shape, :mod:`spiking.backend`), fed CHUNK_ROWS examples per run through
``run_args`` with the network state carried from run to run; Brian2's runtime mode
runs the same network, with the same random numbers, 10-20x slower. See
docs/ARCHITECTURE.md.

Other deviations from the authors' code, stated where they are implemented: a
presentation at ``max_intensity`` (32) is accepted whatever its spike count (the paper
would repeat a blank image forever); a presentation in which the excitatory layer fires
more than ``max_spikes_per_neuron`` (20) spikes per neuron stops the pass with
:class:`RunawayError` (the authors' code would run on with a network that fires every
5 ms). As in that code, the exc <-> inh connections have no delays (its
``delay['ei_input']``, 0-5 ms, belongs to input -> inhibitory connections, which it
defines but does not create), and the excitatory cell's ``timer`` condition is left out
(it never blocks a spike: see :class:`spiking.neurons.DiehlCookExcitatory`).

Input sizes other than 784 (the scaling rule)
---------------------------------------------
With ``s = n_input / 784``, the weight-normalisation total is ``78 * s`` (the mean
weight per synapse stays 78/784) and every input rate is multiplied by ``1 / s``, so
the expected total excitatory drive onto a neuron, ``n_input * mean(w) * mean(rate)``,
equals that of the 784-input network for images of the same mean intensity. For 784
inputs the rule is the identity. Inputs are Bernoulli per time step
(``rand() < rate * dt``), which is exact Poisson only while ``rate * dt << 1``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from brian2 import (
    Clock,
    Hz,
    Network,
    NeuronGroup,
    Quantity,
    SpikeMonitor,
    Synapses,
    TimedArray,
    linked_var,
    ms,
    mV,
    second,
    volt,
)
from brian2 import seed as brian2_seed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from spiking.backend import (
    BACKENDS,
    build_key,
    memoised_exp,
    process_rss_mb,
    resolve_backend,
    standalone_build,
)
from spiking.neurons import (
    AdaptiveThreshold,
    DiehlCookExcitatory,
    DiehlCookInhibitory,
    conductance_lif,
    decay_time_constant,
)
from spiking.params import default, describe
from spiking.plasticity import (
    DC_RULES,
    DiehlCookSTDP,
    ExponentialSTDP,
    PowerLawSTDP,
    PrePostSTDP,
    dc_variant_stdp,
)
from spiking.state import FORMAT_VERSION, params_from_json, params_to_json, read_npz, write_npz

__all__ = [
    "DYNAMICS",
    "PAPER_VARIANTS",
    "DiehlCook2015",
    "DiehlCook2015Params",
    "Presentations",
    "RunawayError",
    "SpikeRaster",
    "decision_time",
    "dynamics_params",
]

PAPER_VARIANTS = {100: (1, 0.829), 400: (3, 0.870), 1600: (7, 0.919), 6400: (15, 0.950)}
"""The paper's network sizes: N -> (training epochs over MNIST's 60,000 images, MNIST
test accuracy), Diehl & Cook (2015), Table 1. ``DiehlCook2015(N, epochs=epochs)``
builds each variant."""

_DTYPES = [np.float64, np.float32]
"""Accepted pixel dtypes, kept as they are (float32 data is not copied to float64)."""

REFERENCE_INPUTS = 784
"""Input size (28 x 28 MNIST) for which the paper's constants were chosen."""


@dataclass(frozen=True)
class DiehlCook2015Params:
    """Every constant of the Diehl & Cook (2015) network, from the authors' code."""

    excitatory: DiehlCookExcitatory = field(default_factory=DiehlCookExcitatory)
    """Excitatory cell membrane and synapses."""
    inhibitory: DiehlCookInhibitory = field(default_factory=DiehlCookInhibitory)
    """Inhibitory cell membrane and synapses."""
    threshold: AdaptiveThreshold = field(default_factory=AdaptiveThreshold)
    """Adaptive threshold of the excitatory cells."""
    stdp: DiehlCookSTDP = field(default_factory=DiehlCookSTDP)
    """Plasticity of the input -> excitatory synapses."""
    dt: Quantity = default(0.5 * ms)
    """Simulation time step."""
    input_time: Quantity = default(350 * ms)
    """Duration of the Poisson input of one presentation."""
    rest_time: Quantity = default(150 * ms)
    """Duration of the silent period after each presentation (variables decay)."""
    rate_per_intensity: Quantity = default(255 / 8 * Hz)
    """Rate of a pixel of value 1 at intensity 1 (pixel / 8 Hz for 0-255 pixels)."""
    start_intensity: float = 2.0
    """Input intensity of a first presentation (max rate 63.75 Hz)."""
    intensity_step: float = 1.0
    """Intensity added when a presentation is repeated."""
    min_spikes: int = 5
    """A presentation with fewer excitatory spikes than this is repeated."""
    max_intensity: float = 32.0
    """Not in the paper: a presentation at this intensity is never repeated, so a
    near-blank image cannot stall the run (the paper would repeat forever)."""
    w_init_scale: float = 0.3
    """Initial input weights are ``(U(0, 1) + w_init_offset) * w_init_scale``."""
    w_init_offset: float = 0.01
    """See ``w_init_scale``."""
    max_input_delay: Quantity = default(10 * ms)
    """Input -> excitatory delays are uniform in ``[0, max_input_delay]``."""
    w_exc_inh: float = 10.4
    """Weight of the one-to-one excitatory -> inhibitory synapses."""
    w_inh_exc: float = 17.0
    """Weight of the inhibitory -> excitatory synapses (all but self)."""
    norm_total: float = 78.0
    """Sum of each excitatory neuron's input weights for 784 inputs (see scaling rule)."""
    initial_v_offset: Quantity = default(-40 * mV)
    """Membrane potentials start at ``v_rest + initial_v_offset``."""
    max_spikes_per_neuron: float = 20.0
    """The runaway guard: when the excitatory layer fires more than this many spikes
    per neuron within one presentation (input and rest), the run stops at that time
    step and the pass raises :class:`RunawayError`, leaving the model as it was. A
    working network fires about 0.1 per neuron (50 spikes of N = 400); a runaway one
    up to one every refractory period (100 per neuron in 500 ms), which is what
    forward Euler does when it oscillates (``DYNAMICS["authors"]`` on Fashion-MNIST).
    ``math.inf`` turns the guard off."""
    count_previous_rest: bool = True
    """Whether a presentation's spike count (for the repeat rule, the labelling and the
    vote) includes the spikes of the rest period before it, as the authors' code
    does: it reads its SpikeCounter after each input period and subtracts the reading
    after the previous one. False counts the input period only."""

    def __post_init__(self):
        if not self.max_spikes_per_neuron > 0:
            raise ValueError(
                f"max_spikes_per_neuron must be > 0 (math.inf: no guard), got "
                f"{self.max_spikes_per_neuron!r}"
            )
        for name in ("input_time", "rest_time"):
            steps = float(getattr(self, name) / self.dt)
            if steps <= 0 or abs(steps - round(steps)) > 1e-9:
                raise ValueError(
                    f"{name} must be a positive multiple of dt={self.dt}, got {getattr(self, name)}"
                )


DYNAMICS = {
    "authors": ("euler", "block", True),
    "default": ("stable-euler", "block", True),
    "exponential-euler": ("exponential-euler", "block", True),
    "clamp": ("stable-euler", "clamp", True),
    "input-count": ("stable-euler", "block", False),
    "legacy": ("exponential-euler", "clamp", False),
}
"""Named variants of the network's dynamics: name -> (integrator of both cell types,
refractory form of the excitatory cell, ``count_previous_rest``).

- ``"authors"``: what the authors' Brian 1 code computed (forward Euler, spikes blocked
  while ``v`` integrates, counts including the rest before each input). A volley of
  about 24 inhibitory spikes in one step makes Euler overshoot, and the network locks
  into firing every 5 ms: within the first 20 images of Fashion-MNIST, rarely on MNIST
  digits (docs/FINDINGS.md, study 11).
- ``"default"``: the authors' dynamics with the closest stable integrator
  (``"stable-euler"``: the authors' conductance decay, exponential Euler for ``v``);
  what ``DiehlCook2015Params()`` holds.
- ``"exponential-euler"``, ``"clamp"``, ``"input-count"``: the default with one
  deviation each, for the ablation.
- ``"legacy"``: all three deviations: the model of spikearena before December 2026,
  with which results/ committed before then were computed.
"""


def dynamics_params(name: str, base: DiehlCook2015Params | None = None) -> DiehlCook2015Params:
    """``base`` (default: the paper's constants) with the dynamics named ``name``.

    >>> dynamics_params("authors").excitatory.integrator
    'euler'
    """
    if name not in DYNAMICS:
        raise ValueError(f"dynamics must be one of {sorted(DYNAMICS)}, got {name!r}")
    integrator, refractory_form, count_rest = DYNAMICS[name]
    base = DiehlCook2015Params() if base is None else base
    return dataclasses.replace(
        base,
        excitatory=dataclasses.replace(
            base.excitatory, integrator=integrator, refractory_form=refractory_form
        ),
        inhibitory=dataclasses.replace(base.inhibitory, integrator=integrator),
        count_previous_rest=count_rest,
    )


class RunawayError(RuntimeError):
    """The network fired more than ``max_spikes_per_neuron`` in one presentation.

    ``example`` is the index (in the pass) of the example whose presentation ran away,
    ``spikes`` the excitatory spikes of that presentation when the run stopped.
    """

    def __init__(self, message: str, *, example: int, spikes: int):
        super().__init__(message)
        self.example, self.spikes = example, spikes


@dataclass(frozen=True)
class Presentations:
    """What one pass of examples through the network produced.

    ``counts[k, j]`` is the number of spikes excitatory neuron ``j`` fired during the
    input period of the accepted (last) presentation of example ``k`` (None for a
    training pass unless asked for: memory stays flat in the number of examples).
    Totals count every presentation, repeats included.
    """

    counts: np.ndarray | None
    n_examples: int
    n_presentations: int
    input_spikes: int
    excitatory_spikes: int
    inhibitory_spikes: int
    steps_per_presentation: int
    run_seconds: float = 0.0
    """Wall time of the pass (every simulation run and the work between them)."""
    compile_seconds: float = 0.0
    """Wall time spent generating and compiling code for this pass (0 when cached)."""
    peak_rss_mb: float | None = None
    """Largest peak memory of the simulation binary over the pass's runs (standalone)."""
    spikes: list | None = None
    """Only if asked for: per example ``(wait, times, neurons)``, the time spent on its
    rejected presentations (s) and the excitatory spikes of its accepted presentation's
    input period (times in s from that presentation's onset)."""


@dataclass(frozen=True)
class SpikeRaster:
    """Spikes of one example (see :meth:`DiehlCook2015.spike_raster`): (times in s, indices)."""

    input: tuple[np.ndarray, np.ndarray]
    excitatory: tuple[np.ndarray, np.ndarray]
    inhibitory: tuple[np.ndarray, np.ndarray]
    input_time: float
    """Seconds of input at the start of each presentation."""
    presentation_time: float
    """Seconds of one presentation (input and rest)."""
    n_presentations: int
    """1, or more when the example was repeated at a higher intensity."""

    def groups(self) -> dict:
        """The three groups in drawing order (for
        :func:`compare.report.figures.plot_spike_raster`)."""
        return {"input": self.input, "excitatory": self.excitatory, "inhibitory": self.inhibitory}


class DiehlCook2015(ClassifierMixin, BaseEstimator):
    """The Diehl & Cook (2015) STDP network as a scikit-learn classifier.

    Parameters
    ----------
    n_excitatory : int
        Number of excitatory (and of inhibitory) neurons, N; the paper used 100, 400,
        1600 and 6400.
    epochs : int
        Passes over the training data with plasticity on.
    n_label : int or None
        Number of training examples (a stratified subset) presented with plasticity off
        to assign each neuron a class; None uses all of them, as the authors did. With
        ``label_from="training"``: the number of last examples of the training pass
        whose responses label the neurons.
    stdp_rule : str
        The plasticity rule of the input synapses, a name in
        :data:`spiking.plasticity.DC_RULES`: ``"triplet"`` (the authors' code,
        ``params.stdp``; the default), or one of the other rules the paper compared,
        ``"power-law"``, ``"exponential"`` or ``"pre-and-post"``, with the constants of
        :class:`~spiking.plasticity.PowerLawSTDP` and its siblings.
    label_from : {"pass", "training"}
        Where the class labels of the neurons come from after training. ``"pass"`` (the
        paper's evaluation): a separate pass over the labelling examples with
        plasticity off. ``"training"``: the responses recorded during the last STDP
        pass itself, as the authors' code tracked its accuracy while training (the
        last 10,000 examples there); it costs no extra simulation.
    params : DiehlCook2015Params or None
        Model constants; None means the paper's.
    dynamics : str or None
        A name in :data:`DYNAMICS` (``"authors"``, ``"legacy"``, ...): its integrator,
        refractory form and count window replace those of ``params``. None keeps
        ``params`` as it is (by default the ``"default"`` dynamics).
    backend : {"standalone", "runtime"}
        Where Brian2 runs: C++ standalone (compiled once per network shape and cached,
        the default; falls back to runtime with a warning where no C++ compiler is
        found) or runtime mode (Cython; 10-20x slower).
    random_state : int or None
        Seed of the initial weights, delays and Poisson input.
    record_every : int or None
        Also keep a copy of the weights in ``history_`` every this many training
        examples (at the end of the chunk of CHUNK_ROWS examples that reaches it), for
        weight-evolution figures; None keeps only theta and the per-chunk statistics.
    verbose : bool
        Show a progress bar per pass.

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_, n_excitatory)
        Learned input -> excitatory weights.
    theta_ : ndarray of shape (n_excitatory,)
        Adaptive threshold of each excitatory neuron, in volt.
    assignments_ : ndarray of shape (n_excitatory,)
        Class index assigned to each neuron; -1 for a neuron that never fired.
    label_responses_ : ndarray of shape (n_classes, n_excitatory)
        Mean spike count of each neuron per class in the labelling that last included
        the class, divided by that labelling's mean spikes per example (NaN for a class
        never labelled); the assignments are its argmax over classes.
    classes_ : ndarray
        Class labels seen in fit.
    fit_stats_ : dict
        Presentations, examples and wall seconds of training (``train_*``, summed over
        every pass since the model was initialised) and of the last labelling
        (``label_*``), compile seconds (summed) and the simulation binary's peak memory.
    history_ : dict of ndarray
        The course of training, one entry per chunk of CHUNK_ROWS examples:
        ``examples`` and ``presentations`` (cumulative), ``seconds`` (cumulative wall
        time), ``binary_peak_rss_mb`` (the simulation binary's peak memory in that
        chunk; NaN in runtime mode), ``process_rss_mb`` (this process's memory after
        it), ``theta`` (n_chunks, N); and with ``record_every``, ``weights``
        (n_snapshots, n_features_in_, N; float32) taken after ``weight_examples``
        examples, the first one before training.
        ``partial_fit`` appends; :meth:`save` does not store it.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((4, 64), dtype=np.float32)
    >>> model = DiehlCook2015(n_excitatory=20, random_state=0).fit(X, [0, 1, 0, 1])
    >>> model.predict(X).shape
    (4,)
    """

    _stdp_form = "last-spike"  # see STDP_FORMS; tests set "event-driven" to compare

    def __init__(
        self,
        n_excitatory=100,
        *,
        epochs=1,
        n_label=None,
        stdp_rule="triplet",
        label_from="pass",
        params=None,
        dynamics=None,
        backend="standalone",
        random_state=None,
        record_every=None,
        verbose=False,
    ):
        self.n_excitatory = n_excitatory
        self.epochs = epochs
        self.n_label = n_label
        self.stdp_rule = stdp_rule
        self.label_from = label_from
        self.params = params
        self.dynamics = dynamics
        self.backend = backend
        self.random_state = random_state
        self.record_every = record_every
        self.verbose = verbose

    # -- estimator API -------------------------------------------------------------

    def fit(self, X, y):
        """Learn the weights with STDP on X (labels unused), then assign neuron labels."""
        X, y_index, label_seed = self._initialise(X, y)
        return self._learn(X, y_index, self.epochs, label_seed=label_seed)

    def partial_fit(self, X, y, classes=None):
        """One more STDP pass over X from the current state, then label the neurons.

        Resumes training (for instance of a model from :meth:`load`), or learns from
        data that arrives in parts: the tasks of a class-incremental sequence
        (:mod:`compare.measure.continual`), or the segments of a long epoch trained
        with checkpoints in between (``experiments/diehl_cook_2015.py``). An unfitted
        model is initialised as :meth:`fit` does, with ``classes_`` from ``classes``
        when given (every class that will occur) or else from ``y``, and trained for
        one pass. Labels must be among ``classes_``; ``X`` may hold any subset of them.
        The labels come from X, as ``label_from`` says (a pass with plasticity off, or
        the responses of this training pass).

        Labelling measures each neuron's mean response to each class present in
        ``X``; a class absent from ``X`` keeps the responses it was last labelled with
        (``label_responses_``: the read-out remembers class means, never images), and
        every neuron is assigned the class of its highest remembered response. Each
        labelling's responses are divided by its mean spikes per example: the adaptive
        thresholds rise as training goes on, so raw counts of an early labelling are
        larger than a later one's (one class-incremental Fashion-MNIST run: 43 spikes
        per example after the first task, 13 after the fifth) and would keep every
        neuron on the first classes. With every class present, dividing by one number
        changes no assignment: this is :meth:`fit`'s labelling.
        """
        if not hasattr(self, "assignments_"):
            X, y_index, label_seed = self._initialise(X, y, classes)
            return self._learn(X, y_index, 1, label_seed=label_seed)
        X, y = validate_data(self, X, y, dtype=_DTYPES, reset=False)
        _check_unit_interval(X)
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes {np.unique(classes).tolist()} differ from the fitted classes_ "
                f"{self.classes_.tolist()}"
            )
        return self._learn(X, self._class_index(y), 1, label_seed=self._brian_seed)

    def label(self, X, y):
        """Assign each neuron a class from its responses to X, with plasticity off.

        The paper's labelling pass on its own: to label a model trained with
        ``label_from="training"`` or in segments (:meth:`partial_fit`) from the whole
        training set at the end, as the authors did, or from other examples than it
        learned from. The weights and thresholds are not changed. Returns self.
        """
        X = self._check_X(X)
        y_index = self._class_index(y)
        if len(y_index) != len(X):
            raise ValueError(f"y has {len(y_index)} labels for {len(X)} examples")
        labelling = self._label(X, y_index)
        stats = self.fit_stats_
        self.fit_stats_ = {
            **stats,
            **_label_stats(labelling),
            "compile_seconds": stats.get("compile_seconds", 0.0) + labelling.compile_seconds,
            "peak_rss_mb": _peak(stats.get("peak_rss_mb"), labelling.peak_rss_mb),
        }
        return self

    def _class_index(self, y) -> np.ndarray:
        """Indices into ``classes_`` of the labels ``y``; a clear error for unseen labels."""
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(
                f"labels {unseen.tolist()} were not seen in fit (classes {self.classes_.tolist()})"
            )
        return np.searchsorted(self.classes_, y)

    def _initialise(self, X, y, classes=None):
        """Check the data, draw the initial weights, delays and theta; (X, y_index, seed)."""
        X, y = validate_data(self, X, y, dtype=_DTYPES)
        _check_unit_interval(X)
        check_classification_targets(y)
        self._check_hyperparameters(len(X))
        if classes is None:
            self.classes_, y_index = np.unique(y, return_inverse=True)
        else:
            self.classes_ = np.unique(np.asarray(classes))
            unseen = np.setdiff1d(y, self.classes_)
            if len(unseen):
                raise ValueError(
                    f"labels {unseen.tolist()} are not among classes {self.classes_.tolist()}"
                )
            y_index = np.searchsorted(self.classes_, y)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes to assign labels, got {self.classes_!r}")
        self.label_responses_ = np.full((len(self.classes_), self.n_excitatory), np.nan)

        p = self._params()
        rng = np.random.default_rng(self.random_state)
        n_input, n_exc = X.shape[1], self.n_excitatory
        self.weights_ = (rng.random((n_input, n_exc)) + p.w_init_offset) * p.w_init_scale
        self.delays_ = rng.random((n_input, n_exc)) * float(p.max_input_delay / second)
        self.theta_ = np.full(n_exc, float(p.threshold.theta_init / volt))
        self._brian_seed = int(rng.integers(2**31 - 1))
        self.fit_stats_ = {}
        self.history_ = _empty_history(n_input, n_exc)
        return X, y_index, int(rng.integers(2**31 - 1))

    def _learn(self, X, y_index, epochs, *, label_seed):
        if not hasattr(self, "history_"):  # a loaded model: history starts here
            self.history_ = _empty_history(*self.weights_.shape)
        recorder = _HistoryRecorder(
            self.history_,
            self.fit_stats_.get("train_examples", 0),
            self.record_every,
            self.weights_,
        )
        from_training = self.label_from == "training"
        train = [
            self._present(
                X,
                learning=True,
                desc=f"STDP epoch {epoch + 1}",
                on_chunk=recorder,
                keep_counts=from_training and epoch == epochs - 1,
            )
            for epoch in range(epochs)
        ]
        self.history_ = recorder.finish()

        n_label = len(X) if self.n_label is None else min(self.n_label, len(X))
        if from_training:  # the last n_label examples of the last pass
            labelling = train[-1]
            self._assign(labelling.counts[-n_label:], y_index[-n_label:])
            label_stats = {
                "label_presentations": 0,
                "label_examples": n_label,
                "label_seconds": 0.0,
            }
            passes = train
        else:
            label_idx = np.arange(len(X))
            if n_label < len(X):
                label_idx, _ = train_test_split(
                    label_idx, train_size=n_label, stratify=y_index, random_state=label_seed
                )
            labelling = self._label(X[label_idx], y_index[label_idx])
            label_stats = _label_stats(labelling)
            passes = [*train, labelling]
        previous = self.fit_stats_
        self.fit_stats_ = {
            "train_presentations": previous.get("train_presentations", 0)
            + sum(r.n_presentations for r in train),
            "train_examples": previous.get("train_examples", 0) + sum(r.n_examples for r in train),
            "train_seconds": previous.get("train_seconds", 0.0) + sum(r.run_seconds for r in train),
            **label_stats,
            "compile_seconds": previous.get("compile_seconds", 0.0)
            + sum(r.compile_seconds for r in passes),
            "peak_rss_mb": _peak(previous.get("peak_rss_mb"), *(r.peak_rss_mb for r in passes)),
        }
        return self

    def _label(self, X, y_index) -> Presentations:
        """Present X without learning and assign the neurons from its classes' responses.

        Responses are per spike of this labelling; classes absent from X keep their
        remembered responses (see :meth:`partial_fit`).
        """
        labelling = self._present(X, learning=False, desc="labelling")
        self._assign(labelling.counts, y_index)
        return labelling

    def _assign(self, counts, y_index) -> None:
        """Assign the neurons from their responses ``counts`` (examples x neurons) to classes."""
        responses = class_responses(counts, y_index, len(self.classes_))
        spikes_per_example = counts.sum(axis=1).mean()
        if spikes_per_example > 0:
            responses = responses / spikes_per_example
        remembered = getattr(self, "label_responses_", None)
        if remembered is not None and remembered.shape == responses.shape:
            responses = np.where(np.isnan(responses), remembered, responses)
        self.label_responses_ = responses
        self.assignments_ = assign_from_responses(responses)

    # -- saving and loading ----------------------------------------------------------

    _SAVED_ARRAYS = ("weights_", "delays_", "theta_", "assignments_", "classes_")

    def save(self, path) -> Path:
        """Write the trained network to ``path`` (.npz), atomically.

        Weights, delays, theta, assignments, the remembered class responses and
        classes as arrays; the hyperparameters, the parameter dataclass (SI values with
        units), the fit statistics and the seed of the next pass as JSON. :meth:`load`
        reads it back; :meth:`partial_fit` resumes training from it exactly where it
        was (a checkpoint: the loaded model trains on as the saved one would have).
        """
        check_is_fitted(self, "assignments_")
        if self.classes_.dtype == object:
            raise ValueError("cannot save class labels of dtype object; use numbers or str")
        hyper = {k: v for k, v in self.get_params().items() if k != "params"}
        meta = {
            "format_version": FORMAT_VERSION,
            "estimator": type(self).__name__,
            "hyperparameters": hyper,
            "params": params_to_json(self._params()),
            "fit_stats": self.fit_stats_,
            "brian_seed": self._brian_seed,
        }
        arrays = {name: getattr(self, name) for name in self._SAVED_ARRAYS}
        unknown = np.full((len(self.classes_), self.weights_.shape[1]), np.nan)
        arrays["label_responses_"] = getattr(self, "label_responses_", unknown)  # none: unknown
        return write_npz(path, arrays, meta)

    @classmethod
    def load(cls, path) -> DiehlCook2015:
        """A fitted DiehlCook2015 from a file written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If there is no file at ``path``.
        ValueError
            If the file is corrupt, truncated, of another format version, or its arrays
            do not fit together.
        """
        arrays, meta = read_npz(path, list(cls._SAVED_ARRAYS))
        if meta.get("estimator") != cls.__name__:
            raise ValueError(f"{path} holds a {meta.get('estimator')!r}, not a {cls.__name__}")
        try:
            saved = meta["params"]
            params = params_from_json(DiehlCook2015Params, saved)
            if "count_previous_rest" not in saved:  # saved before the dynamics were fields
                params = dynamics_params("legacy", params)
            model = cls(params=params, **meta["hyperparameters"])
            brian_seed = int(meta["brian_seed"])
        except KeyError as err:
            raise ValueError(f"{path}: the saved metadata lacks {err}") from None
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path}: unreadable parameters: {err}") from None
        for name in cls._SAVED_ARRAYS:
            setattr(model, name, arrays[name])
        n_classes = len(model.classes_)  # files before label_responses_ was saved lack it
        responses = arrays.get("label_responses_", np.full((n_classes, model.n_excitatory), np.nan))
        if responses.shape != (n_classes, model.n_excitatory):
            raise ValueError(f"{path}: label_responses_ has shape {responses.shape}")
        model.label_responses_ = responses
        if model.weights_.ndim != 2:
            raise ValueError(
                f"{path}: weights_ must be 2-D (inputs x neurons), got shape {model.weights_.shape}"
            )
        n_input, n_exc = model.weights_.shape
        shapes_ok = (
            model.delays_.shape == (n_input, n_exc)
            and model.theta_.shape == (n_exc,)
            and model.assignments_.shape == (n_exc,)
            and n_exc == model.n_excitatory
        )
        if not shapes_ok:
            raise ValueError(f"{path}: the saved arrays' shapes do not fit together")
        model.n_features_in_ = n_input
        model.fit_stats_ = meta.get("fit_stats", {})
        model._brian_seed = brian_seed
        return model

    def predict(self, X):
        """Class of each example: the class whose assigned neurons fire most on average."""
        counts = self.spike_counts(X)
        return self.classes_[vote(counts, self.assignments_, len(self.classes_))]

    def readout_features(self, X) -> np.ndarray:
        """What the read-out sees: each excitatory neuron's spike count per example,
        float64 ``(n_samples, n_excitatory)`` (:meth:`spike_counts`).
        :mod:`compare.measure.continual` fits a linear probe on these to measure what the
        weights still represent."""
        return self.spike_counts(X).astype(np.float64)

    def spike_counts(self, X) -> np.ndarray:
        """Excitatory spike counts per example (accepted presentation), shape (n, N)."""
        return self._present(self._check_X(X), learning=False, desc="predict").counts

    def threshold_above_rest(self) -> np.ndarray:
        """How far each excitatory neuron's firing threshold now lies above its resting
        potential, in volts: ``v_thresh + theta - offset - v_rest``, shape (N,).

        13 mV for a fresh network (theta = 20 mV). Theta grows only when the neuron fires
        while learning and decays with ``tau_theta`` (1e7 ms, 20,000 presentations of
        500 ms) otherwise, so a neuron that rarely wins drifts towards firing on almost
        no input; at 0 or below it fires with none (the authors' constants put that at
        theta = 7 mV). In test mode theta is frozen, and such neurons win whatever
        their receptive fields.
        """
        check_is_fitted(self, "theta_")
        p = self._params()
        gap = p.excitatory.v_thresh - p.threshold.offset - p.excitatory.v_rest
        return float(gap / volt) + self.theta_

    def decision_latency(self, X, y) -> np.ndarray:
        """Time to decision of each example (s), NaN where the network ends wrong.

        Counted from the onset of the example's first presentation: the time spent on
        presentations rejected by the repeat rule (500 ms each) plus the time within the
        accepted one at which the class vote over the spikes so far becomes the true
        class and stays so until the input ends (:func:`decision_time`). Test mode, as
        :meth:`predict`; the last vote is :meth:`predict`'s answer. Where the count
        includes the rest before the presentation (``count_previous_rest``), those
        spikes are counted from the start but votes are taken only from the onset.
        """
        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (len(X),):
            raise ValueError(f"y must have one label per example ({len(X)}), got shape {y.shape}")
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(f"labels {unseen.tolist()} are not among classes_ {self.classes_}")
        labels = np.searchsorted(self.classes_, y)
        result = self._present(X, learning=False, desc="latency", keep_spikes=True)
        n_classes = len(self.classes_)
        return np.array(
            [
                wait + decision_time(times, neurons, self.assignments_, n_classes, label)
                for (wait, times, neurons), label in zip(result.spikes, labels, strict=True)
            ]
        )

    def spike_raster(self, x) -> SpikeRaster:
        """Every spike of one example's presentations (repeats included), test mode.

        ``x`` is one example (shape ``(n_features_in_,)``). The network starts at rest,
        as for every pass; times count from the start of the first presentation.
        """
        x = np.asarray(x)
        if x.ndim != 1:
            raise ValueError(f"spike_raster takes one example (1-D), got shape {x.shape}")
        x = self._check_X(x[None, :])
        p = self._params()
        scale = self.weights_.shape[0] / REFERENCE_INPUTS
        runner = self._pass(learning=False, record_spikes=True)
        state = _initial_state(p, runner.layout, self.weights_, self.delays_, self.theta_)
        net = runner._run_chunk(_rates(p, x, scale), state, self._brian_seed, p.norm_total * scale)

        def spikes(monitor):
            return np.array(monitor.t_[:]), np.array(monitor.i[:])

        return SpikeRaster(
            input=spikes(net.input_mon),
            excitatory=spikes(net.exc_mon),
            inhibitory=spikes(net.inh_mon),
            input_time=float(p.input_time / second),
            presentation_time=float(net.period / second),
            n_presentations=int(net.controller.presentations[0]),
        )

    def operations(self, X) -> dict:
        """What inference on X costs, measured from the spikes of an actual run.

        Per-example means in NeuroBench's terms. Synaptic events (``effective_acs``)
        are input spikes x N (input fan-out), excitatory spikes x 1 (to their
        inhibitory partner) and inhibitory spikes x (N - 1); repeated presentations
        count. ``dense_macs`` is what a clock-driven dense implementation would do:
        every synapse every time step. ``neuron_updates`` counts excitatory and
        inhibitory state updates per time step.
        """
        result = self._present(self._check_X(X), learning=False, desc="operations")
        n_in, n_exc = self.weights_.shape
        n = result.n_examples
        steps = result.n_presentations * result.steps_per_presentation / n
        n_synapses = n_in * n_exc + n_exc + n_exc * (n_exc - 1)
        spikes = (result.excitatory_spikes + result.inhibitory_spikes) / n
        neuron_steps = 2 * n_exc * steps
        return {
            "parameter_count": float(self.weights_.size + self.theta_.size),
            "footprint_bytes": float(8 * (n_synapses + self.theta_.size)),
            "connection_sparsity": float(np.mean(self.weights_ == 0) * n_in * n_exc / n_synapses),
            "dense_macs": float(n_synapses * steps),
            "effective_macs": 0.0,
            "effective_acs": float(
                (
                    result.input_spikes * n_exc
                    + result.excitatory_spikes
                    + result.inhibitory_spikes * (n_exc - 1)
                )
                / n
            ),
            "activations": float(spikes),
            "activation_sparsity": float(1 - spikes / neuron_steps),
            "neuron_updates": float(neuron_steps),
            "presentations_per_example": result.n_presentations / n,
        }

    # -- internals -------------------------------------------------------------------

    def _params(self) -> DiehlCook2015Params:
        params = DiehlCook2015Params() if self.params is None else self.params
        return params if self.dynamics is None else dynamics_params(self.dynamics, params)

    def _check_hyperparameters(self, n_samples):
        if not isinstance(self.n_excitatory, (int, np.integer)) or self.n_excitatory < 1:
            raise ValueError(f"n_excitatory must be a positive integer, got {self.n_excitatory!r}")
        if not isinstance(self.epochs, (int, np.integer)) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        for name in ("n_label", "record_every"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, np.integer)) and value > 0):
                raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
        if self.dynamics is not None and self.dynamics not in DYNAMICS:
            raise ValueError(
                f"dynamics must be one of {sorted(DYNAMICS)} or None, got {self.dynamics!r}"
            )
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be 'standalone' or 'runtime', got {self.backend!r}")
        if self.stdp_rule not in DC_RULES:
            raise ValueError(f"stdp_rule must be one of {sorted(DC_RULES)}, got {self.stdp_rule!r}")
        if self.label_from not in LABEL_FROM:
            raise ValueError(f"label_from must be one of {LABEL_FROM}, got {self.label_from!r}")
        if self.params is not None and not isinstance(self.params, DiehlCook2015Params):
            raise ValueError(
                f"params must be a DiehlCook2015Params, got {type(self.params).__name__}"
            )

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "assignments_")
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        _check_unit_interval(X)
        return X

    def _present(
        self, X, *, learning, desc="", on_chunk=None, keep_spikes=False, keep_counts=False
    ) -> Presentations:
        """Show every row of X once (with repeats) and update the learned state if learning.

        A pass without learning always keeps its spike counts; a learning pass only
        with ``keep_counts``."""
        p = self._params()
        scale = self.weights_.shape[0] / REFERENCE_INPUTS
        runner = self._pass(learning=learning)
        # A fresh seed per pass, derived from the model's, keeps passes independent
        # while the whole fit stays a function of random_state.
        seed = self._brian_seed
        self._brian_seed = (self._brian_seed * 1103515245 + 12345) % (2**31 - 1)
        result, weights, theta = runner.run(
            X,
            self.weights_,
            self.delays_,
            self.theta_,
            norm_total=p.norm_total * scale,
            seed=seed,
            progress=self.verbose,
            desc=desc,
            on_chunk=on_chunk,
            keep_spikes=keep_spikes,
            keep_counts=keep_counts or not learning,
        )
        if learning:
            self.weights_, self.theta_ = weights, theta
        return result

    def _pass(self, *, learning, record_spikes=False) -> _Pass:
        """The runner of this network's layout (its standalone build is compiled or cached)."""
        n_input, n_exc = self.weights_.shape
        p = self._params()
        if self.stdp_rule != "triplet":
            p = dataclasses.replace(p, stdp=DC_RULES[self.stdp_rule]())
        return _Pass(
            p,
            n_input=n_input,
            n_exc=n_exc,
            learning=learning,
            backend=self.backend,
            stdp_form=self._stdp_form,
            record_spikes=record_spikes,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    def describe_params(self) -> dict:
        """The resolved constants as JSON-able strings with units."""
        return describe(self._params())


def _label_stats(labelling: Presentations) -> dict:
    """The fit statistics of one labelling pass."""
    return {
        "label_presentations": labelling.n_presentations,
        "label_examples": labelling.n_examples,
        "label_seconds": labelling.run_seconds,
    }


def _peak(*values: float | None) -> float | None:
    """The largest of some peak memories, None where none is known (runtime mode)."""
    known = [v for v in values if v]
    return max(known) if known else None


def _check_unit_interval(X: np.ndarray) -> None:
    lo, hi = float(X.min(initial=0.0)), float(X.max(initial=0.0))
    if lo < 0 or hi > 1:
        raise ValueError(
            f"expected pixel intensities in [0, 1] (they set Poisson rates), got min {lo:g}, "
            f"max {hi:g}" + (" — divide by 255" if hi > 1 and hi <= 255 else "")
        )


def assign_labels(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Class each neuron responds to most (mean count), -1 for neurons that never fired.

    As in the authors' ``get_new_assignments``: for each class, the mean spike count of
    every neuron over the examples of that class; a neuron takes the class of its
    highest strictly positive mean.
    """
    return assign_from_responses(class_responses(counts, labels, n_classes))


def class_responses(counts: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean spike count of every neuron per class, ``(n_classes, N)``; NaN rows for
    classes without examples."""
    means = np.full((n_classes, counts.shape[1]), np.nan)
    for c in range(n_classes):
        members = labels == c
        if members.any():
            means[c] = counts[members].mean(axis=0)
    return means


def assign_from_responses(responses: np.ndarray) -> np.ndarray:
    """Class of each neuron's highest strictly positive response (NaN: none); -1 if none."""
    means = np.nan_to_num(responses, nan=0.0)
    assignments = means.argmax(axis=0)
    assignments[means.max(axis=0) <= 0] = -1
    return assignments


def vote(counts: np.ndarray, assignments: np.ndarray, n_classes: int) -> np.ndarray:
    """Class index per example: highest mean count over the neurons assigned to it.

    Classes without any assigned neuron are never predicted (as the authors' code
    would after its division by zero).
    """
    scores = np.full((len(counts), n_classes), -np.inf)
    for c in range(n_classes):
        members = assignments == c
        if members.any():
            scores[:, c] = counts[:, members].mean(axis=1)
    return scores.argmax(axis=1)


CHUNK_ROWS = 256
"""Examples per Brian2 run. The compiled code has a fixed-size rate table; passes are
cut into chunks of this many examples, with the network state carried across, which
also bounds the spike monitor's memory whatever the number of examples."""

_STDP_TRACES = {
    DiehlCookSTDP: ("pre", "post1", "post2"),
    PowerLawSTDP: ("pre",),
    ExponentialSTDP: ("pre",),
    PrePostSTDP: ("pre", "post"),
}

LABEL_FROM = ("pass", "training")
"""Where a fit's neuron labels come from (see :class:`DiehlCook2015`'s ``label_from``)."""

STDP_FORMS = ("last-spike", "event-driven")
"""``"event-driven"`` is the rule as written (:func:`spiking.plasticity.diehl_cook_stdp`:
three traces per synapse, decayed at every event). ``"last-spike"`` is the same rule
computed faster: because the authors *set* each trace to 1 on a spike, a trace equals
``exp(-(t - t_last) / tau)``; the two postsynaptic traces depend only on the
postsynaptic neuron (post spikes are not delayed), so they live in the excitatory
group and decay once per step, and the presynaptic trace is kept as the arrival time
of the last input spike (one exp per synapse per *postsynaptic* spike instead of three
per synaptic event). The forms differ only by float rounding; a test checks that they
give identical spike trains."""


@dataclass(frozen=True)
class _Layout:
    """What fixes the generated code of one network: compiled once per distinct layout."""

    n_input: int
    n_exc: int
    learning: bool
    stdp_form: str
    standalone: bool
    rows: int = CHUNK_ROWS
    record_spikes: bool = False
    """Record every input and inhibitory spike too (for rasters; memory grows)."""
    stdp_traces: tuple[str, ...] = ("pre", "post1", "post2")
    """The plasticity rule's traces kept by the synapses (the event-driven form)."""


def _source_hash() -> str:
    import spiking.backend
    import spiking.neurons
    import spiking.plasticity

    digest = hashlib.sha256()
    modules = (spiking.backend, spiking.neurons, spiking.plasticity, sys.modules[__name__])
    for module in modules:
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _code_version() -> str:
    """Hash of the sources that generate the network's code, part of every build key,
    so a cached build from an older version of this code is never reused.

    Read when this module is imported (see the end of the module), so it describes
    the code this process runs even if the files are edited while it runs.
    """
    return _CODE_VERSION


def _presentation_steps(p: DiehlCook2015Params) -> tuple[int, int]:
    """Time steps of a presentation's input period and of the whole presentation."""
    steps_input = int(round(float(p.input_time / p.dt)))
    return steps_input, steps_input + int(round(float(p.rest_time / p.dt)))


# C++ inserted before the runs: flush-to-zero and denormals-are-zero. The conductances
# and traces of neurons that stay silent decay through the denormal range (below
# 2.2e-308), where x86 arithmetic is many times slower; at these magnitudes a denormal
# never changes a result (they only ever meet terms of order 1e-3 or more), which the
# standalone = runtime spike test checks (runtime mode keeps IEEE denormals).
_FLUSH_DENORMALS = """
#if defined(__SSE__)
__builtin_ia32_ldmxcsr(__builtin_ia32_stmxcsr() | 0x8040);  // FTZ | DAZ
#endif
"""


def _stop_function():
    """A Brian2 Function ``stop_run(flag)`` that ends a standalone run when flag > 0.

    It sets the flag that the C++ network loop checks after every time step (the one
    Ctrl-C also sets), so the run ends exactly at the end of the current step.
    """
    from brian2 import Function

    stop = Function(lambda flag: flag, arg_units=[1], return_unit=1, stateless=False)
    stop.implementations.add_implementation(
        "cpp",
        "double stop_run(double flag)\n"
        "{\n"
        "    if (flag > 0) Network::_globally_stopped = true;\n"
        "    return flag;\n"
        "}\n",
        name="stop_run",
    )
    return stop


class _Network:
    """The Brian2 objects of one Diehl & Cook network layout, built under the active device.

    Everything that varies between runs (rates, weights, delays, theta, the dynamic
    state, the number of examples, the seed) is a variable set per run (see
    :meth:`assignments`), so
    one standalone build serves every run of its layout.
    """

    sort_synapses_by_delay = True
    """Class switch for a test that compares with row-major order (see _synapse_order)."""

    def __init__(self, p: DiehlCook2015Params, layout: _Layout, table=None, prefix="dc"):
        self.p, self.layout = p, layout
        self._order = None  # of the last run's synapses (see _synapse_order)
        self._order_cache = None  # (by delay?, delays, order, post)
        self.steps_input, self.steps_total = _presentation_steps(p)
        self.period = self.steps_total * p.dt
        # Named clocks and objects: the generated code (and so the build cache) must
        # not depend on which other Brian2 objects this process created before. The
        # steps below create them in a fixed order.
        clock = Clock(dt=p.dt, name=f"{prefix}_clock")
        self._add_controller(clock, prefix)
        presentation_clock = self._add_input(clock, table, prefix)
        self._add_neurons(clock, prefix)
        self._add_synapses(clock, presentation_clock, prefix)
        self._add_monitors(prefix)

    def _add_controller(self, clock, prefix):
        """The controller: presentations, repeats, counts, the runaway guard, the stop."""
        p = self.p
        layout = self.layout
        n_exc = layout.n_exc
        # The controller: one neuron that counts the steps of a presentation, switches
        # the input off after input_time and, at the end of the rest, repeats the
        # example with a higher intensity (fewer than min_spikes excitatory spikes) or
        # moves to the next one. It acts at the end of every step, so a presentation
        # is exactly steps_total steps and a run can stop on a presentation boundary.
        # `count` collects excitatory spikes (during the input only, or also during
        # the rest before it: count_previous_rest); at the end of the input it is
        # kept as `counted`, which the repeat rule reads, and starts again from 0.
        namespace = {
            "steps_input": self.steps_input,
            "steps_total": self.steps_total,
            "min_spikes": p.min_spikes,
            "max_intensity": p.max_intensity,
            "intensity_step": p.intensity_step,
            "start_intensity": p.start_intensity,
            "max_fired": min(p.max_spikes_per_neuron * n_exc, 1e300),  # inf: no guard
        }
        decide = """
        step += 1
        end_input = int(step == steps_input)
        end_rest = int(step == steps_total)
        runaway = int(runaway + int(fired > max_fired) > 0)
        fired *= 1 - end_rest
        counted += end_input * (count - counted)
        count *= 1 - end_input
        repeat = end_rest * int(counted < min_spikes) * int(intensity < max_intensity)
        advance = end_rest - repeat
        input_on = input_on * (1 - end_input) + end_rest
        example += advance
        intensity += repeat * intensity_step + advance * (start_intensity - intensity)
        step *= 1 - end_rest
        presentations += end_rest
        """
        if layout.standalone:
            namespace["stop_run"] = _stop_function()
            decide += "stopped = stop_run(int(example >= n_valid) + runaway)\n"
        self.controller = NeuronGroup(
            1,
            """
            example : integer
            intensity : 1
            input_on : 1
            count : 1
            counted : 1
            fired : 1  # excitatory spikes of this presentation (the runaway guard)
            runaway : 1
            step : integer
            presentations : integer
            n_valid : integer
            seed : integer
            stopped : 1
            """,
            clock=clock,
            name=f"{prefix}_controller",
            namespace=namespace,
        )
        self.controller.intensity = p.start_intensity
        self.controller.input_on = 1
        self.controller.run_regularly(
            decide, clock=clock, when="end", name=f"{prefix}_controller_decide"
        )

    def _add_input(self, clock, table, prefix):
        """The input group: Bernoulli spikes at the rates of the stimulus table."""
        layout = self.layout
        n_input = layout.n_input
        if table is None:
            table = np.zeros((layout.rows, n_input))
        self.stimulus = TimedArray(table * Hz, dt=1 * second, name=f"{prefix}_stimulus")
        self.input = NeuronGroup(
            n_input,
            """
            example : integer (linked)
            intensity : 1 (linked)
            input_on : 1 (linked)
            p_spike : 1  # spike probability per step in this presentation
            """,
            # Bernoulli per step; no random number is drawn while the input is off or
            # for a pixel of rate 0 (about half of an MNIST-like image).
            threshold="input_on > 0 and p_spike > 0 and rand() < p_spike",
            clock=clock,
            name=f"{prefix}_input",
            namespace={"stimulus": self.stimulus},
        )
        to_controller = np.zeros(n_input, dtype=int)
        for var in ("example", "intensity", "input_on"):
            setattr(self.input, var, linked_var(self.controller, var, index=to_controller))
        # Example and intensity change only between presentations (the controller
        # decides at the end of a step), so the probability is computed once per
        # presentation, at its first step, instead of two table look-ups per step
        # (``dt`` is the input group's time step, not the presentation clock's).
        presentation_clock = Clock(dt=self.period, name=f"{prefix}_presentation_clock")
        self.input.run_regularly(
            "p_spike = intensity * stimulus(example * second, i) * dt",
            clock=presentation_clock,
            when="start",
            order=0,
            name=f"{prefix}_input_probability",
        )
        return presentation_clock

    def _add_neurons(self, clock, prefix):
        """The excitatory and inhibitory groups (and the STDP traces of the excitatory cells)."""
        p = self.p
        layout = self.layout
        n_exc = layout.n_exc
        learning = layout.learning
        fast = layout.stdp_form == "last-spike"
        dt = p.dt
        exc = conductance_lif(p.excitatory, p.threshold, learning=learning, dt=dt)
        if learning:
            exc["model"] += "wsum : 1  # sum of the neuron's input weights\n"
            if fast:
                exc["model"] += (
                    "dpost1/dt = -post1 / tau_post1 : 1\ndpost2/dt = -post2 / tau_post2 : 1\n"
                )
                exc["reset"] += "\npost1 = 1\npost2 = 1"
                # The traces decay exactly whatever the membrane's integrator (Brian 1's
                # STDP keeps them in a linear group, which it integrates exactly).
                exc["namespace"].update(
                    tau_post1=decay_time_constant(p.stdp.tau_post1, dt, exc["method"]),
                    tau_post2=decay_time_constant(p.stdp.tau_post2, dt, exc["method"]),
                )
        inh = conductance_lif(p.inhibitory, dt=dt)
        if layout.standalone:
            exc, inh = memoised_exp(exc), memoised_exp(inh)
        self.exc = NeuronGroup(n_exc, **exc, clock=clock, name=f"{prefix}_excitatory")
        self.inh = NeuronGroup(n_exc, **inh, clock=clock, name=f"{prefix}_inhibitory")

    def _add_synapses(self, clock, presentation_clock, prefix):
        """Input -> excitatory (plastic, normalised), excitatory <-> inhibitory, and the
        excitatory spike counter."""
        p = self.p
        layout = self.layout
        learning = layout.learning
        fast = layout.stdp_form == "last-spike"
        if learning and fast:
            syn = {
                "model": "w : 1\ntpre : second",
                "on_pre": "ge_post += w\ntpre = t\nw = clip(w - nu_pre * post1_post, 0, w_max)",
                "on_post": (
                    "w = clip(w + nu_post * exp((tpre - t) / tau_pre) * post2_post, 0, w_max)"
                ),
                "namespace": {
                    "tau_pre": p.stdp.tau_pre,
                    "nu_pre": p.stdp.nu_pre,
                    "nu_post": p.stdp.nu_post,
                    "w_max": p.stdp.w_max,
                },
            }
        else:
            syn = dc_variant_stdp(p.stdp, learning=learning)
        syn["model"] += "\ndelay_in : second  # axonal delay, copied to `delay` before each run\n"
        if layout.standalone:  # see _synapse_order
            syn["model"] += "post_order : integer  # copied to _synaptic_post before each run\n"
        if learning:
            syn["model"] += "wsum_post = w : 1 (summed)\nnorm_total : 1 (shared)\n"
        self.input_exc = Synapses(
            self.input, self.exc, **syn, clock=clock, name=f"{prefix}_input_exc"
        )
        # all-to-all; synapse k = (i, j) in row-major order (standalone runs reorder
        # each row by delay: _synapse_order)
        self.input_exc.connect()

        if learning:
            # Each neuron's weight sum is needed only before a presentation: compute it
            # on the presentation clock instead of every step (same result, far cheaper),
            # then rescale the column to norm_total.
            updater = self.input_exc.summed_updaters["wsum_post"]
            updater._clock = presentation_clock
            updater.when, updater.order = "start", 1
            self.input_exc.run_regularly(
                "w = w * norm_total / (wsum_post + int(wsum_post == 0))",
                clock=presentation_clock,
                when="start",
                order=2,
                name=f"{prefix}_normalise",
            )

        self.exc_inh = Synapses(
            self.exc,
            self.inh,
            "w : 1",
            on_pre="ge_post += w",
            clock=clock,
            name=f"{prefix}_exc_inh",
        )
        self.exc_inh.connect(j="i")
        self.exc_inh.w = p.w_exc_inh
        self.inh_exc = Synapses(
            self.inh,
            self.exc,
            "w : 1",
            on_pre="gi_post += w",
            clock=clock,
            name=f"{prefix}_inh_exc",
        )
        self.inh_exc.connect(condition="i != j")
        self.inh_exc.w = p.w_inh_exc
        self.exc_count = Synapses(
            self.exc,
            self.controller,
            on_pre="count_post += int(input_on_post + count_rest > 0)\nfired_post += 1",
            clock=clock,
            name=f"{prefix}_exc_count",
            namespace={"count_rest": int(p.count_previous_rest)},
        )
        self.exc_count.connect()

    def _add_monitors(self, prefix):
        """The spike monitors, and the Network of every object."""
        layout = self.layout
        everything = layout.record_spikes
        self.input_mon = SpikeMonitor(self.input, record=everything, name=f"{prefix}_input_spikes")
        self.inh_mon = SpikeMonitor(self.inh, record=everything, name=f"{prefix}_inh_spikes")
        self.exc_mon = SpikeMonitor(self.exc, name=f"{prefix}_exc_spikes")
        self.net = Network(
            self.controller,
            self.input,
            self.exc,
            self.inh,
            self.input_exc,
            self.exc_inh,
            self.inh_exc,
            self.exc_count,
            self.input_mon,
            self.inh_mon,
            self.exc_mon,
            name=f"{prefix}_network",
        )

    # -- state --------------------------------------------------------------------------

    def state_variables(self) -> list[tuple[str, str, bool]]:
        return _state_variables(self.layout)

    def read(self) -> dict:
        """The carried state after a run, as plain float arrays in SI units."""
        state = {}
        for obj, var, _ in self.state_variables():
            value = np.array(getattr(self, obj).state(var, use_units=False)[:], dtype=float)
            if obj == "input_exc" and self._order is not None:
                value[self._order] = value.copy()  # back to row-major (i, j) order
            state[obj, var] = value
        return state

    def assignments(self, state: dict, n_valid: int, seed: int, norm_total: float):
        """(VariableView, value with units) for everything a run needs but the rates."""
        out = [
            (self.controller.n_valid, n_valid),
            (self.controller.seed, seed),
        ]
        if self.layout.learning:
            out.append((self.input_exc.norm_total, norm_total))
        if self.layout.standalone:
            self._order, post = self._synapse_order(state["input_exc", "delay_in"])
            out.append((self.input_exc.post_order, post))
        for obj, var, _ in self.state_variables():
            view = getattr(self, obj).state(var)
            value = state[obj, var]
            if obj == "input_exc" and self._order is not None:
                value = value[self._order]
            out.append((view, Quantity(value, dim=view.dim)))
        return out

    def _synapse_order(self, delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each input's synapses lie in a standalone run: sorted by delay per input.

        An input spike reaches its synapses in blocks of equal delay, one block per
        time step (the patched spike queue, :mod:`spiking.backend`). In row-major
        order a block is scattered over the input's whole row of weights (one cache
        line per synapse at N = 1600); sorted by delay it is one contiguous stretch.
        Input i keeps synapses i * n_exc to (i + 1) * n_exc - 1; within them synapse
        i * n_exc + r leads to neuron ``post[i * n_exc + r]``, and ``order`` maps the
        run's synapses to the row-major ones. Every step delivers the same synapses
        in the same order of sources, each to its own neuron, so the results are
        those of row-major order bit for bit (a test compares them).
        """
        by_delay = self.sort_synapses_by_delay
        cached = self._order_cache
        if cached is None or cached[0] != by_delay or not np.array_equal(cached[1], delays):
            n_exc = self.layout.n_exc
            rows = delays.reshape(-1, n_exc)
            if by_delay:
                post = np.argsort(rows, axis=1, kind="stable").astype(np.int32)
            else:
                post = np.broadcast_to(np.arange(n_exc, dtype=np.int32), rows.shape)
            first = np.arange(len(rows), dtype=np.int64)[:, None] * n_exc
            self._order_cache = (by_delay, delays.copy(), (first + post).ravel(), post.ravel())
        return self._order_cache[2], self._order_cache[3]


def _state_variables(layout: _Layout) -> list[tuple[str, str, bool]]:
    """(object, variable, is_a_time) of everything carried from one run to the next."""
    out = [("controller", "count", False)]  # the spikes of the last rest
    out += [("exc", v, False) for v in ("v", "ge", "gi", "theta")] + [("exc", "lastspike", True)]
    out += [("inh", v, False) for v in ("v", "ge", "gi")] + [("inh", "lastspike", True)]
    out += [("input_exc", "w", False), ("input_exc", "delay_in", False)]
    if layout.learning:
        if layout.stdp_form == "last-spike":
            out += [("exc", "post1", False), ("exc", "post2", False)]
            out += [("input_exc", "tpre", True)]
        else:
            out += [("input_exc", v, False) for v in layout.stdp_traces]
            out += [("input_exc", "lastupdate", True)]
    return out


def _rates(p: DiehlCook2015Params, pixels: np.ndarray, scale: float) -> np.ndarray:
    """Input rates (Hz, float64) at intensity 1 of pixels in [0, 1], with the scaling rule."""
    return np.asarray(pixels, dtype=np.float64) * float(p.rate_per_intensity / Hz) / scale


def _rate_table(rates: np.ndarray, rows: int) -> np.ndarray:
    table = np.zeros((rows, rates.shape[1]))
    table[: len(rates)] = rates
    return table


def _initial_state(p: DiehlCook2015Params, layout: _Layout, weights, delays, theta) -> dict:
    """The network at rest before a pass: the authors' initial potentials, no spikes yet."""
    n_input, n_exc = weights.shape
    never = -1e4  # Brian2's own "never spiked" lastspike (seconds)
    values = {
        ("exc", "v"): float((p.excitatory.v_rest + p.initial_v_offset) / volt),
        ("inh", "v"): float((p.inhibitory.v_rest + p.initial_v_offset) / volt),
        ("exc", "theta"): theta,
        ("input_exc", "w"): weights.ravel(),
        ("input_exc", "delay_in"): delays.ravel(),
        ("exc", "lastspike"): never,
        ("inh", "lastspike"): never,
        ("input_exc", "tpre"): never,
        ("input_exc", "lastupdate"): 0.0,
    }
    sizes = {"controller": 1, "exc": n_exc, "inh": n_exc, "input_exc": n_input * n_exc}
    state = {}
    for obj, var, _ in _state_variables(layout):
        value = values.get((obj, var), 0.0)
        state[obj, var] = np.broadcast_to(np.asarray(value, dtype=float), (sizes[obj],)).copy()
    return state


class _Pass:
    """Present rows of rates with the paper's protocol, CHUNK_ROWS examples per Brian2 run."""

    def __init__(self, p, *, n_input, n_exc, learning, backend, stdp_form, record_spikes=False):
        if stdp_form not in STDP_FORMS:
            raise ValueError(f"stdp_form must be one of {STDP_FORMS}, got {stdp_form!r}")
        if not isinstance(p.stdp, DiehlCookSTDP):  # the fast form is the triplet rule's
            stdp_form = "event-driven"
        self.p = p
        self.backend = resolve_backend(backend)
        self.layout = _Layout(
            n_input,
            n_exc,
            learning,
            stdp_form,
            self.backend == "standalone",
            rows=1 if record_spikes else CHUNK_ROWS,
            record_spikes=record_spikes,
            stdp_traces=_STDP_TRACES[type(p.stdp)],
        )
        self.build = None
        self.compile_seconds = 0.0
        if self.layout.standalone:
            key = build_key(
                "diehl-cook-2015", _code_version(), describe(p), dataclasses.asdict(self.layout)
            )
            start = time.perf_counter()
            self.build = standalone_build(key, lambda device: self._build_standalone(device, key))
            self.compile_seconds = time.perf_counter() - start
            self.net = self.build.handle
        else:
            self.net = None

    def _build_standalone(self, device, key):
        net = _Network(self.p, self.layout, prefix=f"dc_{key[:8]}")
        device.apply_run_args()
        net.input_exc.delay = "delay_in"  # after run_args: delays come with each run
        # ... and so does the order of each input's synapses (see _synapse_order)
        variables = net.input_exc.variables
        post_order = device.get_array_name(variables["post_order"], access_data=False)
        synaptic_post = device.get_array_name(variables["_synaptic_post"], access_data=False)
        device.insert_code(
            "main", f"std::copy({post_order}.begin(), {post_order}.end(), {synaptic_post}.begin());"
        )
        seed_array = device.get_array_name(net.controller.variables["seed"])
        device.insert_code("main", f"brian::_random_generators[0].seed({seed_array}[0]);")
        device.insert_code("main", _FLUSH_DENORMALS)
        # An upper bound on the run time: every example repeated up to max_intensity.
        repeats = 1 + math.ceil(
            (self.p.max_intensity - self.p.start_intensity) / self.p.intensity_step
        )
        net.net.run(self.layout.rows * repeats * net.period, namespace={})
        return net

    def run(
        self,
        pixels,
        weights,
        delays,
        theta,
        *,
        norm_total,
        seed,
        progress=False,
        desc="",
        on_chunk=None,
        keep_spikes=False,
        keep_counts=True,
    ):
        """Present every row of pixels; return (Presentations, final weights, final theta).

        Rates are computed per run (:func:`_rates`), so a pass holds one run's rates at
        a time, not a float64 copy of the whole data set. ``on_chunk(chunk)``, if
        given, is called after each run with a :class:`_Chunk`. ``keep_spikes`` keeps
        each example's excitatory spikes (see :class:`Presentations`); ``keep_counts``
        its spike counts (``counts``, else None).
        """
        n = len(pixels)
        scale = self.layout.n_input / REFERENCE_INPUTS
        started = time.perf_counter()
        state = _initial_state(self.p, self.layout, weights, delays, theta)
        counts = np.zeros((n, self.layout.n_exc), dtype=np.int64) if keep_counts else None
        spikes = [] if keep_spikes else None
        totals = dict(presentations=0, input=0, exc=0, inh=0)
        peak_rss = None
        bar = _progress(n, progress, desc)
        rng = np.random.default_rng(seed)
        rest = _NO_SPIKES  # spikes of the rest before the next run that it counts
        chunk_started = started
        for start in range(0, n, self.layout.rows):
            chunk = _rates(self.p, pixels[start : start + self.layout.rows], scale)
            chunk_seed = int(rng.integers(2**31 - 1))
            net = self._run_chunk(chunk, state, chunk_seed, norm_total, first_example=start)
            n_presentations = int(net.controller.presentations[0])
            accepted, chunk_spikes, rest = _accepted(
                net, self.p, len(chunk), n_presentations, rest, spikes=keep_spikes
            )
            if keep_counts:
                counts[start : start + len(chunk)] = accepted
            if keep_spikes:
                spikes.extend(chunk_spikes)
            state = net.read()
            _check_finite(state, start, start + len(chunk))
            shift = n_presentations * float(net.period / second)
            for obj, var, is_time in _state_variables(self.layout):
                if is_time:
                    state[obj, var] -= shift
            totals["presentations"] += n_presentations
            totals["input"] += int(net.input_mon.num_spikes)
            totals["exc"] += int(net.exc_mon.num_spikes)
            totals["inh"] += int(net.inh_mon.num_spikes)
            chunk_rss = None if self.build is None else self.build.peak_rss_mb
            if chunk_rss is not None:
                peak_rss = max(peak_rss or 0.0, chunk_rss)
            if on_chunk is not None:
                n_input, n_exc = self.layout.n_input, self.layout.n_exc
                on_chunk(
                    _Chunk(
                        examples=len(chunk),
                        presentations=n_presentations,
                        seconds=time.perf_counter() - chunk_started,
                        binary_peak_rss_mb=chunk_rss,
                        weights=state["input_exc", "w"].reshape(n_input, n_exc),
                        theta=state["exc", "theta"],
                    )
                )
            chunk_started = time.perf_counter()
            bar.update(len(chunk))
            # A runtime network must be gone before the next chunk builds its own, or
            # Brian2 renames the new objects (dc_input_1, ...) and Cython recompiles.
            del net
        bar.close()
        result = Presentations(
            counts=counts,
            n_examples=n,
            n_presentations=totals["presentations"],
            input_spikes=totals["input"],
            excitatory_spikes=totals["exc"],
            inhibitory_spikes=totals["inh"],
            steps_per_presentation=_presentation_steps(self.p)[1],
            run_seconds=time.perf_counter() - started,
            compile_seconds=self.compile_seconds,
            peak_rss_mb=peak_rss,
            spikes=spikes,
        )
        n_input, n_exc = self.layout.n_input, self.layout.n_exc
        return (
            result,
            state["input_exc", "w"].reshape(n_input, n_exc),
            state["exc", "theta"].copy(),
        )

    def _run_chunk(self, rates, state, seed, norm_total, first_example=0) -> _Network:
        net = self._simulate(rates, state, seed, norm_total)
        if int(net.controller.runaway[0]):
            p = self.p
            example = first_example + int(net.controller.example[0])
            spikes = int(net.controller.fired[0])
            raise RunawayError(
                f"the network ran away at example {example} of this pass: more than "
                f"{p.max_spikes_per_neuron:g} excitatory spikes per neuron in one "
                f"presentation ({spikes} spikes of "
                f"{self.layout.n_exc} neurons; integrator {p.excitatory.integrator!r}). "
                "Forward Euler ('euler', the authors' integrator) oscillates when about "
                "24 inhibitory spikes fall in one time step; use the default "
                "'stable-euler', or raise DiehlCook2015Params.max_spikes_per_neuron",
                example=example,
                spikes=spikes,
            )
        return net

    def _simulate(self, rates, state, seed, norm_total) -> _Network:
        table = _rate_table(rates, self.layout.rows)
        if self.layout.standalone:
            net = self.net
            run_args = dict(net.assignments(state, len(rates), seed, norm_total))
            run_args[net.stimulus] = table * Hz
            self.build.run(run_args)
            return net
        # Runtime: a fresh network per chunk (Cython caches its code), state set in place.
        net = _Network(self.p, self.layout, table)
        for view, value in net.assignments(state, len(rates), seed, norm_total):
            view[:] = value
        net.input_exc.delay = "delay_in"
        brian2_seed(seed)
        # Each run covers at least the presentations still needed, so it never
        # overshoots; the controller decides at the end of each presentation.
        while int(net.controller.example[0]) < len(rates) and not net.controller.runaway[0]:
            remaining = len(rates) - int(net.controller.example[0])
            net.net.run(remaining * net.period, namespace={})
        return net


def _check_finite(state: dict, start: int, stop: int) -> None:
    """Stop a pass whose weights or thresholds became NaN or infinite (a learning rule
    undefined somewhere; normalisation spreads one NaN through a neuron's column).
    The model keeps what it had before the pass: the pass has not returned."""
    for obj, var in (("input_exc", "w"), ("exc", "theta")):
        bad = int(np.count_nonzero(~np.isfinite(state[obj, var])))
        if bad:
            raise FloatingPointError(
                f"{bad} values of {obj}.{var} became NaN or infinite during examples "
                f"{start}-{stop - 1} of this pass; the model keeps its state from before it"
            )


@dataclass(frozen=True)
class _Chunk:
    """What one run of a pass did (handed to ``on_chunk``); arrays are views, copy to keep."""

    examples: int
    presentations: int
    seconds: float
    """Wall time of this run and the work around it."""
    binary_peak_rss_mb: float | None
    weights: np.ndarray
    theta: np.ndarray


_HISTORY_SCALARS = (
    "examples",
    "presentations",
    "seconds",
    "binary_peak_rss_mb",
    "process_rss_mb",
)


def _empty_history(n_input: int, n_exc: int) -> dict:
    history = {name: np.zeros(0) for name in _HISTORY_SCALARS}
    history["examples"] = np.zeros(0, dtype=np.int64)
    history["presentations"] = np.zeros(0, dtype=np.int64)
    history["theta"] = np.zeros((0, n_exc))
    history["weight_examples"] = np.zeros(0, dtype=np.int64)
    history["weights"] = np.zeros((0, n_input, n_exc), dtype=np.float32)
    return history


class _HistoryRecorder:
    """Appends each training chunk to a ``history_`` dict (see DiehlCook2015)."""

    def __init__(self, history: dict, examples_before: int, record_every: int | None, weights):
        self.rows = {name: list(history[name]) for name in history}
        if record_every is not None and not self.rows["weights"]:  # the starting point
            self.rows["weight_examples"].append(examples_before)
            self.rows["weights"].append(weights.astype(np.float32))
        self.examples = examples_before
        self.presentations = int(history["presentations"][-1]) if len(history["examples"]) else 0
        self.seconds = float(history["seconds"][-1]) if len(history["examples"]) else 0.0
        self.templates = {name: np.asarray(value)[:0] for name, value in history.items()}
        self.record_every = record_every
        self.next_snapshot = (
            None if record_every is None else (examples_before // record_every + 1) * record_every
        )

    def __call__(self, chunk: _Chunk) -> None:
        self.seconds += chunk.seconds
        self.examples += chunk.examples
        self.presentations += chunk.presentations
        rss = chunk.binary_peak_rss_mb
        for name, value in (
            ("examples", self.examples),
            ("presentations", self.presentations),
            ("seconds", self.seconds),
            ("binary_peak_rss_mb", np.nan if rss is None else rss),
            ("process_rss_mb", process_rss_mb() or np.nan),
            ("theta", chunk.theta.copy()),
        ):
            self.rows[name].append(value)
        if self.next_snapshot is not None and self.examples >= self.next_snapshot:
            self.rows["weight_examples"].append(self.examples)
            self.rows["weights"].append(chunk.weights.astype(np.float32))
            while self.next_snapshot <= self.examples:
                self.next_snapshot += self.record_every

    def finish(self) -> dict:
        return {
            name: np.asarray(rows, dtype=self.templates[name].dtype)
            if rows
            else self.templates[name]
            for name, rows in self.rows.items()
        }


_NO_SPIKES = (np.zeros(0), np.zeros(0, dtype=np.int64))


def _accepted(
    net: _Network, p, n_examples, n_presentations, rest_before=_NO_SPIKES, *, spikes=False
):
    """Per-example counts of the accepted presentation, replaying the repeat rule.

    A presentation's count window is its input period, and with
    ``p.count_previous_rest`` also the rest period before it (as the controller
    counts). ``rest_before`` holds the spikes ``(times, neurons)`` of the rest that
    ended the previous run (times in s from this run's start, so negative); they
    count with this run's first presentation.

    Returns ``(counts, spikes, rest_after)``. With ``spikes=True`` the second is one
    ``(wait, times, neurons)`` per example: the time spent on its rejected
    presentations (s), and the times (s, from the accepted presentation's onset;
    negative for the rest before it) and indices of the excitatory spikes in the
    accepted presentation's count window; otherwise None. ``rest_after`` holds the
    spikes of this run's last rest that count with the next run's first
    presentation (times from the next run's start), empty if none do.
    """
    dt = float(p.dt / second)
    step = np.round(np.asarray(net.exc_mon.t_[:]) / dt).astype(np.int64)
    neuron = np.asarray(net.exc_mon.i[:])
    presentation = step // net.steps_total
    in_input = (step % net.steps_total) < net.steps_input
    if p.count_previous_rest:  # a rest's spikes count with the presentation after it
        window, counted = presentation + ~in_input, np.ones(len(step), dtype=bool)
    else:
        window, counted = presentation, in_input
    times = step * dt - window * float(net.period / second)  # from the window's onset
    times = np.concatenate([np.asarray(rest_before[0], dtype=float), times[counted]])
    neuron = np.concatenate([np.asarray(rest_before[1], dtype=np.int64), neuron[counted]])
    window = np.concatenate([np.zeros(len(rest_before[0]), dtype=np.int64), window[counted]])
    n_exc = net.layout.n_exc
    per_window = np.bincount(window * n_exc + neuron, minlength=(n_presentations + 1) * n_exc)
    per_presentation = per_window[: n_presentations * n_exc].reshape(n_presentations, n_exc)
    last = window == n_presentations
    rest_after = (times[last], neuron[last])
    counts = np.zeros((n_examples, n_exc), dtype=np.int64)
    accepted = np.zeros(n_examples, dtype=np.int64)
    first = np.zeros(n_examples, dtype=np.int64)
    example, intensity, started = 0, p.start_intensity, 0
    for k, row in enumerate(per_presentation):
        if row.sum() < p.min_spikes and intensity < p.max_intensity:
            intensity += p.intensity_step
        else:
            counts[example], accepted[example], first[example] = row, k, started
            example, intensity, started = example + 1, p.start_intensity, k + 1
    if example != n_examples:
        raise RuntimeError(
            f"replaying the repeat rule accepted {example} examples, the simulation "
            f"{n_examples}: the controller and the spike monitor disagree"
        )
    if not spikes:
        return counts, None, rest_after
    period = float(net.period / second)
    order = np.argsort(window, kind="stable")
    bounds = np.searchsorted(window[order], np.arange(n_presentations + 1))
    per_example = []
    for k, f in zip(accepted, first, strict=True):
        idx = order[bounds[k] : bounds[k + 1]]
        per_example.append(((k - f) * period, times[idx], neuron[idx]))
    return counts, per_example, rest_after


def decision_time(times, neurons, assignments, n_classes, label) -> float:
    """When the class vote becomes ``label`` and stays so (s), or NaN if it ends elsewhere.

    The vote (:func:`vote`) is taken on the spike counts so far after each time at
    which spikes occur; the decision time is the first such time from which every
    later vote is ``label``. Before the first spike there is no vote. Spikes at
    negative times (the rest before the input, which the authors' count includes) are
    counted but not voted at: a decision needs a spike of the input period, or, if
    there is none, is the vote of the rest's spikes at time 0.

    >>> assignments = np.array([0, 1])  # votes: 10 ms class 1, 20 ms a tie (class 0), 30 ms 0
    >>> decision_time(np.array([0.01, 0.02, 0.03]), np.array([1, 0, 0]), assignments, 2, 0)
    0.02
    >>> decision_time(np.array([0.01, 0.02]), np.array([1, 1]), assignments, 2, 0)
    nan
    >>> decision_time(np.array([-0.1, 0.01]), np.array([0, 0]), assignments, 2, 0)
    0.01
    """
    times, neurons = np.asarray(times, dtype=float), np.asarray(neurons)
    order = np.argsort(times, kind="stable")
    times, neurons = times[order], neurons[order]
    counts = np.zeros((1, len(assignments)))
    decided = float("nan")
    voted = False
    for k, (t, i) in enumerate(zip(times, neurons, strict=True)):
        counts[0, i] += 1
        if t < 0 or (k + 1 < len(times) and times[k + 1] == t):
            continue  # vote once all spikes of this time step are counted
        voted = True
        if vote(counts, assignments, n_classes)[0] == label:
            if decided != decided:  # NaN: not yet decided
                decided = float(t)
        else:
            decided = float("nan")
    if not voted and counts.any() and vote(counts, assignments, n_classes)[0] == label:
        decided = 0.0  # only the rest's spikes: their vote stands from the onset
    return decided


def _progress(total, enabled, desc):
    from tqdm.auto import tqdm

    quiet = logging.getLogger("spiking").level > logging.INFO  # e.g. spikearena -q
    return tqdm(total=total, disable=not enabled or quiet, desc=desc, unit="ex", leave=False)


_CODE_VERSION = _source_hash()  # last: the sources as imported (see _code_version)
