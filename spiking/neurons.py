"""Leaky integrate-and-fire neuron models as parameter sets of Brian2 quantities.

Each model is a frozen dataclass whose fields carry units and cite their source, plus
one function, :func:`conductance_lif`, that turns a parameter set into the keyword
arguments of a :class:`brian2.NeuronGroup` (equations, threshold, reset, refractory,
method). The conductance-based LIF obeys

.. math::

    \\tau_m \\frac{dv}{dt} = (v_\\mathrm{rest} - v) + g_e (E_\\mathrm{exc} - v)
                           + g_i (E_\\mathrm{inh} - v),
    \\qquad \\frac{dg_e}{dt} = -\\frac{g_e}{\\tau_{g_e}},
    \\qquad \\frac{dg_i}{dt} = -\\frac{g_i}{\\tau_{g_i}},

with dimensionless conductances (in units of the leak conductance) so that a synaptic
weight ``w`` adds ``w`` to ``g_e`` on a spike, as in Diehl & Cook (2015).

Example
-------
>>> from brian2 import NeuronGroup, ms
>>> cell = DiehlCookInhibitory()
>>> group = NeuronGroup(10, **conductance_lif(cell), dt=0.5 * ms)
>>> group.v = cell.v_rest
>>> print(group.v[0])
-60. mV
"""

from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity, ms, mV

from spiking.params import default

__all__ = [
    "ConductanceLIFParams",
    "AdaptiveThreshold",
    "DiehlCookExcitatory",
    "DiehlCookInhibitory",
    "conductance_lif",
]


@dataclass(frozen=True)
class ConductanceLIFParams:
    """Conductance-based LIF neuron with exponentially decaying synaptic conductances.

    Defaults are the Diehl & Cook (2015) inhibitory cell, from the authors' code
    (github.com/peter-u-diehl/stdp-mnist, ``Diehl&Cook_spiking_MNIST.py``).
    """

    tau_mem: Quantity = default(10 * ms)
    """Membrane time constant."""
    v_rest: Quantity = default(-60 * mV)
    """Resting potential (the leak reversal potential); also the initial potential."""
    v_reset: Quantity = default(-45 * mV)
    """Potential after a spike."""
    v_thresh: Quantity = default(-40 * mV)
    """Spike threshold."""
    refractory: Quantity = default(2 * ms)
    """Absolute refractory period (the membrane is clamped at ``v_reset``)."""
    e_exc: Quantity = default(0 * mV)
    """Reversal potential of excitatory synapses."""
    e_inh: Quantity = default(-85 * mV)
    """Reversal potential of inhibitory synapses."""
    tau_ge: Quantity = default(1 * ms)
    """Decay time constant of the excitatory conductance."""
    tau_gi: Quantity = default(2 * ms)
    """Decay time constant of the inhibitory conductance."""


@dataclass(frozen=True)
class AdaptiveThreshold:
    """Homeostatic threshold of the Diehl & Cook excitatory cell.

    The neuron fires when ``v > v_thresh + theta - offset``; every spike raises
    ``theta`` by ``theta_plus`` (during learning only) and ``theta`` decays with
    ``tau_theta``. Values from the authors' code.
    """

    theta_plus: Quantity = default(0.05 * mV)
    """Increment of theta per spike while learning."""
    tau_theta: Quantity = default(1e7 * ms)
    """Decay time constant of theta (so slow that theta is a running spike count)."""
    theta_init: Quantity = default(20 * mV)
    """Initial theta of every neuron."""
    offset: Quantity = default(20 * mV)
    """Constant subtracted from theta in the threshold condition."""


@dataclass(frozen=True)
class DiehlCookExcitatory(ConductanceLIFParams):
    """The Diehl & Cook (2015) excitatory cell (membrane part; see AdaptiveThreshold).

    The authors' Brian 1 code also gated spiking on a ``timer`` variable that advanced
    at 100 ms per ms, which made its 5 ms condition almost void; here the refractory
    period is the paper's 5 ms, applied as Brian2's clamp of ``v``.
    """

    tau_mem: Quantity = default(100 * ms)
    v_rest: Quantity = default(-65 * mV)
    v_reset: Quantity = default(-65 * mV)
    v_thresh: Quantity = default(-52 * mV)
    refractory: Quantity = default(5 * ms)
    e_exc: Quantity = default(0 * mV)
    e_inh: Quantity = default(-100 * mV)
    tau_ge: Quantity = default(1 * ms)
    tau_gi: Quantity = default(2 * ms)


@dataclass(frozen=True)
class DiehlCookInhibitory(ConductanceLIFParams):
    """The Diehl & Cook (2015) inhibitory cell (the defaults of ConductanceLIFParams)."""


def conductance_lif(
    params: ConductanceLIFParams,
    adaptation: AdaptiveThreshold | None = None,
    *,
    learning: bool = True,
) -> dict:
    """Keyword arguments of a Brian2 NeuronGroup for a conductance-based LIF neuron.

    Parameters
    ----------
    params
        Membrane and synapse constants.
    adaptation
        If given, add the adaptive threshold ``theta`` (volt). With ``learning=False``
        theta is a constant (frozen), as in Diehl & Cook's test mode.
    learning
        Whether theta grows with spikes and decays (only used with ``adaptation``).

    Returns
    -------
    dict
        ``model``, ``threshold``, ``reset``, ``refractory``, ``method`` and
        ``namespace`` for :class:`brian2.NeuronGroup`. The namespace holds every
        constant, so the group does not depend on the caller's variables. Integration
        is exponential Euler: forward Euler is unstable for the strong inhibitory
        conductances of large Diehl & Cook networks (g_i dt / tau_m > 2).
    """
    model = """
    dv/dt = ((v_rest - v) + ge*(e_exc - v) + gi*(e_inh - v)) / tau_mem : volt (unless refractory)
    dge/dt = -ge / tau_ge : 1
    dgi/dt = -gi / tau_gi : 1
    """
    namespace = {
        "tau_mem": params.tau_mem,
        "v_rest": params.v_rest,
        "v_reset": params.v_reset,
        "v_thresh": params.v_thresh,
        "e_exc": params.e_exc,
        "e_inh": params.e_inh,
        "tau_ge": params.tau_ge,
        "tau_gi": params.tau_gi,
    }
    threshold = "v > v_thresh"
    reset = "v = v_reset"
    if adaptation is not None:
        namespace.update(
            theta_plus=adaptation.theta_plus,
            tau_theta=adaptation.tau_theta,
            theta_offset=adaptation.offset,
        )
        threshold = "v > v_thresh + theta - theta_offset"
        if learning:
            model += "dtheta/dt = -theta / tau_theta : volt\n"
            reset += "\ntheta += theta_plus"
        else:
            model += "theta : volt\n"
    return {
        "model": model,
        "threshold": threshold,
        "reset": reset,
        "refractory": params.refractory,
        "method": "exponential_euler",
        "namespace": namespace,
    }
