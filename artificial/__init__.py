"""The artificial arm: networks built and trained in PyTorch, as scikit-learn estimators.

- :mod:`artificial.models`: the networks as plain ``nn.Module`` s: :class:`MLP`
  (logistic and linear regression are an MLP without hidden layers), :class:`ConvNet`
  (images), :class:`ConvNet1d` (sequences) and :class:`RecurrentNet` (Elman RNN, LSTM,
  GRU).
- :mod:`artificial.training`: the one seeded training loop, :func:`train_classifier`
  (and :func:`train_regressor`): losses, optimisers, learning-rate schedules, early
  stopping, augmentation; and its :class:`History`.
- :mod:`artificial.augmentation`: random rotation, shift, zoom and flip of image
  mini-batches on torch tensors, :class:`ImageAugmentation`.
- :mod:`artificial.estimators`: :class:`LogisticRegression`, :class:`LinearRegression`,
  :class:`MLPClassifier` (with the ``keras_mnist`` and ``twin_of`` presets),
  :class:`CNNClassifier` (with the ``fashion_mnist`` preset), :class:`CNN1DClassifier`
  and :class:`RNNClassifier`, which follow the project's model
  protocol (``fit`` / ``predict`` / ``operations``).
- :mod:`artificial.operations`: NeuroBench-style operation counts measured with forward
  hooks, :func:`measure_operations`.
- :mod:`artificial.snn`: spiking networks trained with surrogate gradients: the LIF
  step :func:`lif_step` with its parameters (:func:`lif_parameters`,
  :class:`LIFParameters`), surrogate spike functions, rate and latency encoders, the
  :class:`SpikingMLP` network and its estimator :class:`SpikingMLPClassifier`.

This package never imports ``spiking`` or ``compare``: it exchanges plain numpy arrays.

Example
-------
>>> from sklearn.datasets import load_digits
>>> from artificial import MLPClassifier
>>> X, y = load_digits(return_X_y=True)
>>> model = MLPClassifier(hidden_sizes=(32,), epochs=10, random_state=0).fit(X / 16, y)
>>> model.score(X / 16, y) > 0.9
True
"""

from artificial.augmentation import ImageAugmentation
from artificial.estimators import (
    CNN1DClassifier,
    CNNClassifier,
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    RNNClassifier,
)
from artificial.models import MLP, ConvNet, ConvNet1d, RecurrentNet, mlp_parameter_count
from artificial.operations import measure_operations
from artificial.snn import (
    LIFParameters,
    LIFState,
    SpikingMLP,
    SpikingMLPClassifier,
    Surrogate,
    latency_encode,
    lif_parameters,
    lif_step,
    rate_encode,
)
from artificial.training import History, train_classifier, train_regressor

__all__ = [
    "MLP",
    "ConvNet",
    "ConvNet1d",
    "RecurrentNet",
    "mlp_parameter_count",
    "MLPClassifier",
    "LogisticRegression",
    "LinearRegression",
    "CNNClassifier",
    "CNN1DClassifier",
    "RNNClassifier",
    "ImageAugmentation",
    "History",
    "train_classifier",
    "train_regressor",
    "measure_operations",
    "LIFParameters",
    "LIFState",
    "SpikingMLP",
    "SpikingMLPClassifier",
    "Surrogate",
    "latency_encode",
    "lif_parameters",
    "lif_step",
    "rate_encode",
]
