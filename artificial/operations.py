"""What inference costs, measured from a real forward pass with torch forward hooks.

The counts follow NeuroBench's definitions (Yik et al., "NeuroBench: A Framework for
Benchmarking Neuromorphic Computing Algorithms and Systems", arXiv:2304.04640, and the
``neurobench`` package's ``single_layer_MACs``), restricted to the layers the artificial
arm uses so far (:class:`torch.nn.Linear` and the non-linearities in
:data:`artificial.models.ACTIVATIONS`). For a linear layer
with ``in_features`` inputs and ``out_features`` outputs, on one example :math:`x`:

- dense MACs :math:`= \\text{in} \\cdot \\text{out}` (every weight used once);
- effective MACs :math:`= \\sum_{j, i} [x_i \\neq 0] \\, [W_{ji} \\neq 0]`, the
  multiply-accumulates left once zero inputs and zero weights are skipped (this is
  where ReLU sparsity and pruning save work); with no zero weights it is
  :math:`\\lVert x \\rVert_0 \\cdot \\text{out}`. Biases are not counted, as in
  NeuroBench;
- effective ACs (accumulates, for binary spike inputs) are 0 for these networks: they
  run on real-valued activations. (NeuroBench would count a layer whose inputs are all
  0/1 as ACs; we count every linear layer as MACs so ANN numbers do not change with the
  data's values.)

Every count is a mean per example over the inputs passed in.

Example
-------
>>> import torch
>>> from artificial.models import MLP
>>> net = MLP(n_features=3, hidden_sizes=(2,), n_classes=2)
>>> report = measure_operations(net, torch.tensor([[0.0, 0.5, 1.0]]))
>>> report["dense_macs"], report["effective_macs"] <= report["dense_macs"]
(10.0, True)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from artificial.models import ACTIVATIONS
from artificial.training import forward_in_chunks

__all__ = ["OPERATION_KEYS", "measure_operations"]

OPERATION_KEYS = (
    "parameter_count",
    "footprint_bytes",
    "connection_sparsity",
    "dense_macs",
    "effective_macs",
    "effective_acs",
    "activations",
    "activation_sparsity",
    "neuron_updates",
)
"""Keys of :func:`measure_operations`' report, in order."""


def measure_operations(module: nn.Module, X: Tensor) -> dict[str, float]:
    """Run ``module`` on ``X`` and report what it cost, per example, in NeuroBench terms.

    Parameters
    ----------
    module : torch.nn.Module
        Built from :class:`torch.nn.Linear` layers and activation modules; run in eval
        mode without gradients. Its hooks are removed afterwards, even on error.
    X : Tensor, shape (n_samples, n_features)
        Inputs, on the module's device.

    Returns
    -------
    dict of str to float
        ``parameter_count``
            Number of parameters (weights and biases).
        ``footprint_bytes``
            Bytes held by parameters and buffers.
        ``connection_sparsity``
            Fraction of linear-layer weights that are exactly zero (biases excluded).
        ``dense_macs``
            Multiply-accumulates per example if every input were non-zero.
        ``effective_macs``
            Multiply-accumulates per example between the non-zero inputs actually seen
            and the non-zero weights.
        ``effective_acs``
            Accumulates per example (binary spike inputs): 0.0 for these networks.
        ``activations``
            Non-zero hidden activations per example (outputs of the activation modules).
        ``activation_sparsity``
            ``1 - activations / hidden units``; NaN when there are no hidden layers.
        ``neuron_updates``
            Hidden and output neurons computed per example (linear-layer outputs).
    """
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"expected X of shape (n_samples >= 1, n_features), got {tuple(X.shape)}")
    totals = {
        "dense_macs": 0,
        "effective_macs": 0,
        "activations": 0,
        "hidden_units": 0,
        "neuron_updates": 0,
    }

    def count_linear(layer: nn.Linear, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        (x,) = inputs
        rows = x.shape[0]
        totals["dense_macs"] += rows * layer.in_features * layer.out_features
        # One product per (non-zero input, non-zero weight) pair, summed over the rows;
        # float64 counts are exact up to 2**53.
        used = (x != 0).to(torch.float64) @ (layer.weight != 0).to(torch.float64).T
        totals["effective_macs"] += int(used.sum().item())
        totals["neuron_updates"] += output.numel()

    def count_activation(_: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        totals["activations"] += int(torch.count_nonzero(output))
        totals["hidden_units"] += output.numel()

    handles = []
    try:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                handles.append(layer.register_forward_hook(count_linear))
            elif isinstance(layer, tuple(ACTIVATIONS.values())):
                handles.append(layer.register_forward_hook(count_activation))
        forward_in_chunks(module, X)
    finally:
        for handle in handles:
            handle.remove()

    weights = [layer.weight for layer in module.modules() if isinstance(layer, nn.Linear)]
    n_weights = sum(weight.numel() for weight in weights)
    n_zero_weights = sum(int((weight == 0).sum()) for weight in weights)
    tensors = [*module.parameters(), *module.buffers()]
    n_examples = len(X)
    hidden_units = totals["hidden_units"]
    return {
        "parameter_count": float(sum(p.numel() for p in module.parameters())),
        "footprint_bytes": float(sum(t.numel() * t.element_size() for t in tensors)),
        "connection_sparsity": n_zero_weights / n_weights if n_weights else math.nan,
        "dense_macs": totals["dense_macs"] / n_examples,
        "effective_macs": totals["effective_macs"] / n_examples,
        "effective_acs": 0.0,
        "activations": totals["activations"] / n_examples,
        "activation_sparsity": (
            1.0 - totals["activations"] / hidden_units if hidden_units else math.nan
        ),
        "neuron_updates": totals["neuron_updates"] / n_examples,
    }
