"""The LIF / STDP / encoder library against theory: closed forms, exact windows, statistics.

Brian2 runs here use its ``numpy`` code generation target (a module fixture sets it and
puts the previous target back): the generated code is the same maths as Cython's, and
the tiny networks below then run without compiling anything, so the whole file takes
seconds on a cold machine. tests/test_spiking.py exercises the compiled path.

STDP tests give every synapse its own pre and post SpikeGeneratorGroup neuron (one-to-one
connection), so many spike patterns run side by side in one network without interacting.
"""

import dataclasses

import numpy as np
import pytest
from brian2 import (
    Hz,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    amp,
    ms,
    mV,
    nA,
    ohm,
    prefs,
    second,
    volt,
)
from brian2.units.fundamentalunits import have_same_dimensions
from scipy import stats

from spiking.encoding import (
    latency_spikes,
    latency_times,
    poisson_spikes,
    spike_generator_args,
)
from spiking.neurons import (
    AdaptiveThreshold,
    CurrentLIFParams,
    DiehlCookExcitatory,
    conductance_lif,
    current_lif,
    neuron_group_kwargs,
)
from spiking.params import describe
from spiking.plasticity import (
    DC_RULES,
    INTERACTIONS,
    DiehlCookSTDP,
    ExponentialSTDP,
    PairSTDP,
    PowerLawSTDP,
    PrePostSTDP,
    SoftBoundSTDP,
    TripletSTDP,
    dc_variant_stdp,
    dc_variant_window,
    dc_window,
    diehl_cook_stdp,
    pair_stdp,
    pair_window,
    pairing_protocol,
    soft_bound_stdp,
    soft_bound_window,
    triplet_stdp,
    triplet_weight_change,
    triplet_window,
)


@pytest.fixture(autouse=True, scope="module")
def _numpy_target():
    previous = prefs.codegen.target
    prefs.codegen.target = "numpy"
    yield
    prefs.codegen.target = previous


# Event-driven traces are exact exponentials and every weight update is a few flops on
# numbers of order 1, so simulated and analytic weight changes agree to float rounding.
EXACT = 1e-12

STDP_DT = 0.5 * ms
DELTAS = np.array([-60.0, -20.0, -5.0, -0.5, 0.0, 0.5, 5.0, 20.0, 60.0])
"""Spike time differences t_post - t_pre (ms), on the STDP_DT grid."""


# -- current-based LIF -----------------------------------------------------------------


def _rheobase(cell):
    return (cell.v_thresh - cell.v_rest) / cell.R


def test_current_lif_relaxes_exponentially_under_constant_current():
    cell = CurrentLIFParams()
    currents = np.array([0.0, 0.5, 0.9]) * _rheobase(cell)  # all below rheobase
    v0 = np.array([-80.0, -55.0, -70.0]) * mV
    group = NeuronGroup(3, **current_lif(cell), dt=0.1 * ms)
    group.I, group.v = currents, v0
    mon = StateMonitor(group, "v", record=True)
    Network(group, mon).run(40 * ms)
    v_inf = cell.v_rest + cell.R * currents
    expected = v_inf[:, None] + (v0 - v_inf)[:, None] * np.exp(-mon.t / cell.tau_mem)
    assert have_same_dimensions(mon.v, volt) and have_same_dimensions(group.I, amp)
    # "exact" integration of a linear ODE: float rounding only (~1e-13 V after 400 steps).
    assert np.allclose(mon.v / mV, expected / mV, rtol=0, atol=1e-9)


