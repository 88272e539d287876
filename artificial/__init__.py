"""The artificial arm: networks built and trained in PyTorch, as scikit-learn estimators.

- :mod:`artificial.models`: the networks as plain ``nn.Module`` s (:class:`MLP`; logistic
  regression is an MLP without hidden layers).
- :mod:`artificial.training`: the one seeded training loop, :func:`train_classifier`,
  and its :class:`History`.
- :mod:`artificial.estimators`: :class:`MLPClassifier` and :class:`LogisticRegression`,
  which follow the project's model protocol (``fit`` / ``predict`` / ``operations``).
- :mod:`artificial.operations`: NeuroBench-style operation counts measured with forward
  hooks, :func:`measure_operations`.

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

from artificial.estimators import LogisticRegression, MLPClassifier
from artificial.models import MLP
from artificial.operations import measure_operations
from artificial.training import History, train_classifier

__all__ = [
    "MLP",
    "MLPClassifier",
    "LogisticRegression",
    "History",
    "train_classifier",
    "measure_operations",
]
