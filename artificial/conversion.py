"""ANN-to-SNN conversion of ReLU MLPs: data-based weight and threshold normalisation.

A ReLU network becomes a rate-coded spiking network of integrate-and-fire (IF)
neurons by reading each ReLU activation as a firing rate (Cao et al. 2015; Diehl et
al. 2015). An IF neuron with threshold :math:`V_\\mathrm{thr}`, no leak and reset by
subtraction fires at most one spike per time step, so its rate over :math:`T` steps
approximates :math:`\\mathrm{clip}(z, 0, 1)`, where :math:`z` is its input per step in
units of the threshold (Rueckauer et al. 2017, eq. 3). Activations above 1 saturate:
the weights must first be scaled so that (almost) every activation is in [0, 1].

This module does that scaling, on numpy arrays, from a trained network and a data set
(it never imports Brian2 or :mod:`spiking`; the spiking arm runs the result,
:mod:`spiking.networks.converted`).

Data-based normalisation
------------------------
Let :math:`a_l = \\mathrm{ReLU}(W_l a_{l-1} + b_l)` be the activations of layer
:math:`l = 1 \\dots L` on the normalisation data (:math:`a_0 = x \\in [0, 1]`; for the
output layer :math:`L`, the positive part of the logits, since an IF neuron cannot fire
at a negative rate) and :math:`\\lambda_l` the ``percentile``-th percentile of the
*non-zero* values of :math:`a_l` over all examples and units (as the SNN toolbox of
Rueckauer et al. computes it), with :math:`\\lambda_0 = 1` (inputs already in [0, 1]).
Every layer is rescaled as

.. math::

    W_l \\leftarrow W_l \\, \\frac{\\lambda_{l-1}}{\\lambda_l}, \\qquad
    b_l \\leftarrow \\frac{b_l}{\\lambda_l}, \\qquad V_\\mathrm{thr} = 1,

so that the normalised network computes :math:`\\tilde a_l = a_l / \\lambda_l`
(ReLU is positively homogeneous: :math:`\\mathrm{ReLU}(c z) = c\\,\\mathrm{ReLU}(z)` for
:math:`c > 0`), i.e. the same function up to a positive factor per layer, and the same
argmax at the output.

- ``percentile=100`` is max-norm: :math:`\\lambda_l = \\max a_l`, the data-based
  normalisation of Diehl et al. (2015, Algorithm 2), under which no activation of the
  normalisation data exceeds 1. (Their code also takes the largest positive weight
  into the maximum, :math:`\\lambda_l = \\max(\\max a_l, \\max W_l^+)`, which matters only
  when a single synapse could drive a neuron harder than any data; this module uses
  the activations alone, as Rueckauer et al. formulate it.)
- ``percentile=99.9`` (the default) is the robust normalisation of Rueckauer et al.
  (2017, section 2.3.1), who recommend :math:`p \\in [99.0, 99.9999]`: a few outlier
  activations are allowed to saturate so that the rest fire faster, which cuts the
  time steps needed for a given accuracy.

References
----------
- Cao, Y., Chen, Y. & Khosla, D. (2015). Spiking deep convolutional neural networks
  for energy-efficient object recognition. Int. J. Comput. Vis. 113, 54-66.
- Diehl, P. U., Neil, D., Binas, J., Cook, M., Liu, S.-C. & Pfeiffer, M. (2015).
  Fast-classifying, high-accuracy spiking deep networks through weight and threshold
  balancing. IJCNN 2015, 1-8.
- Rueckauer, B., Lungu, I.-A., Hu, Y., Pfeiffer, M. & Liu, S.-C. (2017). Conversion of
  continuous-valued deep networks to efficient event-driven networks for image
  classification. Front. Neurosci. 11:682.

Example
-------
>>> import numpy as np
>>> weights = [np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([[1.0, -1.0]])]
>>> biases = [np.zeros(2), np.zeros(1)]
>>> X = np.array([[1.0, 0.0], [0.5, 0.5]])
>>> net = normalise(weights, biases, X, percentile=100)
>>> [float(layer.scale) for layer in net.layers]  # max of each layer's activations
[2.0, 1.0]
>>> float(net.forward(X).max()), float(net.rates(X)[0].max())  # every activation <= 1
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.utils.validation import check_is_fitted
from torch import nn

from artificial.models import MLP

__all__ = [
    "DEFAULT_PERCENTILE",
    "ConvertedLayer",
    "ConvertedNetwork",
    "convert_mlp",
    "mlp_parameters",
    "normalise",
]

DEFAULT_PERCENTILE = 99.9
"""Rueckauer et al. (2017)'s robust normalisation: the 99.9th percentile of each layer's
non-zero activations maps to one spike per time step."""


@dataclass(frozen=True)
class ConvertedLayer:
    """One fully connected layer of a normalised network (plain numpy, float64).

    Attributes
    ----------
    weights : ndarray of shape (n_out, n_in)
        Normalised weights, :math:`W_l \\lambda_{l-1} / \\lambda_l`: the jump of a
        postsynaptic membrane potential (in units of the threshold) per presynaptic
        spike, or per unit of analog input per time step for the first layer.
    biases : ndarray of shape (n_out,)
        Normalised biases, :math:`b_l / \\lambda_l`: a constant input per time step.
    scale : float
        :math:`\\lambda_l`, the activation of the original network that the normalised
        one maps to 1 (one spike per time step).
    """

    weights: np.ndarray
    biases: np.ndarray
    scale: float

    @property
    def n_in(self) -> int:
        return self.weights.shape[1]

    @property
    def n_out(self) -> int:
        return self.weights.shape[0]


@dataclass(frozen=True)
class ConvertedNetwork:
    """A normalised ReLU MLP, ready to run as integrate-and-fire neurons with threshold 1.

    Attributes
    ----------
    layers : tuple of ConvertedLayer
        Input side first; the last one is the output layer.
    percentile : float
        The percentile the scales were taken at (100 = max-norm).
    threshold : float
        Firing threshold the weights are normalised for (dimensionless, 1).
    """

    layers: tuple[ConvertedLayer, ...]
    percentile: float
    threshold: float = 1.0

    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_in, n_hidden_1, ..., n_out)``."""
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    @property
    def weights(self) -> list[np.ndarray]:
        """Weight matrices ``[n_out, n_in]``, input side first."""
        return [layer.weights for layer in self.layers]

    @property
    def biases(self) -> list[np.ndarray]:
        """Bias vectors ``[n_out]``, input side first."""
        return [layer.biases for layer in self.layers]

    def forward(self, X) -> np.ndarray:
        """Outputs of the normalised ANN (the original logits divided by :math:`\\lambda_L`).

        ReLU after every hidden layer, none after the output layer; ``X`` has shape
        ``(n_samples, n_in)``; returns ``(n_samples, n_out)`` float64.
        """
        return _forward(self.weights, self.biases, self._check(X))[-1]

    def rates(self, X) -> list[np.ndarray]:
        """Firing rates (spikes per step) an ideal rate-coded IF network would reach.

        :math:`r_0 = x`, :math:`r_l = \\mathrm{clip}(W_l r_{l-1} + b_l, 0, 1)` for every
        layer, output included: an IF neuron with reset by subtraction fires at most
        once per step and not at all for negative input (Rueckauer et al. 2017, eq. 3).
        Where no activation exceeds 1, the hidden rates equal the normalised
        activations; the fraction of ``rates == 1`` shows how much saturates. One array
        ``(n_samples, n_out_l)`` per layer, input side first.
        """
        r = self._check(X)
        out = []
        for W, b in zip(self.weights, self.biases):
            r = np.clip(r @ W.T + b, 0.0, self.threshold)
            out.append(r)
        return out

    def _check(self, X) -> np.ndarray:
        return _check_X(X, self.sizes[0])


