"""Bridges between the two arms' neuron parameters, for equivalence tests.

:mod:`spiking` keeps every physical value as a Brian2 quantity and :mod:`artificial`
never imports Brian2, so the torch LIF (:func:`artificial.snn.lif_parameters`) takes
plain SI numbers. :func:`lif_parameter_kwargs` strips the units of a
:class:`spiking.neurons.CurrentLIFParams` by dividing by named SI units, so both arms
can be built from the same values.

Example
-------
>>> from brian2 import ms
>>> from dataclasses import replace
>>> from spiking.neurons import CurrentLIFParams
>>> kwargs = lif_parameter_kwargs(replace(CurrentLIFParams(), refractory=0 * ms), 0.1 * ms)
>>> kwargs["tau_mem"], kwargs["v_threshold"], kwargs["resistance"]
(0.008, -0.05, 10000000.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Quantity, ohm, second, volt

from spiking.neurons import CurrentLIFParams

__all__ = ["LIFComparison", "lif_parameter_kwargs", "simulate_both"]


def lif_parameter_kwargs(params: CurrentLIFParams, dt: Quantity) -> dict[str, float]:
    """Keyword arguments of :func:`artificial.snn.lif_parameters` from a Brian2 parameter set.

    Parameters
    ----------
    params : CurrentLIFParams
        The membrane constants (``tau_syn`` is not used: compare with
        ``current_lif(params, synaptic=False)``). Its ``refractory`` must be 0, because
        :func:`artificial.snn.lif_step` has no refractory period.
    dt : Quantity
        The simulation time step (Brian2 time).

    Returns
    -------
    dict of str to float
        ``tau_mem`` and ``dt`` in seconds, ``v_threshold``, ``v_reset`` and ``v_rest``
        in volts, ``resistance`` in ohm.

    Raises
    ------
    ValueError
        If ``params.refractory`` is not 0, or ``dt`` is not a positive time.
    """
    if not isinstance(params, CurrentLIFParams):
        raise TypeError(f"expected CurrentLIFParams, got {type(params).__name__}")
    if float(params.refractory / second) != 0:
        raise ValueError(
            f"expected refractory = 0 ms, got {params.refractory}: artificial.snn.lif_step "
            f"has no refractory period; use dataclasses.replace(params, refractory=0 * ms)"
        )
    dt_seconds = float(dt / second)
    if not dt_seconds > 0:
        raise ValueError(f"expected a positive time step, got dt = {dt}")
    return {
        "tau_mem": float(params.tau_mem / second),
        "dt": dt_seconds,
        "v_threshold": float(params.v_thresh / volt),
        "v_reset": float(params.v_reset / volt),
        "v_rest": float(params.v_rest / volt),
        "resistance": float(params.R / ohm),
    }


@dataclass(frozen=True)
class LIFComparison:
    """The same current-based LIF neurons simulated by both arms on the same input.

    ``brian_v`` and ``torch_v`` are ``(n_neurons, n_steps)`` membrane potentials in
    volts, aligned in time: Brian2's value at the start of step ``k + 1`` is torch's
    after step ``k``, so both arrays hold the potential at the end of each step (the
    last step's Brian2 value is NaN). ``brian_spikes`` and ``torch_spikes`` hold each
    neuron's spike steps.
    """

    dt: float
    current: np.ndarray
    brian_v: np.ndarray
    torch_v: np.ndarray
    brian_spikes: tuple[np.ndarray, ...]
    torch_spikes: tuple[np.ndarray, ...]

    def agreement(self) -> list[dict]:
        """Per neuron: spike counts, the largest spike-step difference, and the largest
        membrane difference (V) up to the first spike on which the two arms differ."""
        rows = []
        n_steps = self.brian_v.shape[1]
        for k, (b, t) in enumerate(zip(self.brian_spikes, self.torch_spikes)):
            same_count = len(b) == len(t)
            shift = int(np.max(np.abs(b - t))) if same_count and len(b) else 0
            differ = np.flatnonzero(b != t) if same_count else np.array([0])
            last = n_steps - 1
            if len(differ):
                first = differ[0]
                last = min(
                    b[first] if first < len(b) else last, t[first] if first < len(t) else last
                )
            diff = np.abs(self.brian_v[k, :last] - self.torch_v[k, :last])
            rows.append(
                {
                    "neuron": k,
                    "mean_current_a": float(np.mean(self.current[:, k])),
                    "brian_spikes": len(b),
                    "torch_spikes": len(t),
                    "max_spike_step_difference": shift if same_count else None,
                    "steps_compared": int(last),
                    "max_abs_v_difference_v": float(diff.max()) if last else 0.0,
                }
            )
        return rows


def simulate_both(params: CurrentLIFParams, dt: Quantity, current: np.ndarray) -> LIFComparison:
    """Drive Brian2's and torch's current-based LIF with the same current, step by step.

    Brian2 runs :func:`spiking.neurons.current_lif` (without synaptic current) in
    runtime mode with the numpy target, the input read from a ``TimedArray`` at the
    start of every step; torch runs :func:`artificial.snn.lif_step` in float64 from
    the same values (:func:`lif_parameter_kwargs`), resetting to ``v_reset``.

    Parameters
    ----------
    params : CurrentLIFParams
        With ``refractory = 0`` (``lif_step`` has none).
    dt : Quantity
        Time step of both.
    current : ndarray of shape (n_steps, n_neurons)
        Input current in amperes, one column per neuron.
    """
    import brian2 as b2
    import torch

    from artificial.snn import LIFState, lif_parameters, lif_step
    from spiking.neurons import current_lif

    current = np.asarray(current, dtype=float)
    if current.ndim != 2 or not current.size:
        raise ValueError(f"expected current of shape (n_steps, n_neurons), got {current.shape}")
    p = lif_parameters(**lif_parameter_kwargs(params, dt))  # checks refractory and dt
    n_steps, n = current.shape
    previous_target = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    try:
        kwargs = current_lif(params, synaptic=False)
        kwargs["namespace"]["I_stim"] = b2.TimedArray(current * b2.amp, dt=dt)
        group = b2.NeuronGroup(n, **kwargs, dt=dt, name="lif")
        group.v = params.v_rest
        group.run_regularly("I = I_stim(t, i)", when="start", dt=dt)
        spike_monitor = b2.SpikeMonitor(group)
        trace_monitor = b2.StateMonitor(group, "v", record=True, when="start")
        b2.Network(group, spike_monitor, trace_monitor).run(n_steps * dt)
    finally:
        b2.prefs.codegen.target = previous_target
    brian_start = np.asarray(trace_monitor.v / b2.volt)  # v at the start of every step
    brian_v = np.full_like(brian_start, np.nan)
    brian_v[:, :-1] = brian_start[:, 1:]  # the end of step k is the start of step k + 1
    steps = np.round(np.asarray(spike_monitor.t / dt)).astype(int)
    index = np.asarray(spike_monitor.i)
    brian_spikes = tuple(np.sort(steps[index == k]) for k in range(n))

    drive = torch.tensor(current, dtype=torch.float64)
    state = LIFState(v=torch.zeros(n, dtype=torch.float64))
    torch_v, torch_spiked = [], []
    for step in range(n_steps):
        spikes, state = lif_step(drive[step], state, p, reset_mechanism="zero")
        torch_spiked.append(spikes)
        torch_v.append(state.v + float(params.v_rest / volt))
    torch_v = torch.stack(torch_v).numpy().T
    spiked = torch.stack(torch_spiked).numpy().T
    torch_spikes = tuple(np.flatnonzero(row) for row in spiked)
    return LIFComparison(float(dt / second), current, brian_v, torch_v, brian_spikes, torch_spikes)
