"""Spike-timing-dependent plasticity rules as Brian2 synapse models, with their windows.

A rule is a frozen parameter dataclass, a function returning the keyword arguments of a
:class:`brian2.Synapses` (``model``, ``on_pre``, ``on_post``, ``namespace``), and the
analytic weight change the rule implies:

=====================  ======================  =========================================
rule                   Synapses kwargs         analytic weight change
=====================  ======================  =========================================
:class:`PairSTDP`      :func:`pair_stdp`       :func:`pair_window`
:class:`SoftBoundSTDP` :func:`soft_bound_stdp` :func:`soft_bound_window`
:class:`TripletSTDP`   :func:`triplet_stdp`    :func:`triplet_window`,
                                               :func:`triplet_weight_change`
:class:`DiehlCookSTDP` :func:`diehl_cook_stdp` :func:`dc_window`
:class:`PowerLawSTDP`  :func:`dc_variant_stdp` :func:`dc_variant_window`
:class:`ExponentialSTDP` (same)                (same)
:class:`PrePostSTDP`   (same)                  (same)
=====================  ======================  =========================================

The last four are the rules Diehl & Cook (2015) compared in their network
(:data:`DC_RULES`); :class:`DiehlCookSTDP` is the one their published code runs.

Conventions shared by every function here:

- Weights ``w`` are dimensionless (``w : 1``), bounded to ``[0, w_max]``.
- Time differences are :math:`\\Delta t = t_\\mathrm{post} - t_\\mathrm{pre}` and are
  Brian2 time quantities (``10 * ms``, scalars or arrays); windows return a float
  ``numpy.ndarray`` of the broadcast shape of their arguments (dimensionless). Positive
  :math:`\\Delta t` is pre before post.
- :math:`\\Delta t = 0` counts as pre before post: within one time step Brian2 runs a
  Synapses' ``on_pre`` before its ``on_post`` (pathway order -1 vs +1).
- Traces are event-driven: Brian2 decays them exactly between spikes, so a rule costs
  work only when a spike arrives, and a simulated weight change equals the analytic one
  up to float rounding whatever the time step (spike times must lie on the grid).
- ``interaction="all-to-all"`` increments a trace by 1 on a spike (every earlier spike
  counts); ``"nearest"`` sets it to 1 (only the most recent spike counts).
- ``target`` names the dimensionless postsynaptic variable that a presynaptic spike
  increments by ``w`` (``"ge"`` for :func:`spiking.neurons.conductance_lif`); ``None``
  gives a plasticity-only synapse that transmits nothing.

Example
-------
>>> from brian2 import ms
>>> rule = PairSTDP()
>>> print(pair_window(rule, [-10, 10] * ms).round(5))
[-0.00318  0.00303]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, Quantity, ms, second
from brian2.units.fundamentalunits import have_same_dimensions

from spiking.params import default

__all__ = [
    "PairSTDP",
    "SoftBoundSTDP",
    "TripletSTDP",
    "DiehlCookSTDP",
    "PowerLawSTDP",
    "ExponentialSTDP",
    "PrePostSTDP",
    "DC_RULES",
    "pair_stdp",
    "soft_bound_stdp",
    "triplet_stdp",
    "diehl_cook_stdp",
    "dc_variant_stdp",
    "pair_window",
    "soft_bound_window",
    "triplet_window",
    "triplet_weight_change",
    "pairing_protocol",
    "dc_window",
    "dc_variant_window",
]

INTERACTIONS = ("all-to-all", "nearest")
"""Spike interaction schemes: traces incremented by 1, or set to 1, on a spike."""


def _check_interaction(interaction: str) -> None:
    if interaction not in INTERACTIONS:
        raise ValueError(f"interaction must be one of {INTERACTIONS}, got {interaction!r}")


def _seconds(value, name: str) -> np.ndarray:
    """A time quantity as a float array in seconds; TypeError if it is not a time."""
    if not isinstance(value, Quantity) or not have_same_dimensions(value, second):
        raise TypeError(f"{name} must be a Brian2 time quantity (e.g. 10 * ms), got {value!r}")
    return np.asarray(value / second, dtype=float)


def _bump(trace: str, interaction: str) -> str:
    """The statement that registers a spike in a trace."""
    return f"{trace} += 1." if interaction == "all-to-all" else f"{trace} = 1."


def _transmit(target: str | None) -> str:
    return "" if target is None else f"{target}_post += w"


# -- pair-based additive STDP --------------------------------------------------------


@dataclass(frozen=True)
class PairSTDP:
    """Pair-based additive STDP with hard bounds (Song, Miller & Abbott 2000).

    .. math::

        \\Delta w(\\Delta t) = \\begin{cases}
            A_+ \\, e^{-\\Delta t / \\tau_+} & \\Delta t \\ge 0 \\\\
            -A_- \\, e^{\\Delta t / \\tau_-} & \\Delta t < 0
        \\end{cases}

    per pre/post pair, the exponential shape fitted to the data of Bi & Poo (1998);
    ``w`` is clipped to ``[0, w_max]`` after every update. Defaults are Song et al.
    (2000, Nat. Neurosci. 3:919): :math:`\\tau_\\pm` = 20 ms, :math:`A_+` = 0.005,
    :math:`A_- / A_+` = 1.05, weights in units of :math:`w_\\mathrm{max}`.
    """

    tau_plus: Quantity = default(20 * ms)
    """Decay time constant of the presynaptic trace (potentiation window)."""
    tau_minus: Quantity = default(20 * ms)
    """Decay time constant of the postsynaptic trace (depression window)."""
    A_plus: float = 0.005
    """Potentiation per pair at :math:`\\Delta t = 0^+`, in units of ``w``."""
    A_minus: float = 0.00525
    """Depression per pair at :math:`\\Delta t = 0^-` (a magnitude, >= 0)."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""
    interaction: str = "all-to-all"
    """``"all-to-all"`` (traces += 1) or ``"nearest"`` (traces = 1)."""

    def __post_init__(self):
        _check_interaction(self.interaction)