def normalise(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    X,
    *,
    percentile: float = DEFAULT_PERCENTILE,
) -> ConvertedNetwork:
    """Data-based normalisation of a ReLU MLP given as plain arrays (see the module text).

    Parameters
    ----------
    weights : sequence of ndarray, each (n_out, n_in)
        Weight matrices, input side first (PyTorch's ``Linear.weight`` layout).
    biases : sequence of ndarray, each (n_out,)
        Bias vectors.
    X : array-like of shape (n_samples, n_in)
        Normalisation data, values in [0, 1] (a sample of the training set).
    percentile : float
        In (0, 100]; 100 is max-norm (Diehl et al. 2015), 99.9 Rueckauer et al.
        (2017)'s robust default.

    Returns
    -------
    ConvertedNetwork
        float64 weights and biases, scale :math:`\\lambda_l` per layer. A layer whose
        activations are all 0 on X keeps :math:`\\lambda_l = 1`.

    Raises
    ------
    ValueError
        For mismatched shapes, non-finite parameters, X outside [0, 1] or a percentile
        outside (0, 100].
    """
    if (
        isinstance(percentile, bool)
        or not isinstance(percentile, Real)
        or not 0 < percentile <= 100
    ):
        raise ValueError(f"expected percentile in (0, 100], got {percentile!r}")
    weights = [np.asarray(W, dtype=np.float64) for W in weights]
    biases = [np.asarray(b, dtype=np.float64) for b in biases]
    _check_layers(weights, biases)
    X = _check_X(X, weights[0].shape[1])

    scales = []
    for activation in _forward(weights, biases, X):
        positive = activation[activation > 0]
        scales.append(float(np.percentile(positive, percentile)) if positive.size else 1.0)
    previous = 1.0  # lambda_0: inputs are already in [0, 1]
    layers = []
    for W, b, scale in zip(weights, biases, scales):
        layers.append(ConvertedLayer(weights=W * (previous / scale), biases=b / scale, scale=scale))
        previous = scale
    return ConvertedNetwork(layers=tuple(layers), percentile=float(percentile))