def test_synaptic_current_gives_difference_of_exponentials():
    """I_syn(0) = J: v - v_rest = R J tau_s / (tau_s - tau_m) (e^{-t/tau_s} - e^{-t/tau_m})."""
    cell = CurrentLIFParams()
    group = NeuronGroup(1, **current_lif(cell), dt=0.1 * ms)
    j = 1 * nA  # peak below R J = 10 mV, far from the 20 mV to threshold
    group.v, group.I_syn = cell.v_rest, j
    mon = StateMonitor(group, ["v", "I_syn"], record=0)
    Network(group, mon).run(40 * ms)
    tau_s, tau_m = cell.tau_syn, cell.tau_mem
    expected = (
        cell.R * j * tau_s / (tau_s - tau_m) * (np.exp(-mon.t / tau_s) - np.exp(-mon.t / tau_m))
    )
    # the coupled linear system is integrated exactly: float rounding only
    assert np.allclose((mon.v[0] - cell.v_rest) / mV, expected / mV, rtol=0, atol=1e-9)
    assert np.allclose(mon.I_syn[0] / nA, j / nA * np.exp(-mon.t / tau_s), rtol=1e-12)


def test_current_lif_f_i_curve_matches_closed_form_and_rheobase():
    """f = 1 / (t_ref + tau ln((v_rest + RI - v_reset) / (v_rest + RI - v_thresh))).

    From v_reset, v(t) = V_inf + (v_reset - V_inf) e^{-t/tau} with V_inf = v_rest + RI
    reaches v_thresh after T = tau ln((V_inf - v_reset) / (V_inf - v_thresh)); the
    membrane is clamped for t_ref after each spike. v_reset (-65 mV) != v_rest (-70 mV)
    here, so the textbook form ln(RI / (RI - theta)) does not apply. Below the rheobase
    (v_thresh - v_rest) / R, V_inf < v_thresh: no spike ever.
    """
    cell = CurrentLIFParams()
    dt = 0.01 * ms
    multiples = np.array([0.0, 0.99, 1.02, 1.1, 1.5, 2.0, 3.0, 5.0])
    currents = multiples * _rheobase(cell)
    group = NeuronGroup(len(currents), **current_lif(cell), dt=dt)
    group.I, group.v = currents, cell.v_reset
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(300 * ms)
    trains = spikes.spike_trains()

    assert len(trains[0]) == 0 and len(trains[1]) == 0  # at 0 and 0.99 x rheobase
    v_inf = cell.v_rest + cell.R * currents[2:]
    charge = cell.tau_mem * np.log((v_inf - cell.v_reset) / (v_inf - cell.v_thresh))
    f_theory = 1 / (cell.refractory + charge)
    # Rate from the mean inter-spike interval, not count / duration: a count over a
    # fixed window has an edge error of up to one spike (3 % at 32 Hz over 300 ms).
    firing = list(trains.values())[2:]
    f_sim = np.array([(len(t) - 1) / ((t[-1] - t[0]) / second) for t in firing]) * Hz
    assert all(len(t) >= 8 for t in firing)
    # Exact integration: each ISI differs from the theory only by the spike time's
    # rounding to the grid, < dt = 0.01 ms, i.e. < 0.3 % of the shortest ISI (3.4 ms).
    assert np.allclose(f_sim / Hz, f_theory / Hz, rtol=0.01)
    # Stronger, and what the 1 % rests on: with Brian2's schedule (integrate, then test
    # the threshold; integrate again once t - lastspike = t_ref) every ISI is exactly
    # t_ref + floor(T / dt) dt.
    isi = np.concatenate([np.diff(t / ms) for t in firing])
    expected = np.repeat(
        (cell.refractory + np.floor(charge / dt) * dt) / ms, [len(t) - 1 for t in firing]
    )
    assert np.allclose(isi, expected, rtol=0, atol=1e-6)


def test_current_lif_adaptive_threshold_and_options():
    cell, adapt = CurrentLIFParams(), AdaptiveThreshold()
    # without I_syn: sympy's exact solution of the 3-variable system takes seconds
    group = NeuronGroup(1, **current_lif(cell, adapt, synaptic=False), dt=0.1 * ms)
    group.theta, group.v = adapt.theta_init, 0 * mV  # far above threshold
    Network(group).run(0.1 * ms)
    # one spike: theta += 0.05 mV; its decay over one step is 20 mV * 0.1 ms / 1e7 ms.
    assert abs(group.theta[0] - adapt.theta_init - adapt.theta_plus) < 1e-6 * mV
    without = current_lif(cell, synaptic=False)
    assert "I_syn" not in without["model"] and "tau_syn" not in without["namespace"]
    frozen = current_lif(cell, adapt, learning=False)
    assert "theta : volt" in frozen["model"] and "theta +=" not in frozen["reset"]


