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
``v > v_thresh`` and are reset to ``v_reset``; either can carry the adaptive threshold
of :class:`AdaptiveThreshold`. The current-based cell's membrane is clamped at
``v_reset`` for ``refractory``; the conductance-based cell says how in
``refractory_form`` and how it is integrated in ``integrator`` (see
:data:`INTEGRATORS`: the Diehl & Cook cells follow what the authors' Brian 1 code
computed, as far as it is stable).

Example
-------
>>> from brian2 import NeuronGroup, ms
>>> cell = DiehlCookInhibitory()
>>> group = NeuronGroup(10, **conductance_lif(cell, dt=0.5 * ms), dt=0.5 * ms)
>>> group.v = cell.v_rest
>>> print(group.v[0])
-60. mV
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from brian2 import Mohm, Quantity, ms, mV, second

from spiking.params import default

__all__ = [
    "INTEGRATORS",
    "REFRACTORY_FORMS",
    "CurrentLIFParams",
    "ConductanceLIFParams",
    "AdaptiveThreshold",
    "DiehlCookExcitatory",
    "DiehlCookInhibitory",
    "current_lif",
    "conductance_lif",
    "neuron_group_kwargs",
    "decay_time_constant",
]

INTEGRATORS = {
    "euler": (
        "forward Euler for every variable: what the authors' Brian 1 code computed "
        "(Brian 1 picks Euler for equations that are not linear, such as v's with its "
        "g*v terms, unless told implicit=True). Unstable where dt (1 + g_e + g_i) / "
        "tau_m > 2: about 24 inhibitory spikes in one 0.5 ms step of a Diehl & Cook "
        "network (g_i = 17 each, tau_m = 100 ms)"
    ),
    "stable-euler": (
        "the conductances decay exactly as forward Euler decays them (a factor "
        "1 - dt/tau per step, so each input spike delivers the authors' charge), the "
        "membrane is integrated by exponential Euler (stable at any conductance); "
        "the same as 'euler' to first order in dt (1 + g_e + g_i) / tau_m"
    ),
    "exponential-euler": (
        "Brian2's exponential Euler for every variable (the conductances decay exactly, "
        "exp(-dt/tau) per step): at dt = 0.5 ms, tau_ge = 1 ms it delivers 1.27x the "
        "excitatory and 1.13x the inhibitory charge per spike of 'euler'"
    ),
}
"""How a conductance-based cell is integrated: name -> what it computes."""

