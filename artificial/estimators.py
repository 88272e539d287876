"""scikit-learn estimators around the PyTorch networks (the artificial arm's model protocol).

:class:`TorchClassifier` holds everything the protocol asks of a backprop-trained
classifier (validation, seeding, fitting through :func:`~artificial.training.train_classifier`,
prediction, operation counting); a concrete estimator only says which network to build,
through :meth:`TorchClassifier._build_module`. :class:`MLPClassifier` and
:class:`LogisticRegression` are the two so far.

Inputs follow the project convention: ``X`` is ``(n_samples, n_features)`` with values
in [0, 1] (flattened images), converted to float32.

Example
-------
>>> from sklearn.datasets import load_digits
>>> X, y = load_digits(return_X_y=True)
>>> model = LogisticRegression(epochs=10, random_state=0).fit(X / 16, y)
>>> model.classes_
array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
>>> model.score(X / 16, y) > 0.9
True
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import Tensor, nn

from artificial.models import MLP
from artificial.operations import measure_operations
from artificial.training import forward_in_chunks, resolve_device, train_classifier

__all__ = ["TorchClassifier", "MLPClassifier", "LogisticRegression"]


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """Base of the PyTorch classifiers: trains ``_build_module``'s network by backprop.

    Subclasses define ``__init__`` (storing their own hyperparameters and passing the
    shared ones below to ``super().__init__``) and :meth:`_build_module`.

    Parameters
    ----------
    epochs : int
        Passes over the training set.
    batch_size : int
        Examples per gradient step.
    learning_rate : float
        Optimiser step size.
    optimizer : {"adam", "sgd", "rmsprop"}
        ``"sgd"`` uses momentum 0.9.
    weight_decay : float
        L2 penalty coefficient.
    random_state : int or None
        Seed of the weight initialisation and of the mini-batch shuffling. ``None``
        draws a fresh seed at every fit (recorded in ``seed_``). The global torch and
        numpy RNGs are neither used nor changed.
    device : {"cpu", "cuda"}
        Where training and inference run; ``"cuda"`` needs ``torch.cuda.is_available()``.
    verbose : bool
        Show a progress bar over epochs with the training loss and accuracy.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (on ``device``), mapping inputs to logits.
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``, sorted; the network's output ``k`` is ``classes_[k]``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    n_parameters_ : int
        Number of trainable parameters of ``module_``.
    history_ : History
        Training loss and accuracy after each epoch.
    seed_ : int
        The seed actually used (``random_state``, or the one drawn when it is ``None``).
    """

    def __init__(
        self,
        *,
        epochs: int,
        batch_size: int,
        learning_rate: float,
        optimizer: str,
        weight_decay: float,
        random_state: int | None,
        device: str,
        verbose: bool,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _build_module(self, n_features: int, n_classes: int) -> nn.Module:
        """A freshly initialised network: ``[batch, n_features]`` in, logits out.

        Called inside a forked, seeded global torch RNG, so PyTorch's default
        initialisers are reproducible here.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _build_module")

    def fit(self, X, y) -> TorchClassifier:
        """Train a freshly initialised network on ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite values in [0, 1]; converted to float32.
        y : array-like of shape (n_samples,)
            Class labels of any sortable type, at least two distinct ones. The network
            is trained on their indices into ``classes_``.

        Returns
        -------
        self
            With ``module_``, ``classes_``, ``n_features_in_``, ``n_parameters_``,
            ``history_`` and ``seed_`` set.

        Raises
        ------
        ValueError
            Naming the problem, for malformed data (shape, NaN or inf, values outside
            [0, 1], mismatched lengths, fewer than two classes) or hyperparameters.
        """
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        _check_unit_interval(X)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"expected at least 2 classes in y, got 1 class "
                f"(every label is {classes.tolist()[0]!r})"
            )
        device = resolve_device(self.device)
        seed = _seed_from(self.random_state)
        # Two independent streams from one seed: weight initialisation and shuffling.
        init_seed, shuffle_seed = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(init_seed))
            module = self._build_module(X.shape[1], len(classes))
        history = train_classifier(
            module,
            torch.from_numpy(X),
            torch.from_numpy(y_index),
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            optimizer=self.optimizer,
            weight_decay=self.weight_decay,
            generator=torch.Generator().manual_seed(int(shuffle_seed)),
            device=device,
            progress=self.verbose,
            description=type(self).__name__,
        )
        self.module_ = module
        self.classes_ = classes
        self.history_ = history
        self.seed_ = seed
        self.n_parameters_ = sum(p.numel() for p in module.parameters() if p.requires_grad)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the logits), float64, ``(n_samples, n_classes)``."""
        logits = self._logits(X)
        return torch.softmax(logits.double(), dim=1).cpu().numpy()

    def predict(self, X) -> np.ndarray:
        """Most probable label for each row of ``X``, shape ``(n_samples,)``."""
        logits = self._logits(X)
        return self.classes_[logits.argmax(dim=1).cpu().numpy()]

    def operations(self, X) -> dict[str, float]:
        """What inference on ``X`` costs, measured by hooks on a real forward pass.

        Returns per-example means in NeuroBench terms; see
        :func:`artificial.operations.measure_operations` for every key.
        """
        inputs = self._input_tensor(X)
        return measure_operations(self.module_, inputs)

    def _logits(self, X) -> Tensor:
        inputs = self._input_tensor(X)
        return forward_in_chunks(self.module_, inputs)

    def _input_tensor(self, X) -> Tensor:
        """Check the model is fitted, validate ``X`` against it, and put it on the module's device.

        Callers must call this before touching any fitted attribute, so that an unfitted
        model raises NotFittedError rather than AttributeError.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32)
        _check_unit_interval(X)
        device = next(self.module_.parameters()).device
        return torch.from_numpy(X).to(device)