def test_neuron_group_kwargs_dispatches_and_params_carry_units():
    cell = CurrentLIFParams()
    assert neuron_group_kwargs(cell) == current_lif(cell)
    exc, adapt = DiehlCookExcitatory(), AdaptiveThreshold()
    dt = 0.5 * ms
    assert neuron_group_kwargs(exc, adapt, learning=False, dt=dt) == conductance_lif(
        exc, adapt, learning=False, dt=dt
    )
    with pytest.raises(TypeError, match="CurrentLIFParams or ConductanceLIFParams"):
        neuron_group_kwargs(PairSTDP())
    assert have_same_dimensions(cell.R, ohm) and have_same_dimensions(cell.tau_mem, second)
    assert describe(cell)["R"] == "10. Mohm"


# -- STDP ------------------------------------------------------------------------------


def _run_synapses(kwargs, pre_trains, post_trains, w0, dt=STDP_DT):
    """Final weights of one synapse per (pre train, post train); times in ms.

    Synapse k connects pre neuron k to post neuron k of two SpikeGeneratorGroups.
    """
    n = len(pre_trains)

    def generator(trains):
        indices = np.concatenate([np.full(len(t), k, dtype=int) for k, t in enumerate(trains)])
        times = np.concatenate([np.asarray(t, dtype=float) for t in trains])
        return SpikeGeneratorGroup(n, indices, times * ms, dt=dt)

    pre, post = generator(pre_trains), generator(post_trains)
    syn = Synapses(pre, post, dt=dt, **kwargs)
    syn.connect(j="i")
    syn.w = w0
    end = max(max(t, default=0.0) for t in list(pre_trains) + list(post_trains))
    Network(pre, post, syn).run((end + 1) * ms)
    return np.asarray(syn.w[:])


def _pairs(deltas, t_pre=100.0):
    """One pre spike at t_pre and one post spike at t_pre + delta, per delta (ms)."""
    return [[t_pre]] * len(deltas), [[t_pre + d] for d in deltas]


@pytest.mark.parametrize("interaction", INTERACTIONS)
def test_pair_stdp_matches_its_window(interaction):
    rule = PairSTDP(interaction=interaction)
    w = _run_synapses(pair_stdp(rule, target=None), *_pairs(DELTAS), w0=0.5)
    assert np.allclose(w - 0.5, pair_window(rule, DELTAS * ms), rtol=0, atol=EXACT)
    assert np.array_equal(w > 0.5, DELTAS >= 0)  # pre before post potentiates
    # the window itself: A+ at 0, A- e^{-1} one tau_minus before
    assert float(pair_window(rule, 0 * ms)) == rule.A_plus
    assert float(pair_window(rule, -rule.tau_minus)) == pytest.approx(-rule.A_minus / np.e)


def test_pair_stdp_all_to_all_and_nearest_differ_by_earlier_spikes():
    """pre, pre, post and post, post, pre: all-to-all counts both earlier spikes."""
    pre_trains = [[10.0, 15.0], [25.0]]
    post_trains = [[25.0], [10.0, 15.0]]
    results = {}
    for interaction in INTERACTIONS:
        rule = PairSTDP(interaction=interaction)
        results[interaction] = _run_synapses(
            pair_stdp(rule, target=None), pre_trains, post_trains, w0=0.5
        )
    rule = PairSTDP()
    e_plus = np.exp(-np.array([15.0, 10.0]) * ms / rule.tau_plus)
    e_minus = np.exp(-np.array([15.0, 10.0]) * ms / rule.tau_minus)
    assert np.allclose(
        results["all-to-all"] - 0.5,
        [rule.A_plus * e_plus.sum(), -rule.A_minus * e_minus.sum()],
        rtol=0,
        atol=EXACT,
    )
    assert np.allclose(
        results["nearest"] - 0.5,
        [rule.A_plus * e_plus[1], -rule.A_minus * e_minus[1]],
        rtol=0,
        atol=EXACT,
    )