def mlp_parameters(model) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights ``[n_out, n_in]`` and biases of a fitted ReLU MLP, as float64 numpy arrays.

    Parameters
    ----------
    model : MLPClassifier (fitted) or artificial.models.MLP
        A fully connected network: ``Linear`` layers with ``ReLU`` between them (and
        ``Dropout``, the identity at inference), none after the last ``Linear``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        For an estimator that has not been fitted.
    ValueError
        For anything else: another network family (a CNN's convolutions and max
        pooling, a recurrent network), another non-linearity (tanh, sigmoid: an IF
        neuron's rate is a rectified linear function of its input), or layers without
        bias.
    """
    module = model
    if not isinstance(model, nn.Module):
        if not hasattr(model, "_build_module"):  # not one of the artificial estimators
            raise ValueError(
                f"expected a fitted MLPClassifier or an artificial.models.MLP, got "
                f"{type(model).__name__}"
            )
        check_is_fitted(model)
        module = model.module_
    if not isinstance(module, MLP):
        raise ValueError(
            f"ANN-to-SNN conversion supports fully connected ReLU networks (MLPClassifier, "
            f"artificial.models.MLP), got a {type(module).__name__}"
            + (
                ": convolutions and max pooling are not converted here"
                if type(module).__name__ == "ConvNet"
                else ""
            )
        )
    weights, biases = [], []
    layers = list(module.network)
    for position, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            if layer.bias is None:
                raise ValueError(f"layer {position} ({layer}) has no bias; expected biases")
            weights.append(layer.weight.detach().cpu().numpy().astype(np.float64))
            biases.append(layer.bias.detach().cpu().numpy().astype(np.float64))
        elif isinstance(layer, nn.ReLU):
            continue
        elif isinstance(layer, nn.Dropout):
            continue  # the identity at inference
        else:
            raise ValueError(
                f"ANN-to-SNN conversion needs ReLU activations (an IF neuron's rate is a "
                f"rectified linear function of its input); layer {position} is "
                f"{type(layer).__name__}"
            )
    if not isinstance(layers[-1], nn.Linear):
        raise ValueError(f"expected the MLP to end in a Linear layer, got {layers[-1]}")
    return weights, biases


def convert_mlp(model, X, *, percentile: float = DEFAULT_PERCENTILE) -> ConvertedNetwork:
    """Normalise a fitted ReLU MLP for a rate-coded IF network (see :func:`normalise`).

    Parameters
    ----------
    model : MLPClassifier (fitted) or artificial.models.MLP
        The trained network (:func:`mlp_parameters` says what is accepted).
    X : array-like of shape (n_samples, n_features)
        Normalisation data in [0, 1], typically a sample of the training set.
    percentile : float
        See :func:`normalise`.

    Examples
    --------
    >>> import numpy as np
    >>> from artificial import MLPClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 4))
    >>> y = (X[:, 0] > X[:, 1]).astype(int)
    >>> ann = MLPClassifier(hidden_sizes=(8,), epochs=3, random_state=0).fit(X, y)
    >>> net = convert_mlp(ann, X)
    >>> net.sizes, net.threshold
    ((4, 8, 2), 1.0)
    >>> bool((net.forward(X).argmax(1) == ann.predict(X)).all())
    True
    """
    weights, biases = mlp_parameters(model)
    return normalise(weights, biases, X, percentile=percentile)


def _forward(weights, biases, X) -> list[np.ndarray]:
    """Activations of every layer: ReLU for the hidden ones, raw logits for the last."""
    out = []
    a = X
    for k, (W, b) in enumerate(zip(weights, biases)):
        a = a @ W.T + b
        if k < len(weights) - 1:
            a = np.maximum(a, 0.0)
        out.append(a)
    return out


def _check_layers(weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
    if not weights:
        raise ValueError("expected at least one layer, got no weight matrices")
    if len(weights) != len(biases):
        raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias vectors")
    n_in = None
    for k, (W, b) in enumerate(zip(weights, biases)):
        if W.ndim != 2:
            raise ValueError(f"layer {k}: expected a 2-D weight matrix, got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"layer {k}: expected biases of shape ({W.shape[0]},), got {b.shape}")
        if n_in is not None and W.shape[1] != n_in:
            raise ValueError(
                f"layer {k}: expected {n_in} inputs (the previous layer's outputs), got "
                f"weights of shape {W.shape}"
            )
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"layer {k}: weights and biases must be finite")
        n_in = W.shape[0]


def _check_X(X, n_features: int) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != n_features or len(X) == 0:
        raise ValueError(f"expected X of shape (n_samples >= 1, {n_features}), got shape {X.shape}")
    lo, hi = float(X.min()), float(X.max())
    if not (lo >= 0 and hi <= 1):  # NaN fails both
        raise ValueError(
            f"expected X in [0, 1] (analog input currents), got min {lo:g}, max {hi:g}"
            + (" — divide by 255" if 1 < hi <= 255 else "")
        )
    return X