def pair_stdp(rule: PairSTDP, *, target: str | None = "ge") -> dict:
    """Keyword arguments of a Brian2 Synapses implementing :class:`PairSTDP`.

    Traces ``apre`` (:math:`\\tau_+`) and ``apost`` (:math:`\\tau_-`) jump by 1 (or to 1)
    on a spike; a presynaptic spike depresses by :math:`A_-` ``apost``, a postsynaptic
    spike potentiates by :math:`A_+` ``apre``.

    Parameters
    ----------
    rule
        The rule's constants.
    target
        Postsynaptic variable incremented by ``w`` on a presynaptic spike (see the module
        docstring); ``None`` for a plasticity-only synapse.

    Returns
    -------
    dict
        ``model``, ``on_pre``, ``on_post`` and ``namespace``.
    """
    model = """
    w : 1
    dapre/dt = -apre / tau_plus : 1 (event-driven)
    dapost/dt = -apost / tau_minus : 1 (event-driven)
    """
    on_pre = f"""
    {_transmit(target)}
    w = clip(w - A_minus * apost, 0, w_max)
    {_bump("apre", rule.interaction)}
    """
    on_post = f"""
    w = clip(w + A_plus * apre, 0, w_max)
    {_bump("apost", rule.interaction)}
    """
    namespace = {
        "tau_plus": rule.tau_plus,
        "tau_minus": rule.tau_minus,
        "A_plus": rule.A_plus,
        "A_minus": rule.A_minus,
        "w_max": rule.w_max,
    }
    return {"model": model, "on_pre": on_pre, "on_post": on_post, "namespace": namespace}


def pair_window(rule: PairSTDP, delta_t: Quantity) -> np.ndarray:
    """Weight change of :class:`PairSTDP` for one isolated pre/post pair.

    .. math::

        \\Delta w(\\Delta t) = A_+ e^{-\\Delta t/\\tau_+} \\; (\\Delta t \\ge 0), \\qquad
        -A_- e^{\\Delta t/\\tau_-} \\; (\\Delta t < 0)

    Both interaction schemes give the same window for an isolated pair; clipping is not
    applied (valid while ``w`` stays inside ``[0, w_max]``).

    Parameters
    ----------
    rule
        The rule.
    delta_t
        :math:`t_\\mathrm{post} - t_\\mathrm{pre}`, a Brian2 time quantity (any shape).

    Returns
    -------
    numpy.ndarray
        Dimensionless weight change, the shape of ``delta_t``.

    Examples
    --------
    >>> from brian2 import ms
    >>> float(pair_window(PairSTDP(), 0 * ms))
    0.005
    """
    dt = _seconds(delta_t, "delta_t")
    tau_p, tau_m = float(rule.tau_plus / second), float(rule.tau_minus / second)
    return np.where(
        dt >= 0,
        rule.A_plus * np.exp(-np.abs(dt) / tau_p),
        -rule.A_minus * np.exp(-np.abs(dt) / tau_m),
    )


# -- soft-bound multiplicative STDP ---------------------------------------------------