def test_pair_stdp_clips_weights_at_bounds():
    """Large steps: repeated pre-post pairs end at exactly w_max, post-pre at exactly 0."""
    rule = PairSTDP(A_plus=0.3, A_minus=0.3)
    starts = 200.0 * np.arange(4)
    pre_trains = [list(starts), list(starts + 1)]
    post_trains = [list(starts + 1), list(starts)]
    w = _run_synapses(pair_stdp(rule, target=None), pre_trains, post_trains, w0=0.5)
    assert w.tolist() == [rule.w_max, 0.0]


def test_soft_bound_window_scales_with_distance_to_the_bounds():
    rule = SoftBoundSTDP()
    w0 = np.array([0.1, 0.5, 0.9])
    deltas = np.repeat(DELTAS, len(w0))
    weights = np.tile(w0, len(DELTAS))
    w = _run_synapses(soft_bound_stdp(rule, target=None), *_pairs(deltas), w0=weights)
    expected = soft_bound_window(rule, deltas * ms, weights)
    assert np.allclose(w - weights, expected, rtol=0, atol=EXACT)
    # potentiation ∝ w_max - w: at w = 0.9 it is 1/9 of that at w = 0.1;
    # depression ∝ w: at w = 0.9 it is 9 times that at w = 0.1.
    dw = (w - weights).reshape(len(DELTAS), len(w0))
    assert np.allclose(dw[DELTAS > 0, 2] / dw[DELTAS > 0, 0], 1 / 9, rtol=1e-9)
    assert np.allclose(dw[DELTAS < 0, 2] / dw[DELTAS < 0, 0], 9, rtol=1e-9)


def test_soft_bounds_are_approached_geometrically_and_never_crossed():
    """n isolated pairs of step a (b): w_max - w_n = (w_max - w_0)(1 - a)^n; w_n = w_0 (1 - b)^n."""
    rule = SoftBoundSTDP(A_plus=0.5, A_minus=0.5)
    n, period = 6, 600.0  # pairs 600 ms apart: cross-pair terms ~0.5 e^{-30} = 5e-14
    starts = 10.0 + period * np.arange(n)
    pre_trains = [list(starts), list(starts + 1)]  # pre-post (dt 0) and post-pre (dt -1 ms)
    post_trains = [list(starts), list(starts)]
    w0 = np.array([0.3, 0.7])
    w = _run_synapses(soft_bound_stdp(rule, target=None), pre_trains, post_trains, w0, dt=1 * ms)
    b = rule.A_minus * np.exp(-1 * ms / rule.tau_minus)
    expected = [rule.w_max - (rule.w_max - w0[0]) * (1 - rule.A_plus) ** n, w0[1] * (1 - b) ** n]
    assert np.allclose(w, expected, rtol=0, atol=1e-12)
    assert np.all((w > 0) & (w < rule.w_max))  # an additive rule with these steps clips


@pytest.mark.parametrize(
    "rule", [TripletSTDP(), TripletSTDP.hippocampal()], ids=["visual", "hippo"]
)
def test_triplet_stdp_isolated_pairs_match_the_pair_window(rule):
    w = _run_synapses(triplet_stdp(rule, target=None), *_pairs(DELTAS), w0=0.5)
    assert np.allclose(w - 0.5, triplet_window(rule, DELTAS * ms), rtol=0, atol=EXACT)
    if rule.A2_plus == 0:  # minimal visual-cortex model: no pair potentiation at all
        assert np.all(w[DELTAS >= 0] == 0.5)


