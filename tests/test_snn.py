"""Tests of the surrogate-gradient spiking network (artificial.snn) against closed forms,
finite differences, statistics, and a Brian2 LIF built from the same parameter values."""

from __future__ import annotations

import math
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split

from artificial.operations import OPERATION_KEYS
from artificial.snn import (
    ENCODINGS,
    READOUTS,
    RESET_MECHANISMS,
    SURROGATES,
    ArctanSpike,
    FastSigmoidSpike,
    LIFParameters,
    LIFState,
    SpikingMLP,
    SpikingMLPClassifier,
    Surrogate,
    latency_encode,
    lif_parameters,
    lif_step,
    rate_encode,
)
from compare.models.equivalence import lif_parameter_kwargs, simulate_both
from spiking.neurons import CurrentLIFParams

SEED = 1234


@pytest.fixture
def small_task():
    """40 examples, 8 features in [0, 1], 3 classes decided by which third holds the most mass."""
    rng = np.random.default_rng(SEED)
    X = rng.random((40, 8))
    y = np.argmax(np.stack([X[:, :3].sum(1), X[:, 3:6].sum(1), X[:, 6:].sum(1) * 1.5]), 0)
    return X, y


def fast(**overrides) -> SpikingMLPClassifier:
    """A tiny, quick configuration for contract tests."""
    params = {"hidden_sizes": (8,), "n_steps": 4, "epochs": 2, "batch_size": 16}
    return SpikingMLPClassifier(**{**params, **overrides, "random_state": SEED})


# --- the one conversion and the step -------------------------------------------------


def test_decay_is_exp_of_minus_dt_over_tau_and_potentials_are_relative_to_rest():
    p = lif_parameters(tau_mem=8e-3, dt=1e-4, v_threshold=-0.050, v_reset=-0.065, v_rest=-0.070)
    assert p.beta == pytest.approx(math.exp(-1e-4 / 8e-3), rel=1e-15)  # same formula, exact
    assert p.threshold == pytest.approx(0.020, abs=1e-15)  # float subtraction of volts
    assert p.reset == pytest.approx(0.005, abs=1e-15)
    assert p.dt == 1e-4


@pytest.mark.parametrize("tau_mem, dt", [(20e-3, 1e-3), (8e-3, 1e-4), (5e-3, 2e-3)])
def test_step_equals_analytic_membrane_response(tau_mem, dt):
    """Below threshold, u[n] = V_inf + (V0 - V_inf) exp(-n dt / tau) exactly at step boundaries."""
    resistance, current = 1e7, torch.tensor([1.5e-9, -0.7e-9], dtype=torch.float64)
    p = lif_parameters(tau_mem, dt, v_threshold=1.0, resistance=resistance)  # never reached
    v0 = torch.tensor([0.003, -0.002], dtype=torch.float64)
    state, trace = LIFState(v=v0), []
    for _ in range(200):
        spikes, state = lif_step(current, state, p)
        assert not spikes.any()
        trace.append(state.v)
    t = torch.arange(1, 201, dtype=torch.float64)[:, None] * dt
    v_inf = resistance * current
    expected = v_inf + (v0 - v_inf) * torch.exp(-t / tau_mem)
    # float64 rounding over 200 steps of ~10 mV values stays far below 1e-15 V.
    torch.testing.assert_close(torch.stack(trace), expected, rtol=0, atol=1e-15)


def test_reset_mechanisms_subtract_keeps_the_overshoot_and_zero_sets_the_reset():
    p = lif_parameters(tau_mem=20e-3, dt=1e-3, v_threshold=1.0, v_reset=0.2)
    state = LIFState(v=torch.tensor([0.9, 0.5], dtype=torch.float64))
    x = torch.tensor([5.0, 0.0], dtype=torch.float64)
    v_free = p.beta * state.v + (1 - p.beta) * x  # the integration part, closed form
    spikes, subtracted = lif_step(x, state, p, reset_mechanism="subtract")
    _, zeroed = lif_step(x, state, p, reset_mechanism="zero")
    assert spikes.tolist() == [1.0, 0.0]
    torch.testing.assert_close(subtracted.v, v_free - spikes * (1.0 - 0.2), rtol=0, atol=1e-15)
    torch.testing.assert_close(zeroed.v, torch.stack([torch.tensor(0.2).double(), v_free[1]]))
    with pytest.raises(ValueError, match=r"reset_mechanism in \('subtract', 'zero'\), got 'soft'"):
        lif_step(x, state, p, reset_mechanism="soft")


def test_parameters_reject_bad_values_by_name():
    with pytest.raises(ValueError, match="tau_mem > 0 seconds, got -0.01"):
        lif_parameters(tau_mem=-0.01, dt=1e-3, v_threshold=1.0)
    with pytest.raises(ValueError, match="reset below threshold"):
        lif_parameters(tau_mem=0.01, dt=1e-3, v_threshold=1.0, v_reset=2.0)
    with pytest.raises(ValueError, match=r"beta in \(0, 1\)"):
        LIFParameters(beta=1.5, threshold=1.0, reset=0.0, dt=1e-3)


