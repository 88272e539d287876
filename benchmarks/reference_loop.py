"""The usual way to train Diehl & Cook (2015) in Brian2: a runtime-mode Python loop.

This is the baseline the benchmark measures spikearena's compiled network against. It
follows the structure of Brian2's own example (examples/frompapers/Diehl_Cook_2015.py)
and of most public ports: one network in runtime mode (Cython), and per example a
Python loop that rescales the weights, sets the Poisson rates, runs 350 ms, counts the
excitatory spikes, silences the input and runs 150 ms of rest, and repeats the example
at a higher intensity when fewer than 5 spikes were fired. The neuron and synapse
models are the same as the estimator's (the library's conductance LIF with adaptive
threshold and the Diehl & Cook rule as written, event-driven traces); only the way the
protocol is driven differs. It exists for timing, not for use.
"""

from __future__ import annotations

import time

import numpy as np
from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    mV,
    prefs,
    second,
    start_scope,
)
from brian2 import seed as brian2_seed

from spiking.networks.diehl_cook import DiehlCook2015Params
from spiking.neurons import conductance_lif
from spiking.plasticity import diehl_cook_stdp


def train_reference_loop(X: np.ndarray, n_exc: int, *, seed: int = 0) -> dict:
    """Train one epoch on the rows of X (pixels in [0, 1]); return timing and counts."""
    p = DiehlCook2015Params()
    start_scope()
    prefs.codegen.target = "cython"
    defaultclock.dt = p.dt
    brian2_seed(seed)
    rng = np.random.default_rng(seed)
    n_input = X.shape[1]

    inputs = PoissonGroup(n_input, rates=np.zeros(n_input) * Hz)
    exc = NeuronGroup(n_exc, **conductance_lif(p.excitatory, p.threshold, learning=True, dt=p.dt))
    inh = NeuronGroup(n_exc, **conductance_lif(p.inhibitory, dt=p.dt))
    exc.v = p.excitatory.v_rest + p.initial_v_offset
    inh.v = p.inhibitory.v_rest + p.initial_v_offset
    exc.theta = p.threshold.theta_init
    plastic = Synapses(inputs, exc, **diehl_cook_stdp(p.stdp))
    plastic.connect()
    plastic.w = (rng.random(n_input * n_exc) + p.w_init_offset) * p.w_init_scale
    plastic.delay = rng.random(n_input * n_exc) * p.max_input_delay
    exc_inh = Synapses(exc, inh, "w : 1", on_pre="ge_post += w")
    exc_inh.connect(j="i")
    exc_inh.w = p.w_exc_inh
    inh_exc = Synapses(inh, exc, "w : 1", on_pre="gi_post += w")
    inh_exc.connect(condition="i != j")
    inh_exc.w = p.w_inh_exc
    spikes = SpikeMonitor(exc, record=False)
    net = Network(inputs, exc, inh, plastic, exc_inh, inh_exc, spikes)

    rate = float(p.rate_per_intensity / Hz)
    presentations = 0
    net.run(0 * ms)  # compile (Cython) before timing
    started = time.perf_counter()
    for x in X:
        weights = np.asarray(plastic.w[:]).reshape(n_input, n_exc)
        plastic.w[:] = (weights * p.norm_total / weights.sum(axis=0)).ravel()
        intensity = p.start_intensity
        while True:
            inputs.rates = x * rate * intensity * Hz
            before = spikes.num_spikes
            net.run(p.input_time)
            fired = spikes.num_spikes - before
            inputs.rates = 0 * Hz
            net.run(p.rest_time)
            presentations += 1
            if fired >= p.min_spikes or intensity >= p.max_intensity:
                break
            intensity += p.intensity_step
    seconds = time.perf_counter() - started
    return {
        "train_ex_per_s": len(X) / seconds,
        "presentations": presentations,
        "simulated_seconds": float(net.t / second),
        "theta_mean_mv": float(np.mean(exc.theta[:] / mV)),
    }
