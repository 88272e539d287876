"""The Diehl & Cook dynamics against theory: integrators, refractory forms, the count
window, the runaway guard and the named variants (issue 17)."""

import dataclasses
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, ms, mV, second
from sklearn.datasets import load_digits

from spiking.networks.diehl_cook import (
    DYNAMICS,
    DiehlCook2015,
    DiehlCook2015Params,
    RunawayError,
    _accepted,
    dynamics_params,
)
from spiking.neurons import (
    INTEGRATORS,
    DiehlCookExcitatory,
    DiehlCookInhibitory,
    conductance_lif,
    decay_time_constant,
)
from spiking.state import read_npz, write_npz

DT = 0.5 * ms  # the network's step: where the integrators differ most


def _group(integrator, n=1, refractory_form="clamp", **cell):
    params = DiehlCookExcitatory(integrator=integrator, refractory_form=refractory_form, **cell)
    group = NeuronGroup(n, **conductance_lif(params, dt=DT), dt=DT)
    group.v = params.v_rest
    return params, group


# -- integrators -----------------------------------------------------------------------


@pytest.mark.parametrize("integrator", sorted(INTEGRATORS))
def test_conductances_decay_per_step_as_the_integrator_says(integrator):
    """Euler and stable Euler: (1 - dt/tau)^k; exponential Euler: exp(-k dt/tau)."""
    params, group = _group(integrator, v_thresh=1e6 * mV)  # never fires
    group.ge, group.gi = 1.0, 1.0
    mon = StateMonitor(group, ("ge", "gi"), record=0, when="end")
    Network(group, mon).run(10 * DT)
    k = np.arange(1, 11)
    for var, tau in (("ge", params.tau_ge), ("gi", params.tau_gi)):
        ratio = float(DT / tau)
        factor = math.exp(-ratio) if integrator == "exponential-euler" else 1 - ratio
        assert np.allclose(getattr(mon, var)[0], factor**k, rtol=1e-12, atol=0), var


def test_one_step_of_v_is_forward_euler_or_exponential_euler():
    v0, ge, gi = -60e-3, 0.7, 3.0
    expected = {}
    params = DiehlCookExcitatory()
    tau, rest = float(params.tau_mem / second), float(params.v_rest / mV) * 1e-3
    e_exc, e_inh = float(params.e_exc / mV) * 1e-3, float(params.e_inh / mV) * 1e-3
    dt = float(DT / second)
    slope = ((rest - v0) + ge * (e_exc - v0) + gi * (e_inh - v0)) / tau
    expected["euler"] = v0 + dt * slope
    g = 1 + ge + gi
    v_inf = (rest + ge * e_exc + gi * e_inh) / g
    exponential = v_inf + (v0 - v_inf) * math.exp(-dt * g / tau)
    expected["stable-euler"] = expected["exponential-euler"] = exponential
    for integrator, value in expected.items():
        _, group = _group(integrator, v_thresh=100 * mV)
        group.v, group.ge, group.gi = v0 * 1e3 * mV, ge, gi
        Network(group).run(DT)
        assert float(group.v[0] / mV) * 1e-3 == pytest.approx(value, rel=1e-12), integrator


def test_euler_oscillates_past_its_stability_bound_and_stable_euler_does_not():
    """Held at g_i with dt (1 + g_i) / tau_m = 2.5, Euler multiplies the distance to
    V_inf by 1 - 2.5 = -1.5 per step; exponential Euler by exp(-2.5) and never crosses."""
    gi = 2.5 * 100 / 0.5 - 1  # tau_m = 100 ms, dt = 0.5 ms
    runs = {}
    for integrator in ("euler", "stable-euler"):
        params, group = _group(integrator, v_thresh=1e6 * mV, tau_gi=1e9 * second)
        group.v, group.gi = -60 * mV, gi
        mon = StateMonitor(group, "v", record=0, when="end")
        Network(group, mon).run(8 * DT)
        runs[integrator] = mon.v[0] / mV
    v_inf = float((params.v_rest + gi * params.e_inh) / (1 + gi) / mV)
    distance = np.concatenate([[-60 - v_inf], runs["euler"] - v_inf])
    assert np.allclose(distance[1:] / distance[:-1], -1.5, rtol=1e-6)
    stable = np.concatenate([[-60 - v_inf], runs["stable-euler"] - v_inf])
    assert np.all(stable > 0) and np.all(np.diff(stable) < 0)