@dataclass(frozen=True)
class SoftBoundSTDP:
    """Multiplicative (soft-bound) STDP: potentiation ∝ ``w_max - w``, depression ∝ ``w``.

    .. math::

        \\Delta w = \\begin{cases}
            A_+ (w_\\mathrm{max} - w) \\, e^{-\\Delta t / \\tau_+} & \\Delta t \\ge 0 \\\\
            -A_- \\, w \\, e^{\\Delta t / \\tau_-} & \\Delta t < 0
        \\end{cases}

    The weight dependence of Gütig, Aharonov, Rotter & Sompolinsky (2003, J. Neurosci.
    23:3697) with :math:`\\mu = 1` (also Kistler & van Hemmen 2000; Rubin, Lee &
    Sompolinsky 2001); van Rossum, Bi & Turrigiano (2000) make only the depression
    multiplicative. The bounds are approached but never crossed while
    :math:`A_\\pm \\cdot \\text{trace} \\le 1`; a final clip guards larger steps.
    Defaults reuse :class:`PairSTDP`'s time constants and amplitudes (Song et al. 2000)
    so the two rules are comparable.
    """

    tau_plus: Quantity = default(20 * ms)
    """Decay time constant of the presynaptic trace."""
    tau_minus: Quantity = default(20 * ms)
    """Decay time constant of the postsynaptic trace."""
    A_plus: float = 0.005
    """Potentiation rate: fraction of the distance to ``w_max`` gained per pair at 0+."""
    A_minus: float = 0.00525
    """Depression rate: fraction of ``w`` lost per pair at 0-."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""
    interaction: str = "all-to-all"
    """``"all-to-all"`` (traces += 1) or ``"nearest"`` (traces = 1)."""

    def __post_init__(self):
        _check_interaction(self.interaction)


def soft_bound_stdp(rule: SoftBoundSTDP, *, target: str | None = "ge") -> dict:
    """Keyword arguments of a Brian2 Synapses implementing :class:`SoftBoundSTDP`.

    Parameters
    ----------
    rule
        The rule's constants.
    target
        Postsynaptic variable incremented by ``w`` on a presynaptic spike; ``None`` for
        a plasticity-only synapse.

    Returns
    -------
    dict
        ``model``, ``on_pre``, ``on_post`` and ``namespace``.
    """
    kwargs = pair_stdp(
        PairSTDP(
            tau_plus=rule.tau_plus,
            tau_minus=rule.tau_minus,
            A_plus=rule.A_plus,
            A_minus=rule.A_minus,
            w_max=rule.w_max,
            interaction=rule.interaction,
        ),
        target=target,
    )
    kwargs["on_pre"] = kwargs["on_pre"].replace("w - A_minus * apost", "w - A_minus * w * apost")
    kwargs["on_post"] = kwargs["on_post"].replace(
        "w + A_plus * apre", "w + A_plus * (w_max - w) * apre"
    )
    return kwargs


def soft_bound_window(rule: SoftBoundSTDP, delta_t: Quantity, w) -> np.ndarray:
    """Weight change of :class:`SoftBoundSTDP` for one isolated pair at weight ``w``.

    .. math::

        \\Delta w = A_+ (w_\\mathrm{max} - w) e^{-\\Delta t/\\tau_+} \\; (\\Delta t \\ge 0),
        \\qquad -A_- w \\, e^{\\Delta t/\\tau_-} \\; (\\Delta t < 0)

    Parameters
    ----------
    rule
        The rule.
    delta_t
        :math:`t_\\mathrm{post} - t_\\mathrm{pre}`, a Brian2 time quantity.
    w
        Weight before the pair, in ``[0, w_max]``; broadcast against ``delta_t``.

    Returns
    -------
    numpy.ndarray
        Dimensionless weight change, the broadcast shape of ``delta_t`` and ``w``.

    Examples
    --------
    >>> from brian2 import ms
    >>> rule = SoftBoundSTDP()
    >>> print(soft_bound_window(rule, 0 * ms, [0.0, 0.5, 1.0]))
    [0.005  0.0025 0.    ]
    """
    dt = _seconds(delta_t, "delta_t")
    w = np.asarray(w, dtype=float)
    if np.any(w < 0) or np.any(w > rule.w_max) or not np.all(np.isfinite(w)):
        raise ValueError(f"w must lie in [0, w_max={rule.w_max}], got {w}")
    tau_p, tau_m = float(rule.tau_plus / second), float(rule.tau_minus / second)
    return np.where(
        dt >= 0,
        rule.A_plus * (rule.w_max - w) * np.exp(-np.abs(dt) / tau_p),
        -rule.A_minus * w * np.exp(-np.abs(dt) / tau_m),
    )


# -- triplet STDP ---------------------------------------------------------------------


@dataclass(frozen=True)
class TripletSTDP:
    """Triplet STDP of Pfister & Gerstner (2006, J. Neurosci. 26:9673).

    Two presynaptic traces :math:`r_1, r_2` and two postsynaptic traces :math:`o_1, o_2`
    (time constants :math:`\\tau_+, \\tau_x, \\tau_-, \\tau_y`) jump on their spikes;

    .. math::

        \\text{pre at } t:\\; w \\leftarrow w - o_1(t)\\,[A_2^- + A_3^- r_2(t-\\epsilon)],
        \\qquad
        \\text{post at } t:\\; w \\leftarrow w + r_1(t)\\,[A_2^+ + A_3^+ o_2(t-\\epsilon)],

    clipped to ``[0, w_max]``. The triplet terms read the slow trace *before* the
    current spike registers in it.

    Defaults: the **minimal all-to-all model fitted to visual cortex** (Sjöström et al.
    2001 data), Pfister & Gerstner 2006, Table 3: :math:`A_2^+ = 0`,
    :math:`A_3^+ = 6.5 \\times 10^{-3}`, :math:`A_2^- = 7.1 \\times 10^{-3}`,
    :math:`A_3^- = 0`, :math:`\\tau_+ = 16.8` ms, :math:`\\tau_- = 33.7` ms,
    :math:`\\tau_y = 114` ms. It has no pair potentiation: an isolated pre-post pair
    changes nothing, potentiation needs a post-pre-post triplet, and the rule reproduces
    the frequency dependence of pairing (LTD at low, LTP at high frequency). The table
    leaves :math:`\\tau_x` blank for this row (:math:`A_3^- = 0` makes it irrelevant);
    101 ms is the full visual-cortex fit's value. :meth:`hippocampal` gives the minimal
    all-to-all hippocampal set (Table 4). The published amplitudes are fitted per
    interaction scheme: ``interaction="nearest"`` with these amplitudes is a different
    model from the paper's nearest-spike fits.
    """

    tau_plus: Quantity = default(16.8 * ms)
    """Decay time constant of :math:`r_1` (pair potentiation window)."""
    tau_x: Quantity = default(101 * ms)
    """Decay time constant of :math:`r_2` (triplet depression; unused when A3_minus = 0)."""
    tau_minus: Quantity = default(33.7 * ms)
    """Decay time constant of :math:`o_1` (pair depression window)."""
    tau_y: Quantity = default(114 * ms)
    """Decay time constant of :math:`o_2` (triplet potentiation)."""
    A2_plus: float = 0.0
    """Pair potentiation amplitude."""
    A3_plus: float = 6.5e-3
    """Triplet potentiation amplitude (post-pre-post)."""
    A2_minus: float = 7.1e-3
    """Pair depression amplitude (a magnitude, >= 0)."""
    A3_minus: float = 0.0
    """Triplet depression amplitude (pre-post-pre)."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""
    interaction: str = "all-to-all"
    """``"all-to-all"`` (traces += 1) or ``"nearest"`` (traces = 1)."""

    def __post_init__(self):
        _check_interaction(self.interaction)

    @classmethod
    def hippocampal(cls, **overrides) -> TripletSTDP:
        """Minimal all-to-all model fitted to hippocampal culture data (Table 4).

        :math:`A_2^+ = 5.3 \\times 10^{-3}`, :math:`A_3^+ = 8 \\times 10^{-3}`,
        :math:`A_2^- = 3.5 \\times 10^{-3}`, :math:`A_3^- = 0`, :math:`\\tau_y = 40` ms
        (data of Wang et al. 2005 and Bi & Poo 1998); it has a pair potentiation term.

        >>> TripletSTDP.hippocampal().A2_plus
        0.0053
        """
        values = dict(A2_plus=5.3e-3, A3_plus=8e-3, A2_minus=3.5e-3, A3_minus=0.0)
        values["tau_y"] = 40 * ms
        values.update(overrides)
        return cls(**values)


