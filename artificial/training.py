"""The one training loop of the artificial arm: seeded mini-batch backprop on cross-entropy.

:func:`train_classifier` minimises the mean cross-entropy

.. math::

    L = -\\frac{1}{|B|} \\sum_{i \\in B} \\log \\frac{\\exp z_{i, y_i}}{\\sum_c \\exp z_{i, c}}

over shuffled mini-batches :math:`B`, with the shuffling drawn from a
:class:`torch.Generator` that the caller passes in (the global torch RNG is never
touched), so on CPU the same generator seed gives bit-identical weights.

Example
-------
>>> import torch
>>> from artificial.models import MLP
>>> X = torch.rand(32, 4, generator=torch.Generator().manual_seed(0))
>>> y = (X[:, 0] > 0.5).long()
>>> net = MLP(n_features=4, hidden_sizes=(8,), n_classes=2)
>>> history = train_classifier(net, X, y, epochs=3, batch_size=8, learning_rate=1e-2,
...                            generator=torch.Generator().manual_seed(0))
>>> len(history.train_loss)
3
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional
from tqdm.auto import tqdm

__all__ = [
    "OPTIMIZERS",
    "History",
    "forward_in_chunks",
    "resolve_device",
    "train_classifier",
]

SGD_MOMENTUM = 0.9

_OPTIMIZER_CLASSES = {
    "adam": (torch.optim.Adam, {}),
    "sgd": (torch.optim.SGD, {"momentum": SGD_MOMENTUM}),
    "rmsprop": (torch.optim.RMSprop, {}),
}

OPTIMIZERS = tuple(_OPTIMIZER_CLASSES)
"""Optimiser names :func:`train_classifier` accepts; ``"sgd"`` uses momentum 0.9."""

EVALUATION_CHUNK = 8192
"""Rows per no-grad forward pass when evaluating; bounds memory only."""


@dataclass(frozen=True)
class History:
    """What happened during training, one entry per epoch.

    Both metrics are measured on the full training set after the epoch's updates
    (not averaged over the mini-batches while the weights were changing).
    """

    train_loss: tuple[float, ...]
    """Mean cross-entropy (nats per example) on the training set after each epoch."""
    train_accuracy: tuple[float, ...]
    """Fraction of training examples classified correctly after each epoch."""

    def __post_init__(self) -> None:
        if len(self.train_loss) != len(self.train_accuracy):
            raise ValueError(
                f"expected one train_loss and one train_accuracy per epoch, got "
                f"{len(self.train_loss)} losses and {len(self.train_accuracy)} accuracies"
            )

    def as_records(self) -> list[dict[str, float | int | str]]:
        """Tidy rows ``{"epoch", "metric", "value"}``, epochs counted from 1.

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
        Passes over the training set.
    batch_size : int
        Examples per gradient step; the last batch of an epoch may be smaller.
    learning_rate : float
        Step size of the optimiser.
    generator : torch.Generator
        CPU generator that draws each epoch's shuffle. The only source of randomness.
    optimizer : {"adam", "sgd", "rmsprop"}
        ``"sgd"`` uses momentum 0.9; the others use PyTorch's defaults.
    weight_decay : float
        L2 penalty coefficient passed to the optimiser.
    device : {"cpu", "cuda"}
        Where the whole data set and the module live during training.
    progress : bool
        Show a tqdm bar over epochs with the current loss and accuracy.
    description : str
        Label of the progress bar.

    Returns
    -------
    History
        Training-set loss and accuracy after every epoch.
    """
    _check_hyperparameters(epochs, batch_size, learning_rate, optimizer, weight_decay)
    torch_device = resolve_device(device)
    inputs = torch.as_tensor(X, dtype=torch.float32).to(torch_device)
    targets = torch.as_tensor(y, dtype=torch.long).to(torch_device)
    if targets.ndim != 1 or len(targets) != len(inputs):
        raise ValueError(
            f"expected y of shape ({len(inputs)},) to match X of shape "
            f"{tuple(inputs.shape)}, got y of shape {tuple(targets.shape)}"
        )

    module.to(torch_device)
    optimizer_class, extra_options = _OPTIMIZER_CLASSES[optimizer]
    step = optimizer_class(
        module.parameters(), lr=learning_rate, weight_decay=weight_decay, **extra_options
    )
    n_samples = len(inputs)
    losses: list[float] = []
    accuracies: list[float] = []
    bar = tqdm(range(int(epochs)), desc=description, disable=not progress, unit="epoch")
    for _ in bar:
        module.train()
        order = torch.randperm(n_samples, generator=generator).to(torch_device)
        for batch in order.split(int(batch_size)):
            step.zero_grad()
            loss = functional.cross_entropy(module(inputs[batch]), targets[batch])
            loss.backward()
            step.step()
        logits = forward_in_chunks(module, inputs)
        losses.append(functional.cross_entropy(logits, targets).item())
        accuracies.append((logits.argmax(dim=1) == targets).double().mean().item())
        bar.set_postfix(loss=f"{losses[-1]:.4f}", accuracy=f"{accuracies[-1]:.4f}")
    module.train()
    return History(train_loss=tuple(losses), train_accuracy=tuple(accuracies))


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


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)