@pytest.mark.parametrize("delta", [5.0, 10.0])
def test_triplet_post_pre_post_potentiates_more_than_pre_post(delta):
    """post at 10, pre at 30, post at 30 + delta versus pre at 30, post at 30 + delta."""
    for rule in (TripletSTDP(), TripletSTDP.hippocampal()):
        t_pre, t_post2 = 30.0, 30.0 + delta
        w = _run_synapses(
            triplet_stdp(rule, target=None),
            [[t_pre], [t_pre]],
            [[t_post2], [10.0, t_post2]],
            w0=0.5,
        )
        r1 = np.exp(-delta * ms / rule.tau_plus)
        pair = rule.A2_plus * r1
        depression = -rule.A2_minus * np.exp(-(t_pre - 10.0) * ms / rule.tau_minus)
        triplet = rule.A3_plus * r1 * np.exp(-(t_post2 - 10.0) * ms / rule.tau_y)
        assert w[0] - 0.5 == pytest.approx(pair, abs=EXACT)
        assert w[1] - 0.5 == pytest.approx(depression + pair + triplet, abs=EXACT)
        assert w[1] - 0.5 == pytest.approx(
            triplet_weight_change(rule, [t_pre] * ms, [10.0, t_post2] * ms), abs=EXACT
        )
        # the extra potentiation at the second post spike is the triplet term, > 0
        assert (w[1] - 0.5 - depression) - (w[0] - 0.5) == pytest.approx(triplet, abs=EXACT)
        assert triplet > 1e-3


@pytest.mark.parametrize("interaction", INTERACTIONS)
def test_triplet_weight_change_matches_simulation_on_irregular_trains(interaction):
    """All four terms active; a coincident pre/post pair at 12 ms checks pre-first order."""
    rule = TripletSTDP(A2_plus=5e-3, A3_minus=2e-3, interaction=interaction)
    pre = [[5.0, 12.0, 30.0, 31.5, 60.0], [2.0, 4.0, 6.0]]
    post = [[8.0, 12.0, 25.0, 33.0, 34.0, 70.0], [3.0, 9.0, 10.0, 11.0]]
    w = _run_synapses(triplet_stdp(rule, target=None), pre, post, w0=0.5)
    expected = [triplet_weight_change(rule, a * ms, b * ms) for a, b in zip(pre, post)]
    assert np.allclose(w - 0.5, expected, rtol=0, atol=EXACT)
    if interaction == "nearest":
        other = dataclasses.replace(rule, interaction="all-to-all")
        all_to_all = [triplet_weight_change(other, a * ms, b * ms) for a, b in zip(pre, post)]
        assert np.all(np.abs(np.subtract(all_to_all, expected)) > 1e-4)


def test_triplet_frequency_dependence_of_pairing():
    """Sjöström et al. (2001), as the minimal model reproduces it (Pfister & Gerstner 2006).

    60 pairs: at dt = -10 ms, depression at low frequency turns into potentiation at
    40-50 Hz; at dt = +10 ms potentiation grows with frequency (none at 1 Hz, since the
    minimal model has no pair potentiation).
    """
    rule = TripletSTDP()
    freqs = np.array([1.0, 10.0, 20.0, 40.0, 50.0])

    def per_pair(delta):
        return np.array(
            [triplet_weight_change(rule, *pairing_protocol(delta, f * Hz, 60)) / 60 for f in freqs]
        )

    ltd_side, ltp_side = per_pair(-10 * ms), per_pair(10 * ms)
    assert np.all(ltd_side[freqs <= 20] < 0) and np.all(ltd_side[freqs >= 40] > 0)
    assert np.all(np.diff(ltp_side) > 0) and ltp_side[0] < 1e-6
    # the Brian2 synapse gives the same numbers (w_max raised so nothing clips)
    wide = dataclasses.replace(rule, w_max=10.0)
    protocols = [pairing_protocol(d * ms, f * Hz, 60) for d in (-10.0, 10.0) for f in (20.0, 50.0)]
    w = _run_synapses(
        triplet_stdp(wide, target=None),
        [pre / ms for pre, _ in protocols],
        [post / ms for _, post in protocols],
        w0=5.0,
        dt=1 * ms,
    )
    expected = [triplet_weight_change(wide, pre, post) for pre, post in protocols]
    assert np.allclose(w - 5.0, expected, rtol=0, atol=1e-11)  # 240 updates of rounding