def triplet_stdp(rule: TripletSTDP, *, target: str | None = "ge") -> dict:
    """Keyword arguments of a Brian2 Synapses implementing :class:`TripletSTDP`.

    Parameters
    ----------
    rule
        The rule's constants.
    target
        Postsynaptic variable incremented by ``w`` on a presynaptic spike; ``None`` for
        a plasticity-only synapse.

    Returns
    -------
    dict
        ``model``, ``on_pre``, ``on_post`` and ``namespace``.
    """
    model = """
    w : 1
    dr1/dt = -r1 / tau_plus : 1 (event-driven)
    dr2/dt = -r2 / tau_x : 1 (event-driven)
    do1/dt = -o1 / tau_minus : 1 (event-driven)
    do2/dt = -o2 / tau_y : 1 (event-driven)
    """
    on_pre = f"""
    {_transmit(target)}
    w = clip(w - o1 * (A2_minus + A3_minus * r2), 0, w_max)
    {_bump("r1", rule.interaction)}
    {_bump("r2", rule.interaction)}
    """
    on_post = f"""
    w = clip(w + r1 * (A2_plus + A3_plus * o2), 0, w_max)
    {_bump("o1", rule.interaction)}
    {_bump("o2", rule.interaction)}
    """
    namespace = {
        "tau_plus": rule.tau_plus,
        "tau_x": rule.tau_x,
        "tau_minus": rule.tau_minus,
        "tau_y": rule.tau_y,
        "A2_plus": rule.A2_plus,
        "A3_plus": rule.A3_plus,
        "A2_minus": rule.A2_minus,
        "A3_minus": rule.A3_minus,
        "w_max": rule.w_max,
    }
    return {"model": model, "on_pre": on_pre, "on_post": on_post, "namespace": namespace}


def triplet_window(rule: TripletSTDP, delta_t: Quantity) -> np.ndarray:
    """Weight change of :class:`TripletSTDP` for one isolated pre/post pair.

    In an isolated pair the slow traces are still 0 when read, so only the pair terms
    act: :math:`A_2^+ e^{-\\Delta t/\\tau_+}` for :math:`\\Delta t \\ge 0`,
    :math:`-A_2^- e^{\\Delta t/\\tau_-}` for :math:`\\Delta t < 0` (zero potentiation in
    the minimal visual-cortex model). For triplets and protocols use
    :func:`triplet_weight_change`.

    Parameters
    ----------
    rule
        The rule.
    delta_t
        :math:`t_\\mathrm{post} - t_\\mathrm{pre}`, a Brian2 time quantity.

    Returns
    -------
    numpy.ndarray
        Dimensionless weight change, the shape of ``delta_t``.
    """
    pair = PairSTDP(
        tau_plus=rule.tau_plus,
        tau_minus=rule.tau_minus,
        A_plus=rule.A2_plus,
        A_minus=rule.A2_minus,
        w_max=rule.w_max,
    )
    return pair_window(pair, delta_t)


