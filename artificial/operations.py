"""What inference costs, measured from a real forward pass with torch forward hooks.

The counts follow NeuroBench's definitions (Yik et al., "NeuroBench: A Framework for
Benchmarking Neuromorphic Computing Algorithms and Systems", arXiv:2304.04640, and the
``neurobench`` package's ``single_layer_MACs``), restricted to the layers the artificial
arm uses (:class:`torch.nn.Linear`, :class:`torch.nn.Conv1d` and
:class:`~torch.nn.Conv2d`, the recurrent
:class:`torch.nn.RNN`, :class:`~torch.nn.LSTM` and :class:`~torch.nn.GRU`, and the
non-linearities in :data:`artificial.models.ACTIVATIONS`). For a linear layer
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

For a 1-D or 2-D convolution, every output element is a dot product over a receptive
field:

- dense MACs: the (input position, kernel weight) pairs of every output element
  that fall on the input, i.e. the convolution of an all-ones input with an all-ones
  kernel, summed: (output elements) :math:`\\cdot` ``in_channels / groups``
  :math:`\\cdot` (kernel length or area) less the pairs that land on zero padding
  (NeuroBench's ``Dense``, which counts all-ones inputs through an all-ones kernel);
- effective MACs count, over every output element, the pairs (non-zero input in its
  receptive field, non-zero kernel weight): the convolution of :math:`[x \\neq 0]` with
  :math:`[W \\neq 0]` (same stride, padding, dilation and groups), summed; padded
  positions are zero inputs, so they are skipped.

Batch normalisation is not counted: at inference it is an affine map per channel that
folds into the preceding convolution's weights and bias (NeuroBench's
``single_layer_MACs`` counts only linear, convolution and recurrent layers).

For a recurrent layer with :math:`g` gate blocks (1 for the Elman RNN, 4 for the LSTM,
3 for the GRU), ``input_size`` :math:`I` and ``hidden_size`` :math:`H`, each step
multiplies the input by :math:`W_{ih}` (:math:`gH \\times I`) and the previous hidden
state by :math:`W_{hh}` (:math:`gH \\times H`):

- dense MACs :math:`= T \\, g H (I + H)` over :math:`T` steps;
- effective MACs count the (non-zero input, non-zero weight) pairs of both products at
  every step, with :math:`h_0 = 0` (or the state passed in);
- activations are the non-zero hidden states :math:`h_t` over all steps, out of
  :math:`T H` hidden units, and each step updates :math:`H` neurons. The gate
  non-linearities and elementwise products are not counted, as in NeuroBench.

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
from torch.nn import functional

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
        Built from :class:`torch.nn.Linear`, :class:`torch.nn.Conv1d` and
        :class:`~torch.nn.Conv2d` (zero padding), single-direction, single-layer,
        batch-first or time-first recurrent layers, activation modules, batch
        normalisation, pooling, dropout and reshaping; run in eval mode without
        gradients. Its hooks are removed afterwards, even on error.
    X : Tensor, shape (n_samples, ...)
        Inputs, on the module's device (flattened rows for the project's networks).

    Returns
    -------
    dict of str to float
        ``parameter_count``
            Number of parameters (weights and biases).
        ``footprint_bytes``
            Bytes held by parameters and buffers.
        ``connection_sparsity``
            Fraction of linear, convolution and recurrent weights that are exactly zero
            (biases excluded).
        ``dense_macs``
            Multiply-accumulates per example if every input were non-zero.
        ``effective_macs``
            Multiply-accumulates per example between the non-zero inputs actually seen
            and the non-zero weights.
        ``effective_acs``
            Accumulates per example (binary spike inputs): 0.0 for these networks.
        ``activations``
            Non-zero hidden activations per example (outputs of the activation modules
            and hidden states of recurrent layers at every step).
        ``activation_sparsity``
            ``1 - activations / hidden units``; NaN when there are no hidden layers.
        ``neuron_updates``
            Neurons computed per example: linear-layer outputs, convolution output
            elements, and recurrent hidden units at every step.

    Raises
    ------
    ValueError
        For a convolution with non-zero padding or a recurrent layer that is
        bidirectional, stacked (``num_layers > 1``) or projected, whose counts these
        hooks cannot see.
    """
    if X.ndim < 2 or len(X) == 0:
        raise ValueError(f"expected X of shape (n_samples >= 1, ...), got {tuple(X.shape)}")
    counter = _Counter()
    handles = []
    try:
        for layer in module.modules():
            if isinstance(layer, nn.Linear):
                handles.append(layer.register_forward_hook(counter.linear))
            elif isinstance(layer, (nn.Conv1d, nn.Conv2d)):
                _check_countable_conv(layer)
                handles.append(layer.register_forward_hook(counter.conv))
            elif isinstance(layer, nn.RNNBase):
                _check_countable_recurrent(layer)
                handles.append(layer.register_forward_hook(counter.recurrent))
            elif isinstance(layer, tuple(ACTIVATIONS.values())):
                handles.append(layer.register_forward_hook(counter.activation))
        forward_in_chunks(module, X)
    finally:
        for handle in handles:
            handle.remove()
    return {**_static_costs(module), **counter.per_example(len(X))}


