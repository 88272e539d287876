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
excitatory layer fired fewer than 5 spikes during the input, the same example is shown
again with intensity + 1. Before every presentation each excitatory neuron's incoming
weights are rescaled to sum to 78 (training only).

Everything per presentation (the repeat rule, the input switch, the normalisation)
happens *inside* the simulation: a one-neuron controller group with a
``run_regularly`` operation holds the example index, intensity and input switch, and
the input neurons read their rates from a 2-D TimedArray indexed by the example index.
So a whole epoch is one Brian2 ``run`` without Python in the loop, the structure the
C++ standalone device needs (see docs/ARCHITECTURE.md).

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

import math
from dataclasses import dataclass, field

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
from sklearn.utils.validation import check_is_fitted, validate_data

from spiking.neurons import (
    AdaptiveThreshold,
    DiehlCookExcitatory,
    DiehlCookInhibitory,
    conductance_lif,
)
from spiking.params import default, describe
from spiking.plasticity import DiehlCookSTDP, diehl_cook_stdp

__all__ = ["DiehlCook2015", "DiehlCook2015Params", "Presentations"]

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

    def __post_init__(self):
        for name in ("input_time", "rest_time"):
            steps = float(getattr(self, name) / self.dt)
            if steps <= 0 or abs(steps - round(steps)) > 1e-9:
                raise ValueError(
                    f"{name} must be a positive multiple of dt={self.dt}, got {getattr(self, name)}"
                )


