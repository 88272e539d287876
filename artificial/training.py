"""The one training loop of the artificial arm: seeded mini-batch backprop.

:func:`train_classifier` minimises, by default, the mean cross-entropy

.. math::

    L = -\\frac{1}{|B|} \\sum_{i \\in B} \\log \\frac{\\exp z_{i, y_i}}{\\sum_c \\exp z_{i, c}}

over shuffled mini-batches :math:`B`; with ``loss="mse"`` it minimises the squared
distance between the outputs and one-hot targets,
:math:`L = \\frac{1}{|B|} \\sum_{i \\in B} \\lVert z_i - e_{y_i} \\rVert^2`.
:func:`train_regressor` minimises the same squared error against float targets. Both
run the same loop: an optimiser (Adam, SGD with momentum 0.9, RMSprop as PyTorch or as
Keras computes it, :class:`KerasRMSprop`), a per-epoch
learning-rate schedule (:func:`learning_rates`), optional early stopping on a held-out
validation split (:func:`validation_split`) that restores the best epoch's weights, an
optional augmentation of every training mini-batch, and a check that stops training
with :class:`FloatingPointError` as soon as the loss is NaN or infinite.

Every random draw (validation split, dropout masks, shuffles, augmentation) comes from
the :class:`torch.Generator` the caller passes in; the global torch RNG is forked
around training, so it is left as it was, and on CPU the same generator seed gives
bit-identical weights.

Example
-------
>>> import torch
>>> from artificial.models import MLP
>>> X = torch.rand(32, 4, generator=torch.Generator().manual_seed(0))
>>> y = (X[:, 0] > 0.5).long()
>>> net = MLP(n_features=4, hidden_sizes=(8,), n_classes=2)
>>> history = train_classifier(net, X, y, epochs=3, batch_size=8, learning_rate=1e-2,
...                            lr_schedule="cosine",
...                            generator=torch.Generator().manual_seed(0))
>>> len(history.train_loss)
3
>>> [round(rate, 4) for rate in history.learning_rate]  # 1e-2 * (1 + cos(pi e / 3)) / 2
[0.01, 0.0075, 0.0025]
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import Tensor, nn
from torch.nn import functional
from tqdm.auto import tqdm

__all__ = [
    "LOSSES",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "Augmentation",
    "History",
    "KerasRMSprop",
    "forward_in_chunks",
    "learning_rates",
    "resolve_device",
    "train_classifier",
    "train_regressor",
    "validation_split",
]

SGD_MOMENTUM = 0.9


class KerasRMSprop(torch.optim.Optimizer):
    """RMSprop as Keras computes it (``keras.optimizers.RMSprop`` with its defaults).

    For every parameter :math:`\\theta` with gradient :math:`g_t` (plus
    ``weight_decay`` :math:`\\cdot \\theta`, an L2 penalty as in PyTorch's optimisers),

    .. math::

        v_t = \\rho\\, v_{t-1} + (1 - \\rho)\\, g_t^2, \\qquad
        \\theta_t = \\theta_{t-1} - \\eta\\, \\frac{g_t}{\\sqrt{v_t + \\epsilon}},

    from :math:`v_0 = 0`, with Keras' defaults :math:`\\eta = 10^{-3}`,
    :math:`\\rho = 0.9`, :math:`\\epsilon = 10^{-7}` (keras-team/keras,
    ``keras/src/optimizers/rmsprop.py``, ``update_step``; TensorFlow's fused
    ``ApplyRMSProp`` kernel also adds epsilon under the root). PyTorch's
    :class:`torch.optim.RMSprop` differs in both places that matter for a faithful
    Keras network: its smoothing ``alpha`` defaults to 0.99, and it divides by
    :math:`\\sqrt{v_t} + \\epsilon` (epsilon 1e-8), so its first step is
    :math:`\\eta / \\sqrt{1 - \\alpha} = 10\\, \\eta` however small the gradient, where
    Keras' epsilon damps the steps of parameters whose gradients are below about
    :math:`\\sqrt{\\epsilon / (1 - \\rho)} = 10^{-3}`.

    Examples
    --------
    Keras' own docstring example (``var1 = 10``, loss ``var1 ** 2 / 2``, rate 0.1):

    >>> var = torch.tensor([10.0], requires_grad=True)
    >>> optimizer = KerasRMSprop([var], lr=0.1)
    >>> (var**2 / 2).sum().backward()
    >>> optimizer.step()
    >>> round(var.item(), 6)  # 10 - 0.1 * 10 / sqrt(0.1 * 100 + 1e-7)
    9.683772
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        rho: float = 0.9,
        eps: float = 1e-7,
        weight_decay: float = 0.0,
    ) -> None:
        if not _is_real(lr) or not lr > 0:
            raise ValueError(f"expected lr > 0, got {lr!r}")
        if not _is_real(rho) or not 0 <= rho < 1:
            raise ValueError(f"expected rho in [0, 1), got {rho!r}")
        if not _is_real(eps) or not eps > 0:
            raise ValueError(f"expected eps > 0, got {eps!r}")
        if not _is_real(weight_decay) or not weight_decay >= 0:
            raise ValueError(f"expected weight_decay >= 0, got {weight_decay!r}")
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            rho, eps, lr = group["rho"], group["eps"], group["lr"]
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                grad = parameter.grad
                if group["weight_decay"]:
                    grad = grad.add(parameter, alpha=group["weight_decay"])
                state = self.state[parameter]
                if not state:
                    state["square_avg"] = torch.zeros_like(parameter)
                square_avg = state["square_avg"]
                square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
                parameter.addcdiv_(grad, square_avg.add(eps).sqrt_(), value=-lr)
        return loss


