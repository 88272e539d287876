"""Integrate-and-fire network that runs a converted ANN (rate coding), in Brian2.

The network of an ANN-to-SNN conversion (Diehl et al. 2015; Rueckauer et al. 2017):
layers of non-leaky integrate-and-fire (IF) neurons with reset by subtraction, whose
weights, biases and threshold come from a data-normalised ReLU network as plain numpy
arrays (:mod:`artificial.conversion` makes them; this module never imports torch or
the artificial arm). Each neuron's membrane potential :math:`v` is dimensionless, in
units of the firing threshold: a weight is the jump of :math:`v` per presynaptic
spike, a bias the increase of :math:`v` per time step. Per time step :math:`t` of an
example, for every layer :math:`l` in order (Rueckauer et al. 2017, eqs. 1-2):

.. math::

    v_l(t) = v_l(t - 1) + W_l s_{l-1}(t) + b_l, \\qquad
    s_l(t) = [v_l(t) \\ge V_\\mathrm{thr}], \\qquad
    v_l(t) \\leftarrow v_l(t) - V_\\mathrm{thr} \\, s_l(t),

with :math:`V_\\mathrm{thr} = 1`, :math:`v_l(0) = v_\\mathrm{init}` (0) at the start of
every example, and the input :math:`s_0(t)`:

- ``"analog"`` (Rueckauer et al.'s choice): the pixel values themselves, so the first
  layer receives the constant current :math:`W_1 x + b_1` every step;
- ``"poisson"``: independent Bernoulli spikes with probability
  ``x * input_spike_probability`` per step (a Poisson process at rate
  ``x * input_spike_probability / dt``), seeded; the first layer's weights are divided
  by ``input_spike_probability`` so that the expected input equals the analog one.

A neuron with constant input :math:`I \\in [0, 1]` per step fires
:math:`\\lfloor I t + v_\\mathrm{init} \\rfloor` spikes in its first :math:`t` steps:
its rate approximates the ReLU activation, clipped at one spike per step. Spikes reach
the next layer in the same time step (no synaptic delay), as in the time-stepped
simulators of both papers. The prediction after :math:`t` steps is the output neuron
with the most spikes, ties broken by the higher membrane potential (which, with reset
by subtraction, holds the remainder of the integrated input).

How examples run
----------------
Examples run one after the other, each for ``time_steps`` steps, as consecutive
blocks of one Brian2 simulation; every membrane potential is set back to
:math:`v_\\mathrm{init}` at the start of a block (by an operation on a clock whose
period is one block). The alternative, every example in parallel as its own copy of
the network, would need a copy of every synapse per example (Brian2 synapses do not
share weights: 318,000 synapses x 16 bytes per copy for 784-400-10), while in sequence
each step only costs the neuron updates and the spikes actually emitted. For analog
input, the first layer's current :math:`W_1 x` is computed once per example (a
summed variable on the block clock), not every step.

Predictions at several numbers of time steps come from one simulation: at the end of
each chosen step (a *checkpoint*) of every block, an event on the output layer records
each output neuron's spike count so far and its membrane potential.

By default the network runs as a compiled C++ standalone program
(:mod:`spiking.backend`), built once per *layout* (layer sizes, input encoding,
time steps per example, dt) and cached on disk; every run passes the weights, biases,
inputs, checkpoints and seed through ``run_args``, ``CHUNK_ROWS`` examples per run.
Without a compiler it falls back to Brian2's runtime mode, which simulates the same
network in Python-driven steps (much slower).

References
----------
- Diehl, P. U., Neil, D., Binas, J., Cook, M., Liu, S.-C. & Pfeiffer, M. (2015).
  Fast-classifying, high-accuracy spiking deep networks through weight and threshold
  balancing. IJCNN 2015.
- Rueckauer, B., Lungu, I.-A., Hu, Y., Pfeiffer, M. & Liu, S.-C. (2017). Conversion of
  continuous-valued deep networks to efficient event-driven networks for image
  classification. Front. Neurosci. 11:682.

Example
-------
>>> import numpy as np
>>> net = IFNetwork([np.array([[0.375], [0.75]])], [np.zeros(2)])
>>> run = net.run(np.ones((1, 1)), time_steps=100, checkpoints=(4, 10, 100))
>>> run.counts[0].tolist()  # floor(0.375 t), floor(0.75 t) after 4, 10 and 100 steps
[[1, 3], [3, 7], [37, 75]]
>>> run.predictions().tolist()
[[1, 1, 1]]
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
from brian2 import (
    Clock,
    EventMonitor,
    Function,
    Network,
    NeuronGroup,
    Quantity,
    SpikeMonitor,
    Synapses,
    TimedArray,
    ms,
    second,
)
from brian2 import seed as brian2_seed

from spiking.backend import BACKENDS, build_key, resolve_backend, standalone_build
from spiking.params import default, describe

__all__ = [
    "CHUNK_ROWS",
    "INPUT_ENCODINGS",
    "IFNetwork",
    "IFParams",
    "IFRun",
]

INPUT_ENCODINGS = ("analog", "poisson")
"""How pixels enter the first layer: as a constant current, or as seeded Poisson spikes."""

CHUNK_ROWS = 1000
"""Examples per Brian2 run. The compiled program has a fixed-size input table; longer
passes are cut into runs of this many examples (nothing is carried between them: every
example starts from rest)."""


@dataclass(frozen=True)
class IFParams:
    """Constants of the integrate-and-fire network of a converted ANN.

    Rueckauer et al. (2017), section 2.1: non-leaky IF neurons, reset by subtraction,
    threshold 1 after data-based normalisation, membranes starting at 0.
    """

    dt: Quantity = default(1 * ms)
    """Simulation time step. The dynamics are per step and do not depend on it; it only
    sets the time axis (a rate of one spike per step is ``1 / dt``)."""
    v_threshold: float = 1.0
    """Firing threshold, dimensionless (membrane potentials are in units of the
    threshold the weights were normalised for: 1)."""
    v_init: float = 0.0
    """Membrane potential at the start of every example (Rueckauer et al. 2017: 0;
    ``0.5 * v_threshold`` turns the rate's floor into rounding)."""
    input_spike_probability: float = 1.0
    """Poisson input only: spike probability per step of an input of value 1 (rate
    ``input_spike_probability / dt``); the first layer's weights are divided by it."""

    def __post_init__(self):
        if not float(self.dt / second) > 0:
            raise ValueError(f"dt must be a positive time, got {self.dt}")
        if not self.v_threshold > 0:
            raise ValueError(f"v_threshold must be positive, got {self.v_threshold!r}")
        if not 0 <= self.v_init < self.v_threshold:
            raise ValueError(
                f"v_init must be in [0, v_threshold = {self.v_threshold}), got {self.v_init!r}"
            )
        if not 0 < self.input_spike_probability <= 1:
            raise ValueError(
                f"input_spike_probability must be in (0, 1], got {self.input_spike_probability!r}"
            )


@dataclass(frozen=True)
class IFRun:
    """What one pass of examples through an :class:`IFNetwork` produced.

    Attributes
    ----------
    checkpoints : ndarray of int, shape (K,)
        Time steps (counted from the start of each example, ascending) at which the
        output layer was read.
    counts : ndarray of int64, shape (n_examples, K, n_out)
        Output spikes of each example in its first ``checkpoints[k]`` steps.
    potentials : ndarray of float64, shape (n_examples, K, n_out)
        Output membrane potentials at the end of step ``checkpoints[k]``.
    spike_counts : tuple of ndarray of int64
        Spikes of every neuron over the whole pass, one array per layer, the input
        layer first (all zeros for analog input, which does not spike).
    steps_per_example : int
        Time steps simulated per example (the last checkpoint).
    dt : float
        Time step in seconds.
    seconds : float
        Wall time of the pass (every simulation run and the work between them).
    compile_seconds : float
        Wall time spent generating and compiling code for it (seconds when cached).
    """

    checkpoints: np.ndarray
    counts: np.ndarray
    potentials: np.ndarray
    spike_counts: tuple[np.ndarray, ...]
    steps_per_example: int
    dt: float
    seconds: float = 0.0
    compile_seconds: float = 0.0

    @property
    def n_examples(self) -> int:
        return len(self.counts)

    def predictions(self) -> np.ndarray:
        """Output index per example and checkpoint, shape ``(n_examples, K)``.

        The neuron with the most spikes; among those tied, the one with the highest
        membrane potential; among those still tied, the lowest index.
        """
        most = self.counts == self.counts.max(axis=2, keepdims=True)
        return np.where(most, self.potentials, -np.inf).argmax(axis=2)


class IFNetwork:
    """A layered network of integrate-and-fire neurons running normalised ANN weights.

    Parameters
    ----------
    weights : sequence of ndarray, each (n_out, n_in)
        Normalised weight matrices (in units of the threshold), input side first.
    biases : sequence of ndarray, each (n_out,)
        Normalised biases: input per time step of each neuron.
    params : IFParams or None
        Neuron and simulation constants; None uses the defaults (threshold 1, dt 1 ms).
    input_encoding : {"analog", "poisson"}
        Constant-current input (default) or seeded Poisson spikes.
    backend : {"standalone", "runtime"}
        Brian2 C++ standalone (compiled once per layout, cached; falls back to runtime
        with a warning where no compiler is found) or runtime mode.

    Examples
    --------
    >>> import numpy as np
    >>> net = IFNetwork([np.full((3, 2), 0.25), np.eye(2, 3)], [np.zeros(3), np.zeros(2)])
    >>> net.sizes
    (2, 3, 2)
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        params: IFParams | None = None,
        *,
        input_encoding: str = "analog",
        backend: str = "standalone",
    ):
        self.weights = tuple(_readonly(W, f"weights[{k}]") for k, W in enumerate(weights))
        self.biases = tuple(_readonly(b, f"biases[{k}]") for k, b in enumerate(biases))
        _check_layers(self.weights, self.biases)
        if params is not None and not isinstance(params, IFParams):
            raise ValueError(f"params must be an IFParams, got {type(params).__name__}")
        self.params = IFParams() if params is None else params
        if input_encoding not in INPUT_ENCODINGS:
            raise ValueError(
                f"input_encoding must be one of {INPUT_ENCODINGS}, got {input_encoding!r}"
            )
        self.input_encoding = input_encoding
        if backend not in BACKENDS:
            raise ValueError(f"backend must be 'standalone' or 'runtime', got {backend!r}")
        self.backend = backend

    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_in, n_1, ..., n_out)``."""
        return (self.weights[0].shape[1], *(W.shape[0] for W in self.weights))

    def run(
        self,
        X,
        time_steps: int,
        *,
        checkpoints: Sequence[int] | None = None,
        seed: int | None = None,
        progress: bool = False,
    ) -> IFRun:
        """Simulate every row of ``X`` for ``time_steps`` steps and read the output layer.

        Parameters
        ----------
        X : array-like of shape (n_examples, n_in)
            Inputs in [0, 1].
        time_steps : int
            Steps simulated per example.
        checkpoints : sequence of int or None
            Steps (1 .. ``time_steps``) after which the output is read; None reads it
            once, after ``time_steps``. The last checkpoint must be ``time_steps``.
        seed : int or None
            Seed of the Poisson input (unused for analog input, which is deterministic).
        progress : bool
            Show a progress bar over the examples.

        Returns
        -------
        IFRun
        """
        X = _check_X(X, self.sizes[0])
        steps = _check_positive_int("time_steps", time_steps)
        points = np.array([steps] if checkpoints is None else checkpoints)
        if (
            points.ndim != 1
            or len(points) == 0
            or not np.issubdtype(points.dtype, np.integer)
            or np.any(np.diff(points) <= 0)
            or points[0] < 1
            or points[-1] != steps
        ):
            raise ValueError(
                f"checkpoints must be increasing integers in [1, time_steps = {steps}] "
                f"ending at time_steps, got {checkpoints!r}"
            )
        flags = np.zeros(steps)
        flags[points - 1] = 1.0
        backend = resolve_backend(self.backend)
        layout = _Layout(
            sizes=self.sizes,
            encoding=self.input_encoding,
            steps=steps,
            rows=CHUNK_ROWS,
            standalone=backend == "standalone",
        )
        started = time.perf_counter()
        build = None
        if layout.standalone:
            key = build_key("converted-if", _CODE_VERSION, describe(self.params), _asdict(layout))
            build = standalone_build(
                key, lambda device: _build_standalone(device, self.params, layout, key)
            )
        compile_seconds = time.perf_counter() - started

        n, n_out = len(X), self.sizes[-1]
        counts = np.zeros((n, len(points), n_out), dtype=np.int64)
        potentials = np.zeros((n, len(points), n_out))
        totals = [np.zeros(size, dtype=np.int64) for size in self.sizes]
        rng = np.random.default_rng(seed)
        bar = _progress(n, progress)
        for start in range(0, n, layout.rows):
            chunk = X[start : start + layout.rows]
            table = np.zeros((layout.rows, layout.sizes[0]))
            table[: len(chunk)] = chunk
            chunk_seed = int(rng.integers(2**31 - 1))
            if build is not None:
                net = build.handle
                build.run(net.run_args(self._values(), table, flags, len(chunk), chunk_seed))
            else:
                net = _Network(self.params, layout, stimulus=table, flags=flags)
                for view, value in net.run_args(
                    self._values(), table, flags, len(chunk), chunk_seed
                ).items():
                    if not isinstance(view, TimedArray):
                        view[:] = value
                brian2_seed(chunk_seed)
                net.net.run(len(chunk) * steps * self.params.dt, namespace={})
            c, v = net.read_checkpoints(len(chunk), points)
            counts[start : start + len(chunk)] = c
            potentials[start : start + len(chunk)] = v
            for total, monitor in zip(totals, net.spike_monitors):
                if monitor is not None:
                    total += np.asarray(monitor.count[:], dtype=np.int64)
            bar.update(len(chunk))
            del net  # a runtime network must be gone before the next one is built
        bar.close()
        return IFRun(
            checkpoints=points.astype(np.int64),
            counts=counts,
            potentials=potentials,
            spike_counts=tuple(totals),
            steps_per_example=steps,
            dt=float(self.params.dt / second),
            seconds=time.perf_counter() - started,
            compile_seconds=compile_seconds,
        )

    def operations(self, run: IFRun, X) -> dict:
        """What inference cost in ``run`` (of this network on ``X``), per example.

        NeuroBench terms, measured from the run's spike counts: ``effective_acs`` are
        synaptic events, every spike times the non-zero weights it reaches (input
        spikes included for Poisson input); ``effective_macs`` are, for analog input,
        the (non-zero pixel, non-zero weight) products of the first layer's constant
        current, computed once per example (0 for Poisson input); ``dense_macs`` is
        what a clock-driven dense implementation would do, every synapse every time
        step (the analog first layer once per example); ``neuron_updates`` is every
        IF neuron every time step; ``activations`` counts hidden and output spikes.
        Parameters are stored as float64.
        """
        X = _check_X(X, self.sizes[0])
        if run.n_examples != len(X):
            raise ValueError(f"the run has {run.n_examples} examples but X has {len(X)} rows")
        n, steps = run.n_examples, run.steps_per_example
        fan_out = [np.count_nonzero(W, axis=0) for W in self.weights]  # per source neuron
        acs = sum(float(s @ f) for s, f in zip(run.spike_counts[1:-1], fan_out[1:]))
        first = self.weights[0]
        if self.input_encoding == "analog":
            macs = float((X != 0).sum(axis=0) @ fan_out[0])
            dense = first.size * n + sum(W.size for W in self.weights[1:]) * steps * n
        else:
            macs = 0.0
            acs += float(run.spike_counts[0] @ fan_out[0])
            dense = sum(W.size for W in self.weights) * steps * n
        n_weights = sum(W.size for W in self.weights)
        n_params = n_weights + sum(b.size for b in self.biases)
        spikes = float(sum(s.sum() for s in run.spike_counts[1:]))
        neuron_steps = float(sum(self.sizes[1:]) * steps)
        return {
            "parameter_count": float(n_params),
            "footprint_bytes": float(8 * n_params),
            "connection_sparsity": float(
                sum(W.size - np.count_nonzero(W) for W in self.weights) / n_weights
            ),
            "dense_macs": float(dense) / n,
            "effective_macs": macs / n,
            "effective_acs": acs / n,
            "activations": spikes / n,
            "activation_sparsity": 1.0 - spikes / n / neuron_steps,
            "neuron_updates": neuron_steps,
            "presentations_per_example": 1.0,
        }

    def _values(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Weights as Brian2 synapse arrays (source-major) and biases, for one run."""
        weights = list(self.weights)
        if self.input_encoding == "poisson":
            weights[0] = weights[0] / self.params.input_spike_probability
        return [W.T.ravel() for W in weights], list(self.biases)


@dataclass(frozen=True)
class _Layout:
    """What fixes the generated code of one network: compiled once per distinct layout."""

    sizes: tuple[int, ...]
    encoding: str
    steps: int
    rows: int
    standalone: bool


def _asdict(layout: _Layout) -> dict:
    return dataclasses.asdict(layout)


def _build_standalone(device, p: IFParams, layout: _Layout, key: str):
    """Create the network under the standalone ``device`` and run it once (the build)."""
    net = _Network(p, layout, prefix=f"cv_{key[:8]}")
    device.apply_run_args()
    seed_array = device.get_array_name(net.controller.variables["seed"])
    device.insert_code("main", f"brian::_random_generators[0].seed({seed_array}[0]);")
    # An upper bound: the controller stops the run after the last valid example.
    net.net.run(layout.rows * layout.steps * p.dt, namespace={})
    return net


class _Network:
    """The Brian2 objects of one layout, built under the active device (see module text).

    Scheduling within a time step (slot, order):

    - ``start`` (block clock, first step of an example only): load the example's
      inputs (0), set every membrane potential to ``v_init`` and the output counts to
      0 (2);
    - ``groups``: for analog input, the first layer's current ``W x`` (block clock, a
      summed variable, order -1); every layer integrates ``v += b (+ W x)`` (1);
    - ``thresholds``: layer by layer, input side first: threshold of layer l
      (order 10 l), its spike monitor (10 l + 1), its spikes delivered to layer l + 1
      (10 l + 2), so that layer l + 1 sees them before its own threshold;
    - ``resets``: ``v -= v_threshold`` for every neuron that fired;
    - ``end``: on a checkpoint step, the output layer's counts and potentials are
      recorded (0, 1); the controller stops a standalone run after the last example.
    """

    def __init__(self, p: IFParams, layout: _Layout, *, prefix="cv", stimulus=None, flags=None):
        self.layout = layout
        self.dt = float(p.dt / second)
        steps = layout.steps
        clock = Clock(dt=p.dt, name=f"{prefix}_clock")
        block = Clock(dt=steps * p.dt, name=f"{prefix}_block_clock")
        if stimulus is None:
            stimulus = np.zeros((layout.rows, layout.sizes[0]))
        if flags is None:
            flags = np.zeros(steps)
        self.stimulus = TimedArray(stimulus, dt=1 * second, name=f"{prefix}_stimulus")
        self.flags = TimedArray(flags, dt=1 * second, name=f"{prefix}_checkpoint_flags")
        constants = {
            "steps": steps,
            "v_threshold": p.v_threshold,
            "v_init": p.v_init,
            "p_input": p.input_spike_probability,
            "stimulus": self.stimulus,
            "checkpoint_flag": self.flags,
        }
        objects = self._add_controller(clock, prefix)
        objects += self._add_input(clock, block, constants, prefix)
        self.layers, self.synapses = [], []
        for k in range(1, len(layout.sizes)):
            objects += self._add_layer(k, clock, block, constants, prefix)
        objects += self._add_checkpoints(prefix)
        self.net = Network(*objects, name=f"{prefix}_network")

    def _add_controller(self, clock, prefix) -> list:
        """The one-neuron group that holds the run's size and seed and stops it."""
        steps = self.layout.steps
        self.controller = NeuronGroup(
            1,
            "n_valid : integer\nseed : integer\nstopped : 1",
            clock=clock,
            name=f"{prefix}_controller",
            namespace={"steps": steps, "stop_run": _stop_function()},
        )
        if self.layout.standalone:
            # Stop at the end of the last step of the last valid example (a chunk's
            # table is padded to `rows` examples); t_in_timesteps counts from 0.
            self.controller.run_regularly(
                "stopped = stop_run(int(t_in_timesteps + 1 >= n_valid * steps))",
                when="end",
                order=10,
                name=f"{prefix}_controller_stop",
            )
        return [self.controller]

    def _add_input(self, clock, block, constants, prefix) -> list:
        """The input layer: one unit per pixel, holding the current example's value
        (and firing Poisson spikes from it with the ``"poisson"`` encoding)."""
        poisson = self.layout.encoding == "poisson"
        self.input = NeuronGroup(
            self.layout.sizes[0],
            "x : 1  # input of the current example, in [0, 1]",
            threshold="rand() < x * p_input" if poisson else None,
            clock=clock,
            name=f"{prefix}_input",
            namespace=constants,
        )
        self.input.run_regularly(
            "x = stimulus((t_in_timesteps // steps) * second, i)",
            clock=block,
            when="start",
            order=0,
            name=f"{prefix}_input_load",
        )
        objects = [self.input]
        self.spike_monitors = [None]
        if poisson:
            self.input.set_event_schedule("spike", when="thresholds", order=0)
            monitor = SpikeMonitor(
                self.input, record=False, when="thresholds", order=1, name=f"{prefix}_input_spikes"
            )
            self.spike_monitors[0] = monitor
            objects.append(monitor)
        return objects

    def _add_layer(self, k, clock, block, constants, prefix) -> list:
        """Layer k of integrate-and-fire neurons, its spike monitor and its input synapses."""
        output = k == len(self.layout.sizes) - 1
        analog_input = k == 1 and self.layout.encoding != "poisson"
        model = "v : 1  # membrane potential, in units of the threshold\n"
        model += "b : 1  # bias: input per time step\n"
        if analog_input:
            model += "I_in : 1  # analog input per time step, W x\n"
        reset = "v -= v_threshold"
        if output:
            model += "n_spikes : integer  # spikes so far in this example\n"
            reset += "\nn_spikes += 1"
        layer = NeuronGroup(
            self.layout.sizes[k],
            model,
            threshold="v >= v_threshold",
            reset=reset,
            events=(
                {"checkpoint": "checkpoint_flag((t_in_timesteps % steps) * second) > 0"}
                if output
                else None
            ),
            clock=clock,
            name=f"{prefix}_layer{k}",
            namespace=constants,
        )
        layer.run_regularly(
            "v += b + I_in" if analog_input else "v += b",
            when="groups",
            order=1,
            name=f"{prefix}_layer{k}_integrate",
        )
        layer.run_regularly(
            "v = v_init" + ("\nn_spikes = 0" if output else ""),
            clock=block,
            when="start",
            order=2,
            name=f"{prefix}_layer{k}_rest",
        )
        layer.set_event_schedule("spike", when="thresholds", order=10 * k)
        monitor = SpikeMonitor(
            layer,
            record=False,
            when="thresholds",
            order=10 * k + 1,
            name=f"{prefix}_layer{k}_spikes",
        )
        source = self.input if k == 1 else self.layers[-1]
        synapses = self._synapses(k, source, layer, analog_input, clock, block, prefix)
        self.layers.append(layer)
        self.synapses.append(synapses)
        self.spike_monitors.append(monitor)
        return [layer, monitor, synapses]

    @staticmethod
    def _synapses(k, source, layer, analog_input, clock, block, prefix) -> Synapses:
        """All-to-all weights into layer k: a summed current from analog input, else
        spikes that add ``w`` to the target's potential (synapse (i, j) at i * n_post + j)."""
        if analog_input:
            synapses = Synapses(
                source,
                layer,
                "w : 1\nI_in_post = w * x_pre : 1 (summed)",
                clock=clock,
                name=f"{prefix}_synapses{k}",
            )
            # The sum runs on the target's clock, every step, by default; the input
            # only changes between examples, so compute it once per example (block
            # clock; 'groups' slot, order -1: before the integration).
            synapses.summed_updaters["I_in_post"]._clock = block
        else:
            synapses = Synapses(
                source,
                layer,
                "w : 1",
                on_pre="v_post += w",
                delay=0 * ms,
                clock=clock,
                name=f"{prefix}_synapses{k}",
            )
            synapses.pre.when = "thresholds"
            synapses.pre.order = 10 * (k - 1) + 2
        synapses.connect()
        return synapses

    def _add_checkpoints(self, prefix) -> list:
        """The output layer's counts and potentials, recorded on checkpoint steps."""
        self.output = self.layers[-1]
        self.output.set_event_schedule("checkpoint", when="end", order=0)
        self.checkpoint_monitor = EventMonitor(
            self.output,
            "checkpoint",
            variables=["n_spikes", "v"],
            when="end",
            order=1,
            name=f"{prefix}_checkpoints",
        )
        return [self.checkpoint_monitor]

    def run_args(self, values, table, flags, n_valid, seed) -> dict:
        """Everything one run needs, keyed by Brian2 variable (or TimedArray)."""
        weights, biases = values
        out = {
            self.stimulus: table,
            self.flags: flags,
            self.controller.n_valid: n_valid,
            self.controller.seed: seed,
        }
        for synapses, layer, w, b in zip(self.synapses, self.layers, weights, biases):
            out[synapses.w] = w
            out[layer.b] = b
        return out

    def read_checkpoints(self, n_examples, checkpoints) -> tuple[np.ndarray, np.ndarray]:
        """Output counts and potentials ``(n_examples, K, n_out)`` from the event monitor."""
        monitor, steps = self.checkpoint_monitor, self.layout.steps
        step = np.round(np.asarray(monitor.t_[:]) / self.dt).astype(np.int64)
        example = step // steps
        keep = example < n_examples  # a runtime run ends exactly; this is for safety
        point = np.searchsorted(checkpoints, step[keep] % steps + 1)
        neuron = np.asarray(monitor.i[:])[keep]
        n_out = self.layout.sizes[-1]
        expected = n_examples * len(checkpoints) * n_out
        if keep.sum() != expected:
            raise RuntimeError(
                f"expected {expected} checkpoint records (examples x checkpoints x outputs), "
                f"got {int(keep.sum())}"
            )
        counts = np.zeros((n_examples, len(checkpoints), n_out), dtype=np.int64)
        potentials = np.zeros((n_examples, len(checkpoints), n_out))
        counts[example[keep], point, neuron] = np.asarray(monitor.n_spikes[:])[keep]
        potentials[example[keep], point, neuron] = np.asarray(monitor.v[:])[keep]
        return counts, potentials


def _stop_function() -> Function:
    """A Brian2 Function ``stop_run(flag)`` that ends a standalone run when flag > 0.

    It sets the flag that the C++ network loop checks after every time step, so the run
    ends exactly at the end of the current step.
    """
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


def _readonly(value, name: str) -> np.ndarray:
    array = np.array(value, dtype=np.float64)  # a copy: later changes to the caller's
    if not np.isfinite(array).all():  # array do not reach the network
        raise ValueError(f"{name} must be finite")
    array.flags.writeable = False
    return array


def _check_layers(weights, biases) -> None:
    if not weights:
        raise ValueError("expected at least one layer, got no weight matrices")
    if len(weights) != len(biases):
        raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias vectors")
    n_in = None
    for k, (W, b) in enumerate(zip(weights, biases)):
        if W.ndim != 2 or 0 in W.shape:
            raise ValueError(f"weights[{k}]: expected a non-empty 2-D matrix, got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"biases[{k}]: expected shape ({W.shape[0]},), got {b.shape}")
        if n_in is not None and W.shape[1] != n_in:
            raise ValueError(
                f"weights[{k}]: expected {n_in} inputs (the previous layer's outputs), got "
                f"shape {W.shape}"
            )
        n_in = W.shape[0]


def _check_X(X, n_features: int) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_features or len(X) == 0:
        raise ValueError(f"expected X of shape (n_examples >= 1, {n_features}), got {X.shape}")
    lo, hi = float(X.min()), float(X.max())
    if not (lo >= 0 and hi <= 1):  # NaN fails both
        raise ValueError(
            f"expected inputs in [0, 1], got min {lo:g}, max {hi:g}"
            + (" — divide by 255" if 1 < hi <= 255 else "")
        )
    return X


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _progress(total, enabled):
    from tqdm.auto import tqdm

    quiet = logging.getLogger("spiking").level > logging.INFO  # e.g. spikearena -q
    disable = not enabled or quiet
    return tqdm(total=total, disable=disable, desc="IF network", unit="ex", leave=False)


def _source_hash() -> str:
    import spiking.backend

    digest = hashlib.sha256()
    for module in (spiking.backend, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


_CODE_VERSION = _source_hash()
"""Hash of the sources that generate the network's code, part of every build key (read
at import, so it describes the code this process runs)."""
