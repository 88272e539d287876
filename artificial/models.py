"""The networks of the artificial arm, as plain :class:`torch.nn.Module` s.

:class:`MLP` is a stack of fully connected layers with an elementwise non-linearity
:math:`\\phi` between them,

.. math::

    h_0 = x, \\qquad h_k = \\phi(W_k h_{k-1} + b_k) \\quad (k = 1 \\dots K), \\qquad
    z = W_{K+1} h_K + b_{K+1},

and returns the logits :math:`z` (no softmax: :func:`torch.nn.functional.cross_entropy`
applies it). With no hidden layers (``hidden_sizes=()``) it is a single linear layer,
i.e. multinomial logistic regression (or, trained on squared error, linear regression);
there is no separate class for that case.

:class:`ConvNet` reads flattened images, ``[batch, C * H * W]``, as ``[batch, C, H, W]``
and applies conv-ReLU-maxpool blocks (one or more convolutions each, optionally batch
normalised), then a dense ReLU layer and the output layer. :class:`ConvNet1d` reads
flattened sequences, ``[batch, T * F]``, as ``F`` channels of length ``T`` (MNIST-1D is
one channel of 40) through strided 1-D convolutions and a linear read-out, the network
Greydanus (2020) benchmarks MNIST-1D with.
:class:`RecurrentNet` reads flattened sequences, ``[batch, T * F]``, as ``T`` steps of
``F`` features (an image row by row, or MNIST-1D's 40 steps of 1) through recurrent
layers (Elman RNN, LSTM or GRU) and classifies the last step's hidden state.
Every network takes the project's flattened ``(n_samples, n_features)`` rows, so the
estimators and :mod:`artificial.operations` treat them alike.

Example
-------
>>> import torch
>>> net = MLP(n_features=64, hidden_sizes=(100,), n_classes=10)
>>> net(torch.zeros(5, 64)).shape
torch.Size([5, 10])
>>> sum(p.numel() for p in net.parameters())  # (64 + 1) * 100 + (100 + 1) * 10
7510
>>> ConvNet((28, 28), n_classes=10)(torch.zeros(5, 784)).shape
torch.Size([5, 10])
>>> ConvNet1d((40, 1), n_classes=10)(torch.zeros(5, 40)).shape
torch.Size([5, 10])
>>> RecurrentNet((40, 1), n_classes=10, cell="gru")(torch.zeros(5, 40)).shape
torch.Size([5, 10])
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch
from torch import Tensor, nn

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "INITIALISATIONS",
    "MLP",
    "ConvNet",
    "ConvNet1d",
    "RecurrentNet",
    "Standardize",
    "conv_output_length",
    "mlp_parameter_count",
]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
"""Hidden-layer non-linearities by name. Operation counting (:mod:`artificial.operations`)
treats the outputs of these modules as a network's hidden activations."""