_OPTIMIZER_CLASSES = {
    "adam": (torch.optim.Adam, {}),
    "sgd": (torch.optim.SGD, {"momentum": SGD_MOMENTUM}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "keras_rmsprop": (KerasRMSprop, {}),
}

OPTIMIZERS = tuple(_OPTIMIZER_CLASSES)
"""Optimiser names the loop accepts: ``"sgd"`` uses momentum 0.9; ``"adam"`` and
``"rmsprop"`` use PyTorch's defaults (RMSprop: alpha 0.99, eps 1e-8 added after the
root); ``"keras_rmsprop"`` is :class:`KerasRMSprop` (rho 0.9, eps 1e-7 under the root)."""

LOSSES = ("cross_entropy", "mse")
"""Loss names :func:`train_classifier` accepts (``"mse"`` is against one-hot targets)."""

LR_SCHEDULES = ("constant", "step", "cosine")
"""Learning-rate schedule names; see :func:`learning_rates`."""

EVALUATION_CHUNK = 8192
"""Rows per no-grad forward pass when evaluating; bounds memory only."""

Augmentation = Callable[[Tensor, torch.Generator], Tensor]
"""``augment(batch, generator) -> batch``: transforms one training mini-batch of inputs
(same shape out as in), drawing its randomness from ``generator`` only."""


@dataclass(frozen=True)
class History:
    """What happened during training, one entry per epoch run.

    The metrics are measured after each epoch's updates, in eval mode (no dropout, no
    augmentation), on the full training part and on the validation split (not averaged
    over the mini-batches while the weights were changing). A metric that was not
    measured is an empty tuple: accuracies for regression, validation metrics without a
    validation split.
    """

    train_loss: tuple[float, ...]
    """Mean loss per example (cross-entropy in nats, or squared error) on the training part."""
    train_accuracy: tuple[float, ...]
    """Fraction of training examples classified correctly; ``()`` for regression."""
    val_loss: tuple[float, ...] = ()
    """Mean loss per example on the validation split; ``()`` without one."""
    val_accuracy: tuple[float, ...] = ()
    """Fraction of validation examples classified correctly; ``()`` without a split or for
    regression."""
    learning_rate: tuple[float, ...] = ()
    """Learning rate used during each epoch (from the schedule)."""
    best_epoch: int | None = None
    """Epoch (from 1) with the lowest validation loss, whose weights the model was left
    with; ``None`` without a validation split."""

    def __post_init__(self) -> None:
        n_epochs = len(self.train_loss)
        if self.train_accuracy and len(self.train_accuracy) != n_epochs:
            raise ValueError(
                f"expected one train_loss and one train_accuracy per epoch, got "
                f"{n_epochs} losses and {len(self.train_accuracy)} accuracies"
            )
        for name in ("val_loss", "val_accuracy", "learning_rate"):
            values = getattr(self, name)
            if values and len(values) != n_epochs:
                raise ValueError(
                    f"expected {name} to be empty or hold one value per epoch "
                    f"({n_epochs}), got {len(values)}"
                )
        if self.val_accuracy and not self.val_loss:
            raise ValueError("expected val_loss alongside val_accuracy, got val_loss=()")
        if self.best_epoch is not None and not (self.val_loss and 1 <= self.best_epoch <= n_epochs):
            raise ValueError(
                f"expected best_epoch in 1..{n_epochs} with a val_loss per epoch, got "
                f"best_epoch={self.best_epoch!r} and {len(self.val_loss)} val_loss values"
            )

    def as_records(self) -> list[dict[str, float | int | str]]:
        """Tidy rows ``{"epoch", "metric", "value"}``, epochs counted from 1.

        Metrics come in the order ``train_loss, train_accuracy, val_loss, val_accuracy,
        learning_rate``; those not measured (empty tuples) have no rows.

        Examples
        --------
        >>> records = History(train_loss=(0.9, 0.5), train_accuracy=(0.6, 0.8)).as_records()
        >>> records[1]
        {'epoch': 2, 'metric': 'train_loss', 'value': 0.5}
        >>> len(records)
        4
        """
        return [
            {"epoch": epoch, "metric": metric, "value": value}
            for metric, values in (
                ("train_loss", self.train_loss),
                ("train_accuracy", self.train_accuracy),
                ("val_loss", self.val_loss),
                ("val_accuracy", self.val_accuracy),
                ("learning_rate", self.learning_rate),
            )
            for epoch, value in enumerate(values, start=1)
        ]


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn ``"cpu"`` or ``"cuda"`` (``"cuda:1"``...) into a :class:`torch.device`.

    Raises
    ------
    ValueError
        For any other device type, or for CUDA on a machine without it.
    """
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"expected device 'cpu' or 'cuda', got {device!r}") from error
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"expected device 'cpu' or 'cuda', got {device!r}")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} requested but torch.cuda.is_available() is False "
            f"(torch {torch.__version__}); use device='cpu'"
        )
    return resolved


def forward_in_chunks(module: nn.Module, X: Tensor, chunk_size: int = EVALUATION_CHUNK) -> Tensor:
    """Outputs of ``module`` on ``X`` in eval mode without gradients, ``chunk_size`` rows at a time.

    The module's train/eval mode is restored afterwards.
    """
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            return torch.cat([module(chunk) for chunk in X.split(chunk_size)])
    finally:
        module.train(was_training)


def learning_rates(
    lr_schedule: str,
    learning_rate: float,
    epochs: int,
    *,
    step_size: int | None = None,
    step_gamma: float = 0.1,
) -> tuple[float, ...]:
    """The learning rate of every epoch :math:`e = 0 \\dots E - 1` under a schedule.

    - ``"constant"``: :math:`\\eta_e = \\eta`;
    - ``"step"``: :math:`\\eta_e = \\eta \\, \\gamma^{\\lfloor e / s \\rfloor}`
      (PyTorch's ``StepLR``), with step size :math:`s` = ``step_size`` (default
      :math:`\\max(1, \\lfloor E / 3 \\rfloor)`: two drops over the run) and
      :math:`\\gamma` = ``step_gamma``;
    - ``"cosine"``: :math:`\\eta_e = \\eta \\, (1 + \\cos(\\pi e / E)) / 2` (PyTorch's
      ``CosineAnnealingLR`` with ``T_max = E`` and ``eta_min = 0``, stepped per epoch).

    Examples
    --------
    >>> learning_rates("step", 1.0, 5, step_size=2, step_gamma=0.5)
    (1.0, 1.0, 0.5, 0.5, 0.25)
    >>> learning_rates("cosine", 1.0, 4)[2]
    0.5
    """
    _check_schedule(lr_schedule, learning_rate, epochs, step_size, step_gamma)
    if lr_schedule == "constant":
        return tuple(float(learning_rate) for _ in range(epochs))
    if lr_schedule == "step":
        size = max(1, epochs // 3) if step_size is None else int(step_size)
        return tuple(float(learning_rate * step_gamma ** (e // size)) for e in range(epochs))
    return tuple(
        float(learning_rate * (1 + math.cos(math.pi * e / epochs)) / 2) for e in range(epochs)
    )


def validation_split(
    n_samples: int,
    fraction: float,
    generator: torch.Generator,
    stratify: np.ndarray | Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Sorted indices ``(train, validation)`` holding out ``fraction`` of ``n_samples``.

    Stratified by ``stratify`` (class indices) when given, so every class keeps its
    share in both parts. The split is drawn from one number of ``generator``
    (scikit-learn's ``train_test_split`` seeded with it), so the same generator state
    gives the same split; this is the first draw the training loop makes.

    Examples
    --------
    >>> train, val = validation_split(10, 0.2, torch.Generator().manual_seed(0))
    >>> len(train), len(val)
    (8, 2)
    """
    if not _is_real(fraction) or not 0 < fraction < 1:
        raise ValueError(f"expected validation_fraction in (0, 1), got {fraction!r}")
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    labels = None if stratify is None else torch.as_tensor(stratify).cpu().numpy()
    try:
        train, val = train_test_split(
            np.arange(n_samples), test_size=fraction, stratify=labels, random_state=seed
        )
    except ValueError as error:
        raise ValueError(
            f"cannot hold out validation_fraction={fraction} of {n_samples} examples: {error}"
        ) from error
    return torch.from_numpy(np.sort(train)), torch.from_numpy(np.sort(val))


def train_classifier(
    module: nn.Module,
    X: np.ndarray | Tensor,
    y: np.ndarray | Tensor,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    generator: torch.Generator,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    device: str | torch.device = "cpu",
    progress: bool = False,
    description: str = "",
    loss: str = "cross_entropy",
    lr_schedule: str = "constant",
    step_size: int | None = None,
    step_gamma: float = 0.1,
    validation_fraction: float = 0.0,
    patience: int | None = None,
    augment: Augmentation | None = None,
) -> History:
    """Train ``module`` in place to map ``X`` to class indices ``y`` by mini-batch backprop.

    Parameters
    ----------
    module : torch.nn.Module
        Maps ``[batch, ...]`` float inputs to ``[batch, n_classes]`` logits. Moved to
        ``device`` and left there, in train mode.
    X : array or Tensor, shape (n_samples, ...)
        Inputs, converted to float32.
    y : array or Tensor of int, shape (n_samples,)
        Class indices in ``0 .. n_classes - 1`` (encode labels first).
    epochs : int
        Most passes over the training set (fewer if early stopping ends training).
    batch_size : int
        Examples per gradient step; the last batch of an epoch may be smaller.
    learning_rate : float
        Step size of the optimiser (of the first epoch, under a schedule).
    generator : torch.Generator
        CPU generator that draws the validation split, the dropout masks (it seeds a
        forked global RNG), each epoch's shuffle and the augmentation. The only source
        of randomness.
    optimizer : {"adam", "sgd", "rmsprop", "keras_rmsprop"}
        ``"sgd"`` uses momentum 0.9; ``"adam"`` and ``"rmsprop"`` use PyTorch's
        defaults; ``"keras_rmsprop"`` is :class:`KerasRMSprop` (Keras' defaults).
    weight_decay : float
        L2 penalty coefficient passed to the optimiser.
    device : {"cpu", "cuda"}
        Where the whole data set and the module live during training.
    progress : bool
        Show a tqdm bar over epochs with the current loss and accuracy (not while the
        ``artificial`` logger is set above INFO, as ``spikearena -q`` does).
    description : str
        Label of the progress bar.
    loss : {"cross_entropy", "mse"}
        Cross-entropy of the softmax of the logits, or the squared distance between the
        outputs and one-hot targets (summed over classes, averaged over examples).
    lr_schedule : {"constant", "step", "cosine"}
        Per-epoch learning rates; see :func:`learning_rates`.
    step_size, step_gamma
        Parameters of the ``"step"`` schedule.
    validation_fraction : float
        Fraction of ``(X, y)`` held out, stratified by class, to measure ``val_loss``
        and ``val_accuracy`` after every epoch; 0 holds out nothing. With a split, the
        module ends with the weights of the epoch of lowest validation loss.
    patience : int or None
        Stop once the validation loss has not improved for this many epochs (needs
        ``validation_fraction > 0``); ``None`` runs every epoch.
    augment : callable or None
        ``augment(batch_inputs, generator)`` applied to every training mini-batch
        (never to the evaluation passes), e.g. :class:`artificial.augmentation.ImageAugmentation`.

    Returns
    -------
    History
        Loss and accuracy after every epoch, on the training part and the validation
        split, the learning rates and the best epoch.

    Raises
    ------
    ValueError
        For bad hyperparameters (unknown names are listed with the valid ones) or
        targets that do not match ``X``.
    FloatingPointError
        When the loss becomes NaN or infinite, naming the epoch and batch; the module is
        left with the weights it had at the start of that epoch.
    """
    if loss not in LOSSES:
        raise ValueError(f"expected loss in {LOSSES}, got {loss!r}")
    inputs = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor(y, dtype=torch.long)
    if targets.ndim != 1 or len(targets) != len(inputs):
        raise ValueError(
            f"expected y of shape ({len(inputs)},) to match X of shape "
            f"{tuple(inputs.shape)}, got y of shape {tuple(targets.shape)}"
        )
    loss_function = functional.cross_entropy if loss == "cross_entropy" else _one_hot_mse
    return _train(
        module,
        inputs,
        targets,
        loss_function=loss_function,
        classify=True,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        generator=generator,
        optimizer=optimizer,
        weight_decay=weight_decay,
        device=device,
        progress=progress,
        description=description,
        lr_schedule=lr_schedule,
        step_size=step_size,
        step_gamma=step_gamma,
        validation_fraction=validation_fraction,
        patience=patience,
        augment=augment,
    )


def train_regressor(
    module: nn.Module,
    X: np.ndarray | Tensor,
    y: np.ndarray | Tensor,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    generator: torch.Generator,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    device: str | torch.device = "cpu",
    progress: bool = False,
    description: str = "",
    lr_schedule: str = "constant",
    step_size: int | None = None,
    step_gamma: float = 0.1,
    validation_fraction: float = 0.0,
    patience: int | None = None,
    augment: Augmentation | None = None,
) -> History:
    """Train ``module`` in place to map ``X`` to float targets ``y`` by minimising squared error.

    The loss is :math:`\\frac{1}{|B|} \\sum_{i \\in B} \\lVert f(x_i) - y_i \\rVert^2`
    (for one target, the ordinary mean squared error). ``module`` maps ``[batch, ...]``
    to ``[batch, n_targets]``; a 1-D ``y`` is one target (``n_targets = 1``). The
    validation split, when asked for, is not stratified. Every other parameter, the
    return value and the errors are those of :func:`train_classifier`; the history has
    no accuracies.
    """
    inputs = torch.as_tensor(X, dtype=torch.float32)
    targets = torch.as_tensor(y, dtype=torch.float32)
    if targets.ndim == 1:
        targets = targets[:, None]
    if targets.ndim != 2 or len(targets) != len(inputs):
        raise ValueError(
            f"expected y of shape ({len(inputs)},) or ({len(inputs)}, n_targets) to match X "
            f"of shape {tuple(inputs.shape)}, got y of shape {tuple(torch.as_tensor(y).shape)}"
        )
    return _train(
        module,
        inputs,
        targets,
        loss_function=_squared_error,
        classify=False,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        generator=generator,
        optimizer=optimizer,
        weight_decay=weight_decay,
        device=device,
        progress=progress,
        description=description,
        lr_schedule=lr_schedule,
        step_size=step_size,
        step_gamma=step_gamma,
        validation_fraction=validation_fraction,
        patience=patience,
        augment=augment,
    )


def _train(
    module: nn.Module,
    inputs: Tensor,
    targets: Tensor,
    *,
    loss_function: Callable[[Tensor, Tensor], Tensor],
    classify: bool,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    generator: torch.Generator,
    optimizer: str,
    weight_decay: float,
    device: str | torch.device,
    progress: bool,
    description: str,
    lr_schedule: str,
    step_size: int | None,
    step_gamma: float,
    validation_fraction: float,
    patience: int | None,
    augment: Augmentation | None,
) -> History:
    """The loop shared by :func:`train_classifier` and :func:`train_regressor`."""
    _check_hyperparameters(epochs, batch_size, learning_rate, optimizer, weight_decay)
    rates = learning_rates(
        lr_schedule, learning_rate, epochs, step_size=step_size, step_gamma=step_gamma
    )
    _check_early_stopping(validation_fraction, patience)
    torch_device = resolve_device(device)

    if validation_fraction > 0:
        train_index, val_index = validation_split(
            len(inputs), validation_fraction, generator, stratify=targets if classify else None
        )
        val_inputs, val_targets = (
            inputs[val_index].to(torch_device),
            targets[val_index].to(torch_device),
        )
        inputs, targets = inputs[train_index], targets[train_index]
    inputs, targets = inputs.to(torch_device), targets.to(torch_device)
    has_validation = validation_fraction > 0

    module.to(torch_device)
    optimizer_class, extra_options = _OPTIMIZER_CLASSES[optimizer]
    trained = [p for p in module.parameters() if p.requires_grad]  # frozen ones stay as they are
    step = optimizer_class(trained, lr=learning_rate, weight_decay=weight_decay, **extra_options)
    metrics: dict[str, list[float]] = {
        "train_loss": [],
        "train_accuracy": [],
        "val_loss": [],
        "val_accuracy": [],
        "learning_rate": [],
    }
    best_epoch, best_state, best_val_loss = None, None, math.inf
    n_batches = math.ceil(len(inputs) / int(batch_size))
    # Dropout draws from the global RNG: fork it and seed it from the generator, so
    # training is repeatable and the caller's global RNG state is left unchanged.
    dropout_seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    cuda_devices = [_cuda_index(torch_device)] if torch_device.type == "cuda" else []
    quiet = logging.getLogger("artificial").level > logging.INFO  # e.g. spikearena -q
    bar = tqdm(range(int(epochs)), desc=description, disable=not progress or quiet, unit="epoch")
    with torch.random.fork_rng(devices=cuda_devices):
        torch.default_generator.manual_seed(dropout_seed)
        if cuda_devices:
            with torch.cuda.device(torch_device):
                torch.cuda.manual_seed(dropout_seed)
        for epoch in bar:
            start_state = _copy_state(module)
            for group in step.param_groups:
                group["lr"] = rates[epoch]
            try:
                _one_epoch(
                    module,
                    step,
                    inputs,
                    targets,
                    loss_function,
                    int(batch_size),
                    generator,
                    augment,
                )
            except _NonFiniteBatch as err:
                module.load_state_dict(start_state)
                where = f"batch {err.batch} of {n_batches}"
                raise _non_finite_error(err.loss, epoch, epochs, where, rates[epoch]) from None

            train_loss, train_accuracy = _evaluate(module, inputs, targets, loss_function, classify)
            if not math.isfinite(train_loss):
                module.load_state_dict(start_state)
                raise _non_finite_error(
                    train_loss, epoch, epochs, "after its last batch", rates[epoch]
                )
            metrics["train_loss"].append(train_loss)
            metrics["learning_rate"].append(rates[epoch])
            if classify:
                metrics["train_accuracy"].append(train_accuracy)
            postfix = {"loss": f"{train_loss:.4f}"}
            if classify:
                postfix["accuracy"] = f"{train_accuracy:.4f}"
            if has_validation:
                val_loss, val_accuracy = _evaluate(
                    module, val_inputs, val_targets, loss_function, classify
                )
                metrics["val_loss"].append(val_loss)
                if classify:
                    metrics["val_accuracy"].append(val_accuracy)
                postfix["val_loss"] = f"{val_loss:.4f}"
                if val_loss < best_val_loss:
                    best_epoch, best_state, best_val_loss = epoch + 1, _copy_state(module), val_loss
            bar.set_postfix(postfix)
            if patience is not None and epoch + 1 - (best_epoch or 0) >= patience:
                break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.train()
    return History(
        **{name: tuple(values) for name, values in metrics.items()}, best_epoch=best_epoch
    )


class _NonFiniteBatch(Exception):
    """A batch's loss was not finite (raised inside an epoch, reported by its caller)."""

    def __init__(self, loss: float, batch: int):
        super().__init__(loss, batch)
        self.loss, self.batch = loss, batch


def _one_epoch(module, step, inputs, targets, loss_function, batch_size, generator, augment):
    """One pass over the training examples in a random order, one optimiser step per batch."""
    module.train()
    order = torch.randperm(len(inputs), generator=generator).to(inputs.device)
    for batch_number, batch in enumerate(order.split(batch_size), start=1):
        batch_inputs = inputs[batch]
        if augment is not None:
            batch_inputs = augment(batch_inputs, generator)
        step.zero_grad()
        batch_loss = loss_function(module(batch_inputs), targets[batch])
        if not torch.isfinite(batch_loss):
            raise _NonFiniteBatch(batch_loss.item(), batch_number)
        batch_loss.backward()
        step.step()


def _evaluate(
    module: nn.Module,
    inputs: Tensor,
    targets: Tensor,
    loss_function: Callable[[Tensor, Tensor], Tensor],
    classify: bool,
) -> tuple[float, float]:
    """Mean loss and (for classifiers, else NaN) accuracy of ``module`` in eval mode."""
    outputs = forward_in_chunks(module, inputs)
    loss = loss_function(outputs, targets).item()
    if not classify:
        return loss, math.nan
    return loss, (outputs.argmax(dim=1) == targets).double().mean().item()


def _one_hot_mse(outputs: Tensor, targets: Tensor) -> Tensor:
    """Squared distance between outputs and one-hot targets, summed over classes, mean over rows."""
    one_hot = functional.one_hot(targets, num_classes=outputs.shape[1]).to(outputs.dtype)
    return _squared_error(outputs, one_hot)


def _squared_error(outputs: Tensor, targets: Tensor) -> Tensor:
    """Squared error summed over outputs and averaged over rows."""
    if outputs.shape != targets.shape:
        raise ValueError(
            f"expected module outputs of shape {tuple(targets.shape)} to match the targets, "
            f"got {tuple(outputs.shape)}"
        )
    return (outputs - targets).square().sum(dim=1).mean()


def _non_finite_error(
    value: float, epoch: int, epochs: int, where: str, rate: float
) -> FloatingPointError:
    restored = "at the start of training" if epoch == 0 else f"after epoch {epoch}"
    return FloatingPointError(
        f"training loss became {value} at epoch {epoch + 1} (of {epochs}), {where}; the "
        f"module's weights were restored to those {restored}. Lower the learning rate "
        f"(it was {rate:g}) or check the inputs for very large values"
    )


def _copy_state(module: nn.Module) -> dict[str, Tensor]:
    return {name: tensor.detach().clone() for name, tensor in module.state_dict().items()}


def _cuda_index(device: torch.device) -> int:
    return torch.cuda.current_device() if device.index is None else device.index


def _check_hyperparameters(
    epochs: object,
    batch_size: object,
    learning_rate: object,
    optimizer: object,
    weight_decay: object,
) -> None:
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"expected {name} to be a positive int, got {value!r}")
    if not _is_real(learning_rate) or not learning_rate > 0:
        raise ValueError(f"expected learning_rate > 0, got {learning_rate!r}")
    if not _is_real(weight_decay) or not weight_decay >= 0:
        raise ValueError(f"expected weight_decay >= 0, got {weight_decay!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"expected optimizer in {OPTIMIZERS}, got {optimizer!r}")


def _check_schedule(
    lr_schedule: object,
    learning_rate: object,
    epochs: object,
    step_size: object,
    step_gamma: object,
) -> None:
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"expected lr_schedule in {LR_SCHEDULES}, got {lr_schedule!r}")
    if not _is_real(learning_rate) or not learning_rate > 0:
        raise ValueError(f"expected learning_rate > 0, got {learning_rate!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, Integral) or epochs < 1:
        raise ValueError(f"expected epochs to be a positive int, got {epochs!r}")
    if step_size is not None and (
        isinstance(step_size, bool) or not isinstance(step_size, Integral) or step_size < 1
    ):
        raise ValueError(f"expected step_size None or a positive int, got {step_size!r}")
    if not _is_real(step_gamma) or not 0 < step_gamma <= 1:
        raise ValueError(f"expected step_gamma in (0, 1], got {step_gamma!r}")


def _check_early_stopping(validation_fraction: object, patience: object) -> None:
    if not _is_real(validation_fraction) or not 0 <= validation_fraction < 1:
        raise ValueError(f"expected validation_fraction in [0, 1), got {validation_fraction!r}")
    if patience is None:
        return
    if isinstance(patience, bool) or not isinstance(patience, Integral) or patience < 1:
        raise ValueError(f"expected patience None or a positive int, got {patience!r}")
    if validation_fraction == 0:
        raise ValueError(
            f"patience={patience} needs a validation split to watch: set "
            f"validation_fraction > 0 (e.g. 0.1)"
        )


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)