@dataclass(frozen=True)
class Presentations:
    """What one pass of examples through the network produced.

    ``counts[k, j]`` is the number of spikes excitatory neuron ``j`` fired during the
    input period of the accepted (last) presentation of example ``k``; None when not
    recorded. Totals count every presentation, repeats included.
    """

    counts: np.ndarray | None
    n_examples: int
    n_presentations: int
    input_spikes: int
    excitatory_spikes: int
    inhibitory_spikes: int
    steps_per_presentation: int


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
        to assign each neuron a class; None uses all of them, as the authors did.
    params : DiehlCook2015Params or None
        Model constants; None means the paper's.
    random_state : int or None
        Seed of the initial weights, delays and Poisson input.
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
    classes_ : ndarray
        Class labels seen in fit.
    fit_stats_ : dict
        Presentations, repeats and spikes of training and labelling.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((4, 16), dtype=np.float32)
    >>> model = DiehlCook2015(n_excitatory=4, random_state=0).fit(X, [0, 1, 0, 1])
    >>> model.predict(X).shape
    (4,)
    """

    def __init__(
        self,
        n_excitatory=100,
        *,
        epochs=1,
        n_label=None,
        params=None,
        random_state=None,
        verbose=False,
    ):
        self.n_excitatory = n_excitatory
        self.epochs = epochs
        self.n_label = n_label
        self.params = params
        self.random_state = random_state
        self.verbose = verbose

    # -- estimator API -------------------------------------------------------------

    def fit(self, X, y):
        """Learn the weights with STDP on X (labels unused), then assign neuron labels."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        _check_unit_interval(X)
        check_classification_targets(y)
        self._check_hyperparameters(len(X))
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes to assign labels, got {self.classes_!r}")

        p = self._params()
        rng = np.random.default_rng(self.random_state)
        n_input, n_exc = X.shape[1], self.n_excitatory
        self.weights_ = (rng.random((n_input, n_exc)) + p.w_init_offset) * p.w_init_scale
        self.delays_ = rng.random((n_input, n_exc)) * float(p.max_input_delay / second)
        self.theta_ = np.full(n_exc, float(p.threshold.theta_init / volt))
        self._brian_seed = int(rng.integers(2**31 - 1))

        train = []
        for epoch in range(self.epochs):
            result = self._present(X, learning=True, desc=f"STDP epoch {epoch + 1}")
            train.append(result)

        label_idx = np.arange(len(X))
        if self.n_label is not None and self.n_label < len(X):
            label_idx, _ = train_test_split(
                label_idx,
                train_size=self.n_label,
                stratify=y_index,
                random_state=rng.integers(2**31 - 1),
            )
        labelling = self._present(X[label_idx], learning=False, record=True, desc="labelling")
        self.assignments_ = assign_labels(labelling.counts, y_index[label_idx], len(self.classes_))
        self.fit_stats_ = {
            "train_presentations": sum(r.n_presentations for r in train),
            "train_examples": sum(r.n_examples for r in train),
            "label_presentations": labelling.n_presentations,
            "label_examples": labelling.n_examples,
        }
        return self

    def predict(self, X):
        """Class of each example: the class whose assigned neurons fire most on average."""
        counts = self.spike_counts(X)
        return self.classes_[vote(counts, self.assignments_, len(self.classes_))]

    def spike_counts(self, X) -> np.ndarray:
        """Excitatory spike counts per example (accepted presentation), shape (n, N)."""
        return self._present(self._check_X(X), learning=False, record=True, desc="predict").counts

    def operations(self, X) -> dict:
        """What inference on X costs, measured from the spikes of an actual run.

        Per-example means in NeuroBench's terms. Synaptic events (``effective_acs``)
        are input spikes x N (input fan-out), excitatory spikes x 1 (to their
        inhibitory partner) and inhibitory spikes x (N - 1); repeated presentations
        count. ``dense_macs`` is what a clock-driven dense implementation would do:
        every synapse every time step. ``neuron_updates`` counts excitatory and
        inhibitory state updates per time step.
        """
        result = self._present(self._check_X(X), learning=False, record=False, desc="operations")
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
        return DiehlCook2015Params() if self.params is None else self.params

    def _check_hyperparameters(self, n_samples):
        if not isinstance(self.n_excitatory, (int, np.integer)) or self.n_excitatory < 1:
            raise ValueError(f"n_excitatory must be a positive integer, got {self.n_excitatory!r}")
        if not isinstance(self.epochs, (int, np.integer)) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.n_label is not None and not (
            isinstance(self.n_label, (int, np.integer)) and self.n_label > 0
        ):
            raise ValueError(f"n_label must be a positive integer or None, got {self.n_label!r}")
        if self.params is not None and not isinstance(self.params, DiehlCook2015Params):
            raise ValueError(
                f"params must be a DiehlCook2015Params, got {type(self.params).__name__}"
            )

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "assignments_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        _check_unit_interval(X)
        return X

    def _present(self, X, *, learning, record=True, desc="") -> Presentations:
        """Show every row of X once (with repeats) and update the learned state if learning."""
        p = self._params()
        n_input = X.shape[1]
        scale = n_input / REFERENCE_INPUTS
        rates = X * float(p.rate_per_intensity / Hz) / scale
        sim = _Simulation(
            p,
            weights=self.weights_,
            delays=self.delays_,
            theta=self.theta_,
            rates=rates,
            norm_total=p.norm_total * scale,
            learning=learning,
            record=record,
            seed=self._brian_seed,
        )
        # A fresh seed per pass, derived from the model's, keeps passes independent
        # while the whole fit stays a function of random_state.
        self._brian_seed = (self._brian_seed * 1103515245 + 12345) % (2**31 - 1)
        result = sim.run(progress=self.verbose, desc=desc)
        if learning:
            self.weights_, self.theta_ = sim.weights, sim.theta
        return result

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    def describe_params(self) -> dict:
        """The resolved constants as JSON-able strings with units."""
        return describe(self._params())


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
    means = np.zeros((n_classes, counts.shape[1]))
    for c in range(n_classes):
        members = labels == c
        if members.any():
            means[c] = counts[members].mean(axis=0)
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


