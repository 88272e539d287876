"""Leaky integrate-and-fire neuron models as parameter sets of Brian2 quantities.

Each model is a frozen dataclass whose fields carry units and cite their source. One
function, :func:`neuron_group_kwargs`, turns any of them into the keyword arguments of a
:class:`brian2.NeuronGroup` (equations, threshold, reset, refractory, method, namespace);
it dispatches to :func:`current_lif` or :func:`conductance_lif` by the parameter type.

The current-based LIF (:class:`CurrentLIFParams`) obeys

.. math::

    \\tau_m \\frac{dv}{dt} = (v_\\mathrm{rest} - v) + R\\,(I + I_\\mathrm{syn}),
    \\qquad \\frac{dI_\\mathrm{syn}}{dt} = -\\frac{I_\\mathrm{syn}}{\\tau_\\mathrm{syn}},

with an injected current ``I`` (amp, a parameter of each neuron) and a synaptic current
``I_syn`` (amp) that a presynaptic spike increments. The conductance-based LIF
(:class:`ConductanceLIFParams`) obeys

.. math::

    \\tau_m \\frac{dv}{dt} = (v_\\mathrm{rest} - v) + g_e (E_\\mathrm{exc} - v)
                           + g_i (E_\\mathrm{inh} - v),
    \\qquad \\frac{dg_e}{dt} = -\\frac{g_e}{\\tau_{g_e}},
    \\qquad \\frac{dg_i}{dt} = -\\frac{g_i}{\\tau_{g_i}},

with dimensionless conductances (in units of the leak conductance) so that a synaptic
weight ``w`` adds ``w`` to ``g_e`` on a spike, as in Diehl & Cook (2015). Both fire when
``v > v_thresh``, are reset to ``v_reset`` and clamped there for ``refractory``; either
can carry the adaptive threshold of :class:`AdaptiveThreshold`.

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

from brian2 import Mohm, Quantity, ms, mV

from spiking.params import default

__all__ = [
    "CurrentLIFParams",
    "ConductanceLIFParams",
    "AdaptiveThreshold",
    "DiehlCookExcitatory",
    "DiehlCookInhibitory",
    "current_lif",
    "conductance_lif",
    "neuron_group_kwargs",
]


@dataclass(frozen=True)
class CurrentLIFParams:
    """Current-based LIF neuron with an exponentially decaying synaptic current.

    Defaults are the leaky integrate-and-fire neuron of the exercises that accompany
    Gerstner, Kistler, Naud & Paninski (2014), *Neuronal Dynamics*, ch. 1 (package
    ``neurodynex``, module ``leaky_integrate_and_fire.LIF``), except ``tau_syn``.

    A constant current ``I`` drives the membrane towards
    :math:`V_\\infty = v_\\mathrm{rest} + R I`; the neuron fires repetitively iff
    :math:`V_\\infty > v_\\mathrm{thresh}`, i.e. above the rheobase
    :math:`I_\\mathrm{rh} = (v_\\mathrm{thresh} - v_\\mathrm{rest}) / R` (2 nA here), at

    .. math::

        f(I) = \\left[t_\\mathrm{ref} + \\tau_m \\ln \\frac{v_\\mathrm{rest} + R I
               - v_\\mathrm{reset}}{v_\\mathrm{rest} + R I - v_\\mathrm{thresh}}\\right]^{-1}.
    """

    tau_mem: Quantity = default(8 * ms)
    """Membrane time constant :math:`\\tau_m = R C` (neurodynex ``MEMBRANE_TIME_SCALE``)."""
    v_rest: Quantity = default(-70 * mV)
    """Resting potential (neurodynex ``V_REST``)."""
    v_reset: Quantity = default(-65 * mV)
    """Potential after a spike (neurodynex ``V_RESET``); differs from ``v_rest``."""
    v_thresh: Quantity = default(-50 * mV)
    """Spike threshold (neurodynex ``FIRING_THRESHOLD``)."""
    refractory: Quantity = default(2 * ms)
    """Absolute refractory period, the membrane clamped at ``v_reset`` (neurodynex
    ``ABSOLUTE_REFRACTORY_PERIOD``)."""
    R: Quantity = default(10 * Mohm)
    """Membrane resistance, ohm (neurodynex ``MEMBRANE_RESISTANCE``)."""
    tau_syn: Quantity = default(5 * ms)
    """Decay time constant of the synaptic current: the order of the decay of fast
    AMPA-receptor currents, a few ms (Gerstner et al. 2014, ch. 3.1). Not from
    neurodynex, whose LIF has no synaptic current."""


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


def _with_adaptation(kwargs: dict, adaptation: AdaptiveThreshold | None, learning: bool) -> dict:
    """Add the adaptive threshold ``theta`` (volt) to NeuronGroup keyword arguments."""
    if adaptation is None:
        return kwargs
    kwargs["namespace"].update(
        theta_plus=adaptation.theta_plus,
        tau_theta=adaptation.tau_theta,
        theta_offset=adaptation.offset,
    )
    kwargs["threshold"] = "v > v_thresh + theta - theta_offset"
    if learning:
        kwargs["model"] += "dtheta/dt = -theta / tau_theta : volt\n"
        kwargs["reset"] += "\ntheta += theta_plus"
    else:
        kwargs["model"] += "theta : volt\n"
    return kwargs


def current_lif(
    params: CurrentLIFParams,
    adaptation: AdaptiveThreshold | None = None,
    *,
    learning: bool = True,
    synaptic: bool = True,
) -> dict:
    """Keyword arguments of a Brian2 NeuronGroup for a current-based LIF neuron.

    .. math::

        \\tau_m \\frac{dv}{dt} = (v_\\mathrm{rest} - v) + R\\,(I + I_\\mathrm{syn}),
        \\qquad \\frac{dI_\\mathrm{syn}}{dt} = -\\frac{I_\\mathrm{syn}}{\\tau_\\mathrm{syn}}

    Below threshold and with ``I_syn = 0`` the membrane relaxes as
    :math:`v(t) = V_\\infty + (v(0) - V_\\infty)\\, e^{-t/\\tau_m}`,
    :math:`V_\\infty = v_\\mathrm{rest} + R I`.

    Parameters
    ----------
    params
        Membrane constants.
    adaptation
        If given, add the adaptive threshold ``theta`` (volt), as in
        :func:`conductance_lif`.
    learning
        Whether theta grows with spikes and decays (only used with ``adaptation``).
    synaptic
        Include the synaptic current ``I_syn`` (amp), which a Synapses object
        increments with ``on_pre="I_syn_post += w"`` (``w`` in amp). Without it the
        only input is ``I``.

    Returns
    -------
    dict
        ``model``, ``threshold``, ``reset``, ``refractory``, ``method`` and
        ``namespace`` for :class:`brian2.NeuronGroup`. ``I`` (amp) is a per-neuron
        parameter, 0 until set. Integration is ``exact``: the equations are linear, so
        the membrane is exact at every time step, and only spike times are rounded to
        the time grid.

    Examples
    --------
    >>> from brian2 import NeuronGroup, nA
    >>> cell = CurrentLIFParams()
    >>> group = NeuronGroup(3, **current_lif(cell))
    >>> group.I = [0, 1, 3] * nA
    >>> print(cell.v_rest + cell.R * group.I[2])  # V_inf above v_thresh: fires
    -40. mV
    """
    if synaptic:
        model = """
        dv/dt = ((v_rest - v) + R * (I + I_syn)) / tau_mem : volt (unless refractory)
        dI_syn/dt = -I_syn / tau_syn : amp
        I : amp
        """
    else:
        model = """
        dv/dt = ((v_rest - v) + R * I) / tau_mem : volt (unless refractory)
        I : amp
        """
    namespace = {
        "tau_mem": params.tau_mem,
        "v_rest": params.v_rest,
        "v_reset": params.v_reset,
        "v_thresh": params.v_thresh,
        "R": params.R,
    }
    if synaptic:
        namespace["tau_syn"] = params.tau_syn
    kwargs = {
        "model": model,
        "threshold": "v > v_thresh",
        "reset": "v = v_reset",
        "refractory": params.refractory,
        "method": "exact",
        "namespace": namespace,
    }
    return _with_adaptation(kwargs, adaptation, learning)


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
    kwargs = {
        "model": model,
        "threshold": "v > v_thresh",
        "reset": "v = v_reset",
        "refractory": params.refractory,
        "method": "exponential_euler",
        "namespace": namespace,
    }
    return _with_adaptation(kwargs, adaptation, learning)


def neuron_group_kwargs(
    params: CurrentLIFParams | ConductanceLIFParams,
    adaptation: AdaptiveThreshold | None = None,
    *,
    learning: bool = True,
) -> dict:
    """Keyword arguments of a Brian2 NeuronGroup for any neuron parameter set here.

    Dispatches on the type of ``params``: :class:`CurrentLIFParams` to
    :func:`current_lif` (with its synaptic current), :class:`ConductanceLIFParams` and
    its subclasses (the Diehl & Cook cells) to :func:`conductance_lif`.

    Parameters
    ----------
    params
        A neuron parameter dataclass from this module.
    adaptation, learning
        The adaptive threshold and whether it learns, as in :func:`conductance_lif`.

    Returns
    -------
    dict
        ``model``, ``threshold``, ``reset``, ``refractory``, ``method``, ``namespace``.

    Examples
    --------
    >>> kwargs = neuron_group_kwargs(DiehlCookExcitatory(), AdaptiveThreshold())
    >>> kwargs["threshold"]
    'v > v_thresh + theta - theta_offset'
    >>> neuron_group_kwargs(CurrentLIFParams())["method"]
    'exact'
    """
    if isinstance(params, CurrentLIFParams):
        return current_lif(params, adaptation, learning=learning)
    if isinstance(params, ConductanceLIFParams):
        return conductance_lif(params, adaptation, learning=learning)
    raise TypeError(
        "expected CurrentLIFParams or ConductanceLIFParams (or a subclass), "
        f"got {type(params).__name__}"
    )