def test_dc_window_matches_simulation_and_depresses_on_pre_after_post():
    rule = DiehlCookSTDP()
    deltas = np.array([-40.0, -10.0, -1.0, 0.0, 1.0, 10.0, 40.0])
    isis = np.array([np.inf, 15.0, 60.0])  # earlier post spike: none, or isi before post
    d, isi = (a.ravel() for a in np.meshgrid(deltas, isis))
    t_pre = 100.0
    pre_trains = [[t_pre]] * len(d)
    post_trains = [
        [t_pre + dd] if np.isinf(ii) else [t_pre + dd - ii, t_pre + dd] for dd, ii in zip(d, isi)
    ]
    w = _run_synapses(diehl_cook_stdp(rule, target=None), pre_trains, post_trains, w0=0.5)
    window = dc_window(rule, d * ms, isi * ms)
    assert np.allclose(w - 0.5, window, rtol=0, atol=EXACT)
    # sign test: pre after post depresses (several ports flip this), by nu_pre e^{dt/tau}
    assert np.all(w[d < 0] < 0.5) and np.all(window[d < 0] < 0)
    assert np.allclose(window[d < 0], -rule.nu_pre * np.exp(d[d < 0] * ms / rule.tau_post1))
    # an isolated pre-post pair does nothing; a post 15 ms earlier enables potentiation
    assert np.all(window[(d >= 0) & np.isinf(isi)] == 0)
    assert np.all(window[(d >= 0) & (isi == 15.0)] > 0)


@pytest.mark.parametrize("rule", [PowerLawSTDP(), ExponentialSTDP(), PrePostSTDP()])
@pytest.mark.parametrize("w0", [0.05, 0.5, 0.95])
def test_dc_variant_rules_match_their_windows(rule, w0):
    """Each of the paper's other rules, simulated on isolated pairs, against its window."""
    w = _run_synapses(dc_variant_stdp(rule, target=None), *_pairs(DELTAS), w0=w0)
    window = dc_variant_window(rule, DELTAS * ms, w0)
    assert np.allclose(w - w0, window, rtol=0, atol=EXACT)
    assert np.all(window[DELTAS < 0] < 0)  # post before pre depresses in all three
    if isinstance(rule, PrePostSTDP):  # a pure pair rule: pre just before post potentiates
        assert np.all(window[DELTAS >= 0] > 0)
    else:  # a post spike depresses unless the pre trace exceeds its target
        x_pre = np.exp(-DELTAS[DELTAS >= 0] * ms / rule.tau_pre)
        assert np.all((window[DELTAS >= 0] > 0) == (x_pre > _break_even(rule, w0)))


@pytest.mark.parametrize("rule", [PowerLawSTDP(), ExponentialSTDP(), PrePostSTDP()])
def test_dc_variant_rules_keep_a_weight_above_w_max_finite(rule):
    """The network's normalisation can lift a weight above w_max, where (w_max - w)^mu
    is undefined: the rule must not turn it into NaN (which normalisation would spread
    through the whole column). Pre before post, post before pre, at w = 1.2."""
    w = _run_synapses(dc_variant_stdp(rule, target=None), *_pairs(DELTAS), w0=1.2)
    assert np.all(np.isfinite(w))
    assert np.all((w >= 0) & (w <= rule.w_max))  # clipped back into range
    if not isinstance(rule, ExponentialSTDP):  # (defined beyond w_max: e^(-beta w))
        # the power laws see the weight as w_max, so no potentiation, and the first
        # event clips it to w_max: what is left is the window at w_max, from w_max
        at_bound = np.clip(rule.w_max + dc_variant_window(rule, DELTAS * ms, rule.w_max), 0, 1)
        assert np.allclose(w, at_bound, rtol=0, atol=EXACT)


def _break_even(rule, w):
    """The pre trace at which a post spike leaves w unchanged."""
    if isinstance(rule, PowerLawSTDP):
        return rule.x_tar
    return rule.x_tar * np.exp(-rule.beta * (rule.w_max - w)) / np.exp(-rule.beta * w)