def _trace(at: np.ndarray, spikes: np.ndarray, tau: float, nearest: bool, inclusive: bool):
    """Value at times ``at`` of a trace jumping on ``spikes`` and decaying with ``tau``.

    All in seconds. ``inclusive`` counts a spike at the same time as already registered.
    """
    lag = at[:, None] - spikes[None, :]
    before = lag >= 0 if inclusive else lag > 0
    if nearest:
        last = np.where(before, lag, np.inf).min(axis=1, initial=np.inf)
        return np.exp(-last / tau)
    return np.where(before, np.exp(-np.where(before, lag, 0.0) / tau), 0.0).sum(axis=1)


def triplet_weight_change(rule: TripletSTDP, pre_times: Quantity, post_times: Quantity) -> float:
    """Total weight change of :class:`TripletSTDP` for given pre and post spike trains.

    The rule is additive, so without clipping the total change is a sum over spikes of
    trace values, each a sum of exponentials over earlier spikes (all-to-all) or the
    exponential of the time since the last spike (nearest):

    .. math::

        \\Delta w = \\sum_{t \\in \\mathrm{post}} r_1(t) [A_2^+ + A_3^+ o_2(t^-)]
                  - \\sum_{t \\in \\mathrm{pre}} o_1(t^-) [A_2^- + A_3^- r_2(t^-)],
        \\qquad r_1(t) = \\sum_{s \\in \\mathrm{pre},\\, s \\le t} e^{-(t - s)/\\tau_+},
        \\;\\ldots

    with simultaneous pre and post spikes ordered pre first, as in Brian2. For example a
    post-pre-post triplet (post at 0, pre at :math:`s`, post at :math:`T`) gives
    :math:`-A_2^- e^{-s/\\tau_-} + e^{-(T-s)/\\tau_+} (A_2^+ + A_3^+ e^{-T/\\tau_y})`.

    Parameters
    ----------
    rule
        The rule.
    pre_times, post_times
        Spike times (Brian2 time quantities, 1-D, any order) of the two neurons.

    Returns
    -------
    float
        Dimensionless total weight change, unclipped (valid while ``w`` stays inside
        ``[0, w_max]``).

    Examples
    --------
    >>> from brian2 import ms
    >>> rule = TripletSTDP()
    >>> triplet_weight_change(rule, [10] * ms, [15] * ms)  # no pair LTP in this model
    0.0
    >>> # post-pre-post: pair depression at the pre, triplet potentiation at post 2
    >>> round(triplet_weight_change(rule, [10] * ms, [0, 15] * ms), 6)
    -0.001045
    """
    pre = np.ravel(_seconds(pre_times, "pre_times"))
    post = np.ravel(_seconds(post_times, "post_times"))
    nearest = rule.interaction == "nearest"
    tau = {
        name: float(getattr(rule, name) / second)
        for name in ("tau_plus", "tau_x", "tau_minus", "tau_y")
    }
    r1 = _trace(post, pre, tau["tau_plus"], nearest, inclusive=True)
    o2 = _trace(post, post, tau["tau_y"], nearest, inclusive=False)
    o1 = _trace(pre, post, tau["tau_minus"], nearest, inclusive=False)
    r2 = _trace(pre, pre, tau["tau_x"], nearest, inclusive=False)
    ltp = np.sum(r1 * (rule.A2_plus + rule.A3_plus * o2))
    ltd = np.sum(o1 * (rule.A2_minus + rule.A3_minus * r2))
    return float(ltp - ltd)


def pairing_protocol(
    delta_t: Quantity, frequency: Quantity, n_pairs: int
) -> tuple[Quantity, Quantity]:
    """Spike times of a pairing protocol: ``n_pairs`` pre/post pairs at ``frequency``.

    Pre spikes at :math:`t_0 + k/f`, post spikes at :math:`t_0 + k/f + \\Delta t`,
    :math:`k = 0 \\ldots n-1`, with :math:`t_0 = \\max(0, -\\Delta t)` so that no time is
    negative (the protocol of Sjöström et al. 2001 that Pfister & Gerstner 2006 fit).

    Parameters
    ----------
    delta_t
        :math:`t_\\mathrm{post} - t_\\mathrm{pre}` within each pair (time quantity).
    frequency
        Pairing frequency (Brian2 quantity in Hz).
    n_pairs
        Number of pairs, >= 1.

    Returns
    -------
    (pre_times, post_times)
        Two 1-D time quantities of length ``n_pairs``.

    Examples
    --------
    >>> from brian2 import Hz, ms
    >>> pre, post = pairing_protocol(-10 * ms, 20 * Hz, 3)
    >>> print(pre, post)
    [ 10.  60. 110.] ms [  0.  50. 100.] ms
    """
    dt = float(_seconds(delta_t, "delta_t"))
    if not isinstance(frequency, Quantity) or not have_same_dimensions(frequency, Hz):
        raise TypeError(f"frequency must be a Brian2 quantity in Hz, got {frequency!r}")
    f = float(frequency / Hz)
    if not f > 0:
        raise ValueError(f"frequency must be > 0, got {frequency}")
    if int(n_pairs) != n_pairs or n_pairs < 1:
        raise ValueError(f"n_pairs must be a positive integer, got {n_pairs!r}")
    pre = max(0.0, -dt) + np.arange(int(n_pairs)) / f
    return pre * second, (pre + dt) * second