class _Simulation:
    """One Brian2 network that presents a batch of examples with the paper's protocol."""

    def __init__(self, p, *, weights, delays, theta, rates, norm_total, learning, record, seed):
        self.p = p
        self.n_examples, self.n_input = rates.shape
        self.n_exc = weights.shape[1]
        self.learning = learning
        self.record = record
        self.seed = seed
        dt = p.dt
        self.steps_input = int(round(float(p.input_time / dt)))
        self.steps_total = self.steps_input + int(round(float(p.rest_time / dt)))
        # The controller ticks at the largest step that divides both phase boundaries.
        tick_steps = math.gcd(self.steps_input, self.steps_total)
        self.tick = tick_steps * dt
        self.ticks_input = self.steps_input // tick_steps
        self.ticks_total = self.steps_total // tick_steps
        self.period = self.steps_total * dt
        self._build(weights, delays, theta, rates, norm_total)

    def _build(self, weights, delays, theta, rates, norm_total):
        p, n_exc, n_input = self.p, self.n_exc, self.n_input
        self.controller = NeuronGroup(
            1,
            """
            example : integer
            intensity : 1
            input_on : 1
            count : integer
            tick : integer
            """,
            dt=p.dt,
            name="dc_controller",
            namespace={
                "ticks_input": self.ticks_input,
                "ticks_total": self.ticks_total,
                "min_spikes": p.min_spikes,
                "max_intensity": p.max_intensity,
                "intensity_step": p.intensity_step,
                "start_intensity": p.start_intensity,
            },
        )
        self.controller.intensity = p.start_intensity
        self.controller.input_on = 1
        # At the start of every tick: switch the input off after input_time, and at the
        # end of the rest decide whether to repeat the example (fewer than min_spikes
        # excitatory spikes) with a higher intensity or move on to the next one.
        self.controller.run_regularly(
            """
            end_input = int(tick == ticks_input)
            end_rest = int(tick == ticks_total)
            repeat = int(count < min_spikes) * int(intensity < max_intensity)
            input_on = input_on * (1 - end_input) + end_rest
            example = example + end_rest * (1 - repeat)
            next_intensity = repeat * (intensity + intensity_step) + (1 - repeat) * start_intensity
            intensity = intensity + end_rest * (next_intensity - intensity)
            count = count * (1 - end_rest)
            tick = tick * (1 - end_rest) + 1
            """,
            dt=self.tick,
            when="start",
            order=0,
            name="dc_controller_tick",
        )

        # Brian2 compiles the table's size into the generated code; padding the rows to
        # a power of two lets passes over different numbers of examples share builds.
        rows = 1 << max(0, (self.n_examples - 1).bit_length())
        table = np.zeros((rows, n_input))
        table[: self.n_examples] = rates
        stimulus = TimedArray(table * Hz, dt=1 * second, name="dc_stimulus")
        self.input = NeuronGroup(
            n_input,
            """
            example : integer (linked)
            intensity : 1 (linked)
            input_on : 1 (linked)
            """,
            threshold="rand() < input_on * intensity * stimulus(example * second, i) * dt",
            dt=p.dt,
            name="dc_input",
            namespace={"stimulus": stimulus},
        )
        to_controller = np.zeros(n_input, dtype=int)
        for var in ("example", "intensity", "input_on"):
            setattr(self.input, var, linked_var(self.controller, var, index=to_controller))

        exc = conductance_lif(p.excitatory, p.threshold, learning=self.learning)
        if self.learning:
            exc["model"] += "wsum : 1  # sum of the neuron's input weights\n"
        self.exc = NeuronGroup(n_exc, **exc, dt=p.dt, name="dc_excitatory")
        self.inh = NeuronGroup(
            n_exc, **conductance_lif(p.inhibitory), dt=p.dt, name="dc_inhibitory"
        )
        self.exc.v = p.excitatory.v_rest + p.initial_v_offset
        self.inh.v = p.inhibitory.v_rest + p.initial_v_offset
        self.exc.theta = theta * volt

        syn = diehl_cook_stdp(p.stdp, learning=self.learning)
        if self.learning:
            syn["model"] += "wsum_post = w : 1 (summed)\n"
            syn["namespace"]["norm_total"] = norm_total
        self.input_exc = Synapses(self.input, self.exc, **syn, dt=p.dt, name="dc_input_exc")
        self.input_exc.connect()  # all-to-all, synapse k = (i, j) in row-major order
        self.input_exc.w = weights.ravel()
        self.input_exc.delay = delays.ravel() * second

        if self.learning:
            # Each neuron's weight sum is needed only before a presentation: compute it
            # on the presentation clock instead of every step (same result, far cheaper),
            # then rescale the column to norm_total.
            updater = self.input_exc.summed_updaters["wsum_post"]
            updater._clock = Clock(dt=self.period, name="dc_presentation_clock")
            updater.when, updater.order = "start", 1
            self.input_exc.run_regularly(
                "w = w * norm_total / (wsum_post + int(wsum_post == 0))",
                dt=self.period,
                when="start",
                order=2,
                name="dc_normalise",
            )

        self.exc_inh = Synapses(
            self.exc, self.inh, "w : 1", on_pre="ge_post += w", dt=p.dt, name="dc_exc_inh"
        )
        self.exc_inh.connect(j="i")
        self.exc_inh.w = p.w_exc_inh
        self.inh_exc = Synapses(
            self.inh, self.exc, "w : 1", on_pre="gi_post += w", dt=p.dt, name="dc_inh_exc"
        )
        self.inh_exc.connect(condition="i != j")
        self.inh_exc.w = p.w_inh_exc
        self.exc_count = Synapses(
            self.exc,
            self.controller,
            on_pre="count_post += int(input_on_post > 0)",
            dt=p.dt,
            name="dc_exc_count",
        )
        self.exc_count.connect()

        self.input_mon = SpikeMonitor(self.input, record=False, name="dc_input_spikes")
        self.inh_mon = SpikeMonitor(self.inh, record=False, name="dc_inh_spikes")
        self.exc_mon = SpikeMonitor(self.exc, record=self.record, name="dc_exc_spikes")
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
            name="dc_network",
        )

    def run(self, *, progress=False, desc="") -> Presentations:
        """Run until every example has an accepted presentation."""
        brian2_seed(self.seed)
        n = self.n_examples
        presentations = 0
        bar = _progress(n, progress, desc)
        done = 0
        while done < n:
            chunk = n - done  # at least this many presentations remain

            def report(elapsed, completed, start, duration, done=done, chunk=chunk):
                bar.n = min(n, done + int(completed * chunk))  # approximate: repeats lag
                bar.refresh()

            self.net.run(
                chunk * self.period,
                namespace={},
                report=report if progress else None,
                report_period=1 * second,
            )
            presentations += chunk
            # The last presentation just ended; the controller takes its decision at
            # the next tick, so replay that decision here.
            c = self.controller
            accepted = c.count[0] >= self.p.min_spikes or c.intensity[0] >= self.p.max_intensity
            done = int(c.example[0]) + int(accepted)
            bar.n = done
            bar.refresh()
        bar.close()
        counts = self._accepted_counts(presentations) if self.record else None
        return Presentations(
            counts=counts,
            n_examples=n,
            n_presentations=presentations,
            input_spikes=int(self.input_mon.num_spikes),
            excitatory_spikes=int(self.exc_mon.num_spikes),
            inhibitory_spikes=int(self.inh_mon.num_spikes),
            steps_per_presentation=self.steps_total,
        )

    @property
    def weights(self) -> np.ndarray:
        return np.asarray(self.input_exc.w[:]).reshape(self.n_input, self.n_exc)

    @property
    def theta(self) -> np.ndarray:
        return np.asarray(self.exc.theta_[:]).copy()

    def _accepted_counts(self, n_presentations) -> np.ndarray:
        """Per-example counts of the accepted presentation, replaying the repeat rule."""
        p = self.p
        step = np.round(np.asarray(self.exc_mon.t_[:]) / float(p.dt / second)).astype(np.int64)
        presentation = step // self.steps_total
        in_input = (step % self.steps_total) < self.steps_input
        flat = presentation[in_input] * self.n_exc + np.asarray(self.exc_mon.i[:])[in_input]
        per_presentation = np.bincount(flat, minlength=n_presentations * self.n_exc)
        per_presentation = per_presentation.reshape(n_presentations, self.n_exc)

        counts = np.zeros((self.n_examples, self.n_exc), dtype=np.int64)
        example, intensity = 0, p.start_intensity
        for row in per_presentation:
            if row.sum() < p.min_spikes and intensity < p.max_intensity:
                intensity += p.intensity_step
            else:
                counts[example] = row
                example, intensity = example + 1, p.start_intensity
        if example != self.n_examples:
            raise RuntimeError(
                f"replaying the repeat rule accepted {example} examples, the simulation "
                f"{self.n_examples}: the controller and the spike monitor disagree"
            )
        return counts


def _progress(total, enabled, desc):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="ex", leave=False)
