"""ANN-to-SNN conversion: normalisation, the integrate-and-fire network, the estimator.

The normalisation is checked against its definition (a positive scaling per layer:
same argmax); the Brian2 network against the IF neuron's closed form and against a
numpy simulation of the same discrete-time equations; the estimator on sklearn digits
against its own ANN.

Three compiled layouts serve the default tests (each compiles once, 30-90 s on a cold
build cache, then loads in seconds): 1 -> 2 neurons for 100 steps (also the doctest of
spiking.networks.converted), 6-5-4-3 for 200 steps, and 64-32-10 for 100 steps (also
the doctest of compare.models.converted_snn and experiments/ann_to_snn.py --quick).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from artificial import CNNClassifier, MLPClassifier
from artificial.conversion import convert_mlp, mlp_parameters, normalise
from artificial.models import MLP
from compare.data.tasks import load_digits
from compare.measure.metrics import OPERATION_UNITS, evaluate
from compare.models.converted_snn import ConvertedSNNClassifier
from compare.models.registry import ModelSpec, build_model
from spiking.networks.converted import IFNetwork, IFParams

ROOT = Path(__file__).resolve().parents[1]
TINY = (6, 5, 4, 3)
TINY_STEPS = 200
CHECKPOINTS = (1, 2, 5, 20, 50, 200)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread: the networks are tiny, and threads only add contention."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def tiny_net(rng, *, dyadic=False):
    """Random weights and biases of a 6-5-4-3 network (multiples of 1/64 if dyadic)."""
    weights = [rng.normal(0, 0.7, (n_out, n_in)) for n_in, n_out in zip(TINY[:-1], TINY[1:])]
    biases = [rng.normal(0, 0.2, n_out) for n_out in TINY[1:]]
    if dyadic:  # sums of multiples of 1/64 (and 1/16) are exact in float64
        weights = [np.round(W * 64) / 64 for W in weights]
        biases = [np.round(b * 64) / 64 for b in biases]
    return weights, biases


def relu_forward(weights, biases, X):
    """The unnormalised ANN: ReLU hidden layers, linear output (logits)."""
    a = X
    for k, (W, b) in enumerate(zip(weights, biases)):
        a = a @ W.T + b
        if k < len(weights) - 1:
            a = np.maximum(a, 0)
    return a


def reference_if(weights, biases, X, steps, v_init=0.0):
    """Numpy simulation of the IF equations (module text of spiking.networks.converted).

    Returns output counts and potentials after every step, ``(steps, n, n_out)``, and
    each layer's total spikes per neuron.
    """
    v = [np.full((len(X), W.shape[0]), v_init) for W in weights]
    totals = [np.zeros(W.shape[0], dtype=np.int64) for W in weights]
    counts = np.zeros((len(X), weights[-1].shape[0]), dtype=np.int64)
    out_counts, out_v = [], []
    for _ in range(steps):
        s = X
        for k, (W, b) in enumerate(zip(weights, biases)):
            v[k] = v[k] + (s @ W.T + b)
            fired = v[k] >= 1.0
            v[k] = v[k] - fired
            totals[k] += fired.sum(axis=0)
            s = fired.astype(float)
        counts = counts + fired
        out_counts.append(counts.copy())
        out_v.append(v[-1].copy())
    return np.array(out_counts), np.array(out_v), totals


# -- normalisation (numpy only) -------------------------------------------------------


@pytest.mark.parametrize("percentile", [99.0, 99.9, 100])
def test_normalisation_is_a_positive_scaling_per_layer_and_keeps_the_argmax(seed, percentile):
    rng = np.random.default_rng(seed)
    weights, biases = tiny_net(rng)
    X = rng.random((500, TINY[0]))
    net = normalise(weights, biases, X, percentile=percentile)

    # Each layer's scale is the percentile of its non-zero (positive) activations.
    a = X
    for k, (W, b, layer) in enumerate(zip(weights, biases, net.layers)):
        a = a @ W.T + b
        positive = a[a > 0]
        if k < len(weights) - 1:
            a = np.maximum(a, 0)
        assert layer.scale == pytest.approx(np.percentile(positive, percentile), rel=1e-12)
    # Normalised = original / lambda_L (ReLU is positively homogeneous); float64 rounding.
    logits = relu_forward(weights, biases, X)
    np.testing.assert_allclose(net.forward(X), logits / net.layers[-1].scale, rtol=1e-10)
    assert (net.forward(X).argmax(1) == logits.argmax(1)).all()
    # On the normalisation data, (100 - percentile) % of non-zero hidden activations
    # exceed 1 (up to the percentile's interpolation); none for max-norm.
    hidden = relu_forward(net.weights[:1], net.biases[:1], X)
    above = np.mean(hidden[hidden > 0] > 1 + 1e-12)
    assert above <= (100 - percentile) / 100 + 1e-3
    if percentile == 100:
        assert hidden.max() == pytest.approx(1.0, rel=1e-12)


def test_max_norm_matches_a_hand_computed_example():
    """Layer 1 activations (2, 1) and (1, 1): lambda_1 = 2; logits 1.5, 0.5: lambda_2 = 1.5."""
    weights = [np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([[1.0, -1.0]])]
    biases = [np.zeros(2), np.array([0.5])]
    X = np.array([[1.0, 0.0], [0.5, 0.5]])
    net = normalise(weights, biases, X, percentile=100)
    assert [layer.scale for layer in net.layers] == [2.0, 1.5]
    np.testing.assert_allclose(net.layers[0].weights, weights[0] / 2)
    np.testing.assert_allclose(net.layers[1].weights, weights[1] * 2 / 1.5)
    np.testing.assert_allclose(net.layers[1].biases, [0.5 / 1.5])
    np.testing.assert_allclose(net.rates(X)[1], [[1.0], [1 / 3]])


def test_convert_mlp_reads_a_trained_classifier_and_keeps_its_predictions(seed):
    rng = np.random.default_rng(seed)
    X = rng.random((200, 6))
    y = np.argmax(X[:, :3] - X[:, 3:], axis=1)
    ann = MLPClassifier(hidden_sizes=(12, 8), dropout=0.1, epochs=5, random_state=0).fit(X, y)
    weights, biases = mlp_parameters(ann)
    assert [W.shape for W in weights] == [(12, 6), (8, 12), (3, 8)]
    assert all(W.dtype == np.float64 for W in weights)
    net = convert_mlp(ann, X)
    assert net.sizes == (6, 12, 8, 3) and net.threshold == 1.0
    assert (ann.classes_[net.forward(X).argmax(1)] == ann.predict(X)).all()


def test_conversion_rejects_what_it_cannot_convert(seed):
    X = np.random.default_rng(seed).random((40, 64))
    y = np.arange(40) % 3
    with pytest.raises(NotFittedError):
        convert_mlp(MLPClassifier(), X)
    tanh = MLPClassifier(hidden_sizes=(4,), activation="tanh", epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="needs ReLU activations.*; layer 1 is Tanh"):
        convert_mlp(tanh, X)
    cnn = CNNClassifier(image_shape=(8, 8), channels=(2,), dense_size=4, epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="fully connected ReLU networks.*got a ConvNet"):
        convert_mlp(cnn, X)
    with pytest.raises(ValueError, match="expected a fitted MLPClassifier"):
        convert_mlp("a model", X)
    net = MLP(64, (4,), 3)
    with pytest.raises(ValueError, match=r"shape \(n_samples >= 1, 64\), got shape \(40, 63\)"):
        convert_mlp(net, X[:, :63])
    with pytest.raises(ValueError, match="divide by 255"):
        convert_mlp(net, X * 255)
    with pytest.raises(ValueError, match=r"percentile in \(0, 100\]"):
        convert_mlp(net, X, percentile=0)
    weights, biases = tiny_net(np.random.default_rng(seed))
    with pytest.raises(ValueError, match=r"layer 1: expected 5 inputs"):
        normalise([weights[0], weights[2]], [biases[0], biases[2]], X[:, :6])
    with pytest.raises(ValueError, match=r"layer 0: expected biases of shape \(5,\)"):
        normalise(weights, [biases[1], *biases[1:]], X[:, :6])


# -- the integrate-and-fire network (Brian2) ------------------------------------------


def test_if_neuron_fires_floor_of_input_times_steps():
    """Constant input I per step, threshold 1, reset by subtraction: floor(I t) spikes.

    Neuron 0 gets I = x through its weight (analog input), neuron 1 I = 0.375 through its
    bias. Inputs are multiples of 1/128, so every partial sum is exact in float64 and the
    closed form holds exactly (0.1 summed ten times is not 1.0 in floating point).
    """
    x = np.arange(129) / 128
    steps = np.arange(1, 101)
    net = IFNetwork([np.array([[1.0], [0.0]])], [np.array([0.0, 0.375])])
    run = net.run(x[:, None], time_steps=100, checkpoints=steps)
    assert run.counts.shape == (129, 100, 2)
    np.testing.assert_array_equal(run.counts[:, :, 0], np.floor(np.outer(x, steps)))
    np.testing.assert_array_equal(run.counts[:, :, 1], np.floor(0.375 * steps) + 0 * x[:, None])
    # The potential keeps the remainder of the integrated input.
    np.testing.assert_array_equal(
        run.potentials[:, :, 0], np.outer(x, steps) - np.floor(np.outer(x, steps))
    )
    assert run.spike_counts[1].tolist() == [int(np.floor(100 * x).sum()), 129 * 37]
    assert run.spike_counts[0].sum() == 0  # analog input does not spike


def test_if_network_equals_a_numpy_simulation_of_its_equations(seed):
    """Every output count and potential at every checkpoint, and every layer's spikes."""
    rng = np.random.default_rng(seed)
    weights, biases = tiny_net(rng, dyadic=True)
    X = np.round(rng.random((50, TINY[0])) * 16) / 16
    run = IFNetwork(weights, biases).run(X, TINY_STEPS, checkpoints=CHECKPOINTS)
    counts, potentials, totals = reference_if(weights, biases, X, TINY_STEPS)
    at = np.array(CHECKPOINTS) - 1
    np.testing.assert_array_equal(run.counts, counts[at].transpose(1, 0, 2))
    np.testing.assert_array_equal(run.potentials, potentials[at].transpose(1, 0, 2))
    for layer, total in zip(run.spike_counts[1:], totals):
        np.testing.assert_array_equal(layer, total)
    assert all(t.sum() > 0 for t in totals)  # every layer is active: the test has teeth
    assert run.steps_per_example == TINY_STEPS and run.dt == pytest.approx(1e-3)


