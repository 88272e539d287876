"""Tests of the artificial arm: estimator contract, seeding, validation, learning, operations."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional

import artificial
from artificial import MLP, History, LogisticRegression, MLPClassifier, train_classifier
from artificial.operations import OPERATION_KEYS, measure_operations

SEED = 0
ESTIMATORS = [MLPClassifier, LogisticRegression]


def fast(estimator_class, **params):
    """An estimator with few epochs, for tests about the contract rather than accuracy."""
    return estimator_class(epochs=2, random_state=SEED, **params)


def all_weights(model) -> list[torch.Tensor]:
    return [tensor.detach().clone() for tensor in model.module_.state_dict().values()]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Run these tiny networks on one intra-op thread, restoring the setting afterwards.

    Their matrices are too small to gain from threads, and on a loaded machine torch's
    spinning OpenMP threads made the file 4-15x slower (27 s instead of 3.5 s, measured).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def digits_split():
    """sklearn digits scaled to [0, 1] (pixel values are 0..16), stratified 75/25 split."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=SEED)


# Fitted once per module: the tests below only read these models (operations() leaves
# no hooks behind, which test_operations_remove_their_hooks checks).
@pytest.fixture(scope="module")
def digits_mlp(digits_split):
    X_train, _, y_train, _ = digits_split
    return MLPClassifier(hidden_sizes=(100,), epochs=50, random_state=SEED).fit(X_train, y_train)


@pytest.fixture(scope="module")
def digits_logistic(digits_split):
    X_train, _, y_train, _ = digits_split
    return LogisticRegression(epochs=30, random_state=SEED).fit(X_train, y_train)


@pytest.fixture
def small_task():
    """40 examples, 8 features in [0, 1], 3 classes decided by which third holds the most mass."""
    rng = np.random.default_rng(SEED)
    X = rng.random((40, 8))
    y = np.argmax(np.stack([X[:, :3].sum(1), X[:, 3:6].sum(1), X[:, 6:].sum(1) * 1.5]), 0)
    return X, y


# --- the estimator contract ---------------------------------------------------------


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_clone_and_get_params_round_trip(estimator_class, small_task):
    model = estimator_class(epochs=3, learning_rate=0.05, optimizer="sgd", random_state=7)
    params = model.get_params()
    assert params["epochs"] == 3 and params["optimizer"] == "sgd" and params["random_state"] == 7
    assert clone(model).get_params() == params
    assert estimator_class(**params).get_params() == params
    fitted = model.fit(*small_task)
    unfitted_copy = clone(fitted)
    assert unfitted_copy.get_params() == params
    assert not hasattr(unfitted_copy, "module_")


def test_mlp_hidden_sizes_is_stored_unmodified():
    hidden_sizes = [16, 8]  # a list stays a list: __init__ must not convert it
    assert MLPClassifier(hidden_sizes).get_params()["hidden_sizes"] is hidden_sizes


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_fit_returns_self_with_learned_state(estimator_class, small_task):
    X, y = small_task
    model = fast(estimator_class)
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 8
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert isinstance(model.module_, nn.Module)
    assert len(model.history_.train_loss) == 2
    assert model.seed_ == SEED


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "operations"])
@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_using_an_unfitted_model_raises_not_fitted(estimator_class, method, small_task):
    X, y = small_task
    args = (X, y) if method == "score" else (X,)
    with pytest.raises(NotFittedError):
        getattr(estimator_class(), method)(*args)


def test_labels_are_returned_in_their_original_form(small_task):
    X, y = small_task
    names = np.array(["cat", "dog", "emu"])[y]
    model = fast(MLPClassifier, hidden_sizes=(8,)).fit(X, names)
    np.testing.assert_array_equal(model.classes_, ["cat", "dog", "emu"])
    assert set(model.predict(X)) <= {"cat", "dog", "emu"}


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_predict_proba_is_a_distribution_consistent_with_predict(estimator_class, small_task):
    X, y = small_task
    model = fast(estimator_class).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (40, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)  # float64 softmax rounding
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))


