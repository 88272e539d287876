"""Feed-forward networks for the artificial arm, as plain :class:`torch.nn.Module` s.

:class:`MLP` is a stack of fully connected layers with an elementwise non-linearity
:math:`\\phi` between them,

.. math::

    h_0 = x, \\qquad h_k = \\phi(W_k h_{k-1} + b_k) \\quad (k = 1 \\dots K), \\qquad
    z = W_{K+1} h_K + b_{K+1},

and returns the logits :math:`z` (no softmax: :func:`torch.nn.functional.cross_entropy`
applies it). With no hidden layers (``hidden_sizes=()``) it is a single linear layer,
i.e. multinomial logistic regression; there is no separate class for that case.

Example
-------
>>> import torch
>>> net = MLP(n_features=64, hidden_sizes=(100,), n_classes=10)
>>> net(torch.zeros(5, 64)).shape
torch.Size([5, 10])
>>> sum(p.numel() for p in net.parameters())  # (64 + 1) * 100 + (100 + 1) * 10
7510
"""

from __future__ import annotations

from numbers import Integral

from torch import Tensor, nn

__all__ = ["ACTIVATIONS", "MLP"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
"""Hidden-layer non-linearities by name. Operation counting (:mod:`artificial.operations`)
treats the outputs of these modules as a network's hidden activations."""


class MLP(nn.Module):
    """Multi-layer perceptron: ``[batch, n_features]`` inputs to ``[batch, n_classes]`` logits.

    Parameters
    ----------
    n_features : int
        Input size (for flattened images, the number of pixels).
    hidden_sizes : tuple of int
        Width of each hidden layer, input side first. ``()`` gives logistic regression.
    n_classes : int
        Number of output logits.
    activation : {"relu", "tanh", "sigmoid"}
        Non-linearity after every hidden layer (not after the output layer).

    Attributes
    ----------
    network : torch.nn.Sequential
        ``Linear, activation, Linear, activation, ..., Linear``; PyTorch's default
        initialisation (drawn from the global torch RNG: seed it, or wrap construction
        in :func:`torch.random.fork_rng`, for reproducible weights).

    Examples
    --------
    >>> MLP(n_features=4, hidden_sizes=(), n_classes=3)  # logistic regression
    MLP(
      (network): Sequential(
        (0): Linear(in_features=4, out_features=3, bias=True)
      )
    )
    """

    def __init__(
        self,
        n_features: int,
        hidden_sizes: tuple[int, ...],
        n_classes: int,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        _check_positive_int("n_features", n_features)
        _check_positive_int("n_classes", n_classes)
        for size in hidden_sizes:
            _check_positive_int("every hidden size", size)
        if activation not in ACTIVATIONS:
            raise ValueError(f"expected activation in {sorted(ACTIVATIONS)}, got {activation!r}")
        widths = [n_features, *hidden_sizes]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(int(n_in), int(n_out)), ACTIVATIONS[activation]()]
        layers.append(nn.Linear(int(widths[-1]), int(n_classes)))
        self.network = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape ``[batch, n_classes]`` for inputs of shape ``[batch, n_features]``."""
        return self.network(x)


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"expected {name} to be a positive int, got {value!r}")