def test_converted_tiny_net_keeps_the_anns_argmax_on_most_inputs(seed):
    """The brief's test: after conversion, the IF network predicts the ANN's class."""
    rng = np.random.default_rng(seed + 1)
    weights, biases = tiny_net(rng)
    X = rng.random((200, TINY[0]))
    net = normalise(weights, biases, X, percentile=99.9)
    run = IFNetwork(net.weights, net.biases).run(X, TINY_STEPS, checkpoints=CHECKPOINTS)
    agreement = (run.predictions() == relu_forward(weights, biases, X).argmax(1)[:, None]).mean(0)
    # Measured 0.0 after 1 step (the output layer has only its biases yet: one class
    # for every input), 0.895 after 5, 0.995 after 20 and 1.0 after 50 and 200 steps.
    assert agreement[-1] >= 0.95
    assert agreement[-1] > agreement[0]


def test_operations_count_spikes_times_fan_out(seed):
    rng = np.random.default_rng(seed)
    weights, biases = tiny_net(rng, dyadic=True)
    weights[1][0, :] = 0.0  # a zero row: neuron 0 of layer 2 receives nothing
    X = (np.round(rng.random((50, TINY[0])) * 15) + 1) / 16  # in [1/16, 1]: never 0
    X[:, 0] = 0.0  # a silent pixel
    net = IFNetwork(weights, biases)
    run = net.run(X, TINY_STEPS, checkpoints=CHECKPOINTS)
    _, _, totals = reference_if(weights, biases, X, TINY_STEPS)
    ops = net.operations(run, X)
    fan_out = [np.count_nonzero(W, axis=0) for W in weights]
    expected_acs = (totals[0] @ fan_out[1] + totals[1] @ fan_out[2]) / 50
    assert ops["effective_acs"] == pytest.approx(expected_acs, rel=1e-12)
    # The first layer's current: one product per (non-zero pixel, non-zero weight).
    assert ops["effective_macs"] == fan_out[0][1:].sum()
    assert ops["activations"] == pytest.approx(sum(t.sum() for t in totals) / 50)
    assert ops["neuron_updates"] == (5 + 4 + 3) * TINY_STEPS
    assert ops["dense_macs"] == 6 * 5 + (5 * 4 + 4 * 3) * TINY_STEPS
    assert ops["parameter_count"] == 6 * 5 + 5 * 4 + 4 * 3 + 5 + 4 + 3
    assert ops["connection_sparsity"] == pytest.approx(
        sum(np.sum(W == 0) for W in weights) / (6 * 5 + 5 * 4 + 4 * 3)
    )
    assert set(ops) <= set(OPERATION_UNITS)