@pytest.mark.parametrize(
    ("hidden_sizes", "activation", "n_parameters"),
    [
        ((), "relu", 8 * 3 + 3),
        ((5,), "tanh", (8 * 5 + 5) + (5 * 3 + 3)),
        ((6, 4), "sigmoid", (8 * 6 + 6) + (6 * 4 + 4) + (4 * 3 + 3)),
    ],
)
def test_every_mlp_shape_fits_and_predicts(hidden_sizes, activation, n_parameters, small_task):
    X, y = small_task
    model = fast(MLPClassifier, hidden_sizes=hidden_sizes, activation=activation).fit(X, y)
    assert model.n_parameters_ == n_parameters
    assert model.predict_proba(X[:5]).shape == (5, 3)
    assert model.predict(X[:5]).shape == (5,)


def test_logistic_regression_is_a_single_linear_layer(small_task):
    model = fast(LogisticRegression).fit(*small_task)
    linear_layers = [m for m in model.module_.modules() if isinstance(m, nn.Linear)]
    assert isinstance(model.module_, MLP) and len(linear_layers) == 1
    assert model.n_parameters_ == 8 * 3 + 3


# --- seeding --------------------------------------------------------------------------


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_same_seed_gives_bit_identical_models(estimator_class, small_task):
    X, y = small_task
    first = estimator_class(epochs=3, random_state=11).fit(X, y)
    second = estimator_class(epochs=3, random_state=11).fit(X, y)
    assert all(torch.equal(a, b) for a, b in zip(all_weights(first), all_weights(second)))
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.history_ == second.history_


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_different_seeds_give_different_weights(estimator_class, small_task):
    X, y = small_task
    first = estimator_class(epochs=1, random_state=1).fit(X, y)
    second = estimator_class(epochs=1, random_state=2).fit(X, y)
    assert not torch.equal(all_weights(first)[0], all_weights(second)[0])


def test_random_state_none_draws_a_fresh_seed_that_is_recorded(small_task):
    X, y = small_task
    first = MLPClassifier(hidden_sizes=(8,), epochs=1).fit(X, y)
    second = MLPClassifier(hidden_sizes=(8,), epochs=1).fit(X, y)
    assert first.seed_ != second.seed_  # two draws from 2**63 seeds
    assert not torch.equal(all_weights(first)[0], all_weights(second)[0])
    replay = MLPClassifier(hidden_sizes=(8,), epochs=1, random_state=first.seed_).fit(X, y)
    assert all(torch.equal(a, b) for a, b in zip(all_weights(first), all_weights(replay)))


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_fit_leaves_the_global_random_generators_unchanged(estimator_class, small_task):
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    estimator_class(epochs=2, random_state=None).fit(*small_task)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


# --- input validation -----------------------------------------------------------------


def _with_value(X, value):
    X = X.copy()
    X[3, 2] = value
    return X


BAD_TRAINING_DATA = [
    pytest.param(lambda X, y: (X[:, 0], y), r"Expected 2D array, got 1D array", id="1-D X"),
    pytest.param(lambda X, y: (_with_value(X, np.nan), y), r"Input X contains NaN", id="NaN"),
    pytest.param(lambda X, y: (_with_value(X, np.inf), y), r"Input X contains infinity", id="inf"),
    pytest.param(
        lambda X, y: (X * 255, y),
        r"expected features in \[0, 1\], got max 2\d\d\.\d+ — rescale, e.g. divide by 2\d\d",
        id="above 1",
    ),
    pytest.param(
        lambda X, y: (_with_value(X, -0.5), y),
        r"expected features in \[0, 1\], got min -0\.5",
        id="below 0",
    ),
    pytest.param(
        lambda X, y: (X, y[:-1]),
        r"inconsistent numbers of samples: \[40, 39\]",
        id="y wrong length",
    ),
    pytest.param(
        lambda X, y: (X, np.full(len(y), 4)),
        r"expected at least 2 classes in y, got 1 class \(every label is 4\)",
        id="single class",
    ),
    pytest.param(lambda X, y: (X, y + 0.5), r"Unknown label type: continuous", id="continuous y"),
    pytest.param(lambda X, y: (X, np.stack([y, y], 1)), r"y should be a 1d array", id="2-D y"),
]


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
@pytest.mark.parametrize(("corrupt", "message"), BAD_TRAINING_DATA)
def test_fit_rejects_bad_data_naming_the_problem(estimator_class, corrupt, message, small_task):
    X, y = corrupt(*small_task)
    with pytest.raises(ValueError, match=message):
        fast(estimator_class).fit(X, y)


