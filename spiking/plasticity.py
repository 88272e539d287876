"""Spike-timing-dependent plasticity rules as Brian2 synapse models.

A rule is a frozen parameter dataclass plus a function returning the keyword arguments
of a :class:`brian2.Synapses` (``model``, ``on_pre``, ``on_post``, ``namespace``).
Traces are event-driven: Brian2 decays them exactly between spikes, so a rule costs
work only when a spike arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity, ms

from spiking.params import default

__all__ = ["DiehlCookSTDP", "diehl_cook_stdp"]


@dataclass(frozen=True)
class DiehlCookSTDP:
    """The STDP rule of Diehl & Cook (2015), exactly as in the authors' code.

    On a presynaptic spike the weight is *depressed* by the first postsynaptic trace;
    on a postsynaptic spike it is potentiated by the presynaptic trace times the value
    the slow postsynaptic trace had just before this spike (a triplet-like term). Traces
    are *set* to 1 on a spike (not incremented). Weights are clipped to
    ``[0, w_max]``. Source: github.com/peter-u-diehl/stdp-mnist (``eqs_stdp_ee``,
    ``tc_pre_ee``, ``nu_ee_pre``, ``nu_ee_post``, ``wmax_ee``). Several Brian2 ports
    flip the sign of the presynaptic term; that is not this rule.
    """

    tau_pre: Quantity = default(20 * ms)
    """Decay time constant of the presynaptic trace."""
    tau_post1: Quantity = default(20 * ms)
    """Decay time constant of the fast postsynaptic trace (depression)."""
    tau_post2: Quantity = default(40 * ms)
    """Decay time constant of the slow postsynaptic trace (potentiation)."""
    nu_pre: float = 0.0001
    """Learning rate of the depression on presynaptic spikes."""
    nu_post: float = 0.01
    """Learning rate of the potentiation on postsynaptic spikes."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""


def diehl_cook_stdp(rule: DiehlCookSTDP, *, learning: bool = True, target: str = "ge") -> dict:
    """Keyword arguments of a Brian2 Synapses implementing the Diehl & Cook rule.

    Parameters
    ----------
    rule
        The rule's constants.
    learning
        With ``False`` the weights are fixed and only transmit (no traces are kept).
    target
        Postsynaptic conductance that a presynaptic spike increments by ``w``.

    Returns
    -------
    dict
        ``model``, ``on_pre``, ``on_post`` (absent without learning) and ``namespace``.
    """
    if not learning:
        return {"model": "w : 1", "on_pre": f"{target}_post += w", "namespace": {}}
    model = """
    w : 1
    dpre/dt = -pre / tau_pre : 1 (event-driven)
    dpost1/dt = -post1 / tau_post1 : 1 (event-driven)
    dpost2/dt = -post2 / tau_post2 : 1 (event-driven)
    """
    on_pre = f"""
    {target}_post += w
    pre = 1.
    w = clip(w - nu_pre * post1, 0, w_max)
    """
    on_post = """
    post2before = post2
    w = clip(w + nu_post * pre * post2before, 0, w_max)
    post1 = 1.
    post2 = 1.
    """
    namespace = {
        "tau_pre": rule.tau_pre,
        "tau_post1": rule.tau_post1,
        "tau_post2": rule.tau_post2,
        "nu_pre": rule.nu_pre,
        "nu_post": rule.nu_post,
        "w_max": rule.w_max,
    }
    return {"model": model, "on_pre": on_pre, "on_post": on_post, "namespace": namespace}