# --- surrogate gradients -------------------------------------------------------------


@pytest.mark.parametrize("slope", [0.5, 2.0, 25.0])
def test_surrogate_derivatives_at_zero_equal_their_closed_forms(slope):
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    FastSigmoidSpike.apply(x, slope).backward()
    assert x.grad.item() == 1.0  # 1 / (k |0| + 1)^2
    x.grad = None
    ArctanSpike.apply(x, slope).backward()
    assert x.grad.item() == pytest.approx(slope / 2, rel=1e-15)  # (alpha / 2) / (1 + 0)


@pytest.mark.parametrize("name", list(SURROGATES))
@pytest.mark.parametrize("slope", [0.5, 2.0, 25.0])
def test_surrogate_backward_is_the_derivative_of_its_smooth_primitive(name, slope):
    """Central finite differences of the primitive match the backward pass (gradcheck-style)."""
    function = SURROGATES[name]
    x = torch.arange(-40, 41, dtype=torch.float64) / 20
    x = x[x != 0]  # |x| has a kink at 0, where the difference quotient is off by O(k h)
    x.requires_grad_(True)
    function.apply(x, slope).sum().backward()
    h = 1e-6
    numeric = (function.primitive(x + h, slope) - function.primitive(x - h, slope)) / (2 * h)
    # central differences have error O(h^2 f''') ~ 1e-12 * slope^3 <= 2e-8 here.
    torch.testing.assert_close(x.grad, numeric.detach(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(SURROGATES))
def test_surrogate_forward_is_the_strict_heaviside_step(name):
    x = torch.tensor([-1.0, -1e-9, 0.0, 1e-9, 3.0])
    assert Surrogate(name, 5.0)(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # v > v_thresh


def test_unknown_surrogate_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"surrogate in \('fast_sigmoid', 'arctan'\), got 'relu'"):
        Surrogate("relu")


# --- encoders ------------------------------------------------------------------------


def test_rate_counts_match_p_times_t_and_are_seeded():
    n_steps, probabilities = 100, torch.tensor([0.1, 0.5, 0.9])
    x = probabilities.repeat(10_000, 1)  # 10 000 inputs per probability
    spikes = rate_encode(x, n_steps, torch.Generator().manual_seed(SEED))
    assert spikes.shape == (n_steps, 10_000, 3)
    counts = spikes.sum(dim=0).double()  # Binomial(T, p) per input
    trials = n_steps * 10_000
    for column, p in enumerate(probabilities.tolist()):
        total = float(counts[:, column].sum())
        # 5 standard deviations of Binomial(1e6, p): false-failure rate 5.7e-7 per
        # probability (< 2e-6 in all) for a random seed; this one is fixed.
        assert abs(total - p * trials) < 5 * math.sqrt(trials * p * (1 - p))
        # Sample variance of 1e4 counts has relative sd sqrt(2 / 1e4) = 1.4%: 10% is 7 sd.
        assert float(counts[:, column].var()) == pytest.approx(n_steps * p * (1 - p), rel=0.1)
    again = rate_encode(x, n_steps, torch.Generator().manual_seed(SEED))
    other = rate_encode(x, n_steps, torch.Generator().manual_seed(SEED + 1))
    assert torch.equal(spikes, again) and not torch.equal(spikes, other)
    edges = rate_encode(torch.tensor([[0.0, 1.0]]), 50, torch.Generator().manual_seed(0))
    assert edges.sum(0).tolist() == [[0.0, 50.0]]


def test_latency_spike_times_are_exact_and_ordered():
    n_steps = 11
    x = torch.tensor([[1.0, 0.9, 0.5, 0.31, 0.05, 0.0]])
    spikes = latency_encode(x, n_steps)
    assert spikes.sum(0).tolist() == [[1.0, 1.0, 1.0, 1.0, 1.0, 0.0]]  # one each, none for 0
    times = spikes[:, 0, :5].argmax(0).tolist()
    assert times == [round((1 - v) * (n_steps - 1)) for v in [1.0, 0.9, 0.5, 0.31, 0.05]]
    assert times == [0, 1, 5, 7, 10]
    values = torch.rand(1, 500, generator=torch.Generator().manual_seed(SEED))
    first = latency_encode(values, 25)[:, 0].argmax(0)
    order = torch.argsort(values[0], descending=True)
    assert bool((first[order].diff() >= 0).all())  # larger never later than smaller


def test_encoders_reject_values_outside_the_unit_interval():
    with pytest.raises(ValueError, match="expected values in \\[0, 1\\].*max 2.0"):
        rate_encode(torch.tensor([[0.5, 2.0]]), 5, torch.Generator())
    with pytest.raises(ValueError, match="n_steps to be a positive int, got 0"):
        latency_encode(torch.tensor([[0.5]]), 0)


# --- equivalence with Brian2 ---------------------------------------------------------


def test_torch_lif_matches_brian2_current_lif_on_the_same_current():
    """Same parameter values, same dt, same current: same spike steps and membrane traces."""
    import brian2 as b2

    cell = replace(CurrentLIFParams(), refractory=0 * b2.ms)  # lif_step has no refractoriness
    dt, n_steps = 0.1 * b2.ms, 3000
    t = np.arange(n_steps) * float(dt / b2.second)
    # Rheobase 2 nA; modulation <= 1.5, so the first neuron (at most 1.8 nA) never fires.
    amplitudes = np.array([1.2, 1.9, 2.6, 3.5, 5.0])  # nA
    modulation = 1 + 0.3 * np.sin(2 * np.pi * t / 23e-3) + 0.2 * (t > 0.15)
    run = simulate_both(cell, dt, 1e-9 * amplitudes[None, :] * modulation[:, None])

    assert len(run.torch_spikes[0]) == 0 and sum(map(len, run.torch_spikes)) > 50
    compared = 0
    for row in run.agreement():
        assert row["brian_spikes"] == row["torch_spikes"]
        assert row["max_spike_step_difference"] <= 1  # within one time step
        # 1 nV: float64 rounding is ~1e-15 V, a step's change ~10 uV.
        assert row["max_abs_v_difference_v"] <= 1e-9
        compared += row["steps_compared"]
    assert compared > 0.9 * len(amplitudes) * (n_steps - 1)  # not vacuous


def test_equivalence_helper_refuses_a_refractory_period():
    from brian2 import ms

    with pytest.raises(ValueError, match="refractory = 0 ms, got 2. ms"):
        lif_parameter_kwargs(CurrentLIFParams(), 0.1 * ms)


# --- the network ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("readout", READOUTS)
def test_network_shapes_and_one_batched_first_projection(encoding, readout):
    net = SpikingMLP(
        12,
        3,
        (7, 5),
        lif_parameters(20e-3, 1e-3, 1.0),
        n_steps=6,
        encoding=encoding,
        readout=readout,
    )
    seen = []
    net.layers[0].register_forward_hook(lambda _, inputs, __: seen.append(inputs[0].shape))
    x = torch.rand(4, 12, generator=torch.Generator().manual_seed(SEED))
    record = net.run(x)
    assert record.logits.shape == (4, 3) and record.output.shape == (6, 4, 3)
    assert [s.shape for s in record.hidden_spikes] == [(6, 4, 7), (6, 4, 5)]
    assert record.inputs.shape == (6, 4, 12)
    # W x once for a constant input; all T steps in one product for spike codes.
    assert seen == [(4, 12)] if encoding == "direct" else seen == [(24, 12)]
    if readout == "count":
        torch.testing.assert_close(record.logits, record.output.sum(0))
    else:
        torch.testing.assert_close(record.logits, record.output.max(0).values)


def test_surrogate_gradients_reach_the_first_layer():
    net = SpikingMLP(10, 2, (6,), lif_parameters(20e-3, 1e-3, 1.0), n_steps=8)
    net(torch.ones(3, 10)).sum().backward()
    assert net.layers[0].weight.grad.abs().sum() > 0  # Heaviside alone would give exactly 0


# --- the estimator -------------------------------------------------------------------


def test_clone_and_get_params_round_trip(small_task):
    model = fast(surrogate="arctan", surrogate_slope=3.0, encoding="rate", readout="membrane")
    params = model.get_params()
    assert params["surrogate"] == "arctan" and params["n_steps"] == 4
    assert clone(model).get_params() == params
    assert SpikingMLPClassifier(**params).get_params() == params
    fitted = model.fit(*small_task)
    assert fitted is model and hasattr(fitted, "module_")
    unfitted = clone(fitted)
    assert unfitted.get_params() == params and not hasattr(unfitted, "module_")


@pytest.mark.parametrize("method", ["predict", "predict_proba", "operations"])
def test_unfitted_model_raises_not_fitted(method, small_task):
    with pytest.raises(NotFittedError):
        getattr(fast(), method)(small_task[0])


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_predictions_have_the_right_shapes_and_repeat(encoding, small_task):
    X, y = small_task
    model = fast(encoding=encoding).fit(X, y)
    assert model.predict(X).shape == (40,)
    proba = model.predict_proba(X)
    assert proba.shape == (40, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-12)  # softmax in float64
    np.testing.assert_array_equal(model.predict(X), model.predict(X))  # encoder restarted
    again = fast(encoding=encoding).fit(X, y)
    for a, b in zip(model.module_.parameters(), again.module_.parameters()):
        assert torch.equal(a, b)  # bit-identical on CPU from the same seed


def test_a_pickled_model_predicts_the_same(small_task):
    X, y = small_task
    model = fast(encoding="rate").fit(X, y)
    copy = pickle.loads(pickle.dumps(model))  # the rate encoder restarts from its seed
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "name, value, valid",
    [
        ("surrogate", "sigmoid", "('fast_sigmoid', 'arctan')"),
        ("encoding", "poisson", str(ENCODINGS)),
        ("readout", "voltage", str(READOUTS)),
        ("reset_mechanism", "hard", str(RESET_MECHANISMS)),
    ],
)
def test_bad_hyperparameter_names_list_the_valid_values(name, value, valid, small_task):
    with pytest.raises(ValueError) as error:
        fast(**{name: value}).fit(*small_task)
    assert f"expected {name} in {valid}, got {value!r}" in str(error.value)


