"""Tests of the artificial arm's training options, families, augmentation and operation counts.

The training loop's losses, schedules, early stopping and NaN guard; the estimator
families (linear regression, MLP presets, CNN, RNN / LSTM / GRU); the augmentation
pipeline; and operation counts of convolution and recurrent layers on networks small
enough to count by hand.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional

from artificial import (
    MLP,
    CNN1DClassifier,
    CNNClassifier,
    ConvNet,
    ConvNet1d,
    ImageAugmentation,
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    RNNClassifier,
    mlp_parameter_count,
    train_classifier,
    train_regressor,
)
from artificial.augmentation import affine_matrices, augment_images, warp_images
from artificial.models import Standardize
from artificial.operations import measure_operations
from artificial.training import (
    LOSSES,
    LR_SCHEDULES,
    History,
    KerasRMSprop,
    forward_in_chunks,
    learning_rates,
    validation_split,
)

SEED = 0


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One intra-op thread: these networks are tiny, and threads only add contention."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def digits_split():
    """sklearn digits scaled to [0, 1] (pixel values are 0..16), stratified 75/25 split."""
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=SEED)


@pytest.fixture
def small_task():
    """40 examples, 8 features in [0, 1], 3 classes decided by which third holds the most mass."""
    rng = np.random.default_rng(SEED)
    X = rng.random((40, 8))
    y = np.argmax(np.stack([X[:, :3].sum(1), X[:, 3:6].sum(1), X[:, 6:].sum(1) * 1.5]), 0)
    return X, y


@pytest.fixture
def image_task():
    """40 random 8 x 8 'images' in [0, 1], flattened, with 3 classes."""
    rng = np.random.default_rng(SEED)
    X = rng.random((40, 64))
    return X, np.arange(40) % 3


def _seeded(build, seed=SEED):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _weights(module):
    return [tensor.detach().clone() for tensor in module.state_dict().values()]


def _same_weights(first, second):
    return all(torch.equal(a, b) for a, b in zip(_weights(first), _weights(second)))


# --- learning-rate schedules ----------------------------------------------------------


def test_learning_rate_schedules_follow_their_formulas():
    assert learning_rates("constant", 0.1, 3) == (0.1, 0.1, 0.1)
    step = learning_rates("step", 0.1, 7, step_size=3, step_gamma=0.5)
    assert step == tuple(0.1 * 0.5 ** (e // 3) for e in range(7))
    # The default step size is max(1, epochs // 3): drops after epochs 3 and 6 of 9.
    assert learning_rates("step", 1.0, 9) == (1.0,) * 3 + (0.1,) * 3 + (0.1**2,) * 3
    cosine = learning_rates("cosine", 0.1, 8)
    assert cosine == tuple(0.1 * (1 + math.cos(math.pi * e / 8)) / 2 for e in range(8))
    assert cosine[0] == 0.1 and cosine[4] == pytest.approx(0.05, rel=1e-15)  # cos(pi/2) ~ 6e-17


@pytest.mark.parametrize("lr_schedule", ["step", "cosine"])
def test_the_loop_uses_and_records_the_scheduled_rates(lr_schedule, small_task):
    X, y = small_task

    def train(schedule, epochs):
        net = _seeded(lambda: MLP(8, (16,), 3))
        history = train_classifier(
            net, X, y, epochs=epochs, batch_size=8, learning_rate=0.05, optimizer="sgd",
            lr_schedule=schedule, step_size=1, step_gamma=0.5,
            generator=torch.Generator().manual_seed(SEED),
        )  # fmt: skip
        return net, history

    net, history = train(lr_schedule, 3)
    assert history.learning_rate == learning_rates(
        lr_schedule, 0.05, 3, step_size=1, step_gamma=0.5
    )
    # Epoch 1 runs at the base rate under every schedule, so one epoch matches the
    # constant run bit for bit; from epoch 2 on the rates, hence the weights, differ.
    assert _same_weights(train(lr_schedule, 1)[0], train("constant", 1)[0])
    assert not _same_weights(net, train("constant", 3)[0])


# --- losses ---------------------------------------------------------------------------


def test_mse_loss_is_the_squared_distance_to_one_hot_targets(small_task):
    X, y = small_task
    net = _seeded(lambda: MLP(8, (16,), 3))
    history = train_classifier(
        net, X, y, epochs=2, batch_size=8, learning_rate=1e-2, loss="mse",
        generator=torch.Generator().manual_seed(SEED),
    )  # fmt: skip
    outputs = forward_in_chunks(net, torch.as_tensor(X, dtype=torch.float32))
    one_hot = functional.one_hot(torch.as_tensor(y), 3).float()
    expected = ((outputs - one_hot) ** 2).sum(dim=1).mean().item()
    assert history.train_loss[-1] == pytest.approx(expected, rel=1e-6)  # float32 sum order


def test_train_regressor_minimises_mean_squared_error():
    rng = np.random.default_rng(SEED)
    X = rng.random((64, 2))
    y = X @ np.array([2.0, -1.0]) + 0.5
    net = _seeded(lambda: nn.Linear(2, 1))
    history = train_regressor(
        net, X, y, epochs=200, batch_size=16, learning_rate=0.05,
        generator=torch.Generator().manual_seed(SEED),
    )  # fmt: skip
    assert history.train_accuracy == () and history.val_accuracy == ()
    # Exact linear targets: gradient descent approaches zero error; 1e-2 leaves room
    # for the last Adam steps' jitter.
    np.testing.assert_allclose(net.weight.detach().numpy()[0], [2.0, -1.0], atol=1e-2)
    assert history.train_loss[-1] < 1e-4


# --- early stopping -------------------------------------------------------------------


def test_validation_split_is_stratified_and_seeded():
    y = np.repeat([0, 1, 2], [40, 40, 20])
    train, val = validation_split(100, 0.25, torch.Generator().manual_seed(1), stratify=y)
    assert sorted(torch.cat([train, val]).tolist()) == list(range(100))
    np.testing.assert_array_equal(np.bincount(y[val.numpy()]), [10, 10, 5])
    again = validation_split(100, 0.25, torch.Generator().manual_seed(1), stratify=y)[1]
    other = validation_split(100, 0.25, torch.Generator().manual_seed(2), stratify=y)[1]
    assert torch.equal(val, again) and not torch.equal(val, other)


def test_early_stopping_restores_the_best_epochs_weights(digits_split):
    X_train, _, y_train, _ = digits_split
    patience = 3
    net = _seeded(lambda: MLP(64, (64,), 10))
    history = train_classifier(
        net, X_train, y_train, epochs=100, batch_size=64, learning_rate=1e-2,
        validation_fraction=0.2, patience=patience,
        generator=torch.Generator().manual_seed(SEED),
    )  # fmt: skip
    n_run = len(history.val_loss)
    best = int(np.argmin(history.val_loss))
    # Adam at 1e-2 overfits 1078 digits within a few epochs (measured: best epoch 8 of
    # 11 run), so training stops long before 100 epochs, `patience` epochs after the best.
    assert n_run < 100 and n_run == history.best_epoch + patience == best + 1 + patience
    assert len(history.val_accuracy) == len(history.train_loss) == n_run
    assert history.val_loss[-1] > history.val_loss[best]

    # The loop's first draw is the split: replay it from the same seed.
    _, val = validation_split(
        len(X_train), 0.2, torch.Generator().manual_seed(SEED), stratify=y_train
    )
    logits = forward_in_chunks(net, torch.as_tensor(X_train[val.numpy()], dtype=torch.float32))
    restored_val_loss = functional.cross_entropy(logits, torch.as_tensor(y_train[val.numpy()]))
    assert restored_val_loss.item() == history.val_loss[best]  # the same computation, bit for bit


def test_estimators_pass_early_stopping_through(digits_split):
    X_train, _, y_train, _ = digits_split
    model = MLPClassifier(
        hidden_sizes=(64,), epochs=100, learning_rate=1e-2, validation_fraction=0.2,
        patience=2, random_state=SEED,
    ).fit(X_train, y_train)  # fmt: skip
    history = model.history_
    assert len(history.val_loss) == history.best_epoch + 2 < 100
    records = history.as_records()
    assert {r["metric"] for r in records} == {
        "train_loss", "train_accuracy", "val_loss", "val_accuracy", "learning_rate"
    }  # fmt: skip
    assert len(records) == 5 * len(history.val_loss)


def test_history_rejects_inconsistent_entries():
    with pytest.raises(ValueError, match=r"expected val_loss to be empty or hold one value"):
        History(train_loss=(1.0, 0.5), train_accuracy=(0.3, 0.4), val_loss=(1.0,))
    with pytest.raises(ValueError, match=r"expected best_epoch in 1\.\.2"):
        History(train_loss=(1.0, 0.5), train_accuracy=(0.3, 0.4), val_loss=(1, 2), best_epoch=3)


# --- the NaN guard --------------------------------------------------------------------


class _PoisonedAfter(nn.Module):
    """Wraps a network; its ``n``-th forward pass in train mode returns NaN logits."""

    def __init__(self, inner: nn.Module, n: int) -> None:
        super().__init__()
        self.inner, self.n, self.calls = inner, n, 0

    def forward(self, x):
        out = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls == self.n:
                return out * math.nan
        return out


def test_a_nan_loss_names_epoch_and_batch_and_restores_the_last_good_weights(small_task):
    X, y = small_task

    def run(net, epochs):
        return train_classifier(
            net, X, y, epochs=epochs, batch_size=8, learning_rate=1e-2,
            generator=torch.Generator().manual_seed(SEED),
        )  # fmt: skip

    # 40 examples in batches of 8: 5 batches per epoch, so call 8 is epoch 2, batch 3.
    poisoned = _PoisonedAfter(_seeded(lambda: MLP(8, (16,), 3)), n=8)
    message = (
        r"training loss became nan at epoch 2 \(of 5\), batch 3 of 5; the module's weights "
        r"were restored to those after epoch 1\. Lower the learning rate"
    )
    with pytest.raises(FloatingPointError, match=message):
        run(poisoned, epochs=5)
    one_epoch = _seeded(lambda: MLP(8, (16,), 3))
    run(one_epoch, epochs=1)
    assert _same_weights(poisoned.inner, one_epoch)


def test_a_diverging_estimator_raises_and_stays_unfitted(small_task):
    model = MLPClassifier(
        hidden_sizes=(16,), optimizer="sgd", learning_rate=1e30, epochs=3, random_state=SEED
    )
    with pytest.raises(FloatingPointError, match=r"training loss became (nan|inf) at epoch 1"):
        model.fit(*small_task)
    with pytest.raises(NotFittedError):
        model.predict(small_task[0])


# --- hyperparameter errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "message"),
    [
        (
            MLPClassifier(loss="hinge"),
            r"expected loss in \('cross_entropy', 'mse'\), got 'hinge'",
        ),
        (
            LogisticRegression(lr_schedule="linear"),
            r"expected lr_schedule in \('constant', 'step', 'cosine'\), got 'linear'",
        ),
        (
            CNNClassifier(image_shape=(8, 8), optimizer="adagrad"),
            r"expected optimizer in \('adam', 'sgd', 'rmsprop', 'keras_rmsprop'\), got 'adagrad'",
        ),
        (
            RNNClassifier(sequence_shape=(8, 8), cell="transformer"),
            r"expected cell in \('rnn', 'lstm', 'gru'\), got 'transformer'",
        ),
        (
            MLPClassifier(activation="gelu"),
            r"expected activation in \['relu', 'sigmoid', 'tanh'\], got 'gelu'",
        ),
        (MLPClassifier(dropout=1.0), r"expected dropout in \[0, 1\), got 1\.0"),
        (
            MLPClassifier(patience=3),
            r"patience=3 needs a validation split to watch: set validation_fraction > 0",
        ),
        (
            MLPClassifier(validation_fraction=1.5),
            r"expected validation_fraction in \[0, 1\), got 1\.5",
        ),
        (
            CNNClassifier(image_shape=(28, 28)),
            r"expected X with 784 features \(image_shape=\(28, 28\) flattened\), got 64",
        ),
        (
            CNNClassifier(image_shape=(8, 8), rotation=-5),
            r"expected rotation in \[0, 180\), got -5",
        ),
        (
            CNNClassifier(image_shape=(8, 8), channels=(4, 4, 4, 4)),
            r"expected images of at least 16 x 16 pixels for 4 max-pooling blocks, got 8 x 8",
        ),
        (
            RNNClassifier(sequence_shape=(28, 28)),
            r"expected X with 784 features \(sequence_shape=\(28, 28\) flattened\), got 64",
        ),
    ],
    ids=lambda value: None if isinstance(value, str) else type(value).__name__,
)
def test_bad_hyperparameters_name_the_valid_values(estimator, message, image_task):
    with pytest.raises(ValueError, match=message):
        estimator.set_params(epochs=1).fit(*image_task)


def test_train_classifier_names_bad_loss_and_schedule(small_task):
    X, y = small_task
    options = {"epochs": 1, "batch_size": 8, "learning_rate": 0.1, "generator": torch.Generator()}
    with pytest.raises(ValueError, match=re.escape(f"expected loss in {LOSSES!r}, got 'l1'")):
        train_classifier(MLP(8, (), 3), X, y, loss="l1", **options)
    schedules = re.escape(f"expected lr_schedule in {LR_SCHEDULES!r}, got 'warmup'")
    with pytest.raises(ValueError, match=schedules):
        train_classifier(MLP(8, (), 3), X, y, lr_schedule="warmup", **options)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
@pytest.mark.parametrize("estimator_class", [CNNClassifier, RNNClassifier, LinearRegression])
def test_cuda_without_cuda_is_a_clear_error_for_every_family(estimator_class, image_task):
    shape = {CNNClassifier: {"image_shape": (8, 8)}, RNNClassifier: {"sequence_shape": (8, 8)}}
    model = estimator_class(device="cuda", epochs=1, **shape.get(estimator_class, {}))
    with pytest.raises(ValueError, match=r"torch.cuda.is_available\(\) is False"):
        model.fit(*image_task)


# --- augmentation ---------------------------------------------------------------------


@pytest.fixture
def images():
    return torch.rand(32, 1, 8, 8, generator=torch.Generator().manual_seed(SEED))


FULL = {"rotation": 15.0, "shift": 0.2, "zoom": 0.2, "horizontal_flip": True}


def test_augmentation_keeps_shape_and_dtype_and_is_seeded(images):
    augment = ImageAugmentation((1, 8, 8), **FULL)
    batch = images.reshape(32, 64)

    def run(seed):
        return augment(batch, torch.Generator().manual_seed(seed))

    first = run(1)
    assert first.shape == batch.shape and first.dtype == batch.dtype
    assert torch.equal(first, run(1))
    assert not torch.equal(first, run(2))
    assert not torch.equal(first, batch)


def test_augmentation_at_zero_strength_is_the_identity(images):
    augment = ImageAugmentation((8, 8))
    assert augment.is_identity
    batch = images.reshape(32, 64)
    generator = torch.Generator().manual_seed(SEED)
    state = generator.get_state()
    assert torch.equal(augment(batch, generator), batch)
    assert torch.equal(generator.get_state(), state)  # nothing drawn


def test_horizontal_flip_is_exact_and_random_per_image(images):
    flipped = augment_images(images, torch.Generator().manual_seed(SEED), horizontal_flip=True)
    is_flipped = [torch.equal(out, image.flip(-1)) for out, image in zip(flipped, images)]
    is_kept = [torch.equal(out, image) for out, image in zip(flipped, images)]
    assert all(a != b for a, b in zip(is_flipped, is_kept))  # each image exactly one of them
    assert 0 < sum(is_flipped) < len(images)  # p = 2**-31 of failing for a fair coin


def test_a_quarter_turn_and_a_one_pixel_shift_move_pixels_exactly(images):
    n = len(images)
    zero, no_zoom = torch.zeros(n), torch.ones(n, 2)
    quarter = affine_matrices(torch.full((n,), 90.0), torch.zeros(n, 2), no_zoom, height=8, width=8)
    # Bilinear sampling at pixel centres: exact up to float32 rounding of cos(90 deg) etc.
    torch.testing.assert_close(
        warp_images(images, quarter), torch.rot90(images, 1, dims=(-2, -1)), atol=1e-5, rtol=0
    )
    shifts = torch.tensor([[1 / 8, 0.0]]).repeat(n, 1)  # one pixel of eight along x
    shifted = warp_images(images, affine_matrices(zero, shifts, no_zoom, height=8, width=8))
    # p_in = p_out + t: each output pixel reads its right neighbour; the last column is empty.
    torch.testing.assert_close(shifted[..., :-1], images[..., 1:], atol=1e-5, rtol=0)
    assert torch.all(shifted[..., -1].abs() < 1e-5)


def test_augmentation_is_applied_to_training_batches_only(small_task):
    X, y = small_task
    seen = []

    def record(batch, generator):
        seen.append(batch.shape)
        return batch + 0.5 * torch.rand(batch.shape, generator=generator)

    net = _seeded(lambda: MLP(8, (16,), 3))
    history = train_classifier(
        net, X, y, epochs=3, batch_size=16, learning_rate=1e-2, augment=record,
        generator=torch.Generator().manual_seed(SEED),
    )  # fmt: skip
    # 40 examples in batches of 16 -> 16, 16, 8 per epoch; targets stay with their rows.
    assert seen == [torch.Size([16, 8]), torch.Size([16, 8]), torch.Size([8, 8])] * 3
    clean_logits = forward_in_chunks(net, torch.as_tensor(X, dtype=torch.float32))
    clean_loss = functional.cross_entropy(clean_logits, torch.as_tensor(y)).item()
    assert history.train_loss[-1] == clean_loss  # measured on the un-augmented inputs
    plain = _seeded(lambda: MLP(8, (16,), 3))
    train_classifier(
        plain, X, y, epochs=3, batch_size=16, learning_rate=1e-2,
        generator=torch.Generator().manual_seed(SEED),
    )  # fmt: skip
    assert not _same_weights(net, plain)


def test_cnn_builds_its_augmentation_only_when_asked():
    assert CNNClassifier()._augmentation() is None
    augmentation = CNNClassifier(rotation=10.0, shift=0.1)._augmentation()
    assert augmentation == ImageAugmentation((28, 28), rotation=10.0, shift=0.1)


# --- the estimator contract for the new families --------------------------------------

FAMILIES = [
    pytest.param(lambda: LinearRegression(epochs=2, random_state=SEED), id="linear"),
    pytest.param(
        lambda: MLPClassifier((8,), "tanh", 0.3, epochs=2, random_state=SEED), id="mlp-dropout"
    ),
    pytest.param(
        lambda: CNNClassifier((8, 8), (4,), 3, 8, 0.25, rotation=10.0, epochs=2, random_state=SEED),
        id="cnn",
    ),
    pytest.param(lambda: RNNClassifier((8, 8), "gru", 8, epochs=2, random_state=SEED), id="gru"),
    pytest.param(
        lambda: RNNClassifier((16, 4), "lstm", 8, num_layers=2, epochs=2, random_state=SEED),
        id="lstm-2-layers",
    ),
]


@pytest.mark.parametrize("make", FAMILIES)
def test_every_family_follows_the_estimator_contract(make, image_task):
    X, y = image_task
    model = make()
    params = model.get_params()
    assert clone(model).get_params() == params
    assert type(model)(**params).get_params() == params
    with pytest.raises(NotFittedError):
        model.predict(X)
    with pytest.raises(NotFittedError):
        model.operations(X)
    assert model.fit(X, y) is model
    assert model.n_features_in_ == 64 and len(model.history_.train_loss) == 2
    assert not hasattr(clone(model), "module_")
    assert model.predict(X[:5]).shape == (5,)
    if is_classifier(model):
        assert model.predict_proba(X[:5]).shape == (5, 3)
        assert set(model.predict(X)) <= {0, 1, 2}
    else:
        assert is_regressor(model) and model.predict(X[:5]).dtype == np.float64
    report = model.operations(X[:5])
    assert report["effective_macs"] <= report["dense_macs"]
    assert report["parameter_count"] == model.n_parameters_


@pytest.mark.parametrize("make", FAMILIES)
def test_every_family_is_repeatable_and_leaves_the_global_rngs_alone(make, image_task):
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    first = make().fit(*image_task)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(12345)  # the caller's global RNG state must not matter (dropout)
        second = make().fit(*image_task)
    assert _same_weights(first.module_, second.module_)
    assert first.history_ == second.history_
    other = make().set_params(random_state=SEED + 1).fit(*image_task)
    assert not _same_weights(first.module_, other.module_)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


def test_linear_regression_predicts_several_targets():
    rng = np.random.default_rng(SEED)
    X = rng.random((30, 4))
    y = np.stack([X.sum(1), X[:, 0] - X[:, 1]], axis=1)
    model = LinearRegression(epochs=2, random_state=SEED).fit(X, y)
    assert model.n_outputs_ == 2 and model.predict(X).shape == (30, 2)
    assert model.n_parameters_ == 4 * 2 + 2


def test_linear_regression_reaches_the_least_squares_solution():
    rng = np.random.default_rng(SEED)
    X = rng.random((200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.01 * rng.standard_normal(200)
    model = LinearRegression(epochs=300, random_state=SEED).fit(X, y)
    design = np.column_stack([X, np.ones(len(X))])
    closed_form = np.linalg.lstsq(design, y, rcond=None)[0]
    layer = model.module_.network[0]
    fitted = np.append(layer.weight.detach().numpy()[0], layer.bias.item())
    # Minibatch Adam at 1e-2 ends within a few 1e-4 of the minimum (measured 1e-4).
    np.testing.assert_allclose(fitted, closed_form, atol=2e-3)
    assert model.score(X, y) > 0.99


def test_keras_preset_and_twin_report_their_parameter_counts():
    keras = MLPClassifier.keras_mnist()
    assert (
        keras.get_params()
        == MLPClassifier(
            (512,), "relu", 0.0, "glorot_uniform", optimizer="keras_rmsprop",
            learning_rate=1e-3, batch_size=128, epochs=5,
        ).get_params()
    )  # fmt: skip
    assert MLPClassifier.keras_mnist(n_hidden_layers=2, epochs=5).hidden_sizes == (512, 512)
    X = np.random.default_rng(SEED).random((20, 784))
    twin = MLPClassifier.twin_of(100, epochs=1, random_state=SEED).fit(X, np.arange(20) % 10)
    assert twin.n_parameters_ == mlp_parameter_count(784, (100,), 10) == 785 * 100 + 101 * 10
    with pytest.raises(ValueError, match=r"expected n_hidden to be a positive int, got 0"):
        MLPClassifier.twin_of(0)


# --- Keras' RMSprop and initialisation ------------------------------------------------


def test_keras_rmsprop_follows_the_keras_update_with_epsilon_under_the_root():
    """v = rho v + (1 - rho) g^2; theta -= lr g / sqrt(v + eps), from v = 0."""
    rho, eps, lr = 0.9, 1e-7, 0.5
    grads = [1e-4, -3e-4, 2.0]  # tiny gradients are where epsilon's place matters
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = KerasRMSprop([theta], lr=lr)
    assert optimizer.defaults == {"lr": lr, "rho": rho, "eps": eps, "weight_decay": 0.0}
    v, expected = 0.0, 0.0
    for g in grads:
        theta.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
        v = rho * v + (1 - rho) * g**2
        expected -= lr * g / math.sqrt(v + eps)
        assert theta.item() == pytest.approx(expected, rel=1e-12)  # float64 rounding only
    # First step, g = 1e-4: sqrt(1e-9 + 1e-7) damps it to 0.31 lr; PyTorch's RMSprop
    # (alpha 0.99, eps 1e-8 after the root) would step 10 lr.
    first = lr * 1e-4 / math.sqrt(0.1 * 1e-8 + 1e-7)
    assert first == pytest.approx(0.3147 * lr, rel=1e-3)
    torch_theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    torch_theta.grad = torch.tensor([1e-4], dtype=torch.float64)
    torch.optim.RMSprop([torch_theta], lr=lr).step()
    assert torch_theta.item() == pytest.approx(-10 * lr, rel=1e-3)


def test_keras_rmsprop_weight_decay_adds_an_l2_gradient():
    theta = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    theta.grad = torch.tensor([0.0], dtype=torch.float64)
    KerasRMSprop([theta], lr=0.1, weight_decay=0.5).step()
    g = 0.5 * 2.0  # the gradient of 0.25 theta^2 at 2
    assert theta.item() == pytest.approx(2.0 - 0.1 * g / math.sqrt(0.1 * g**2 + 1e-7), rel=1e-12)
    with pytest.raises(ValueError, match=r"expected rho in \[0, 1\), got 1\.0"):
        KerasRMSprop([theta], rho=1.0)


def test_glorot_uniform_init_has_keras_bounds_variance_and_zero_biases():
    net = _seeded(lambda: MLP(784, (512,), 10, init="glorot_uniform"))
    for layer, (fan_in, fan_out) in zip(net.network[::2], [(784, 512), (512, 10)]):
        bound = math.sqrt(6 / (fan_in + fan_out))  # Glorot & Bengio (2010), eq. 16
        weights = layer.weight.detach().double()
        assert weights.abs().max() <= bound and weights.abs().max() > 0.99 * bound
        # U(-b, b) has variance b^2 / 3 = 2 / (fan_in + fan_out); with 401,408 or 5,120
        # draws the sample variance lies within 3 % of it (about 4 standard errors).
        assert weights.var().item() == pytest.approx(2 / (fan_in + fan_out), rel=0.03)
        assert torch.count_nonzero(layer.bias) == 0
    default = _seeded(lambda: MLP(784, (512,), 10))
    assert torch.count_nonzero(default.network[0].bias) == 512  # PyTorch's uniform biases
    assert default.network[0].weight.abs().max() <= 1 / math.sqrt(784)
    with pytest.raises(ValueError, match=r"expected init in \('pytorch', 'glorot_uniform'\)"):
        MLP(4, (), 2, init="he_normal")


def test_keras_preset_builds_glorot_weights_and_trains_with_keras_rmsprop(image_task):
    X, y = image_task
    model = MLPClassifier.keras_mnist(epochs=1, random_state=SEED).fit(X, y)
    assert [type(m).__name__ for m in model.module_.network] == ["Linear", "ReLU", "Linear"]
    assert torch.count_nonzero(model.module_.network[0].bias) > 0  # trained away from zero
    # Same seed, no training: the initial biases are zero.
    assert MLPClassifier.keras_mnist()._build_module(64, 3).network[0].bias.abs().sum() == 0


# --- standardised inputs --------------------------------------------------------------


def test_standardize_layer_is_a_fixed_affine_map_saved_as_buffers():
    layer = Standardize(mean=0.5, std=0.25)
    x = torch.tensor([[0.0, 0.25, 1.0]])
    torch.testing.assert_close(layer(x), (x - 0.5) / 0.25, rtol=0, atol=0)
    assert list(layer.parameters()) == [] and set(layer.state_dict()) == {"mean", "std"}
    with pytest.raises(ValueError, match=r"standard deviation > 0 .* got mean 0\.5 and std 0\.0"):
        Standardize(0.5, 0.0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LogisticRegression(epochs=2, standardize=True, random_state=SEED),
        lambda: CNN1DClassifier((16, 4), (4,), (3,), epochs=2, standardize=True, random_state=SEED),
        lambda: RNNClassifier((8, 8), "gru", 4, epochs=2, standardize=True, random_state=SEED),
    ],
    ids=["logistic", "cnn1d", "gru"],
)
def test_standardized_estimators_scale_by_the_training_data_then_run_the_network(make, image_task):
    X, y = image_task
    model = make().fit(X, y)
    assert model.get_params()["standardize"] is True
    scaling, network = model.module_.standardize, model.module_.network
    # Two scalars over every training value (not per feature), in float64.
    assert scaling.mean.item() == pytest.approx(X.astype(np.float32).mean(dtype=np.float64))
    assert scaling.std.item() == pytest.approx(X.astype(np.float32).std(dtype=np.float64))
    x = torch.as_tensor(X[:5], dtype=torch.float32)
    expected = forward_in_chunks(network, (x - scaling.mean) / scaling.std)
    assert np.array_equal(model.predict(X[:5]), expected.argmax(dim=1).numpy())
    unscaled = clone(model).set_params(standardize=False).fit(X, y)
    assert not hasattr(unscaled.module_, "standardize")
    assert model.operations(X[:5])["parameter_count"] == unscaled.n_parameters_


def test_standardize_refuses_constant_inputs_and_non_booleans(image_task):
    X, y = image_task
    with pytest.raises(ValueError, match=r"are all training values equal\?"):
        LogisticRegression(epochs=1, standardize=True).fit(np.full_like(X, 0.5), y)
    with pytest.raises(ValueError, match=r"expected standardize True or False, got 'yes'"):
        LogisticRegression(epochs=1, standardize="yes").fit(X, y)


# --- convolutional variants -------------------------------------------------------------


def test_vgg_style_blocks_stack_convolutions_with_batch_norm(image_task):
    X, y = image_task
    net = ConvNet((8, 8), 3, channels=(4, 6), dense_size=5, convs_per_block=2, batch_norm=True)
    names = [type(m).__name__ for m in net.features]
    assert names == ["Conv2d", "BatchNorm2d", "ReLU"] * 2 + ["MaxPool2d"] + (
        ["Conv2d", "BatchNorm2d", "ReLU"] * 2 + ["MaxPool2d"]
    )
    assert all(conv.bias is None for conv in net.features if isinstance(conv, nn.Conv2d))
    assert net.feature_shape == (6, 2, 2)
    # Convolutions without biases (9 c_in c_out), batch norm (2 c), dense and output.
    expected = 9 * (1 * 4 + 4 * 4 + 4 * 6 + 6 * 6) + 2 * (4 + 4 + 6 + 6) + 25 * 5 + 6 * 3
    assert sum(p.numel() for p in net.parameters()) == expected
    model = CNNClassifier((8, 8), (4, 6), 3, 5, 0.5, convs_per_block=2, batch_norm=True,
                          epochs=1, random_state=SEED).fit(X, y)  # fmt: skip
    report = model.operations(X)
    # Batch norm is not counted; a 3 x 3 'same' convolution of an n x n map makes
    # (3n - 2)^2 (position, tap) pairs on the map per channel pair (padding excluded).
    conv_macs = 22**2 * (1 * 4 + 4 * 4) + 10**2 * (4 * 6 + 6 * 6)
    assert report["dense_macs"] == conv_macs + 24 * 5 + 5 * 3
    assert report["neuron_updates"] == 64 * 4 * 2 + 16 * 6 * 2 + 5 + 3


def test_fashion_mnist_cnn_preset_builds_its_network_and_augmentation():
    model = CNNClassifier.fashion_mnist(random_state=SEED)
    net = model._build_module(784, 10)
    # conv 1->32 and 32->64 (3 x 3, no bias) + batch norm (2 per channel), dense
    # 7 * 7 * 64 -> 256, output 256 -> 10.
    expected = (9 * 32 + 2 * 32) + (9 * 32 * 64 + 2 * 64) + (3136 + 1) * 256 + (256 + 1) * 10
    assert sum(p.numel() for p in net.parameters()) == expected == 824_554
    assert net.feature_shape == (64, 7, 7)
    assert model._augmentation() == ImageAugmentation((28, 28), shift=0.1, horizontal_flip=True)
    plain = CNNClassifier.fashion_mnist(augment=False, epochs=3)
    assert plain._augmentation() is None and plain.epochs == 3
    unaugmented = {"shift": 0.0, "horizontal_flip": False, "epochs": 3, "random_state": None}
    unaugmented["dropout"] = 0.5  # the augmented preset's is 0.25 (augmentation regularises)
    assert plain.get_params() == {**model.get_params(), **unaugmented}
    with pytest.raises(ValueError, match=r"expected augment True or False, got 1"):
        CNNClassifier.fashion_mnist(augment=1)


def test_channels_last_images_give_the_same_logits_as_the_ordinary_layout(image_task):
    net = _seeded(lambda: ConvNet((8, 8), 3, channels=(4,), dense_size=5, dropout=0.0)).eval()
    x = torch.as_tensor(image_task[0][:6], dtype=torch.float32)
    with torch.no_grad():
        expected = net.classifier(net.features(x.reshape(6, 1, 8, 8)))  # contiguous NCHW
        # Different kernels sum in a different order: float32 rounding only.
        torch.testing.assert_close(net(x), expected, rtol=1e-5, atol=1e-6)


def test_conv1d_net_reads_steps_of_features_as_channels():
    net = _seeded(lambda: ConvNet1d((6, 2), 3, channels=(4,), kernel_sizes=(3,), stride=1))
    assert net.feature_shape == (4, 6 - 3 + 2 * 1 + 1)
    x = torch.arange(12, dtype=torch.float32)[None] / 12  # steps (x0, x1), (x2, x3), ...
    conv = net.features[0]
    with torch.no_grad():
        channels = x.reshape(1, 6, 2).transpose(1, 2)  # feature f of step t at [f, t]
        assert torch.equal(channels[0, 1], x[0, 1::2])
        expected = net.classifier(torch.relu(conv(channels)))
        torch.testing.assert_close(net(x), expected, rtol=0, atol=0)
    # (2 + 2 * 1 - 5) // 2 + 1 = 0 outputs.
    with pytest.raises(ValueError, match=r"a sequence of 2 steps is too short"):
        ConvNet1d((2, 1), 3, channels=(4,), kernel_sizes=(5,))
    with pytest.raises(ValueError, match=r"expected one kernel size per conv layer"):
        ConvNet1d((40, 1), 3, channels=(4, 4), kernel_sizes=(3,))


def test_conv1d_operations_count_non_zero_pairs_by_hand():
    conv = nn.Conv1d(1, 2, kernel_size=2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[1.0, 0.0]], [[1.0, 1.0]]]))
    x = torch.tensor([[[1.0, 0.0, 2.0]]])
    # Output 2 channels x 2 steps. Channel 0 (first tap only): window (x0, x1) pairs x0
    # with the tap -> 1; window (x1, x2) pairs x1 = 0 -> 0. Channel 1 (both taps): x0 in
    # window 0 and x2 in window 1 -> 2. Outputs [1, 0] and [1, 2]: 3 of 4 non-zero.
    report = measure_operations(nn.Sequential(conv, nn.ReLU()), x)
    assert report == {
        "parameter_count": 4.0,
        "footprint_bytes": 4.0 * 4,
        "connection_sparsity": 1 / 4,
        "dense_macs": 4 * 1 * 2,  # output elements x in_channels x kernel length
        "effective_macs": 1 + 2,
        "effective_acs": 0.0,
        "activations": 3.0,
        "activation_sparsity": 1 - 3 / 4,
        "neuron_updates": 4.0,
    }


def test_conv1d_operations_count_no_work_on_strided_padding():
    conv = nn.Conv1d(1, 1, kernel_size=3, stride=2, padding=1)
    report = measure_operations(conv, torch.ones(2, 1, 5))
    # floor((5 + 2 - 3) / 2) + 1 = 3 outputs; the windows cover positions (-1, 0, 1),
    # (1, 2, 3), (3, 4, 5): 2 + 3 + 2 real inputs, dense and effective alike (as
    # NeuroBench's Dense: padding is no work).
    assert report["dense_macs"] == 2 + 3 + 2
    assert report["effective_macs"] == 2 + 3 + 2
    report = measure_operations(conv, torch.tensor([[[1.0, 0, 0, 0, 1]]]))
    assert report["dense_macs"] == 2 + 3 + 2 and report["effective_macs"] == 1 + 0 + 1
    assert report["neuron_updates"] == 3


def test_mnist1d_cnn_operations_follow_the_layer_formulas():
    X = np.random.default_rng(SEED).random((30, 40))
    model = CNN1DClassifier(epochs=1, random_state=SEED).fit(X, np.arange(30) % 3)
    report = model.operations(X)
    # Lengths 40 -> 19 -> 10 -> 5 with 25 channels (Greydanus's ConvBase), read-out 125 -> 3;
    # per channel pair, the (position, tap) pairs that fall on the input (stride 2,
    # padding 1): kernel 5 on 40 -> 19 x 5 - 1 (the first window's padded tap), kernel 3
    # on 19 -> 10 x 3 - 2 (the first and the last), on 10 -> 5 x 3 - 1 (the first).
    taps = 25 * 1 * (19 * 5 - 1) + 25 * 25 * (10 * 3 - 2) + 25 * 25 * (5 * 3 - 1)
    assert report["dense_macs"] == taps + 125 * 3
    assert report["neuron_updates"] == (19 + 10 + 5) * 25 + 3
    assert report["parameter_count"] == model.n_parameters_ == 25 * 6 + 2 * 25 * 76 + 3 * 126
    assert report["activations"] == pytest.approx((1 - report["activation_sparsity"]) * 34 * 25)


# --- each family learns ---------------------------------------------------------------

# Floors sit well below the measured scores (seed 0, one thread) so that a broken family
# fails while an unlucky float rounding does not.
LEARNERS = [
    # measured 0.969
    pytest.param(lambda: MLPClassifier((64,), loss="mse", epochs=20, random_state=SEED), 0.9,
                 id="mlp-mse"),
    # measured 0.942
    pytest.param(lambda: MLPClassifier((64,), "tanh", 0.2, epochs=20, random_state=SEED), 0.9,
                 id="mlp-tanh-dropout"),
    # measured 0.951
    pytest.param(lambda: MLPClassifier.keras_mnist(epochs=10, random_state=SEED), 0.9,
                 id="keras-preset"),
    # measured 0.940
    pytest.param(lambda: CNNClassifier((8, 8), (16,), 3, 32, 0.25, epochs=10,
                                       learning_rate=3e-3, random_state=SEED), 0.9, id="cnn"),
    # measured 0.891
    pytest.param(lambda: CNNClassifier((8, 8), (16,), 3, 32, 0.25, rotation=10.0, shift=0.1,
                                       epochs=10, learning_rate=3e-3, random_state=SEED), 0.8,
                 id="cnn-augmented"),
    # measured 0.918, 0.907, 0.902
    *[
        pytest.param(lambda cell=cell: RNNClassifier((8, 8), cell, 32, epochs=15,
                                                     learning_rate=3e-3, random_state=SEED),
                     0.8, id=f"{cell}-rows")
        for cell in ("rnn", "lstm", "gru")
    ],
]  # fmt: skip


@pytest.mark.parametrize(("make", "floor"), LEARNERS)
def test_each_family_learns_digits(make, floor, digits_split):
    X_train, X_test, y_train, y_test = digits_split
    assert make().fit(X_train, y_train).score(X_test, y_test) > floor


def test_a_gru_learns_mnist1d_sequences():
    mnist1d_data = pytest.importorskip("mnist1d.data")
    args = mnist1d_data.get_dataset_args()
    args.num_samples = 2000  # generated offline: 1600 training and 400 test sequences
    data = mnist1d_data.make_dataset(args)
    low, high = data["x"].min(), data["x"].max()

    def scale(x):  # into the project's [0, 1] input range, with the training set's range
        return np.clip((x - low) / (high - low), 0, 1)

    model = RNNClassifier(
        (40, 1), "gru", 32, epochs=10, batch_size=100, learning_rate=2e-2, random_state=SEED
    ).fit(scale(data["x"]), data["y"])
    # Measured 0.345 (chance 0.1); the GRU is still early in training after 10 epochs.
    assert model.score(scale(data["x_test"]), data["y_test"]) > 0.25


@pytest.fixture(scope="module")
def mnist1d_task():
    """MNIST-1D, generated offline by the mnist1d package (compare.data.tasks.load_mnist1d)."""
    pytest.importorskip("mnist1d")
    from compare.data.tasks import load_mnist1d

    return load_mnist1d()


def test_the_mnist1d_cnn_learns_what_an_mlp_cannot_in_the_same_epochs(mnist1d_task):
    """MNIST-1D separates models with a spatial prior from those without (Greydanus 2020)."""
    task = mnist1d_task
    training = {"epochs": 6, "standardize": True, "random_state": SEED}
    cnn = CNN1DClassifier(**training).fit(task.X_train, task.y_train)
    mlp = MLPClassifier((100, 100), learning_rate=1e-2, batch_size=100, **training)
    mlp.fit(task.X_train, task.y_train)
    cnn_accuracy = cnn.score(task.X_test, task.y_test)
    mlp_accuracy = mlp.score(task.X_test, task.y_test)
    # Measured 0.770 (CNN) and 0.584 (MLP) after 6 epochs; chance is 0.1.
    assert cnn_accuracy > 0.7 and cnn_accuracy > mlp_accuracy + 0.1


# --- operation counts -----------------------------------------------------------------


def test_conv_operations_count_non_zero_pairs_by_hand():
    conv = nn.Conv2d(1, 2, kernel_size=2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]], [[[1.0, 1.0], [1.0, 1.0]]]]))
    x = torch.tensor([[[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]]])
    # Output 2 channels x 2 x 2. Channel 0 (top-left tap only) sees x00 at (0, 0): 1 pair.
    # Channel 1 (all taps) sees x00 in window (0, 0) and x22 in window (1, 1): 2 pairs.
    # Outputs: channel 0 [[1, 0], [0, 0]], channel 1 [[1, 0], [0, 2]]: 3 of 8 non-zero.
    report = measure_operations(nn.Sequential(conv, nn.ReLU()), x)
    assert report == {
        "parameter_count": 8.0,
        "footprint_bytes": 8.0 * 4,
        "connection_sparsity": 3 / 8,
        "dense_macs": 8 * 1 * 4,  # output elements x in_channels x kernel area
        "effective_macs": 1 + 2,
        "effective_acs": 0.0,
        "activations": 3.0,
        "activation_sparsity": 1 - 3 / 8,
        "neuron_updates": 8.0,
    }


def test_conv_operations_count_no_work_on_padding():
    conv = nn.Conv2d(1, 1, kernel_size=3, padding=1)
    report = measure_operations(conv, torch.ones(3, 1, 2, 2))
    # 4 outputs x 9 taps, but every 3 x 3 window covers only the 2 x 2 image: padding
    # is no work, dense (as NeuroBench's Dense) or effective.
    assert report["dense_macs"] == 4 * 4
    assert report["effective_macs"] == 4 * 4
    report = measure_operations(conv, torch.tensor([[[[1.0, 0], [0, 0]]]]))
    assert report["dense_macs"] == 4 * 4 and report["effective_macs"] == 4 * 1
    grouped = nn.Conv2d(4, 4, kernel_size=1, groups=2)
    assert measure_operations(grouped, torch.ones(1, 4, 1, 1))["dense_macs"] == 4 * (4 // 2)


class _States(nn.Module):
    """A recurrent layer returning its hidden states (drops the final state)."""

    def __init__(self, layer: nn.RNNBase) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]


def test_recurrent_operations_count_non_zero_pairs_by_hand():
    rnn = nn.RNN(2, 2, nonlinearity="relu", bias=False, batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
        rnn.weight_hh_l0.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    x = torch.tensor([[[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]]])
    # h1 = relu([1, 0]) = [1, 0]; h2 = relu(W_hh h1) = [0, 1]; h3 = relu(W_hh h2) = [0, 1].
    # Input pairs: only x1[0] meets W_ih[0, 0] -> 1 (x3[1] meets no non-zero weight).
    # Recurrent pairs, with h_{t-1}: h0 = 0 -> 0; h1[0] meets W_hh[1, 0] -> 1; h2[1]
    # meets W_hh[1, 1] -> 1. (Using h_t instead of h_{t-1} would count 3.)
    report = measure_operations(_States(rnn), x)
    assert report == {
        "parameter_count": 8.0,
        "footprint_bytes": 8.0 * 4,
        "connection_sparsity": 5 / 8,
        "dense_macs": 3 * (2 * 2 + 2 * 2),  # steps x (W_ih + W_hh)
        "effective_macs": 1 + 2,
        "effective_acs": 0.0,
        "activations": 3.0,
        "activation_sparsity": 1 - 3 / 6,
        "neuron_updates": 6.0,
    }


@pytest.mark.parametrize(("cell", "gates"), [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_recurrent_dense_macs_follow_the_gate_matrices(cell, gates, image_task):
    X, y = image_task
    model = RNNClassifier((16, 4), cell, 5, epochs=1, random_state=SEED).fit(X, y)
    report = model.operations(X)
    # 16 steps x gates x H x (F + H), then the H -> 3 read-out.
    assert report["dense_macs"] == 16 * gates * 5 * (4 + 5) + 5 * 3
    assert report["neuron_updates"] == 16 * 5 + 3
    # Positive inputs and non-zero weights: every input pair counts; h0 = 0 skips step 1's
    # recurrent product, and tanh / gated states are non-zero afterwards.
    assert report["effective_macs"] == 16 * gates * 5 * 4 + 15 * gates * 5 * 5 + 5 * 3


def test_cnn_operations_match_the_layer_formulas(image_task):
    X, y = image_task
    model = CNNClassifier((8, 8), (4,), 3, 5, 0.5, epochs=1, random_state=SEED).fit(X, y)
    report = model.operations(X)
    conv_outputs = 4 * 8 * 8
    # a 3 x 3 'same' convolution of 8 x 8: (3 * 8 - 2)^2 on-image pairs per channel pair
    assert report["dense_macs"] == 4 * 22**2 + (4 * 4 * 4) * 5 + 5 * 3
    assert report["neuron_updates"] == conv_outputs + 5 + 3
    assert report["parameter_count"] == (9 + 1) * 4 + (64 + 1) * 5 + (5 + 1) * 3
    assert isinstance(model.module_, ConvNet)
    # Hidden units: the conv ReLU's 256 outputs and the dense ReLU's 5.
    assert 0 <= report["activation_sparsity"] <= 1
    assert report["activations"] == pytest.approx((1 - report["activation_sparsity"]) * 261)


@pytest.mark.parametrize(
    "layer",
    [nn.LSTM(2, 3, num_layers=2), nn.GRU(2, 3, bidirectional=True), nn.LSTM(2, 3, proj_size=2)],
    ids=["stacked", "bidirectional", "projected"],
)
def test_uncountable_recurrent_layers_are_refused(layer):
    with pytest.raises(ValueError, match=r"expected one unidirectional layer without projection"):
        measure_operations(_States(layer), torch.ones(1, 4, 2))