@pytest.mark.parametrize("estimator_class", ESTIMATORS)
def test_prediction_rejects_bad_data_naming_the_problem(estimator_class, small_task):
    X, y = small_task
    model = fast(estimator_class).fit(X, y)
    name = estimator_class.__name__
    for method in (model.predict, model.predict_proba, model.operations):
        with pytest.raises(ValueError, match=rf"X has 5 features, but {name} is expecting 8"):
            method(X[:, :5])
        with pytest.raises(ValueError, match=r"got max 16\.0 — rescale, e.g. divide by 16"):
            method(_with_value(X, 16.0))
        with pytest.raises(ValueError, match=r"Input X contains NaN"):
            method(_with_value(X, np.nan))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"optimizer": "adagrad"},
            r"expected optimizer in \('adam', 'sgd', 'rmsprop', 'keras_rmsprop'\), got 'adagrad'",
        ),
        ({"epochs": 0}, r"expected epochs to be a positive int, got 0"),
        ({"batch_size": 2.5}, r"expected batch_size to be a positive int, got 2\.5"),
        ({"learning_rate": -1.0}, r"expected learning_rate > 0, got -1\.0"),
        ({"weight_decay": -0.1}, r"expected weight_decay >= 0, got -0\.1"),
        ({"random_state": -3}, r"expected random_state None or a non-negative int, got -3"),
        ({"device": "tpu"}, r"expected device 'cpu' or 'cuda', got 'tpu'"),
        ({"hidden_sizes": (10, 0)}, r"expected every hidden size to be a positive int, got 0"),
        (
            {"activation": "gelu"},
            r"expected activation in \['relu', 'sigmoid', 'tanh'\], got 'gelu'",
        ),
    ],
)
def test_bad_hyperparameters_are_named_at_fit(params, message, small_task):
    model = MLPClassifier(epochs=params.pop("epochs", 1), **params)
    with pytest.raises(ValueError, match=message):
        model.fit(*small_task)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_cuda_without_cuda_is_a_clear_error(small_task):
    message = r"device 'cuda' requested but torch.cuda.is_available\(\) is False"
    with pytest.raises(ValueError, match=message):
        fast(MLPClassifier, device="cuda").fit(*small_task)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_training_matches_cpu_predictions(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    gpu = MLPClassifier(epochs=20, random_state=SEED, device="cuda").fit(X_train, y_train)
    cpu = MLPClassifier(epochs=20, random_state=SEED).fit(X_train, y_train)
    assert next(gpu.module_.parameters()).device.type == "cuda"
    # Same seed, same initial weights and shuffles; GPU float rounding differs, so
    # compare accuracy (within 1 % of the 450 test digits), not bits.
    assert abs(gpu.score(X_test, y_test) - cpu.score(X_test, y_test)) <= 0.01
    assert gpu.operations(X_test)["dense_macs"] == 64 * 100 + 100 * 10


# --- learning -------------------------------------------------------------------------


def test_mlp_learns_digits(digits_mlp, digits_split):
    _, X_test, _, y_test = digits_split
    # Seed 0, 50 epochs of Adam at 1e-3 scores 0.971; seeds 0-4 give 0.969-0.978.
    assert digits_mlp.score(X_test, y_test) > 0.95


def test_logistic_regression_learns_digits(digits_logistic, digits_split):
    _, X_test, _, y_test = digits_split
    # Seed 0, 30 epochs of Adam at 1e-2 scores 0.964; seeds 0-4 give 0.962-0.967.
    assert digits_logistic.score(X_test, y_test) > 0.90


@pytest.mark.parametrize("fixture", ["digits_mlp", "digits_logistic"])
def test_history_has_one_entry_per_epoch_and_loss_falls(fixture, request):
    model = request.getfixturevalue(fixture)
    history = model.history_
    assert len(history.train_loss) == len(history.train_accuracy) == model.epochs
    # Full-training-set loss after each epoch; with these seeds it falls every epoch.
    assert np.all(np.diff(history.train_loss) < 0)
    assert history.train_accuracy[-1] > history.train_accuracy[0]
    records = history.as_records()
    # train_loss, train_accuracy and learning_rate per epoch; no validation split.
    assert len(records) == 3 * model.epochs
    assert records[0] == {"epoch": 1, "metric": "train_loss", "value": history.train_loss[0]}
    assert records[2 * model.epochs - 1] == {
        "epoch": model.epochs,
        "metric": "train_accuracy",
        "value": history.train_accuracy[-1],
    }
    last_rate = {"epoch": model.epochs, "metric": "learning_rate", "value": model.learning_rate}
    assert records[-1] == last_rate


def test_history_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"got 2 losses and 1 accuracies"):
        History(train_loss=(1.0, 0.5), train_accuracy=(0.3,))