def test_dc_variant_weight_dependence_is_the_papers():
    """Power law: changes scale with (w_max - w)^mu; exponential: potentiation falls
    as e^(-beta w); pre-and-post depression grows as w^mu."""
    power = PowerLawSTDP()
    ratio = dc_variant_window(power, 0 * ms, 0.75) / dc_variant_window(power, 0 * ms, 0.0)
    assert float(ratio) == pytest.approx(0.25**power.mu)
    expo = ExponentialSTDP(x_tar=0.0)  # potentiation alone
    ratio = dc_variant_window(expo, 0 * ms, 0.5) / dc_variant_window(expo, 0 * ms, 0.0)
    assert float(ratio) == pytest.approx(np.exp(-expo.beta * 0.5))
    pp = PrePostSTDP()
    ratio = dc_variant_window(pp, -5 * ms, 0.8) / dc_variant_window(pp, -5 * ms, 0.1)
    assert float(ratio) == pytest.approx(8.0**pp.mu)
    assert set(DC_RULES) == {"triplet", "power-law", "exponential", "pre-and-post"}
    assert dc_variant_stdp(DiehlCookSTDP()) == diehl_cook_stdp(DiehlCookSTDP())
    with pytest.raises(TypeError, match="rule must be one of"):
        dc_variant_stdp(PairSTDP())
    with pytest.raises(ValueError, match=r"w must lie in \[0, w_max"):
        dc_variant_window(power, 1 * ms, 1.5)


def test_rules_reject_bad_arguments():
    with pytest.raises(ValueError, match="interaction"):
        PairSTDP(interaction="nearest-neighbour")
    with pytest.raises(TypeError, match="time quantity"):
        pair_window(PairSTDP(), 0.01)
    with pytest.raises(ValueError, match=r"\[0, w_max"):
        soft_bound_window(SoftBoundSTDP(), 1 * ms, 1.5)
    with pytest.raises(ValueError, match="post_isi"):
        dc_window(DiehlCookSTDP(), 1 * ms, 0 * ms)


# -- encoders --------------------------------------------------------------------------


def test_poisson_counts_match_rate_times_duration(seed):
    rng = np.random.default_rng(seed)
    x = rng.random((8, 64))
    x[:, :4] = 0.0
    duration, dt, max_rate = 1 * second, 0.5 * ms, 63.75 * Hz
    spikes = poisson_spikes(x, duration, dt, max_rate, random_state=seed)
    n_steps = int(round(duration / dt))
    assert spikes.shape == (n_steps, 8, 64) and spikes.dtype == bool
    counts = spikes.sum(axis=0)
    assert counts[x == 0].sum() == 0  # black pixels never fire: exact
    p = x * float(max_rate * dt)
    mean, var = n_steps * p, n_steps * p * (1 - p)  # Binomial(n_steps, p) per pixel
    # z-test on the total (~16,000 spikes, normal to high accuracy): |z| < 5.33 fails a
    # correct encoder with probability 1e-7.
    z = (counts.sum() - mean.sum()) / np.sqrt(var.sum())
    assert abs(z) < 5.33, f"total count z = {z:.2f}"
    # chi-square over pixels with expected count >= 5: p-value < 1e-6 fails a correct
    # encoder with probability ~1e-6 (chi-square approximation of the binomials).
    keep = mean >= 5
    chi2 = np.sum((counts[keep] - mean[keep]) ** 2 / var[keep])
    assert stats.chi2.sf(chi2, keep.sum()) > 1e-6
    # and the rate scale itself: x = 1 at max_rate = 1 / dt fires in every step
    full = poisson_spikes(np.ones(3), 10 * ms, dt, 1 / dt, random_state=seed)
    assert full.all()