REFRACTORY_FORMS = {
    "clamp": "the membrane is held at v_reset for the refractory period (Brian2's "
    "``(unless refractory)``; Brian 1's Refractoriness, which a scalar reset selects)",
    "block": "spikes are blocked for the refractory period while the membrane keeps "
    "integrating (what Brian 1 does with a reset given as a code string)",
}
"""How a conductance-based cell is refractory: name -> what it does."""


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
    """Absolute refractory period (no spikes; how the membrane behaves: ``refractory_form``)."""
    e_exc: Quantity = default(0 * mV)
    """Reversal potential of excitatory synapses."""
    e_inh: Quantity = default(-85 * mV)
    """Reversal potential of inhibitory synapses."""
    tau_ge: Quantity = default(1 * ms)
    """Decay time constant of the excitatory conductance."""
    tau_gi: Quantity = default(2 * ms)
    """Decay time constant of the inhibitory conductance."""
    integrator: str = "stable-euler"
    """A name in :data:`INTEGRATORS`. The authors' code computed ``"euler"``; the
    default is the closest integrator that stays stable (see INTEGRATORS)."""
    refractory_form: str = "clamp"
    """A name in :data:`REFRACTORY_FORMS`; the authors' inhibitory cell is clamped."""

    def __post_init__(self):
        for name, allowed in (
            ("integrator", INTEGRATORS),
            ("refractory_form", REFRACTORY_FORMS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {sorted(allowed)}, got {getattr(self, name)!r}"
                )


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

    Refractory as in the authors' Brian 1 code: its reset is a code string
    (``v = v_reset_e; theta += theta_plus_e; timer = 0*ms``), for which Brian 1's
    NeuronGroup has no clamping reset and only blocks spikes for ``refractory`` (5 ms)
    while ``v`` keeps integrating (``refractory_form="block"``). The code's threshold
    also asks ``timer > refrac_e``, but ``timer`` advances 100 ms per ms and so passes
    5 ms one step after the reset: that condition never blocks a spike that the 5 ms
    refractory period would allow, and is left out.
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
    refractory_form: str = "block"


@dataclass(frozen=True)
class DiehlCookInhibitory(ConductanceLIFParams):
    """The Diehl & Cook (2015) inhibitory cell (the defaults of ConductanceLIFParams).

    Its reset in the authors' code is a number (``v_reset_i``), for which Brian 1 uses
    a Refractoriness reset that holds ``v`` there for 2 ms: ``refractory_form="clamp"``.
    """


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
    dt: Quantity | None = None,
) -> dict:
    """Keyword arguments of a Brian2 NeuronGroup for a conductance-based LIF neuron.

    Parameters
    ----------
    params
        Membrane and synapse constants, the integrator and the refractory form.
    adaptation
        If given, add the adaptive threshold ``theta`` (volt). With ``learning=False``
        theta is a constant (frozen), as in Diehl & Cook's test mode.
    learning
        Whether theta grows with spikes and decays (only used with ``adaptation``).
    dt
        The group's time step; needed by ``integrator="stable-euler"``, whose
        conductances decay by ``1 - dt/tau`` per step under exponential Euler.

    Returns
    -------
    dict
        ``model``, ``threshold``, ``reset``, ``refractory``, ``method`` and
        ``namespace`` for :class:`brian2.NeuronGroup`. The namespace holds every
        constant, so the group does not depend on the caller's variables. The
        conductances decay with the time constants ``tau_ge_step`` and
        ``tau_gi_step``, which equal ``tau_ge`` and ``tau_gi`` except under
        ``"stable-euler"`` (see :func:`decay_time_constant`).

    Raises
    ------
    ValueError
        If ``"stable-euler"`` is asked for without ``dt``, or ``dt`` is not shorter
        than a conductance's time constant (Euler's decay factor would be <= 0).
    """
    method, conductance_decay = _INTEGRATION[params.integrator]
    unless = " (unless refractory)" if params.refractory_form == "clamp" else ""
    model = f"""
    dv/dt = ((v_rest - v) + ge*(e_exc - v) + gi*(e_inh - v)) / tau_mem : volt{unless}
    dge/dt = -ge / tau_ge_step : 1
    dgi/dt = -gi / tau_gi_step : 1
    """
    namespace = {
        "tau_mem": params.tau_mem,
        "v_rest": params.v_rest,
        "v_reset": params.v_reset,
        "v_thresh": params.v_thresh,
        "e_exc": params.e_exc,
        "e_inh": params.e_inh,
        "tau_ge_step": decay_time_constant(params.tau_ge, dt, method, conductance_decay),
        "tau_gi_step": decay_time_constant(params.tau_gi, dt, method, conductance_decay),
    }
    kwargs = {
        "model": model,
        "threshold": "v > v_thresh",
        "reset": "v = v_reset",
        "refractory": params.refractory,
        "method": method,
        "namespace": namespace,
    }
    return _with_adaptation(kwargs, adaptation, learning)


_INTEGRATION = {
    "euler": ("euler", "euler"),
    "stable-euler": ("exponential_euler", "euler"),
    "exponential-euler": ("exponential_euler", "exact"),
}
"""Integrator name -> (Brian2 method, how the conductances decay per step)."""

_NATIVE_DECAY = {"euler": "euler", "exponential_euler": "exact"}
"""The decay per step a Brian2 method gives ``dx/dt = -x / tau`` by itself."""