@pytest.mark.parametrize("encoding", ["direct", "rate"])
def test_operations_follow_their_closed_forms(encoding, small_task):
    X, y = small_task
    model = fast(encoding=encoding).fit(X, y)
    report = model.operations(X)
    assert set(OPERATION_KEYS) <= set(report) and report["presentations_per_example"] == 1.0
    steps = 4
    first = 8 * 8 if encoding == "direct" else steps * 8 * 8  # W x once vs every step
    assert report["dense_macs"] == first + steps * 8 * 3
    assert report["neuron_updates"] == steps * (8 + 3)
    assert report["parameter_count"] == (8 + 1) * 8 + (8 + 1) * 3
    with torch.no_grad():
        record = model.module_.run(torch.from_numpy(X.astype(np.float32)))
    hidden_spikes = float(record.hidden_spikes[0].sum()) / 40  # same weights; direct is exact
    if encoding == "direct":
        assert report["effective_macs"] == (X != 0).sum(1).mean() * 8  # no zero weights
        assert report["activations"] == pytest.approx(hidden_spikes, rel=1e-12)
        assert report["effective_acs"] == pytest.approx(hidden_spikes * 3, rel=1e-12)
    else:
        assert report["effective_macs"] == 0.0 and report["effective_acs"] > 0
    assert report["activation_sparsity"] == pytest.approx(
        1 - report["activations"] / (steps * 8), rel=1e-12
    )