def test_verbose_shows_a_progress_bar_with_loss_and_accuracy(small_task, capsys):
    fast(MLPClassifier, hidden_sizes=(8,), verbose=True).fit(*small_task)
    shown = capsys.readouterr().err
    assert "MLPClassifier" in shown and "loss=" in shown and "accuracy=" in shown


# --- the training loop on its own -----------------------------------------------------


def _seeded_net(seed):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(8, (16,), 3)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "keras_rmsprop"])
def test_train_classifier_is_deterministic_and_lowers_the_loss(optimizer, small_task):
    X, y = small_task
    runs = []
    for _ in range(2):
        net = _seeded_net(SEED)
        history = train_classifier(
            net,
            X,
            y,
            epochs=20,
            batch_size=8,
            learning_rate=1e-2,
            optimizer=optimizer,
            generator=torch.Generator().manual_seed(SEED),
        )
        runs.append((net, history))
    (net_a, history_a), (net_b, history_b) = runs
    assert all(torch.equal(a, b) for a, b in zip(net_a.parameters(), net_b.parameters()))
    assert history_a == history_b
    assert history_a.train_loss[-1] < history_a.train_loss[0]


def test_train_classifier_shuffle_comes_from_the_generator(small_task):
    X, y = small_task
    nets = []
    for shuffle_seed in (1, 2):
        net = _seeded_net(SEED)
        train_classifier(
            net,
            X,
            y,
            epochs=1,
            batch_size=8,
            learning_rate=1e-2,
            generator=torch.Generator().manual_seed(shuffle_seed),
        )
        nets.append(net)
    assert not torch.equal(nets[0].network[0].weight, nets[1].network[0].weight)


def test_train_classifier_rejects_mismatched_targets(small_task):
    X, y = small_task
    with pytest.raises(ValueError, match=r"expected y of shape \(40,\) .* got y of shape \(39,\)"):
        train_classifier(
            _seeded_net(SEED),
            X,
            y[:-1],
            epochs=1,
            batch_size=8,
            learning_rate=1e-2,
            generator=torch.Generator(),
        )


# --- operation counts -----------------------------------------------------------------