def decay_time_constant(
    tau: Quantity, dt: Quantity | None, method: str, decay: str = "exact"
) -> Quantity:
    """The time constant to write in ``dx/dt = -x / tau_step`` so that Brian2's
    ``method`` multiplies ``x`` by the factor ``decay`` asks for in each step of ``dt``.

    ``decay="exact"`` is ``exp(-dt/tau)``, the true solution; ``decay="euler"`` is
    forward Euler's ``1 - dt/tau``. Where ``method`` gives that factor by itself
    (``"exponential_euler"`` and exact, ``"euler"`` and Euler) ``tau`` is returned
    unchanged and ``dt`` is not needed; otherwise ``tau_step`` solves
    ``exp(-dt/tau_step) = factor`` (exponential Euler) or
    ``1 - dt/tau_step = factor`` (Euler), exact up to float rounding.

    >>> print(decay_time_constant(1 * ms, 0.5 * ms, "exponential_euler", "euler"))
    0.72134752 ms
    >>> print(decay_time_constant(20 * ms, 0.5 * ms, "euler", "exact"))
    20.25104166 ms
    """
    if decay not in ("exact", "euler"):
        raise ValueError(f"decay must be 'exact' or 'euler', got {decay!r}")
    if method not in _NATIVE_DECAY:
        raise ValueError(f"method must be one of {sorted(_NATIVE_DECAY)}, got {method!r}")
    if _NATIVE_DECAY[method] == decay:
        return tau
    if dt is None:
        raise ValueError(
            f"the {decay!r} decay under Brian2's {method!r} needs the time step: pass dt "
            "(integrator 'stable-euler' does; the network passes its own dt)"
        )
    ratio = float(dt / tau)
    if decay == "exact":
        factor = math.exp(-ratio)
    else:
        factor = 1.0 - ratio
        if factor <= 0:
            raise ValueError(
                f"Euler's decay factor 1 - dt/tau = {factor:g} is not positive "
                f"(dt = {dt}, tau = {tau}): use a dt shorter than tau"
            )
    dt_s = float(dt / second)
    if method == "euler":
        return dt_s / (1.0 - factor) * second
    return -dt_s / math.log(factor) * second


def neuron_group_kwargs(
    params: CurrentLIFParams | ConductanceLIFParams,
    adaptation: AdaptiveThreshold | None = None,
    *,
    learning: bool = True,
    dt: Quantity | None = None,
) -> dict:
    """Keyword arguments of a Brian2 NeuronGroup for any neuron parameter set here.

    Dispatches on the type of ``params``: :class:`CurrentLIFParams` to
    :func:`current_lif` (with its synaptic current), :class:`ConductanceLIFParams` and
    its subclasses (the Diehl & Cook cells) to :func:`conductance_lif`.

    Parameters
    ----------
    params
        A neuron parameter dataclass from this module.
    adaptation, learning, dt
        The adaptive threshold, whether it learns, and the time step (needed by
        ``integrator="stable-euler"``), as in :func:`conductance_lif`.

    Returns
    -------
    dict
        ``model``, ``threshold``, ``reset``, ``refractory``, ``method``, ``namespace``.

    Examples
    --------
    >>> kwargs = neuron_group_kwargs(DiehlCookExcitatory(), AdaptiveThreshold(), dt=0.5 * ms)
    >>> kwargs["threshold"]
    'v > v_thresh + theta - theta_offset'
    >>> neuron_group_kwargs(CurrentLIFParams())["method"]
    'exact'
    """
    if isinstance(params, CurrentLIFParams):
        return current_lif(params, adaptation, learning=learning)
    if isinstance(params, ConductanceLIFParams):
        return conductance_lif(params, adaptation, learning=learning, dt=dt)
    raise TypeError(
        "expected CurrentLIFParams or ConductanceLIFParams (or a subclass), "
        f"got {type(params).__name__}"
    )