def test_learns_digits_above_a_floor():
    """64-64-10, T = 10: measured 0.961 held-out accuracy (fit ~4 s on one busy core)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.3, random_state=0, stratify=y
    )
    model = SpikingMLPClassifier(
        hidden_sizes=(64,),
        n_steps=10,
        epochs=10,
        batch_size=32,
        learning_rate=2e-3,
        random_state=0,
    ).fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.90  # chance is 0.1; an untrained net is near it


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize("encoding", ["direct", "rate"])
def test_decision_latency_is_nan_exactly_where_predict_is_wrong(encoding, readout, small_task):
    X, y = small_task
    model = fast(encoding=encoding, readout=readout, n_steps=8, epochs=20, learning_rate=1e-2)
    model.fit(X, y)
    latency = model.decision_latency(X, y)
    right = model.predict(X) == y
    assert latency.shape == (len(X),)
    silent = (model._outputs(X).sum(dim=1) == 0).numpy()  # no output spike (count readout)
    if readout == "count":
        assert np.isfinite(latency).sum() >= 5  # some outputs spiked: the test sees decisions
        np.testing.assert_array_equal(np.isfinite(latency), right & ~silent)  # none: no answer
    else:
        np.testing.assert_array_equal(np.isfinite(latency), right)
    steps = latency[np.isfinite(latency)] / model.dt  # ends of steps 1 ... T
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert np.all((steps >= 1) & (steps <= model.n_steps))


def test_decision_latency_of_a_membrane_readout_without_hidden_layer_is_one_step(small_task):
    # Constant drive d into leaky integrators: u_c[t] = d_c (1 - beta^(t+1)) / (1 - beta),
    # a common positive factor, so the running maximum ranks the classes as d does from
    # the first step on: every right answer is decided at the end of step 1.
    X, y = small_task
    model = fast(hidden_sizes=(), readout="membrane").fit(X, y)
    latency = model.decision_latency(X, y)
    right = model.predict(X) == y
    assert right.any()
    np.testing.assert_allclose(latency[right], model.dt)
    assert np.isnan(latency[~right]).all()


def test_decision_latency_rejects_bad_labels(small_task):
    X, y = small_task
    model = fast().fit(X, y)
    with pytest.raises(ValueError, match="one label per example"):
        model.decision_latency(X, y[:-1])
    with pytest.raises(ValueError, match=r"labels \[7\] are not among classes_"):
        model.decision_latency(X[:1], [7])