def test_operations_of_the_digits_mlp_match_independent_counts(digits_mlp, digits_split):
    _, X_test, _, _ = digits_split
    report = digits_mlp.operations(X_test)
    assert tuple(report) == OPERATION_KEYS

    hidden_layer, output_layer = digits_mlp.module_.network[0], digits_mlp.module_.network[2]
    X = torch.as_tensor(X_test, dtype=torch.float32)
    with torch.no_grad():  # the same kernels as the module, called without hooks
        hidden = torch.relu(functional.linear(X, hidden_layer.weight, hidden_layer.bias))
    n = len(X_test)
    active_per_example = torch.count_nonzero(hidden).item() / n
    assert torch.all(hidden_layer.weight != 0) and torch.all(output_layer.weight != 0)

    assert report["dense_macs"] == 64 * 100 + 100 * 10
    assert report["parameter_count"] == digits_mlp.n_parameters_ == 65 * 100 + 101 * 10
    assert report["footprint_bytes"] == 4 * report["parameter_count"]  # float32, no buffers
    assert report["connection_sparsity"] == 0.0
    assert report["activations"] == active_per_example
    # rel=1e-12 below: the same counts, divided in a different order.
    assert report["activation_sparsity"] == pytest.approx(1 - active_per_example / 100, rel=1e-12)
    # Every weight is non-zero, so effective MACs are (non-zero inputs) x (layer outputs).
    nonzero_pixels_per_example = np.count_nonzero(X_test) / n
    assert report["effective_macs"] == pytest.approx(
        nonzero_pixels_per_example * 100 + active_per_example * 10, rel=1e-12
    )
    assert report["effective_macs"] < report["dense_macs"]
    assert report["effective_acs"] == 0.0
    assert report["neuron_updates"] == 100 + 10


def test_operations_of_logistic_regression_have_no_hidden_layer(digits_logistic, digits_split):
    _, X_test, _, _ = digits_split
    report = digits_logistic.operations(X_test)
    assert report["dense_macs"] == 64 * 10
    nonzero_pixels_per_example = np.count_nonzero(X_test) / len(X_test)
    # rel=1e-12: the same count, divided in a different order.
    assert report["effective_macs"] == pytest.approx(nonzero_pixels_per_example * 10, rel=1e-12)
    assert report["activations"] == 0.0
    assert math.isnan(report["activation_sparsity"])
    assert report["neuron_updates"] == 10


def test_operations_on_a_hand_made_net_count_only_non_zero_pairs():
    net = MLP(3, (2,), 2)
    with torch.no_grad():
        net.network[0].weight.copy_(torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, -1.0]]))
        net.network[0].bias.zero_()
        net.network[2].weight.copy_(torch.tensor([[1.0, 1.0], [0.0, 3.0]]))
        net.network[2].bias.zero_()
    X = torch.tensor([[0.0, 0.5, 1.0], [1.0, 0.0, 0.0]])
    # Hidden pre-activations: [2, -1] and [1, 0] -> ReLU -> [2, 0] and [1, 0].
    # Layer 1 pairs (non-zero input, non-zero weight): example 1 has x2 with w02, w12 -> 2;
    # example 2 has x0 with w00 -> 1. Layer 2: h0 with w00 in both examples -> 1 + 1.
    report = measure_operations(net, X)
    assert report == {
        "parameter_count": 14.0,
        "footprint_bytes": 14.0 * 4,
        "connection_sparsity": 4 / 10,
        "dense_macs": 3 * 2 + 2 * 2,
        "effective_macs": (2 + 1 + 1 + 1) / 2,
        "effective_acs": 0.0,
        "activations": 1.0,
        "activation_sparsity": 1 - 2 / 4,
        "neuron_updates": 4.0,
    }


def _hook_count(module):
    return sum(len(m._forward_hooks) for m in module.modules())


def test_operations_remove_their_hooks(digits_mlp, digits_split):
    _, X_test, _, _ = digits_split
    digits_mlp.operations(X_test[:10])
    assert _hook_count(digits_mlp.module_) == 0


def test_operations_remove_their_hooks_when_the_forward_pass_fails():
    net = MLP(3, (2,), 2)
    with pytest.raises(RuntimeError):  # 4 columns into a 3-input layer
        measure_operations(net, torch.zeros(2, 4))
    assert _hook_count(net) == 0


# --- package boundaries ---------------------------------------------------------------


def test_artificial_never_imports_the_other_arms():
    forbidden = {"spiking", "compare", "brian2"}
    for path in Path(artificial.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & forbidden, f"{path.name} imports {roots & forbidden}"