def test_if_network_rejects_bad_input():
    W, b = [np.ones((3, 2)), np.ones((2, 3))], [np.zeros(3), np.zeros(2)]
    with pytest.raises(ValueError, match=r"weights\[1\]: expected 3 inputs"):
        IFNetwork([W[0], np.ones((2, 4))], b)
    with pytest.raises(ValueError, match=r"biases\[0\]: expected shape \(3,\)"):
        IFNetwork(W, [np.zeros(2), b[1]])
    with pytest.raises(ValueError, match="2 weight matrices but 1 bias"):
        IFNetwork(W, b[:1])
    with pytest.raises(ValueError, match=r"weights\[0\] must be finite"):
        IFNetwork([np.full((3, 2), np.nan), W[1]], b)
    with pytest.raises(ValueError, match="input_encoding must be one of"):
        IFNetwork(W, b, input_encoding="latency")
    with pytest.raises(ValueError, match="params must be an IFParams"):
        IFNetwork(W, b, params={"dt": 1})
    net = IFNetwork(W, b)
    with pytest.raises(ValueError, match=r"expected X of shape \(n_examples >= 1, 2\)"):
        net.run(np.zeros((4, 3)), 10)
    with pytest.raises(ValueError, match="inputs in \\[0, 1\\].*divide by 255"):
        net.run(np.full((4, 2), 200.0), 10)
    with pytest.raises(ValueError, match="time_steps must be a positive integer"):
        net.run(np.zeros((4, 2)), 0)
    for bad in [(5, 3, 10), (0, 10), (5, 8), ()]:
        with pytest.raises(ValueError, match="checkpoints must be increasing"):
            net.run(np.zeros((4, 2)), 10, checkpoints=bad)
    with pytest.raises(ValueError, match="v_init must be in"):
        IFParams(v_init=1.0)
    with pytest.raises(ValueError, match="input_spike_probability"):
        IFParams(input_spike_probability=0.0)