# -- Diehl & Cook 2015 -----------------------------------------------------------------


@dataclass(frozen=True)
class DiehlCookSTDP:
    """The STDP rule of Diehl & Cook (2015), exactly as in the authors' code.

    On a presynaptic spike the weight is *depressed* by the first postsynaptic trace;
    on a postsynaptic spike it is potentiated by the presynaptic trace times the value
    the slow postsynaptic trace had just before this spike (a triplet-like term). Traces
    are *set* to 1 on a spike (not incremented). Weights are clipped to
    ``[0, w_max]``. Source: github.com/peter-u-diehl/stdp-mnist (``eqs_stdp_ee``,
    ``tc_pre_ee``, ``nu_ee_pre``, ``nu_ee_post``, ``wmax_ee``). Several Brian2 ports
    flip the sign of the presynaptic term; that is not this rule. Its analytic weight
    change is :func:`dc_window`.
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


def diehl_cook_stdp(
    rule: DiehlCookSTDP, *, learning: bool = True, target: str | None = "ge"
) -> dict:
    """Keyword arguments of a Brian2 Synapses implementing the Diehl & Cook rule.

    Parameters
    ----------
    rule
        The rule's constants.
    learning
        With ``False`` the weights are fixed and only transmit (no traces are kept).
    target
        Postsynaptic conductance that a presynaptic spike increments by ``w``; ``None``
        for a plasticity-only synapse (with ``learning=False`` it then does nothing).

    Returns
    -------
    dict
        ``model``, ``on_pre``, ``on_post`` (absent without learning) and ``namespace``.
    """
    transmit = "" if target is None else f"{target}_post += w"
    if not learning:
        return {"model": "w : 1", "on_pre": transmit, "namespace": {}}
    model = """
    w : 1
    dpre/dt = -pre / tau_pre : 1 (event-driven)
    dpost1/dt = -post1 / tau_post1 : 1 (event-driven)
    dpost2/dt = -post2 / tau_post2 : 1 (event-driven)
    """
    on_pre = f"""
    {transmit}
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


def dc_window(
    rule: DiehlCookSTDP, delta_t: Quantity, post_isi: Quantity = np.inf * second
) -> np.ndarray:
    """Weight change of the Diehl & Cook rule for a pre/post pair after a post spike.

    The spike pattern: a pre spike, a post spike at :math:`\\Delta t` after it, and an
    earlier post spike :math:`T` (``post_isi``) before that post spike
    (:math:`T = \\infty`: none). Because every trace is set to 1, only the most recent
    spike of each kind matters, and

    .. math::

        \\Delta w = \\begin{cases}
            -\\nu_\\mathrm{pre}\\, e^{\\Delta t/\\tau_\\mathrm{post1}}
                & \\Delta t < 0 \\text{ (pre after post: depression)} \\\\
            \\nu_\\mathrm{post}\\, e^{-\\Delta t/\\tau_\\mathrm{pre}}
                e^{-T/\\tau_\\mathrm{post2}}
            - [T > \\Delta t]\\, \\nu_\\mathrm{pre}\\, e^{-(T - \\Delta t)/\\tau_\\mathrm{post1}}
                & \\Delta t \\ge 0
        \\end{cases}

    For :math:`\\Delta t \\ge 0` the post spike potentiates by the pre trace times the
    slow post trace left by the earlier post spike, so an isolated pre-post pair
    (:math:`T = \\infty`) changes nothing. In a post-pre-post triplet
    (:math:`T > \\Delta t`) the pre spike is also depressed by the first post spike; in
    pre-post-post (:math:`T \\le \\Delta t`) it is not. For :math:`\\Delta t < 0` the
    earlier post spike is superseded by the one :math:`|\\Delta t|` before the pre spike,
    so ``post_isi`` does not matter. Clipping is not applied.

    Parameters
    ----------
    rule
        The rule.
    delta_t
        :math:`t_\\mathrm{post} - t_\\mathrm{pre}` (time quantity, any shape).
    post_isi
        Interval from the earlier post spike to the post spike (time quantity, > 0,
        broadcast against ``delta_t``); infinite by default.

    Returns
    -------
    numpy.ndarray
        Dimensionless weight change, the broadcast shape of the arguments.

    Examples
    --------
    >>> from brian2 import ms
    >>> rule = DiehlCookSTDP()
    >>> float(dc_window(rule, 5 * ms))  # isolated pre-post pair: no change
    0.0
    >>> print(dc_window(rule, -20 * ms).round(8))  # pre 20 ms after post
    -3.679e-05
    """
    dt = _seconds(delta_t, "delta_t")
    isi = _seconds(post_isi, "post_isi")
    if np.any(isi <= 0):
        raise ValueError(f"post_isi must be > 0, got {post_isi}")
    dt, isi = np.broadcast_arrays(dt, isi)
    tau_pre = float(rule.tau_pre / second)
    tau_1 = float(rule.tau_post1 / second)
    tau_2 = float(rule.tau_post2 / second)
    depression_after_post = -rule.nu_pre * np.exp(-np.abs(dt) / tau_1)
    potentiation = rule.nu_post * np.exp(-np.abs(dt) / tau_pre) * np.exp(-isi / tau_2)
    gap = np.where(isi > dt, isi - dt, np.inf)  # earlier post -> pre, if it came first
    depression_at_pre = -rule.nu_pre * np.exp(-gap / tau_1)
    return np.where(dt < 0, depression_after_post, potentiation + depression_at_pre)


