"""The models compare/ knows by name, and how a spec turns into an estimator.

A model spec is a name for the results (``label``), a registry key (``kind``) and the
estimator's hyperparameters. compare/ relies only on the shared protocol (a
scikit-learn classifier with ``fit``/``predict`` and an ``operations(X)`` report), so a
new model plugs in by adding one entry to :data:`MODELS`.

>>> spec = ModelSpec(label="mlp-twin", kind="mlp", params={"hidden_sizes": (100,)})
>>> type(build_model(spec, random_state=0)).__name__
'MLPClassifier'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sklearn.base import BaseEstimator

__all__ = ["MODELS", "ModelSpec", "build_model"]


def _diehl_cook(**params):
    from spiking.networks.diehl_cook import DiehlCook2015

    return DiehlCook2015(**params)


def _mlp(**params):
    from artificial import MLPClassifier

    return MLPClassifier(**params)


def _logistic(**params):
    from artificial import LogisticRegression

    return LogisticRegression(**params)


def _cnn(**params):
    from artificial import CNNClassifier

    return CNNClassifier(**params)


def _cnn1d(**params):
    from artificial import CNN1DClassifier

    return CNN1DClassifier(**params)


def _rnn(**params):
    from artificial import RNNClassifier

    return RNNClassifier(**params)


def _converted_snn(**params):
    from compare.models.converted_snn import ConvertedSNNClassifier

    return ConvertedSNNClassifier(**params)


def _sg_snn(**params):
    from artificial import SpikingMLPClassifier

    return SpikingMLPClassifier(**params)


MODELS: dict[str, tuple[str, Callable[..., BaseEstimator]]] = {
    "diehl-cook": ("spiking", _diehl_cook),
    # Trained by backprop, but it predicts (and reports operations) as a Brian2 SNN.
    "converted-snn": ("spiking", _converted_snn),
    "mlp": ("artificial", _mlp),
    "logistic": ("artificial", _logistic),
    "cnn": ("artificial", _cnn),
    "cnn1d": ("artificial", _cnn1d),
    "rnn": ("artificial", _rnn),
    "sg-snn": ("artificial", _sg_snn),
}
"""Registry: kind -> (arm, factory taking the estimator's keyword arguments).

``"sg-snn"`` is the surrogate-gradient spiking MLP (:class:`artificial.SpikingMLPClassifier`):
spiking neurons, but trained by backprop in PyTorch, so it belongs to the artificial arm
(the spiking arm is what Brian2 simulates)."""


@dataclass(frozen=True)
class ModelSpec:
    """One model of an experiment.

    Parameters
    ----------
    label
        Name in tables and figures, e.g. ``"stdp-100"``.
    kind
        Key of :data:`MODELS`.
    params
        Keyword arguments of the estimator (``random_state`` is set per seed).
    """

    label: str
    kind: str
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in MODELS:
            raise ValueError(
                f"model {self.label!r}: unknown kind {self.kind!r}; "
                f"known: {', '.join(sorted(MODELS))}"
            )
        if "random_state" in self.params:
            raise ValueError(
                f"model {self.label!r}: do not set random_state in params; "
                "it comes from the experiment's seeds"
            )

    @property
    def arm(self) -> str:
        """``"spiking"`` or ``"artificial"``."""
        return MODELS[self.kind][0]


def build_model(spec: ModelSpec, *, random_state: int) -> BaseEstimator:
    """A fresh, unfitted estimator for ``spec`` seeded with ``random_state``."""
    factory = MODELS[spec.kind][1]
    try:
        return factory(**spec.params, random_state=random_state)
    except TypeError as err:
        raise ValueError(
            f"model {spec.label!r} ({spec.kind}): bad hyperparameters: {err}"
        ) from None