@pytest.mark.slow  # compiles a fourth layout (Poisson input): 30-90 s on a cold cache
def test_poisson_input_is_seeded_and_matches_analog_rates_on_average(seed):
    rng = np.random.default_rng(seed)
    weights, biases = tiny_net(rng)
    X = rng.random((40, TINY[0]))
    net = normalise(weights, biases, X, percentile=100)
    poisson = IFNetwork(net.weights, net.biases, input_encoding="poisson")
    a = poisson.run(X, TINY_STEPS, checkpoints=CHECKPOINTS, seed=1)
    b = poisson.run(X, TINY_STEPS, checkpoints=CHECKPOINTS, seed=1)
    c = poisson.run(X, TINY_STEPS, checkpoints=CHECKPOINTS, seed=2)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)
    # Input spikes per pixel are Binomial(200, x): their total is 200 * sum(x) within
    # 5 standard deviations.
    expected = TINY_STEPS * X.sum(axis=0)
    sd = np.sqrt(TINY_STEPS * (X * (1 - X)).sum(axis=0))
    assert np.all(np.abs(a.spike_counts[0] - expected) < 5 * sd)
    # Output spike totals follow the analog network's within 10 % (noise averages out).
    analog = IFNetwork(net.weights, net.biases).run(X, TINY_STEPS, checkpoints=CHECKPOINTS)
    assert a.counts[:, -1].sum() == pytest.approx(analog.counts[:, -1].sum(), rel=0.1)


