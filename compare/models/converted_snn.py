"""ANN-to-SNN conversion as one estimator: backprop a ReLU MLP, run it as spiking neurons.

:class:`ConvertedSNNClassifier` joins the two arms (which never import each other):
``fit`` trains a ReLU MLP with the artificial arm (:class:`artificial.MLPClassifier`),
normalises its weights on a sample of the training data
(:func:`artificial.conversion.convert_mlp`: Rueckauer et al. 2017's percentile
normalisation, Diehl et al. 2015's max-norm at ``percentile=100``) and hands the plain
numpy arrays to the spiking arm's integrate-and-fire network
(:class:`spiking.networks.converted.IFNetwork`); ``predict`` simulates that network in
Brian2 for ``time_steps`` steps per example and reads the output layer's spike counts.
:meth:`~ConvertedSNNClassifier.accuracy_vs_time_steps` measures the accuracy after
several numbers of steps from one simulation, beside the ANN's.

It belongs to the spiking arm in compare's registry: training uses backprop, but
every prediction and every operation it reports comes from the Brian2 simulation.

References
----------
- Diehl, P. U., Neil, D., Binas, J., Cook, M., Liu, S.-C. & Pfeiffer, M. (2015).
  Fast-classifying, high-accuracy spiking deep networks through weight and threshold
  balancing. IJCNN 2015.
- Rueckauer, B., Lungu, I.-A., Hu, Y., Pfeiffer, M. & Liu, S.-C. (2017). Conversion of
  continuous-valued deep networks to efficient event-driven networks for image
  classification. Front. Neurosci. 11:682.

Example
-------
>>> from compare.data.tasks import load_digits
>>> task = load_digits()
>>> model = ConvertedSNNClassifier(hidden_sizes=(32,), time_steps=100, epochs=20,
...                                random_state=0).fit(task.X_train, task.y_train)
>>> curve = model.accuracy_vs_time_steps(task.X_test, task.y_test, [10, 100])
>>> curve.time_steps.tolist()
[10, 100]
>>> bool(curve.accuracy[1] > curve.accuracy[0])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from brian2 import second
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from artificial import MLPClassifier
from artificial.conversion import DEFAULT_PERCENTILE, ConvertedNetwork, convert_mlp
from spiking.backend import BACKENDS
from spiking.networks.converted import INPUT_ENCODINGS, IFNetwork, IFParams, IFRun

__all__ = ["AccuracyCurve", "ConvertedSNNClassifier"]


@dataclass(frozen=True)
class AccuracyCurve:
    """Accuracy of a converted SNN after each number of simulated time steps.

    Attributes
    ----------
    time_steps : ndarray of int, shape (K,)
        Steps simulated per example, ascending.
    accuracy : ndarray of float, shape (K,)
        SNN accuracy after each number of steps.
    agreement : ndarray of float, shape (K,)
        Fraction of examples on which the SNN predicts the ANN's class.
    ann_accuracy : float
        Accuracy of the trained ANN on the same examples.
    n_examples : int
    simulation_seconds : float
        Wall time of the Brian2 simulation (compilation excluded).
    compile_seconds : float
        Wall time spent building (or loading) the compiled network.
    """

    time_steps: np.ndarray
    accuracy: np.ndarray
    agreement: np.ndarray
    ann_accuracy: float
    n_examples: int
    simulation_seconds: float
    compile_seconds: float

    @property
    def examples_per_second(self) -> float:
        """Examples simulated per second of wall time (``time_steps[-1]`` steps each)."""
        return self.n_examples / self.simulation_seconds

    def rows(self) -> list[dict]:
        """One tidy row per number of time steps (accuracies as fractions)."""
        return [
            {
                "time_steps": int(steps),
                "snn_accuracy": float(acc),
                "agreement_with_ann": float(agree),
                "ann_accuracy": self.ann_accuracy,
                "n_examples": self.n_examples,
            }
            for steps, acc, agree in zip(self.time_steps, self.accuracy, self.agreement)
        ]


class ConvertedSNNClassifier(ClassifierMixin, BaseEstimator):
    """A ReLU MLP trained by backprop, converted to and run as integrate-and-fire neurons.

    Parameters
    ----------
    hidden_sizes : tuple of int
        Hidden layers of the MLP (and of the spiking network); ``(400,)`` is the twin of
        the Diehl & Cook N = 400 network.
    time_steps : int
        Steps simulated per example by :meth:`predict` and :meth:`operations`.
    percentile : float
        Normalisation percentile of each layer's non-zero activations, in (0, 100]:
        99.9 is Rueckauer et al. (2017)'s robust normalisation, 100 the max-norm of
        Diehl et al. (2015).
    n_normalise : int or None
        Training examples (a seeded random sample) the normalisation statistics are
        taken from; None uses them all.
    input_encoding : {"analog", "poisson"}
        Pixels as constant input currents (Rueckauer et al.) or as Poisson spikes.
    params : IFParams or None
        Constants of the IF network (threshold 1, dt 1 ms, start at 0); None for those.
    epochs, batch_size, learning_rate, dropout, weight_decay
        Training of the MLP (:class:`artificial.MLPClassifier`; Adam, cross-entropy).
    backend : {"standalone", "runtime"}
        Where Brian2 runs (C++ standalone, compiled once per layout and cached, or
        runtime mode).
    random_state : int or None
        Seeds the MLP's training, the normalisation sample and the Poisson input.
    verbose : bool
        Progress bars for training and simulation.

    Attributes
    ----------
    ann_ : MLPClassifier
        The trained ReLU MLP.
    conversion_ : ConvertedNetwork
        Its normalised weights, biases and per-layer scales.
    network_ : IFNetwork
        The spiking network that predicts.
    classes_ : ndarray
        Class labels seen in fit.
    seed_ : int
        Seed of the Brian2 simulations (Poisson input), derived from ``random_state``.
    """

    def __init__(
        self,
        hidden_sizes=(100,),
        time_steps=100,
        percentile=DEFAULT_PERCENTILE,
        *,
        n_normalise=10_000,
        input_encoding="analog",
        params=None,
        epochs=30,
        batch_size=64,
        learning_rate=1e-3,
        dropout=0.0,
        weight_decay=0.0,
        backend="standalone",
        random_state=None,
        verbose=False,
    ):
        self.hidden_sizes = hidden_sizes
        self.time_steps = time_steps
        self.percentile = percentile
        self.n_normalise = n_normalise
        self.input_encoding = input_encoding
        self.params = params
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Train the MLP on (X, y), normalise it on a sample of X, build the IF network."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        _check_unit_interval(X)
        check_classification_targets(y)
        self._check_hyperparameters()
        ann = MLPClassifier(
            hidden_sizes=tuple(self.hidden_sizes),
            activation="relu",
            dropout=self.dropout,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            random_state=int(self._seeds()[0]),
            verbose=self.verbose,
        ).fit(X, y)
        return self._convert(ann, X)

    @classmethod
    def from_ann(cls, ann: MLPClassifier, X, **params) -> ConvertedSNNClassifier:
        """A fitted classifier that converts an already trained ReLU MLP (no training).

        Parameters
        ----------
        ann : MLPClassifier
            Fitted, with ReLU activations; its architecture and training
            hyperparameters become this model's.
        X : array-like of shape (n_samples, n_features)
            Normalisation data in [0, 1] (a sample of ``n_normalise`` rows is used).
        **params
            Any hyperparameter of this class but those of the MLP (``time_steps``,
            ``percentile``, ``input_encoding``, ``random_state``, ...).
        """
        if not isinstance(ann, MLPClassifier):
            raise ValueError(f"expected a fitted MLPClassifier, got {type(ann).__name__}")
        check_is_fitted(ann)
        training = ("epochs", "batch_size", "learning_rate", "dropout", "weight_decay")
        given = sorted(set(params) & {"hidden_sizes", *training})
        if given:
            raise ValueError(f"{given} come from the trained ann; do not pass them")
        model = cls(
            hidden_sizes=tuple(ann.hidden_sizes),
            **{name: getattr(ann, name) for name in training},
            **params,
        )
        X = validate_data(model, X, dtype=np.float32)
        _check_unit_interval(X)
        if X.shape[1] != ann.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features but the ann was trained on {ann.n_features_in_}"
            )
        model._check_hyperparameters()
        return model._convert(ann, X)

    def _seeds(self) -> np.ndarray:
        """Three seeds from random_state: MLP training, normalisation sample, simulation."""
        return np.random.SeedSequence(self.random_state).generate_state(3)

    def _convert(self, ann: MLPClassifier, X: np.ndarray) -> ConvertedSNNClassifier:
        """Normalise ``ann`` on a sample of X and build the IF network (the fitted state)."""
        _, sample_seed, sim_seed = self._seeds()
        sample = np.arange(len(X))
        if self.n_normalise is not None and self.n_normalise < len(X):
            rng = np.random.default_rng(int(sample_seed))
            sample = np.sort(rng.choice(len(X), size=self.n_normalise, replace=False))
        conversion = convert_mlp(ann, X[sample], percentile=self.percentile)
        self.ann_ = ann
        self.conversion_: ConvertedNetwork = conversion
        self.network_ = IFNetwork(
            conversion.weights,
            conversion.biases,
            self.params,
            input_encoding=self.input_encoding,
            backend=self.backend,
        )
        self.classes_ = ann.classes_
        self.seed_ = int(sim_seed)
        return self

    def simulate(self, X, checkpoints: Sequence[int] | None = None) -> IFRun:
        """Run the IF network on X; the output is read after each of ``checkpoints`` steps.

        ``checkpoints`` defaults to ``(time_steps,)``; the simulation lasts its last
        entry per example.
        """
        X = self._check_X(X)
        points = [self.time_steps] if checkpoints is None else list(checkpoints)
        return self.network_.run(
            X, points[-1], checkpoints=points, seed=self.seed_, progress=self.verbose
        )

    def predict(self, X) -> np.ndarray:
        """Class of each example: the output neuron with the most spikes after ``time_steps``."""
        run = self.simulate(X)  # checks that the model is fitted
        return self.classes_[run.predictions()[:, -1]]

    def accuracy_vs_time_steps(self, X, y, time_steps: Sequence[int]) -> AccuracyCurve:
        """Accuracy after each number of time steps in ``time_steps``, from one simulation.

        Parameters
        ----------
        X : array-like of shape (n_examples, n_features)
        y : array-like of shape (n_examples,)
            True labels (among ``classes_``).
        time_steps : sequence of int
            Positive numbers of steps; sorted and de-duplicated. The network runs
            ``max(time_steps)`` steps per example and is read after each.
        """
        check_is_fitted(self, "network_")
        y = np.asarray(y)
        steps = np.unique(np.asarray(time_steps))
        if (
            steps.ndim != 1
            or len(steps) == 0
            or not np.issubdtype(steps.dtype, np.integer)
            or steps[0] < 1
        ):
            raise ValueError(f"time_steps must be positive integers, got {time_steps!r}")
        X = self._check_X(X)
        if y.shape != (len(X),):
            raise ValueError(f"expected {len(X)} labels in a 1-D y, got shape {y.shape}")
        run = self.simulate(X, steps.tolist())
        predicted = self.classes_[run.predictions()]  # (n, K)
        ann_predicted = self.ann_.predict(X)
        return AccuracyCurve(
            time_steps=steps.astype(np.int64),
            accuracy=(predicted == y[:, None]).mean(axis=0),
            agreement=(predicted == ann_predicted[:, None]).mean(axis=0),
            ann_accuracy=float(np.mean(ann_predicted == y)),
            n_examples=len(X),
            simulation_seconds=run.seconds - run.compile_seconds,
            compile_seconds=run.compile_seconds,
        )

    def decision_latency(self, X, y) -> np.ndarray:
        """Simulated time (s) until each example's prediction became right and stayed so.

        The output is read after every step of one simulation of ``time_steps`` steps
        (most spikes, ties to the higher potential, as :meth:`predict`); an example's
        latency is the end of the first step from which every later reading is its
        true class, NaN where the final reading is wrong. The same measure as
        :meth:`spiking.networks.diehl_cook.DiehlCook2015.decision_latency` and
        :meth:`artificial.snn.SpikingMLPClassifier.decision_latency`.
        """
        check_is_fitted(self, "network_")
        y = np.asarray(y)
        X = self._check_X(X)
        if y.shape != (len(X),):
            raise ValueError(f"expected {len(X)} labels in a 1-D y, got shape {y.shape}")
        steps = self.time_steps
        run = self.simulate(X, list(range(1, steps + 1)))
        right = self.classes_[run.predictions()] == y[:, None]  # (n, steps)
        last_wrong = np.where(right, -1, np.arange(steps)[None, :]).max(axis=1)
        dt = float(self.network_.params.dt / second)
        latency = (last_wrong + 2) * dt  # the end of step last_wrong + 1 (0-based)
        latency[~right[:, -1]] = np.nan
        return latency

    def operations(self, X) -> dict:
        """What inference on X costs in the IF network at ``time_steps``, per example.

        Measured from the spike counts of an actual Brian2 run; see
        :meth:`spiking.networks.converted.IFNetwork.operations` for every key.
        """
        X = self._check_X(X)
        return self.network_.operations(self.simulate(X), X)

    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        _check_unit_interval(X)
        return X

    def _check_hyperparameters(self) -> None:
        if (
            isinstance(self.time_steps, bool)
            or not isinstance(self.time_steps, Integral)
            or self.time_steps < 1
        ):
            raise ValueError(f"time_steps must be a positive integer, got {self.time_steps!r}")
        if (
            isinstance(self.percentile, bool)
            or not isinstance(self.percentile, Real)
            or not 0 < self.percentile <= 100
        ):
            raise ValueError(f"percentile must be in (0, 100], got {self.percentile!r}")
        if self.n_normalise is not None and (
            isinstance(self.n_normalise, bool)
            or not isinstance(self.n_normalise, Integral)
            or self.n_normalise < 1
        ):
            raise ValueError(
                f"n_normalise must be a positive integer or None, got {self.n_normalise!r}"
            )
        if self.input_encoding not in INPUT_ENCODINGS:
            raise ValueError(
                f"input_encoding must be one of {INPUT_ENCODINGS}, got {self.input_encoding!r}"
            )
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.params is not None and not isinstance(self.params, IFParams):
            raise ValueError(f"params must be an IFParams, got {type(self.params).__name__}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def _check_unit_interval(X: np.ndarray) -> None:
    lo, hi = float(X.min(initial=0.0)), float(X.max(initial=0.0))
    if lo < 0 or hi > 1:
        raise ValueError(
            f"expected inputs in [0, 1] (they are the SNN's input currents), got min {lo:g}, "
            f"max {hi:g}" + (" — divide by 255" if 1 < hi <= 255 else "")
        )