# -- the other rules Diehl & Cook (2015) compared --------------------------------------
#
# The paper tested its network with four STDP rules (its section 2.3): a power-law
# weight dependence with a presynaptic trace and a target x_tar, an exponential weight
# dependence, "pre-and-post" STDP, and the triplet-like rule of its published code
# (DiehlCookSTDP). The constants below are those of the published code where it has
# them (nu_ee_pre 0.0001, nu_ee_post 0.01, tc_pre_ee 20 ms, tc_post_1_ee 20 ms,
# exp_ee_pre = mu 0.2, STDP_offset = x_tar 0.4: defined there but unused by its rule);
# beta of the exponential rule is given nowhere in the code: 3 is Querlioz et al.
# (2013)'s value, an assumption. Traces are set to 1 on a spike, as in the code.


@dataclass(frozen=True)
class PowerLawSTDP:
    r"""STDP with a power-law weight dependence and a presynaptic target trace.

    On a postsynaptic spike, :math:`\Delta w = \eta\,(x_\mathrm{pre} - x_\mathrm{tar})
    (w_\mathrm{max} - w)^\mu`; a presynaptic spike only sets its trace. Synapses whose
    input rarely precedes the neuron's spikes (:math:`x_\mathrm{pre} < x_\mathrm{tar}`)
    are depressed, so the weights of inputs that do not drive the neuron go to zero.
    """

    tau_pre: Quantity = default(20 * ms)
    """Decay time constant of the presynaptic trace."""
    eta: float = 0.01
    """Learning rate (the code's nu_ee_post)."""
    x_tar: float = 0.4
    """Target value of the presynaptic trace at a postsynaptic spike (STDP_offset)."""
    mu: float = 0.2
    """Exponent of the weight dependence (exp_ee_pre)."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""


@dataclass(frozen=True)
class ExponentialSTDP:
    """STDP with an exponential weight dependence (after Querlioz et al. 2013).

    On a postsynaptic spike, :math:`\\Delta w = \\eta\\,(x_\\mathrm{pre} e^{-\beta w} -
    x_\\mathrm{tar} e^{-\beta (w_\\mathrm{max} - w)})`: potentiation shrinks as the
    weight grows, depression as it falls; a presynaptic spike only sets its trace.
    """

    tau_pre: Quantity = default(20 * ms)
    """Decay time constant of the presynaptic trace."""
    eta: float = 0.01
    """Learning rate."""
    x_tar: float = 0.4
    """Weight of the depression term (the target value of the presynaptic trace)."""
    beta: float = 3.0
    """Steepness of the weight dependence (an assumption: not in the authors' code)."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""


@dataclass(frozen=True)
class PrePostSTDP:
    r"""Pair STDP with a power-law weight dependence on both sides ("pre-and-post").

    On a presynaptic spike, :math:`\Delta w = -\eta_\mathrm{pre}\, x_\mathrm{post}
    w^\mu`; on a postsynaptic spike, :math:`\Delta w = \eta_\mathrm{post}\,
    x_\mathrm{pre} (w_\mathrm{max} - w)^\mu`.
    """

    tau_pre: Quantity = default(20 * ms)
    """Decay time constant of the presynaptic trace."""
    tau_post: Quantity = default(20 * ms)
    """Decay time constant of the postsynaptic trace."""
    eta_pre: float = 0.0001
    """Learning rate of the depression on presynaptic spikes (nu_ee_pre)."""
    eta_post: float = 0.01
    """Learning rate of the potentiation on postsynaptic spikes (nu_ee_post)."""
    mu: float = 0.2
    """Exponent of the weight dependence."""
    w_max: float = 1.0
    """Upper weight bound (the lower bound is 0)."""


DC_RULES = {
    "triplet": DiehlCookSTDP,
    "power-law": PowerLawSTDP,
    "exponential": ExponentialSTDP,
    "pre-and-post": PrePostSTDP,
}
"""The four rules of Diehl & Cook (2015), by name; ``"triplet"`` is their code's."""

# (on_pre weight change or None, on_post weight change). The power laws read the weight
# clipped to [0, w_max]: the network's normalisation between examples can lift a weight
# above w_max, where (w_max - w) ** mu is undefined (NaN in the generated C++, which then
# spreads through the neuron's whole column at the next normalisation). There the
# weight counts as saturated: no potentiation.
_VARIANT_UPDATES = {
    PowerLawSTDP: (None, "eta * (pre - x_tar) * clip(w_max - w, 0, w_max) ** mu"),
    ExponentialSTDP: (None, "eta * (pre * exp(-beta * w) - x_tar * exp(-beta * (w_max - w)))"),
    PrePostSTDP: (
        "-eta_pre * post * clip(w, 0, w_max) ** mu",
        "eta_post * pre * clip(w_max - w, 0, w_max) ** mu",
    ),
}


def dc_variant_stdp(rule, *, learning: bool = True, target: str | None = "ge") -> dict:
    """Keyword arguments of a Brian2 Synapses for any rule of :data:`DC_RULES`.

    :class:`DiehlCookSTDP` is :func:`diehl_cook_stdp`; the others keep a presynaptic
    trace ``pre`` (and :class:`PrePostSTDP` a postsynaptic trace ``post``), set to 1 on
    a spike and decaying exactly between spikes (event-driven), and clip ``w`` to
    ``[0, w_max]`` after every change. A weight above ``w_max`` (the network's
    normalisation can lift one there) counts as ``w_max`` in the power laws, so it is
    not potentiated, never NaN. Arguments as :func:`diehl_cook_stdp`.
    """
    if isinstance(rule, DiehlCookSTDP):
        return diehl_cook_stdp(rule, learning=learning, target=target)
    if type(rule) not in _VARIANT_UPDATES:
        raise TypeError(
            f"rule must be one of {[c.__name__ for c in DC_RULES.values()]}, got {rule!r}"
        )
    transmit = _transmit(target)
    if not learning:
        return {"model": "w : 1", "on_pre": transmit, "namespace": {}}
    pre_change, post_change = _VARIANT_UPDATES[type(rule)]
    model = "w : 1\ndpre/dt = -pre / tau_pre : 1 (event-driven)\n"
    on_pre = [transmit, "pre = 1."]
    on_post = [f"w = clip(w + {post_change}, 0, w_max)"]
    if pre_change is not None:
        model += "dpost/dt = -post / tau_post : 1 (event-driven)\n"
        on_pre.append(f"w = clip(w + {pre_change}, 0, w_max)")
        on_post.append("post = 1.")
    namespace = {name: getattr(rule, name) for name in rule.__dataclass_fields__}
    return {
        "model": model,
        "on_pre": "\n".join(line for line in on_pre if line),
        "on_post": "\n".join(on_post),
        "namespace": namespace,
    }


def dc_variant_window(rule, delta_t: Quantity, w) -> np.ndarray:
    """Weight change of an isolated pre/post pair at weight ``w`` under a variant rule.

    The pair: a pre spike and a post spike :math:`\\Delta t` after it (no other spikes).
    For :class:`PowerLawSTDP` and :class:`ExponentialSTDP` only the post spike changes
    the weight, with :math:`x_\\mathrm{pre} = e^{-\\Delta t/\tau_\\mathrm{pre}}` for
    :math:`\\Delta t \\ge 0` and 0 for :math:`\\Delta t < 0` (the post spike then meets
    no trace, and the change is the depression term alone, whatever :math:`\\Delta t`).
    For :class:`PrePostSTDP`, :math:`\\eta_\\mathrm{post} e^{-\\Delta t/\tau_\\mathrm{pre}}
    (w_\\mathrm{max} - w)^\\mu` for :math:`\\Delta t \\ge 0`, and
    :math:`-\\eta_\\mathrm{pre} e^{\\Delta t/\tau_\\mathrm{post}} w^\\mu` for
    :math:`\\Delta t < 0`. Clipping is not applied. :class:`DiehlCookSTDP` has
    :func:`dc_window`.

    Examples
    --------
    >>> from brian2 import ms
    >>> rule = PowerLawSTDP()
    >>> print(dc_variant_window(rule, [0, 100] * ms, 0.0).round(4))  # x_pre 1, then ~0
    [ 0.006  -0.0039]
    """
    dt = _seconds(delta_t, "delta_t")
    w = np.asarray(w, dtype=float)
    if np.any((w < 0) | (w > rule.w_max)):
        raise ValueError(f"w must lie in [0, w_max = {rule.w_max}], got {w}")
    dt, w = np.broadcast_arrays(dt, w)
    x_pre = np.where(dt >= 0, np.exp(-np.abs(dt) / float(rule.tau_pre / second)), 0.0)
    if isinstance(rule, PowerLawSTDP):
        return rule.eta * (x_pre - rule.x_tar) * (rule.w_max - w) ** rule.mu
    if isinstance(rule, ExponentialSTDP):
        return rule.eta * (
            x_pre * np.exp(-rule.beta * w) - rule.x_tar * np.exp(-rule.beta * (rule.w_max - w))
        )
    if isinstance(rule, PrePostSTDP):
        x_post = np.exp(-np.abs(dt) / float(rule.tau_post / second))
        return np.where(
            dt >= 0,
            rule.eta_post * x_pre * (rule.w_max - w) ** rule.mu,
            -rule.eta_pre * x_post * w**rule.mu,
        )
    raise TypeError(f"rule must be PowerLawSTDP, ExponentialSTDP or PrePostSTDP, got {rule!r}")