INITIALISATIONS = ("pytorch", "glorot_uniform")
"""How :class:`MLP` initialises its linear layers: ``"pytorch"`` keeps PyTorch's default
(weights and biases uniform in :math:`\\pm 1 / \\sqrt{\\text{fan-in}}`);
``"glorot_uniform"`` is Keras' default for ``Dense`` layers: weights uniform in
:math:`\\pm \\sqrt{6 / (\\text{fan-in} + \\text{fan-out})}` (Glorot & Bengio 2010,
"Understanding the difficulty of training deep feedforward neural networks", AISTATS)
and biases zero."""


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
    dropout : float
        Probability of zeroing each hidden activation during training (an
        :class:`torch.nn.Dropout` after every hidden non-linearity); 0 adds none.
    init : {"pytorch", "glorot_uniform"}
        Initialisation of every linear layer (:data:`INITIALISATIONS`).

    Attributes
    ----------
    network : torch.nn.Sequential
        ``Linear, activation, [Dropout,] Linear, ..., Linear``; its initial weights are
        drawn from the global torch RNG: seed it, or wrap construction in
        :func:`torch.random.fork_rng`, for reproducible weights.

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
        dropout: float = 0.0,
        init: str = "pytorch",
    ) -> None:
        super().__init__()
        _check_positive_int("n_features", n_features)
        _check_positive_int("n_classes", n_classes)
        for size in hidden_sizes:
            _check_positive_int("every hidden size", size)
        _check_activation(activation)
        _check_dropout(dropout)
        if init not in INITIALISATIONS:
            raise ValueError(f"expected init in {INITIALISATIONS}, got {init!r}")
        widths = [n_features, *hidden_sizes]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(int(n_in), int(n_out)), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(int(widths[-1]), int(n_classes)))
        if init == "glorot_uniform":
            for layer in layers:
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_uniform_(layer.weight)
                    nn.init.zeros_(layer.bias)
        self.network = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape ``[batch, n_classes]`` for inputs of shape ``[batch, n_features]``."""
        return self.network(x)


def mlp_parameter_count(n_features: int, hidden_sizes: tuple[int, ...], n_outputs: int) -> int:
    """Weights and biases of :class:`MLP` ``(n_features, hidden_sizes, n_outputs)``.

    :math:`\\sum_k (n_{k-1} + 1)\\, n_k` over the layers, with :math:`n_0` = ``n_features``
    and the last :math:`n_k` = ``n_outputs``.

    Examples
    --------
    >>> mlp_parameter_count(784, (100,), 10)  # 785 * 100 + 101 * 10
    79510
    >>> mlp_parameter_count(784, (), 10)  # logistic regression
    7850
    """
    widths = [int(n_features), *(int(size) for size in hidden_sizes), int(n_outputs)]
    return sum((n_in + 1) * n_out for n_in, n_out in zip(widths[:-1], widths[1:]))


class ConvNet(nn.Module):
    """Convolutional classifier: flattened images ``[batch, C * H * W]`` to logits.

    Each block is ``convs_per_block`` times ``Conv2d(k x k, stride 1, zero "same"
    padding) -> [BatchNorm2d ->] ReLU``, then ``MaxPool2d(2)``, so it halves the height
    and width (rounding down); then ``Flatten -> Dropout -> Linear(dense_size) -> ReLU
    -> Dropout -> Linear(n_classes)``. One convolution per block is the layout of the
    Keras ``mnist_cnn.py`` example; two per block, with batch normalisation, the small
    VGG-style network (Simonyan & Zisserman 2015) common in Fashion-MNIST benchmarks
    (conv32-conv32-pool-conv64-conv64-pool). With batch normalisation (Ioffe & Szegedy
    2015) the convolutions have no bias (the normalisation's shift replaces it).

    Images run in PyTorch's ``channels_last`` memory layout, which its CPU convolutions
    compute faster at these sizes (measured on one core for conv32-pool-conv64-pool on
    28 x 28 images: inference 2.0x, training 1.4x); the values, up to float rounding,
    and the flattened feature order (C, H, W) are those of the ordinary layout.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` for one channel or ``(C, H, W)``; rows of the input are these images
        flattened in C order (``X.reshape(-1, C, H, W)`` recovers them).
    n_classes : int
        Number of output logits.
    channels : tuple of int
        Output channels of each conv block, input side first.
    kernel_size : int
        Odd side of the square kernels (odd keeps "same" padding symmetric).
    dense_size : int
        Width of the dense hidden layer.
    dropout : float
        Dropout probability before and after the dense hidden layer; 0 adds none.
    convs_per_block : int
        Convolutions (each followed by its ReLU) before every max-pooling.
    batch_norm : bool
        Batch-normalise every convolution's output before its ReLU.

    Examples
    --------
    >>> net = ConvNet((1, 8, 8), n_classes=3, channels=(4,), dense_size=5)
    >>> net.feature_shape  # 4 channels of 8 // 2 x 8 // 2
    (4, 4, 4)
    >>> vgg = ConvNet((28, 28), 10, (32, 64), convs_per_block=2, batch_norm=True)
    >>> [type(m).__name__ for m in vgg.features][:4]
    ['Conv2d', 'BatchNorm2d', 'ReLU', 'Conv2d']
    """

    def __init__(
        self,
        image_shape: tuple[int, ...],
        n_classes: int,
        channels: tuple[int, ...] = (32, 64),
        kernel_size: int = 3,
        dense_size: int = 128,
        dropout: float = 0.5,
        convs_per_block: int = 1,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.image_shape = _check_image_shape(image_shape)
        _check_positive_int("n_classes", n_classes)
        if len(channels) < 1:
            raise ValueError(f"expected at least one conv block in channels, got {channels!r}")
        for size in channels:
            _check_positive_int("every channel count", size)
        _check_positive_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f"expected an odd kernel_size (for same padding), got {kernel_size}")
        _check_positive_int("dense_size", dense_size)
        _check_dropout(dropout)
        _check_positive_int("convs_per_block", convs_per_block)
        if not isinstance(batch_norm, bool):
            raise ValueError(f"expected batch_norm True or False, got {batch_norm!r}")
        n_channels, height, width = self.image_shape
        if height >> len(channels) < 1 or width >> len(channels) < 1:
            raise ValueError(
                f"expected images of at least {2 ** len(channels)} x {2 ** len(channels)} "
                f"pixels for {len(channels)} max-pooling blocks, got {height} x {width}"
            )
        blocks: list[nn.Module] = []
        n_in = n_channels
        for n_out in channels:
            for _ in range(int(convs_per_block)):
                blocks.append(
                    nn.Conv2d(
                        int(n_in),
                        int(n_out),
                        int(kernel_size),
                        padding=kernel_size // 2,
                        bias=not batch_norm,
                    )
                )
                if batch_norm:
                    blocks.append(nn.BatchNorm2d(int(n_out)))
                blocks.append(nn.ReLU())
                n_in = n_out
            blocks.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*blocks)
        self.feature_shape = (
            int(channels[-1]),
            height >> len(channels),
            width >> len(channels),
        )
        head: list[nn.Module] = [nn.Flatten()]
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        head += [nn.Linear(math.prod(self.feature_shape), int(dense_size)), nn.ReLU()]
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(int(dense_size), int(n_classes)))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[batch, n_classes]`` for flattened images ``[batch, C * H * W]``."""
        images = x.reshape(len(x), *self.image_shape)
        return self.classifier(self.features(images.contiguous(memory_format=_CHANNELS_LAST)))


_CHANNELS_LAST = torch.channels_last


def conv_output_length(length: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution: :math:`\\lfloor (L + 2p - k) / s \\rfloor + 1`.

    The formula of :class:`torch.nn.Conv1d` (dilation 1).

    Examples
    --------
    >>> conv_output_length(40, 5, stride=2, padding=1)  # MNIST-1D's first layer
    19
    >>> conv_output_length(19, 3, 2, 1), conv_output_length(10, 3, 2, 1)
    (10, 5)
    """
    return (int(length) + 2 * int(padding) - int(kernel_size)) // int(stride) + 1


class ConvNet1d(nn.Module):
    """1-D convolutional classifier: flattened sequences ``[batch, T * F]`` to logits.

    The rows are read as ``T`` steps of ``F`` features, like :class:`RecurrentNet`, and
    the features become channels: ``[batch, F, T]``. Each layer is ``Conv1d(k_i,
    stride, zero padding) -> ReLU``; the last layer's feature maps are flattened, go
    through an optional dropout and a linear output layer. The defaults are the CNN of
    the MNIST-1D benchmark (Greydanus 2020, "Scaling down deep learning",
    arXiv:2011.14439; ``ConvBase`` in the mnist1d repository's ``notebooks/models.py``):
    three layers of 25 channels, kernels 5, 3, 3, stride 2, padding 1, so a sequence of
    40 shrinks to 19, 10 and 5 steps and the read-out sees 25 x 5 = 125 features.

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(T, F)``: steps and features (channels) per step; MNIST-1D is ``(40, 1)``.
    n_classes : int
        Number of output logits.
    channels : tuple of int
        Output channels of each convolution, input side first.
    kernel_sizes : tuple of int
        Kernel length of each convolution (as many as ``channels``).
    stride : int
        Stride of every convolution.
    padding : int
        Zeros added at both ends of every convolution's input.
    dropout : float
        Dropout probability before the output layer; 0 adds none.

    Examples
    --------
    >>> net = ConvNet1d((40, 1), n_classes=10)
    >>> net.feature_shape
    (25, 5)
    >>> sum(p.numel() for p in net.parameters())  # 25*(5+1) + 2*25*(25*3+1) + 10*(125+1)
    5210
    """

    def __init__(
        self,
        sequence_shape: tuple[int, int],
        n_classes: int,
        channels: tuple[int, ...] = (25, 25, 25),
        kernel_sizes: tuple[int, ...] = (5, 3, 3),
        stride: int = 2,
        padding: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.sequence_shape = _check_sequence_shape(sequence_shape)
        _check_positive_int("n_classes", n_classes)
        if len(channels) < 1 or len(kernel_sizes) != len(channels):
            raise ValueError(
                f"expected one kernel size per conv layer and at least one layer, got "
                f"channels={tuple(channels)!r} and kernel_sizes={tuple(kernel_sizes)!r}"
            )
        for size in channels:
            _check_positive_int("every channel count", size)
        for size in kernel_sizes:
            _check_positive_int("every kernel size", size)
        _check_positive_int("stride", stride)
        if isinstance(padding, bool) or not isinstance(padding, Integral) or padding < 0:
            raise ValueError(f"expected padding to be a non-negative int, got {padding!r}")
        _check_dropout(dropout)
        length, n_in = self.sequence_shape
        layers: list[nn.Module] = []
        for n_out, kernel_size in zip(channels, kernel_sizes):
            out_length = conv_output_length(length, kernel_size, stride, padding)
            if out_length < 1:
                raise ValueError(
                    f"a sequence of {self.sequence_shape[0]} steps is too short for "
                    f"kernel_sizes={tuple(kernel_sizes)!r}, stride={stride}, padding={padding}: "
                    f"a layer would get {length} steps and output {out_length}"
                )
            layers += [
                nn.Conv1d(int(n_in), int(n_out), int(kernel_size), int(stride), int(padding)),
                nn.ReLU(),
            ]
            n_in, length = n_out, out_length
        self.features = nn.Sequential(*layers)
        self.feature_shape = (int(channels[-1]), int(length))
        head: list[nn.Module] = [nn.Flatten()]
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        head.append(nn.Linear(math.prod(self.feature_shape), int(n_classes)))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[batch, n_classes]`` for flattened sequences ``[batch, T * F]``."""
        sequences = x.reshape(len(x), *self.sequence_shape).transpose(1, 2)  # [batch, F, T]
        return self.classifier(self.features(sequences))


CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
"""Recurrent cells by name: Elman (tanh), long short-term memory, gated recurrent unit."""


class RecurrentNet(nn.Module):
    """Recurrent classifier: flattened sequences ``[batch, T * F]`` to logits.

    The rows are read as ``T`` steps of ``F`` features, run through ``num_layers``
    single-layer recurrent modules (one per layer, so operation counting sees each
    layer's inputs), starting from zero state; the last step's hidden state of the top
    layer goes through a linear output layer. For the LSTM, :math:`h_t = o_t \\odot
    \\tanh(c_t)` is the hidden state (PyTorch's equations).

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(T, F)``: steps and features per step. A 28 x 28 image read row by row is
        ``(28, 28)``; MNIST-1D is ``(40, 1)``.
    n_classes : int
        Number of output logits.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer type.
    hidden_size : int
        Hidden units per layer.
    num_layers : int
        Stacked recurrent layers.

    Examples
    --------
    >>> net = RecurrentNet((28, 28), n_classes=10, cell="lstm", hidden_size=8)
    >>> sum(p.numel() for p in net.parameters())  # 4 gates x 8 x (28 + 8 + 2) + 9 * 10
    1306
    """

    def __init__(
        self,
        sequence_shape: tuple[int, int],
        n_classes: int,
        cell: str = "lstm",
        hidden_size: int = 128,
        num_layers: int = 1,
    ) -> None:
        super().__init__()
        self.sequence_shape = _check_sequence_shape(sequence_shape)
        _check_positive_int("n_classes", n_classes)
        if cell not in CELLS:
            raise ValueError(f"expected cell in {tuple(CELLS)}, got {cell!r}")
        _check_positive_int("hidden_size", hidden_size)
        _check_positive_int("num_layers", num_layers)
        sizes = [self.sequence_shape[1]] + [int(hidden_size)] * int(num_layers)
        self.recurrent = nn.ModuleList(
            CELLS[cell](n_in, n_out, batch_first=True) for n_in, n_out in zip(sizes[:-1], sizes[1:])
        )
        self.output = nn.Linear(int(hidden_size), int(n_classes))

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[batch, n_classes]`` for flattened sequences ``[batch, T * F]``."""
        hidden = x.reshape(len(x), *self.sequence_shape)
        for layer in self.recurrent:
            hidden, _ = layer(hidden)
        return self.output(hidden[:, -1])


class Standardize(nn.Module):
    """A fixed input layer: :math:`x \\mapsto (x - \\mu) / \\sigma`, two scalars.

    The estimators put it in front of a network with ``standardize=True``, with the
    mean and standard deviation of the training data; they are buffers (saved with the
    model, never trained). Operation counting treats it like any elementwise module: it
    adds no MACs, but inputs that were 0 are no longer 0 after it.

    Examples
    --------
    >>> import torch
    >>> Standardize(mean=0.5, std=0.25)(torch.tensor([[0.0, 0.5, 1.0]]))
    tensor([[-2.,  0.,  2.]])
    """

    def __init__(self, mean: float, std: float) -> None:
        super().__init__()
        if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
            raise ValueError(
                f"expected a finite mean and a standard deviation > 0 to standardise with, "
                f"got mean {mean!r} and std {std!r} (are all training values equal?)"
            )
        self.register_buffer("mean", torch.tensor(float(mean)))
        self.register_buffer("std", torch.tensor(float(std)))

    def forward(self, x: Tensor) -> Tensor:
        """``(x - mean) / std``, same shape as ``x``."""
        return (x - self.mean) / self.std


def _check_image_shape(image_shape: object) -> tuple[int, int, int]:
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
    if shape is None or len(shape) not in (2, 3):
        raise ValueError(f"expected image_shape (H, W) or (C, H, W), got {image_shape!r}")
    for size in shape:
        _check_positive_int("every image_shape size", size)
    return (1, int(shape[0]), int(shape[1])) if len(shape) == 2 else tuple(map(int, shape))


def _check_sequence_shape(sequence_shape: object) -> tuple[int, int]:
    shape = tuple(sequence_shape) if isinstance(sequence_shape, (tuple, list)) else None
    if shape is None or len(shape) != 2:
        raise ValueError(f"expected sequence_shape (steps, features), got {sequence_shape!r}")
    for name, value in zip(("steps", "features"), shape):
        _check_positive_int(f"sequence_shape's {name}", value)
    return (int(shape[0]), int(shape[1]))


def _check_activation(activation: object) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"expected activation in {sorted(ACTIVATIONS)}, got {activation!r}")


def _check_dropout(dropout: object) -> None:
    if isinstance(dropout, bool) or not isinstance(dropout, Real) or not 0 <= dropout < 1:
        raise ValueError(f"expected dropout in [0, 1), got {dropout!r}")


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"expected {name} to be a positive int, got {value!r}")