class MLPClassifier(TorchClassifier):
    """Multi-layer perceptron classifier trained by backprop on cross-entropy.

    Parameters
    ----------
    hidden_sizes : tuple of int
        Width of each hidden layer, input side first (``(512,)`` with 784 inputs is the
        classic Keras MNIST MLP's hidden layer).
    activation : {"relu", "tanh", "sigmoid"}
        Hidden-layer non-linearity.
    epochs, batch_size, learning_rate, optimizer, weight_decay, random_state, device, verbose
        See :class:`TorchClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> model = MLPClassifier(hidden_sizes=(32,), epochs=5, random_state=0).fit(X / 16, y)
    >>> model.n_parameters_  # (64 + 1) * 32 + (32 + 1) * 10
    2410
    >>> model.operations(X[:10] / 16)["dense_macs"]  # 64 * 32 + 32 * 10
    2368.0
    """

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            random_state=random_state,
            device=device,
            verbose=verbose,
        )
        self.hidden_sizes = hidden_sizes
        self.activation = activation

    def _build_module(self, n_features: int, n_classes: int) -> nn.Module:
        return MLP(n_features, tuple(self.hidden_sizes), n_classes, self.activation)


class LogisticRegression(TorchClassifier):
    """Multinomial logistic regression (one linear layer + softmax) trained by backprop.

    Parameters
    ----------
    epochs, batch_size, learning_rate, optimizer, weight_decay, random_state, device, verbose
        See :class:`TorchClassifier`.
    """

    def __init__(
        self,
        *,
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 1e-2,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            random_state=random_state,
            device=device,
            verbose=verbose,
        )

    def _build_module(self, n_features: int, n_classes: int) -> nn.Module:
        return MLP(n_features, (), n_classes)


def _check_unit_interval(X: np.ndarray) -> None:
    """Raise unless every value of ``X`` lies in [0, 1] (the project's input convention)."""
    low, high = float(X.min()), float(X.max())
    if high > 1:
        raise ValueError(
            f"expected features in [0, 1], got max {high} — rescale, e.g. divide by {high:g}"
        )
    if low < 0:
        raise ValueError(
            f"expected features in [0, 1], got min {low} — rescale, e.g. "
            f"(X - X.min()) / (X.max() - X.min())"
        )


def _seed_from(random_state: object) -> int:
    """The seed ``random_state`` names, or a fresh one drawn from OS entropy for ``None``."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**63))
    if isinstance(random_state, bool) or not isinstance(random_state, Integral) or random_state < 0:
        raise ValueError(f"expected random_state None or a non-negative int, got {random_state!r}")
    return int(random_state)