@pytest.mark.slow  # runtime mode: Cython compiles every code object (minutes, cold cache)
def test_runtime_mode_gives_the_same_spikes_as_standalone(seed):
    rng = np.random.default_rng(seed)
    weights, biases = tiny_net(rng, dyadic=True)
    X = np.round(rng.random((8, TINY[0])) * 16) / 16
    standalone = IFNetwork(weights, biases).run(X, 20, checkpoints=(1, 5, 20))
    runtime = IFNetwork(weights, biases, backend="runtime").run(X, 20, checkpoints=(1, 5, 20))
    np.testing.assert_array_equal(standalone.counts, runtime.counts)
    np.testing.assert_array_equal(standalone.potentials, runtime.potentials)
    for s, r in zip(standalone.spike_counts, runtime.spike_counts):
        np.testing.assert_array_equal(s, r)


# -- the estimator (compare) ----------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def digits_model(digits):
    return ConvertedSNNClassifier(
        hidden_sizes=(32,), time_steps=100, epochs=20, random_state=0
    ).fit(digits.X_train, digits.y_train)


def test_digits_converted_snn_approaches_its_ann_as_steps_grow(digits, digits_model):
    steps = [1, 2, 5, 20, 100]
    curve = digits_model.accuracy_vs_time_steps(digits.X_test, digits.y_test, steps)
    assert curve.time_steps.tolist() == steps and curve.n_examples == digits.n_test
    # Measured: ANN 0.924; SNN 0.122 after 1 step, 0.907 after 5, 0.927 after 100
    # (agreement with the ANN 0.124, 0.956, 0.998).
    assert curve.ann_accuracy > 0.85
    assert curve.accuracy[-1] >= curve.ann_accuracy - 0.02
    assert curve.agreement[-1] >= 0.97
    assert curve.accuracy[-1] > curve.accuracy[0] and curve.agreement[-1] > curve.agreement[0]
    assert np.all(np.diff(curve.agreement) > -0.02)  # rises with steps, up to noise
    predicted = digits_model.predict(digits.X_test)
    assert np.mean(predicted == digits.y_test) == pytest.approx(curve.accuracy[-1])
    assert [row["time_steps"] for row in curve.rows()] == steps
    assert curve.examples_per_second > 0 and curve.simulation_seconds > 0


def test_converted_snn_through_the_registry_and_evaluate(digits):
    task = digits.subset(n_train=400, n_test=100)
    spec = ModelSpec("converted", "converted-snn", {"hidden_sizes": (32,), "epochs": 20})
    assert spec.arm == "spiking"
    model = build_model(spec, random_state=0)
    result = evaluate(model, task, operations_examples=20)
    assert result.metrics["accuracy"][0] > 0.5  # 10 classes: chance 0.1; measured 0.82
    assert result.metrics["effective_acs"][0] > 0
    assert result.metrics["neuron_updates"][0] == (32 + 10) * 100