def test_decay_time_constant_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="needs the time step"):
        decay_time_constant(1 * ms, None, "exponential_euler", "euler")
    with pytest.raises(ValueError, match="not positive.*shorter than tau"):
        decay_time_constant(1 * ms, 1 * ms, "exponential_euler", "euler")
    with pytest.raises(ValueError, match="method must be one of"):
        decay_time_constant(1 * ms, DT, "rk4", "exact")
    with pytest.raises(ValueError, match="integrator must be one of"):
        DiehlCookExcitatory(integrator="rk4")
    with pytest.raises(ValueError, match="refractory_form must be one of"):
        DiehlCookInhibitory(refractory_form="soft")
    # Where Brian2's method decays as asked, tau comes back unchanged (no rounding).
    assert decay_time_constant(3 * ms, None, "euler", "euler") is not None


# -- refractoriness ----------------------------------------------------------------------


@pytest.mark.parametrize("form", ["clamp", "block"])
def test_refractory_forms_hold_or_free_the_membrane_and_both_block_for_5_ms(form):
    """Under a strong constant drive: 'clamp' keeps v at v_reset for 5 ms after each
    spike, 'block' lets v rise at once but allows the next spike only after 5 ms."""
    params, group = _group("stable-euler", refractory_form=form, tau_ge=1e9 * second)
    group.ge = 20.0  # V_inf = -3 mV, far above threshold (-52 mV; theta absent here)
    spikes = SpikeMonitor(group)
    mon = StateMonitor(group, "v", record=0)
    Network(group, spikes, mon).run(50 * ms)
    times = np.asarray(spikes.t / ms)
    assert len(times) >= 3
    assert np.all(np.diff(times) >= float(params.refractory / ms) - 1e-9)
    first = int(round(times[0] / float(DT / ms)))
    after = mon.v[0][first + 1 : first + 10] / mV  # the 9 refractory steps
    if form == "clamp":
        assert np.allclose(after, float(params.v_reset / mV))
        assert np.diff(times)[0] > float(params.refractory / ms)  # must climb again
    else:
        assert np.all(np.diff(after) > 0)  # integrating during the refractory period
        assert after[-1] > float(params.v_thresh / mV)  # above threshold, yet no spike
        assert np.diff(times)[0] == pytest.approx(float(params.refractory / ms))


# -- the count window ---------------------------------------------------------------------


def _fake_run(steps_and_neurons, n_presentations, n_exc=3, steps_input=4, steps_total=6):
    p = DiehlCook2015Params()
    dt = float(p.dt / second)
    steps = np.array([s for s, _ in steps_and_neurons], dtype=float)
    monitor = SimpleNamespace(
        t_=steps * dt, i=np.array([i for _, i in steps_and_neurons], dtype=np.int64)
    )
    net = SimpleNamespace(
        exc_mon=monitor,
        steps_total=steps_total,
        steps_input=steps_input,
        period=steps_total * p.dt,
        layout=SimpleNamespace(n_exc=n_exc),
    )
    return p, net


def test_the_count_window_takes_the_rest_before_the_input_as_the_authors_did():
    """Presentations of 6 steps, 4 of input. Spikes at steps 1 (input of 0), 5 (rest of
    0: counts with 1), 7 (input of 1), 11 (rest of 1: carried to the next run)."""
    spikes = [(1, 0)] * 5 + [(5, 1), (7, 2)] + [(7, 1)] * 4 + [(11, 2)]
    p, net = _fake_run(spikes, n_presentations=2)
    counts, _, rest = _accepted(net, p, 2, 2)
    assert counts.tolist() == [[5, 0, 0], [0, 5, 1]]
    assert rest[1].tolist() == [2] and rest[0][0] == pytest.approx(-float(p.dt / second))
    # The carried spikes count with the next run's first presentation.
    counts, per_example, _ = _accepted(net, p, 2, 2, rest, spikes=True)
    assert counts.tolist() == [[5, 0, 1], [0, 5, 1]]
    wait, times, neurons = per_example[0]
    assert wait == 0 and neurons.tolist()[0] == 2 and times[0] < 0
    # Input only: the rest spikes are not counted, none are carried.
    p = dataclasses.replace(p, count_previous_rest=False)
    counts, _, rest = _accepted(net, p, 2, 2)
    assert counts.tolist() == [[5, 0, 0], [0, 4, 1]]
    assert len(rest[0]) == 0


# -- the named variants and the runaway guard ----------------------------------------------