def test_poisson_is_seeded_and_leaves_the_global_rng_alone():
    x = np.linspace(0, 1, 50)
    state = np.random.get_state()
    a = poisson_spikes(x, 100 * ms, 0.5 * ms, 100 * Hz, random_state=1)
    b = poisson_spikes(x, 100 * ms, 0.5 * ms, 100 * Hz, random_state=1)
    c = poisson_spikes(x, 100 * ms, 0.5 * ms, 100 * Hz, random_state=2)
    d = poisson_spikes(x, 100 * ms, 0.5 * ms, 100 * Hz, random_state=np.random.default_rng(1))
    assert np.array_equal(a, b) and np.array_equal(a, d)
    assert not np.array_equal(a, c)
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_poisson_rejects_bad_input():
    x = np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\].*max 255.0.*divide by 255"):
        poisson_spikes(x * 510, 10 * ms, 0.5 * ms)
    with pytest.raises(ValueError, match="NaN"):
        poisson_spikes(np.where(x > 0, np.nan, x), 10 * ms, 0.5 * ms)
    with pytest.raises(ValueError, match="scalar"):
        poisson_spikes(0.5, 10 * ms, 0.5 * ms)
    with pytest.raises(ValueError, match="whole number of time steps"):
        poisson_spikes(x, 10.25 * ms, 0.5 * ms)
    with pytest.raises(ValueError, match="max_rate \\* dt"):
        poisson_spikes(x, 10 * ms, 1 * ms, 2000 * Hz)
    with pytest.raises(TypeError, match="duration"):
        poisson_spikes(x, 0.35, 0.5 * ms)
    with pytest.raises(TypeError, match="max_rate"):
        poisson_spikes(x, 10 * ms, 0.5 * ms, 60)


@pytest.mark.parametrize("kind", ["log", "linear"])
def test_latency_order_and_threshold_are_exact(kind):
    x = np.array([0.9, 0.5, 0.3, 0.1, 1.0, 0.2, 0.21, 0.0])
    tau, theta = 20 * ms, 0.2
    t = latency_times(x, tau=tau, threshold=theta, kind=kind)
    assert have_same_dimensions(t, second) and t.shape == x.shape
    fires = x > theta
    assert np.all(np.isinf(t[~fires])) and np.all(np.isfinite(t[fires]))
    order = np.argsort(-x[fires])  # brightest first
    assert np.all(np.diff(t[fires][order] / ms) > 0)  # strictly earlier when brighter
    xf = x[fires]
    closed = np.log(xf / (xf - theta)) if kind == "log" else (1 - xf) / (1 - theta)
    assert np.allclose(t[fires] / tau, closed, rtol=1e-12, atol=0)


def test_latency_raster_has_one_spike_per_firing_pixel():
    x = np.array([[0.9, 0.5, 0.3], [0.1, 1.0, 0.21]])
    dt = 0.5 * ms
    spikes = latency_spikes(x, 50 * ms, dt, tau=20 * ms, threshold=0.2)
    t = latency_times(x, tau=20 * ms, threshold=0.2)
    assert spikes.shape == (100, 2, 3)
    expected_count = ((x > 0.2) & (t < 50 * ms)).astype(int)  # 0.21 fires at 60.9 ms: too late
    assert np.array_equal(spikes.sum(axis=0), expected_count)
    fired = expected_count == 1
    first = spikes.argmax(axis=0)
    assert np.array_equal(first[fired], np.floor(t[fired] / dt).astype(int))


def test_spike_generator_args_roundtrip_through_brian2(seed):
    x = np.random.default_rng(seed).random((2, 5))
    dt = 0.5 * ms
    spikes = poisson_spikes(x, 50 * ms, dt, 200 * Hz, random_state=seed)
    indices, times = spike_generator_args(spikes, dt)
    assert np.all(np.diff(times / ms) >= 0) and indices.dtype.kind == "i"
    group = SpikeGeneratorGroup(x.size, indices, times, dt=dt)
    mon = SpikeMonitor(group)
    Network(group, mon).run(50 * ms)
    rebuilt = np.zeros((spikes.shape[0], x.size), dtype=bool)
    rebuilt[np.round(mon.t / dt).astype(int), mon.i[:]] = True
    assert mon.num_spikes == spikes.sum() > 0
    assert np.array_equal(rebuilt.reshape(spikes.shape), spikes)
    with pytest.raises(ValueError, match="time first"):
        spike_generator_args(spikes[:, 0, 0], dt)
