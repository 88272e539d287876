"""scikit-learn estimators around the PyTorch networks (the artificial arm's model protocol).

:class:`TorchEstimator` holds everything the protocol asks of a backprop-trained model
(validation, seeding, fitting through :mod:`artificial.training`, operation counting);
:class:`TorchClassifier` and :class:`TorchRegressor` add the targets and the
predictions, and a concrete estimator only says which network to build, through
:meth:`TorchEstimator._build_module` (and, optionally, how to augment training batches,
through :meth:`TorchEstimator._augmentation`). The families:

- :class:`LogisticRegression` and :class:`LinearRegression`: one linear layer;
- :class:`MLPClassifier`: fully connected hidden layers with dropout, with the presets
  :meth:`MLPClassifier.keras_mnist` and :meth:`MLPClassifier.twin_of`;
- :class:`CNNClassifier`: conv-ReLU-maxpool blocks with optional data augmentation,
  with the preset :meth:`CNNClassifier.fashion_mnist`;
- :class:`CNN1DClassifier`: strided 1-D convolutions over sequences (MNIST-1D);
- :class:`RNNClassifier`: Elman RNN, LSTM or GRU over sequences (images row by row,
  MNIST-1D).

Inputs follow the project convention: ``X`` is ``(n_samples, n_features)`` with values
in [0, 1] (flattened images or sequences), converted to float32.

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

import math
from collections import OrderedDict
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import Tensor, nn

from artificial.augmentation import ImageAugmentation
from artificial.models import MLP, ConvNet, ConvNet1d, RecurrentNet, Standardize
from artificial.operations import measure_operations
from artificial.training import (
    EVALUATION_CHUNK,
    Augmentation,
    History,
    forward_in_chunks,
    resolve_device,
    train_classifier,
    train_regressor,
)

__all__ = [
    "TorchEstimator",
    "TorchClassifier",
    "TorchRegressor",
    "LogisticRegression",
    "LinearRegression",
    "MLPClassifier",
    "CNNClassifier",
    "CNN1DClassifier",
    "RNNClassifier",
]


class TorchEstimator(BaseEstimator):
    """Shared base of the PyTorch estimators: trains ``_build_module``'s network by backprop.

    Subclasses define ``__init__`` (storing their own hyperparameters and passing the
    shared ones below to ``super().__init__``) and :meth:`_build_module`.

    Parameters
    ----------
    epochs : int
        Most passes over the training set (fewer when early stopping ends training).
    batch_size : int
        Examples per gradient step.
    learning_rate : float
        Optimiser step size (of the first epoch, under a schedule).
    optimizer : {"adam", "sgd", "rmsprop", "keras_rmsprop"}
        ``"sgd"`` uses momentum 0.9; ``"keras_rmsprop"`` is RMSprop with Keras' defaults
        and update (:class:`artificial.training.KerasRMSprop`).
    weight_decay : float
        L2 penalty coefficient.
    lr_schedule : {"constant", "step", "cosine"}
        Per-epoch learning rates (:func:`artificial.training.learning_rates`; ``"step"``
        multiplies the rate by 0.1 every ``max(1, epochs // 3)`` epochs).
    validation_fraction : float
        Fraction of the training data held out (stratified by class for classifiers,
        drawn from the seed) to measure validation loss after every epoch; with it the
        model keeps the weights of the epoch of lowest validation loss. 0 holds out
        nothing.
    patience : int or None
        Stop once the validation loss has not improved for this many epochs; needs
        ``validation_fraction > 0``. ``None`` trains every epoch.
    random_state : int or None
        Seed of the weight initialisation, the validation split, dropout, the
        mini-batch shuffling and augmentation. ``None`` draws a fresh seed at every fit
        (recorded in ``seed_``). The global torch and numpy RNGs are neither used nor
        changed.
    device : {"cpu", "cuda"}
        Where training and inference run; ``"cuda"`` needs ``torch.cuda.is_available()``.
    verbose : bool
        Show a progress bar over epochs with the training loss and accuracy.
    standardize : bool
        Put a fixed first layer :math:`x \\mapsto (x - \\mu) / \\sigma` in front of the
        network, with :math:`\\mu` and :math:`\\sigma` the mean and standard deviation of
        all values of the ``X`` passed to ``fit`` (two scalars, not per feature: it
        undoes a task's affine map to [0, 1]; :class:`artificial.models.Standardize`).
        Data sets defined as standardised signals, such as MNIST-1D, are trained that
        way in their benchmarks; with [0, 1] inputs Adam at their learning rate fits
        far worse (measured on MNIST-1D: logistic regression 23 % instead of 32 %).

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network (on ``device``), in train mode; inference runs it in eval
        mode (no dropout). With ``standardize``, a ``torch.nn.Sequential`` of the
        :class:`~artificial.models.Standardize` layer (``module_.standardize``) and the
        network (``module_.network``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    n_parameters_ : int
        Number of trainable parameters of ``module_``.
    history_ : History
        Losses (and accuracies) after each epoch, learning rates, best epoch.
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
        lr_schedule: str,
        validation_fraction: float,
        patience: int | None,
        random_state: int | None,
        device: str,
        verbose: bool,
        standardize: bool = False,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.standardize = standardize

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        """A freshly initialised network: ``[batch, n_features]`` in, ``[batch, n_outputs]`` out.

        Called inside a forked, seeded global torch RNG, so PyTorch's default
        initialisers are reproducible here.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _build_module")

    def _augmentation(self) -> Augmentation | None:
        """What to apply to every training mini-batch; ``None`` (the default) for nothing."""
        return None

    def _fit_network(
        self, X: np.ndarray, targets: np.ndarray, n_outputs: int, train, *, warm=False, **options
    ):
        """Build the network from the seed, train it with ``train`` and store the fitted state.

        With ``warm``, the fitted ``module_`` is trained further instead (``partial_fit``);
        its k-th further training draws its batches from the seed's stream k + 1.
        """
        device = resolve_device(self.device)
        if warm:
            seed, module = self.seed_, self.module_
            self.n_warm_fits_ += 1
            (train_seed,) = np.random.SeedSequence(
                seed, spawn_key=(self.n_warm_fits_,)
            ).generate_state(1, dtype=np.uint64)
        else:
            seed = _seed_from(self.random_state)
            self.n_warm_fits_ = 0
            # Two independent streams from one seed: weight initialisation and training.
            init_seed, train_seed = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(init_seed))
                module = self._build_module(X.shape[1], n_outputs)
            if not isinstance(self.standardize, bool):
                raise ValueError(f"expected standardize True or False, got {self.standardize!r}")
            if self.standardize:
                mean, std = float(X.mean(dtype=np.float64)), float(X.std(dtype=np.float64))
                module = nn.Sequential(
                    OrderedDict(standardize=Standardize(mean, std), network=module)
                )
        history: History = train(
            module,
            torch.from_numpy(X),
            torch.from_numpy(targets),
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            optimizer=self.optimizer,
            weight_decay=self.weight_decay,
            lr_schedule=self.lr_schedule,
            validation_fraction=self.validation_fraction,
            patience=self.patience,
            augment=self._augmentation(),
            generator=torch.Generator().manual_seed(int(train_seed)),
            device=device,
            progress=self.verbose,
            description=type(self).__name__,
            **options,
        )
        self.module_ = module
        self.history_ = history
        self.seed_ = seed
        self.n_parameters_ = sum(p.numel() for p in module.parameters() if p.requires_grad)

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once training has finished (``n_features_in_`` is set before training)."""
        return hasattr(self, "module_")

    def operations(self, X) -> dict[str, float]:
        """What inference on ``X`` costs, measured by hooks on a real forward pass.

        Returns per-example means in NeuroBench terms; see
        :func:`artificial.operations.measure_operations` for every key.
        """
        inputs = self._input_tensor(X)
        return measure_operations(self.module_, inputs)

    def _outputs(self, X) -> Tensor:
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


class TorchClassifier(ClassifierMixin, TorchEstimator):
    """Base of the PyTorch classifiers: the network maps inputs to one logit per class.

    Parameters
    ----------
    loss : {"cross_entropy", "mse"}
        Cross-entropy of the softmax of the logits, or squared error between the
        outputs and one-hot targets.
    epochs, batch_size, learning_rate, optimizer, weight_decay, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
        See :class:`TorchEstimator`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen in ``fit``, sorted; the network's output ``k`` is ``classes_[k]``.
    module_, n_features_in_, n_parameters_, history_, seed_
        See :class:`TorchEstimator`.
    """

    def __init__(self, *, loss: str, **shared) -> None:
        super().__init__(**shared)
        self.loss = loss

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
            [0, 1], mismatched lengths, fewer than two classes) or hyperparameters
            (unknown names are listed with the valid ones).
        FloatingPointError
            When the training loss becomes NaN or infinite (the model stays unfitted).
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
        self._fit_network(X, y_index, len(classes), train_classifier, loss=self.loss)
        self.classes_ = classes
        return self

    def partial_fit(self, X, y, classes=None) -> TorchClassifier:
        """Train ``epochs`` more epochs on ``X``, ``y``, from the current weights.

        For learning from data that arrives in parts, such as the tasks of a
        class-incremental sequence (:mod:`compare.measure.continual`): the first call (on an
        unfitted model) builds the network with one output per class of ``classes``,
        which must then list every class that will ever come; later calls continue
        from the trained weights with a fresh optimiser and learning-rate schedule,
        their batches drawn from a stream of their own (same seed and calls: same
        model). ``y`` may hold any subset of the classes (one is enough). ``history_``
        is that of the latest call. Unlike scikit-learn's one-epoch ``partial_fit``,
        each call runs the ``epochs`` hyperparameter.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite values in [0, 1].
        y : array-like of shape (n_samples,)
            Labels, each one of ``classes_``.
        classes : array-like, optional
            Every class label; required on the first call, and if given later it must
            equal ``classes_``.

        Raises
        ------
        ValueError
            Naming the problem: no ``classes`` on the first call, fewer than two of
            them, labels outside them, ``classes`` that differ from the fitted ones,
            or malformed ``X``.
        """
        first = not hasattr(self, "module_")
        X, y = validate_data(self, X, y, dtype=np.float32, reset=first)
        check_classification_targets(y)
        _check_unit_interval(X)
        if first:
            if classes is None:
                raise ValueError(
                    "the first partial_fit needs classes=: every class label that will occur"
                )
            known = np.unique(np.asarray(classes))
            if len(known) < 2:
                raise ValueError(f"expected at least 2 classes, got {known.tolist()}")
        else:
            known = self.classes_
            if classes is not None and not np.array_equal(np.unique(classes), known):
                raise ValueError(
                    f"classes {np.unique(classes).tolist()} differ from the fitted "
                    f"classes_ {known.tolist()}"
                )
        unseen = np.setdiff1d(y, known)
        if len(unseen):
            raise ValueError(f"labels {unseen.tolist()} are not among classes {known.tolist()}")
        y_index = np.searchsorted(known, y)
        self._fit_network(X, y_index, len(known), train_classifier, warm=not first, loss=self.loss)
        self.classes_ = known
        return self

    def readout_features(self, X) -> np.ndarray:
        """What the read-out sees: the input of the network's last linear layer.

        ``(n_samples, n_inputs_of_that_layer)``, float64: the last hidden layer's
        activations for the MLP, its spike counts summed over the time steps for the
        surrogate-gradient SNN (the layer runs once per step), the (standardised)
        input for logistic regression. :mod:`compare.measure.continual` fits a linear probe on
        these to measure what the representation still holds.
        """
        inputs = self._input_tensor(X)
        linears = [m for m in self.module_.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError(f"{type(self).__name__}'s network has no linear read-out layer")
        calls: list[Tensor] = []  # the read-out's inputs during one chunk
        handle = linears[-1].register_forward_pre_hook(
            lambda _module, args: calls.append(args[0].detach())
        )
        features = []
        try:
            for chunk in inputs.split(EVALUATION_CHUNK):
                calls.clear()
                forward_in_chunks(self.module_, chunk)
                # time steps first, whether the layer ran once per step or once on all
                rows = torch.cat([c.reshape(-1, c.shape[-1]) for c in calls]).double()
                steps, rest = divmod(len(rows), len(chunk))
                if rest or not steps:
                    raise RuntimeError(f"the read-out saw {len(rows)} rows for {len(chunk)}")
                features.append(rows.reshape(steps, len(chunk), -1).sum(dim=0).cpu())
        finally:
            handle.remove()
        return torch.cat(features).numpy()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the logits), float64, ``(n_samples, n_classes)``."""
        logits = self._outputs(X)
        return torch.softmax(logits.double(), dim=1).cpu().numpy()

    def predict(self, X) -> np.ndarray:
        """Most probable label for each row of ``X``, shape ``(n_samples,)``."""
        logits = self._outputs(X)
        return self.classes_[logits.argmax(dim=1).cpu().numpy()]


class TorchRegressor(RegressorMixin, TorchEstimator):
    """Base of the PyTorch regressors: trained on squared error against float targets.

    Parameters
    ----------
    epochs, batch_size, learning_rate, optimizer, weight_decay, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
        See :class:`TorchEstimator`.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets (1 for a 1-D ``y``).
    module_, n_features_in_, n_parameters_, history_, seed_
        See :class:`TorchEstimator`.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # a 2-D y trains one output per column
        return tags

    def fit(self, X, y) -> TorchRegressor:
        """Train a freshly initialised network on ``X`` and float targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite values in [0, 1]; converted to float32.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Finite numeric targets; converted to float32.

        Returns
        -------
        self
            With ``module_``, ``n_outputs_``, ``n_features_in_``, ``n_parameters_``,
            ``history_`` and ``seed_`` set.

        Raises
        ------
        ValueError
            Naming the problem, for malformed data or hyperparameters.
        FloatingPointError
            When the training loss becomes NaN or infinite (the model stays unfitted).
        """
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, multi_output=True)
        _check_unit_interval(X)
        y = np.asarray(y, dtype=np.float32)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        self._fit_network(X, y, n_outputs, train_regressor)
        self.n_outputs_ = n_outputs
        self._single_target = y.ndim == 1
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted targets, float64: ``(n_samples,)`` for a 1-D ``y``, else 2-D."""
        outputs = self._outputs(X).double().cpu().numpy()
        return outputs[:, 0] if self._single_target else outputs


class LogisticRegression(TorchClassifier):
    """Multinomial logistic regression (one linear layer + softmax) trained by backprop.

    Parameters
    ----------
    epochs, batch_size, learning_rate, optimizer, weight_decay, loss, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
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
        loss: str = "cross_entropy",
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
        standardize: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            loss=loss,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
            standardize=standardize,
        )

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return MLP(n_features, (), n_outputs)


class LinearRegression(TorchRegressor):
    """Linear least squares, :math:`\\hat y = W x + b`, fitted by mini-batch backprop on MSE.

    The same network as :class:`LogisticRegression` (one linear layer, operation
    counts alike), trained on squared error against float targets; with enough epochs
    it approaches the closed-form least-squares solution.

    Parameters
    ----------
    epochs, batch_size, learning_rate, optimizer, weight_decay, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
        See :class:`TorchEstimator`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 0.3
    >>> model = LinearRegression(epochs=300, random_state=0).fit(X, y)
    >>> model.predict(X[:4]).shape, model.score(X, y) > 0.99
    ((4,), True)
    """

    def __init__(
        self,
        *,
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 1e-2,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
        standardize: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
            standardize=standardize,
        )

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return MLP(n_features, (), n_outputs)


class MLPClassifier(TorchClassifier):
    """Multi-layer perceptron classifier trained by backprop.

    Parameters
    ----------
    hidden_sizes : tuple of int
        Width of each hidden layer, input side first.
    activation : {"relu", "tanh", "sigmoid"}
        Hidden-layer non-linearity.
    dropout : float
        Dropout probability after every hidden layer during training; 0 for none.
    init : {"pytorch", "glorot_uniform"}
        Initialisation of the linear layers (:data:`artificial.models.INITIALISATIONS`):
        PyTorch's default, or Keras' (Glorot-uniform weights, zero biases).
    epochs, batch_size, learning_rate, optimizer, weight_decay, loss, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
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
        dropout: float = 0.0,
        init: str = "pytorch",
        *,
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        loss: str = "cross_entropy",
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
        standardize: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            loss=loss,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
            standardize=standardize,
        )
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.init = init

    @classmethod
    def keras_mnist(cls, n_hidden_layers: int = 1, **overrides) -> MLPClassifier:
        """The classic Keras MNIST network: 784-512-10, ReLU, RMSprop, batch 128, 5 epochs.

        The first network of Chollet's "Deep Learning with Python" (Manning; section 2.1
        of the 2017 and 2021 editions), as Keras builds and trains it:

        - ``Dense(512, activation="relu")`` then ``Dense(10, activation="softmax")``
          (the softmax is in the cross-entropy here), no dropout;
        - Keras' ``Dense`` initialisation: Glorot-uniform weights, zero biases
          (``init="glorot_uniform"``; PyTorch's default differs);
        - ``optimizer="rmsprop"`` with Keras' defaults: learning rate 1e-3, rho 0.9,
          epsilon 1e-7 under the square root (``optimizer="keras_rmsprop"``,
          :class:`artificial.training.KerasRMSprop`; PyTorch's RMSprop smooths with 0.99
          and adds 1e-8 after the root);
        - categorical cross-entropy, ``fit(epochs=5, batch_size=128)`` on inputs scaled
          to [0, 1] (``/ 255``), reshuffled every epoch.

        The book reports 97.8 % MNIST test accuracy after these 5 epochs. The
        Keras example ``examples/mnist_mlp.py`` is the deeper variant: two hidden layers
        of 512, each followed by ``Dropout(0.2)``, 20 epochs; get it with
        ``keras_mnist(n_hidden_layers=2, dropout=0.2, epochs=20)``.

        Parameters
        ----------
        n_hidden_layers : int
            Hidden layers of 512 ReLU units.
        **overrides
            Any other hyperparameter (e.g. ``epochs=10``, ``random_state=0``).

        Examples
        --------
        >>> from artificial.models import mlp_parameter_count
        >>> model = MLPClassifier.keras_mnist()
        >>> model.hidden_sizes, model.dropout, model.init, model.optimizer
        ((512,), 0.0, 'glorot_uniform', 'keras_rmsprop')
        >>> model.learning_rate, model.batch_size, model.epochs
        (0.001, 128, 5)
        >>> mlp_parameter_count(784, model.hidden_sizes, 10)  # 785 * 512 + 513 * 10
        407050
        """
        if (
            isinstance(n_hidden_layers, bool)
            or not isinstance(n_hidden_layers, Integral)
            or n_hidden_layers < 1
        ):
            raise ValueError(
                f"expected n_hidden_layers to be a positive int, got {n_hidden_layers!r}"
            )
        params = {
            "hidden_sizes": (512,) * int(n_hidden_layers),
            "activation": "relu",
            "dropout": 0.0,
            "init": "glorot_uniform",
            "optimizer": "keras_rmsprop",
            "learning_rate": 1e-3,
            "batch_size": 128,
            "epochs": 5,
            "loss": "cross_entropy",
        }
        return cls(**{**params, **overrides})

    @classmethod
    def twin_of(cls, n_hidden: int, **overrides) -> MLPClassifier:
        """The MLP twin of a spiking network with ``n_hidden`` excitatory neurons.

        The spiking arm's Diehl & Cook (2015) network maps the 784 inputs through
        ``n_hidden`` excitatory neurons, whose responses are read out as class votes;
        its MLP twin has one hidden layer of the same size, ``hidden = N``, and a
        trained linear read-out: 784-N-10. With :math:`n` inputs and :math:`C` classes
        it has :math:`(n + 1) N + (N + 1) C` parameters
        (:func:`artificial.models.mlp_parameter_count`); the spiking network learns
        :math:`n N` input weights and :math:`N` adaptive thresholds.

        Parameters
        ----------
        n_hidden : int
            Number of excitatory neurons of the spiking network = hidden units.
        **overrides
            Any other hyperparameter of :class:`MLPClassifier`.

        Examples
        --------
        >>> from artificial.models import mlp_parameter_count
        >>> MLPClassifier.twin_of(400).hidden_sizes
        (400,)
        >>> [mlp_parameter_count(784, (n,), 10) for n in (100, 400, 1600, 6400)]
        [79510, 318010, 1272010, 5088010]
        """
        if isinstance(n_hidden, bool) or not isinstance(n_hidden, Integral) or n_hidden < 1:
            raise ValueError(f"expected n_hidden to be a positive int, got {n_hidden!r}")
        return cls(**{"hidden_sizes": (int(n_hidden),), **overrides})

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        return MLP(
            n_features,
            tuple(self.hidden_sizes),
            n_outputs,
            self.activation,
            self.dropout,
            self.init,
        )


class CNNClassifier(TorchClassifier):
    """Convolutional classifier of flattened images, with optional data augmentation.

    The network is :class:`artificial.models.ConvNet`: conv-ReLU-maxpool blocks (one or
    more convolutions each, optionally batch normalised), then a dense ReLU layer
    between dropouts. With any augmentation strength above zero,
    every training mini-batch is randomly rotated, shifted, zoomed and flipped
    (:class:`artificial.augmentation.ImageAugmentation`, drawn from the seed); the
    history's metrics and all predictions use the original images.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` or ``(C, H, W)`` of the images that the rows of ``X`` flatten.
    channels : tuple of int
        Output channels of each conv block.
    kernel_size : int
        Odd side of the square kernels.
    dense_size : int
        Width of the dense hidden layer.
    dropout : float
        Dropout probability around the dense layer.
    rotation, shift, zoom, horizontal_flip
        Augmentation strengths (degrees, fraction of the size, zoom range, flip or
        not); all zero/False for none. See :class:`~artificial.augmentation.ImageAugmentation`.
    convs_per_block : int
        Convolutions before every max-pooling.
    batch_norm : bool
        Batch-normalise every convolution's output (before its ReLU).
    epochs, batch_size, learning_rate, optimizer, weight_decay, loss, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
        See :class:`TorchClassifier`.

    Examples
    --------
    >>> model = CNNClassifier(image_shape=(8, 8), channels=(4,), dense_size=16)
    >>> model.get_params()["image_shape"]
    (8, 8)
    """

    def __init__(
        self,
        image_shape: tuple[int, ...] = (28, 28),
        channels: tuple[int, ...] = (32, 64),
        kernel_size: int = 3,
        dense_size: int = 128,
        dropout: float = 0.5,
        rotation: float = 0.0,
        shift: float = 0.0,
        zoom: float = 0.0,
        horizontal_flip: bool = False,
        convs_per_block: int = 1,
        batch_norm: bool = False,
        *,
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        loss: str = "cross_entropy",
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
        standardize: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            loss=loss,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
            standardize=standardize,
        )
        self.image_shape = image_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.dense_size = dense_size
        self.dropout = dropout
        self.rotation = rotation
        self.shift = shift
        self.zoom = zoom
        self.horizontal_flip = horizontal_flip
        self.convs_per_block = convs_per_block
        self.batch_norm = batch_norm

    @classmethod
    def fashion_mnist(cls, augment: bool = True, **overrides) -> CNNClassifier:
        """A small CNN for 28 x 28 grey images (Fashion-MNIST), with Keras-style augmentation.

        ``conv32-BN-ReLU-pool-conv64-BN-ReLU-pool`` with 3 x 3 kernels, then dropout
        0.5, a dense layer of 256 ReLU units and dropout 0.5 again: a network of the
        size of the 2-conv entries of the Fashion-MNIST benchmark list (Xiao et al.
        2017, github.com/zalandoresearch/fashion-mnist: 0.876-0.932; 0.919 for the one
        trained with flips, translations and rotations), batch-normalised (Ioffe &
        Szegedy 2015), with the head of Keras' ``mnist_cnn.py``. Adam at 1e-3 in batches
        of 128, a cosine learning-rate schedule over 20 epochs. With ``augment`` every
        training batch is transformed as Keras' ``ImageDataGenerator(width_shift_range=
        0.1, height_shift_range=0.1, horizontal_flip=True)`` would (garments are
        left-right symmetric; rotation and zoom stay 0: Fashion-MNIST's images are
        centred, upright and size-normalised, so the test set shows neither), and the
        network trains 40 epochs with dropout 0.25: augmentation regularises too, and
        with dropout 0.5 and 20 epochs the augmented network under-fits (validation
        accuracy on 10 % of the training set, 3 seeds: 90.9 % for 20 epochs and dropout
        0.5, 91.9 % for 40 epochs, 91.9 % for dropout 0.25, 93.0 % for both; the clean
        preset 93.0 %; ``experiments/tune_cnn_augmentation.py``). Two
        convolutions per block (``convs_per_block=2``) cost about 3.5 times as much per
        epoch on a CPU (measured on one core).

        Parameters
        ----------
        augment : bool
            Shift and flip every training batch; False trains on the images as they are.
        **overrides
            Any other hyperparameter (e.g. ``epochs=30``, ``random_state=0``).

        Examples
        --------
        >>> model = CNNClassifier.fashion_mnist()
        >>> model.channels, model.convs_per_block, model.batch_norm, model.dense_size
        ((32, 64), 1, True, 256)
        >>> model.shift, model.horizontal_flip, model.epochs, model.dropout, model.lr_schedule
        (0.1, True, 40, 0.25, 'cosine')
        >>> clean = CNNClassifier.fashion_mnist(augment=False)
        >>> clean._augmentation() is None, clean.epochs, clean.dropout
        (True, 20, 0.5)
        """
        if not isinstance(augment, bool):
            raise ValueError(f"expected augment True or False, got {augment!r}")
        params = {
            "image_shape": (28, 28),
            "channels": (32, 64),
            "kernel_size": 3,
            "convs_per_block": 1,
            "batch_norm": True,
            "dense_size": 256,
            "dropout": 0.25 if augment else 0.5,
            "shift": 0.1 if augment else 0.0,
            "horizontal_flip": augment,
            "optimizer": "adam",
            "learning_rate": 1e-3,
            "batch_size": 128,
            "epochs": 40 if augment else 20,
            "lr_schedule": "cosine",
        }
        return cls(**{**params, **overrides})

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        module = ConvNet(
            tuple(self.image_shape),
            n_outputs,
            tuple(self.channels),
            self.kernel_size,
            self.dense_size,
            self.dropout,
            self.convs_per_block,
            self.batch_norm,
        )
        _check_flattened_size(n_features, module.image_shape, "image_shape", self.image_shape)
        return module

    def _augmentation(self) -> Augmentation | None:
        augmentation = ImageAugmentation(
            tuple(self.image_shape), self.rotation, self.shift, self.zoom, self.horizontal_flip
        )
        return None if augmentation.is_identity else augmentation


class CNN1DClassifier(TorchClassifier):
    """1-D convolutional classifier of flattened sequences (MNIST-1D's CNN).

    Each row of ``X`` is read as ``sequence_shape = (steps, features)``, the features
    becoming the channels of :class:`artificial.models.ConvNet1d`: strided
    convolutions with ReLU, then a linear read-out of the flattened feature maps. The
    defaults are the network and training of the MNIST-1D benchmark (Greydanus 2020,
    arXiv:2011.14439; the mnist1d repository's ``notebooks/models.py`` ``ConvBase`` and
    ``notebooks/train.py``): three convolutions of 25 channels (kernels 5, 3, 3,
    stride 2, padding 1), Adam at 1e-2, batches of 100; the benchmark trains 8,000
    steps, i.e. 200 epochs of the 4,000 training sequences.

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(steps, features)`` with ``steps * features == n_features``; MNIST-1D is
        ``(40, 1)``.
    channels : tuple of int
        Output channels of each convolution.
    kernel_sizes : tuple of int
        Kernel length of each convolution.
    stride : int
        Stride of every convolution.
    padding : int
        Zero padding at both ends of every convolution's input.
    dropout : float
        Dropout probability before the read-out; 0 for none.
    epochs, batch_size, learning_rate, optimizer, weight_decay, loss, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
        See :class:`TorchClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((60, 40)), np.arange(60) % 3
    >>> model = CNN1DClassifier(epochs=2, random_state=0).fit(X, y)
    >>> model.n_parameters_  # 25*(5+1) + 2 * 25*(25*3+1) + 3*(125+1)
    4328
    >>> model.operations(X[:4])["dense_macs"]  # 25*94 + 625*28 + 625*14 + 125*3: padding skipped
    28975.0
    """

    def __init__(
        self,
        sequence_shape: tuple[int, int] = (40, 1),
        channels: tuple[int, ...] = (25, 25, 25),
        kernel_sizes: tuple[int, ...] = (5, 3, 3),
        stride: int = 2,
        padding: int = 1,
        dropout: float = 0.0,
        *,
        epochs: int = 200,
        batch_size: int = 100,
        learning_rate: float = 1e-2,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        loss: str = "cross_entropy",
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
        standardize: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            loss=loss,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
            standardize=standardize,
        )
        self.sequence_shape = sequence_shape
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.stride = stride
        self.padding = padding
        self.dropout = dropout

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        module = ConvNet1d(
            tuple(self.sequence_shape),
            n_outputs,
            tuple(self.channels),
            tuple(self.kernel_sizes),
            self.stride,
            self.padding,
            self.dropout,
        )
        _check_flattened_size(
            n_features, module.sequence_shape, "sequence_shape", self.sequence_shape
        )
        return module


class RNNClassifier(TorchClassifier):
    """Recurrent classifier of flattened sequences (Elman RNN, LSTM or GRU).

    Each row of ``X`` is read as ``sequence_shape = (steps, features)``: a 28 x 28
    image row by row is ``(28, 28)``, an MNIST-1D example is ``(40, 1)``. The network
    is :class:`artificial.models.RecurrentNet`, classifying the last step's hidden state.

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(steps, features)`` with ``steps * features == n_features``.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer type.
    hidden_size : int
        Hidden units per recurrent layer.
    num_layers : int
        Stacked recurrent layers.
    epochs, batch_size, learning_rate, optimizer, weight_decay, loss, lr_schedule, \
validation_fraction, patience, random_state, device, verbose, standardize
        See :class:`TorchClassifier`.
    """

    def __init__(
        self,
        sequence_shape: tuple[int, int] = (28, 28),
        cell: str = "lstm",
        hidden_size: int = 128,
        num_layers: int = 1,
        *,
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        loss: str = "cross_entropy",
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
        random_state: int | None = None,
        device: str = "cpu",
        verbose: bool = False,
        standardize: bool = False,
    ) -> None:
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            weight_decay=weight_decay,
            loss=loss,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
            standardize=standardize,
        )
        self.sequence_shape = sequence_shape
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        module = RecurrentNet(
            tuple(self.sequence_shape), n_outputs, self.cell, self.hidden_size, self.num_layers
        )
        _check_flattened_size(
            n_features, module.sequence_shape, "sequence_shape", self.sequence_shape
        )
        return module


def _check_flattened_size(n_features: int, shape: tuple[int, ...], name: str, given) -> None:
    if n_features != math.prod(shape):
        raise ValueError(
            f"expected X with {math.prod(shape)} features ({name}={tuple(given)!r} "
            f"flattened), got {n_features}; set {name} to the shape of one example"
        )


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