def test_named_dynamics_set_the_three_choices_and_nothing_else():
    base = dataclasses.replace(DiehlCook2015Params(), w_inh_exc=12.0)
    for name, (integrator, form, rest) in DYNAMICS.items():
        p = dynamics_params(name, base)
        assert (p.excitatory.integrator, p.inhibitory.integrator) == (integrator,) * 2
        assert p.excitatory.refractory_form == form
        assert p.inhibitory.refractory_form == "clamp"
        assert p.count_previous_rest is rest
        assert p.w_inh_exc == 12.0
    assert dynamics_params("default") == DiehlCook2015Params()
    assert DiehlCook2015(dynamics="authors")._params() == dynamics_params("authors")
    with pytest.raises(ValueError, match="dynamics must be one of"):
        dynamics_params("brian1")
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match="dynamics must be one of"):
        DiehlCook2015(dynamics="brian1").fit(X[:10] / 16, y[:10])
    with pytest.raises(ValueError, match="max_spikes_per_neuron must be > 0"):
        DiehlCook2015Params(max_spikes_per_neuron=0)


def _digits(n):
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, (0, 1, 7))
    return (X[keep][:n] / 16).astype(np.float32), y[keep][:n]


def test_a_runaway_network_stops_with_an_error_and_the_model_is_unchanged():
    """Euler with strong lateral inhibition (g_i = 400 per spike: dt (1 + g_i) / tau_m
    = 2 after one inhibitory spike) oscillates into firing every 5 ms; the guard stops
    the pass at the first such presentation and nothing learnt is kept."""
    X, y = _digits(20)
    strong = dataclasses.replace(DiehlCook2015Params(), w_inh_exc=1000.0)
    model = DiehlCook2015(20, params=strong, dynamics="authors", random_state=0)
    with pytest.raises(RunawayError, match=r"ran away at example \d+ .*integrator 'euler'"):
        model.fit(X, y)
    # The same network with the stable integrator is bounded (and learns).
    stable = DiehlCook2015(20, params=strong, random_state=0).fit(X, y)
    assert stable.fit_stats_["train_presentations"] >= len(X)
    before = stable.weights_.copy(), stable.theta_.copy()
    stable.set_params(dynamics="authors")
    with pytest.raises(RunawayError):
        stable.partial_fit(X, y)
    assert np.array_equal(stable.weights_, before[0]) and np.array_equal(stable.theta_, before[1])


def test_a_model_saved_before_the_dynamics_were_fields_loads_as_legacy(tmp_path):
    X, y = _digits(12)
    model = DiehlCook2015(20, random_state=0).fit(X, y)
    path = model.save(tmp_path / "dc.npz")
    arrays, meta = read_npz(path, list(DiehlCook2015._SAVED_ARRAYS))
    for cell in ("excitatory", "inhibitory"):
        for name in ("integrator", "refractory_form"):
            del meta["params"][cell][name]
    del meta["params"]["count_previous_rest"]
    old = write_npz(tmp_path / "old.npz", arrays, json.loads(json.dumps(meta)))
    assert DiehlCook2015.load(old)._params() == dynamics_params("legacy")
    assert DiehlCook2015.load(path)._params() == DiehlCook2015Params()


@pytest.mark.slow  # two N = 400 builds (about 2 minutes) and 60 images
def test_the_authors_euler_runs_away_within_the_first_fashion_images_not_the_first_digits():
    """The measured contradiction of issue 17: Brian 1's forward Euler runs away on
    Fashion-MNIST within its first images, where volleys of 20-30 inhibitory spikes per
    step occur, and not on the first MNIST digits (N = 400: about 12 spikes per image;
    it does run away later in some runs: docs/FINDINGS.md, study 11)."""
    from compare.data.tasks import load_fashion_mnist, load_mnist_5k

    try:
        fashion = load_fashion_mnist()
    except FileNotFoundError:
        pytest.skip("Fashion-MNIST is not installed")
    digits = load_mnist_5k()
    model = DiehlCook2015(400, dynamics="authors", epochs=1, random_state=0)
    model.fit(digits.X_train[:30], digits.y_train[:30])
    assert model.fit_stats_["train_examples"] == 30
    with pytest.raises(RunawayError, match="integrator 'euler'"):
        DiehlCook2015(400, dynamics="authors", random_state=0).fit(
            fashion.X_train[:30], fashion.y_train[:30]
        )
    DiehlCook2015(400, random_state=0).fit(fashion.X_train[:30], fashion.y_train[:30])