class _Counter:
    """Forward hooks that add up what each layer computed (totals over the examples)."""

    def __init__(self):
        self.dense_macs = 0
        self.effective_macs = 0
        self.activations = 0
        self.hidden_units = 0
        self.neuron_updates = 0

    def linear(self, layer: nn.Linear, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        (x,) = inputs
        rows = x.shape[0]
        self.dense_macs += rows * layer.in_features * layer.out_features
        # One product per (non-zero input, non-zero weight) pair, summed over the rows;
        # float64 counts are exact up to 2**53.
        used = (x != 0).to(torch.float64) @ (layer.weight != 0).to(torch.float64).T
        self.effective_macs += int(used.sum().item())
        self.neuron_updates += output.numel()

    def conv(self, layer: nn.Conv1d | nn.Conv2d, inputs: tuple[Tensor, ...], output) -> None:
        (x,) = inputs
        # Each output element of the 0/1 convolution counts its (non-zero input,
        # non-zero weight) pairs; with all-ones operands, every pair that lies on the
        # input (padding excluded). float64 keeps these integer sums exact.
        convolve = functional.conv1d if isinstance(layer, nn.Conv1d) else functional.conv2d

        def pairs(inputs: Tensor, kernel: Tensor) -> int:
            counted = convolve(
                inputs.to(torch.float64),
                kernel.to(torch.float64),
                stride=layer.stride,
                padding=layer.padding,
                dilation=layer.dilation,
                groups=layer.groups,
            )
            return int(counted.sum().item())

        self.dense_macs += pairs(torch.ones_like(x), torch.ones_like(layer.weight))
        self.effective_macs += pairs(x != 0, layer.weight != 0)
        self.neuron_updates += output.numel()

    def recurrent(self, layer: nn.RNNBase, inputs: tuple[Tensor, ...], output) -> None:
        x = inputs[0]
        states, _ = output
        if not layer.batch_first:
            x, states = x.transpose(0, 1), states.transpose(0, 1)
        if len(inputs) > 1 and inputs[1] is not None:
            h0 = inputs[1][0] if isinstance(layer, nn.LSTM) else inputs[1]
            h0 = h0[0][:, None, :]  # [1, batch, H] -> [batch, 1, H]
        else:
            h0 = torch.zeros_like(states[:, :1])
        previous = torch.cat([h0, states[:, :-1]], dim=1)  # h_{t-1} for every step t
        w_ih, w_hh = layer.weight_ih_l0, layer.weight_hh_l0
        steps = x.shape[0] * x.shape[1]  # examples x time steps
        self.dense_macs += steps * (w_ih.numel() + w_hh.numel())
        used_input = (x != 0).to(torch.float64) @ (w_ih != 0).to(torch.float64).T
        used_hidden = (previous != 0).to(torch.float64) @ (w_hh != 0).to(torch.float64).T
        self.effective_macs += int(used_input.sum().item() + used_hidden.sum().item())
        self.activations += int(torch.count_nonzero(states))
        self.hidden_units += states.numel()
        self.neuron_updates += states.numel()

    def activation(self, _: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        self.activations += int(torch.count_nonzero(output))
        self.hidden_units += output.numel()

    def per_example(self, n_examples: int) -> dict[str, float]:
        """The counts per example, in :data:`OPERATION_KEYS` order."""
        units = self.hidden_units
        return {
            "dense_macs": self.dense_macs / n_examples,
            "effective_macs": self.effective_macs / n_examples,
            "effective_acs": 0.0,
            "activations": self.activations / n_examples,
            "activation_sparsity": 1.0 - self.activations / units if units else math.nan,
            "neuron_updates": self.neuron_updates / n_examples,
        }


def _static_costs(module: nn.Module) -> dict[str, float]:
    """What the module holds, whatever it is run on: parameters, bytes, zero weights."""
    weights = [
        weight
        for layer in module.modules()
        if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.RNNBase))
        for weight in _weights(layer)
    ]
    n_weights = sum(weight.numel() for weight in weights)
    n_zero_weights = sum(int((weight == 0).sum()) for weight in weights)
    tensors = [*module.parameters(), *module.buffers()]
    return {
        "parameter_count": float(sum(p.numel() for p in module.parameters())),
        "footprint_bytes": float(sum(t.numel() * t.element_size() for t in tensors)),
        "connection_sparsity": n_zero_weights / n_weights if n_weights else math.nan,
    }


def _weights(layer: nn.Module) -> list[Tensor]:
    """The weight matrices of a counted layer (biases excluded)."""
    if isinstance(layer, nn.RNNBase):
        return [layer.weight_ih_l0, layer.weight_hh_l0]
    return [layer.weight]


def _check_countable_conv(layer: nn.Conv1d | nn.Conv2d) -> None:
    if layer.padding_mode != "zeros":
        raise ValueError(
            f"cannot count operations of {layer}: expected padding_mode 'zeros' (padded "
            f"positions are then zero inputs), got {layer.padding_mode!r}"
        )


def _check_countable_recurrent(layer: nn.RNNBase) -> None:
    if layer.num_layers != 1 or layer.bidirectional or getattr(layer, "proj_size", 0):
        raise ValueError(
            f"cannot count operations of {layer}: expected one unidirectional layer without "
            f"projection (stack single-layer modules instead, as RecurrentNet does), got "
            f"num_layers={layer.num_layers}, bidirectional={layer.bidirectional}, "
            f"proj_size={getattr(layer, 'proj_size', 0)}"
        )