def test_from_ann_converts_a_trained_mlp_without_training(digits, digits_model):
    maxnorm = ConvertedSNNClassifier.from_ann(
        digits_model.ann_, digits.X_train, percentile=100, time_steps=100
    )
    assert maxnorm.ann_ is digits_model.ann_ and maxnorm.hidden_sizes == (32,)
    scales = [layer.scale for layer in maxnorm.conversion_.layers]
    robust = [layer.scale for layer in digits_model.conversion_.layers]
    assert all(m >= r for m, r in zip(scales, robust))  # the max is above any percentile
    with pytest.raises(ValueError, match=r"\['epochs'\] come from the trained ann"):
        ConvertedSNNClassifier.from_ann(digits_model.ann_, digits.X_train, epochs=3)
    with pytest.raises(ValueError, match="expected a fitted MLPClassifier"):
        ConvertedSNNClassifier.from_ann(digits_model, digits.X_train)


def test_estimator_rejects_bad_input(digits, digits_model):
    X, y = digits.X_train[:50], digits.y_train[:50]
    with pytest.raises(NotFittedError):
        ConvertedSNNClassifier().predict(X)
    for params, message in [
        ({"time_steps": 0}, "time_steps must be a positive integer"),
        ({"percentile": 101}, r"percentile must be in \(0, 100\]"),
        ({"n_normalise": 0}, "n_normalise must be a positive integer or None"),
        ({"input_encoding": "rate"}, "input_encoding must be one of"),
        ({"backend": "gpu"}, "backend must be one of"),
    ]:
        with pytest.raises(ValueError, match=message):
            ConvertedSNNClassifier(epochs=1, **params).fit(X, y)
    with pytest.raises(ValueError, match="divide by 255"):
        ConvertedSNNClassifier(epochs=1).fit(X * 16, y)
    with pytest.raises(ValueError, match="features"):
        digits_model.predict(X[:, :10])
    with pytest.raises(ValueError, match="positive integers"):
        digits_model.accuracy_vs_time_steps(X, y, [0, 10])
    with pytest.raises(ValueError, match=r"expected 50 labels in a 1-D y"):
        digits_model.accuracy_vs_time_steps(X, y[:10], [10])


def test_ann_to_snn_script_writes_its_table_figure_and_metrics(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["ann_to_snn.py"])
    main = runpy.run_path(str(ROOT / "experiments" / "ann_to_snn.py"), run_name="not_main")["main"]
    assert main(["--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    table = np.genfromtxt(tmp_path / "accuracy_vs_time_steps.csv", delimiter=",", names=True)
    assert table["percentile"].tolist() == [99.9] * 3 + [100.0] * 3
    assert table["time_steps"].tolist() == [5, 20, 100] * 2
    assert np.all((table["snn_accuracy"] > 0.5) & (table["snn_accuracy"] <= 1))
    for suffix in (".png", ".svg"):
        assert (tmp_path / f"accuracy_vs_time_steps{suffix}").stat().st_size > 0
    metrics = (tmp_path / "metrics.json").read_text()
    assert '"examples_per_second"' in metrics and '"99.9"' in metrics


def test_accuracy_vs_time_steps_figure_draws_each_curve_and_the_reference(tmp_path):
    from compare.report import figures

    curves = {"99.9th percentile": ([1, 10, 100], [0.2, 0.8, 0.9]), "max-norm": ([10], [0.7])}
    ax = figures.plot_accuracy_vs_time_steps(curves, reference=0.9)
    assert [line.get_label() for line in ax.get_lines()] == [*curves, "ANN (90.0 %)"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [20, 80, 90])
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["1", "10", "100"]
    figures.save(ax.figure, tmp_path / "curve")
    assert (tmp_path / "curve.png").stat().st_size > 0
