"""scikit-learn's estimator checks (``parametrize_with_checks``) on the project's models.

How the checks are applied, and what is skipped and why:

- **Inputs in [0, 1].** Every model takes features in [0, 1] (the protocol of
  docs/ARCHITECTURE.md: the spike encoders read them as probabilities, and both arms
  see the same data), and refuses anything else with a ValueError that says so. The
  checks generate unbounded data (``make_blobs``, standard normals), so each model is
  checked as the last step of ``make_pipeline(MinMaxScaler(clip=True), model)``: the
  checks' fitting, prediction, pickling, cloning, dtype, memmap, sample-order and
  n_features checks all reach the model through the scaler, which only maps the data
  into the model's domain (the scaler lets NaN through, so the model's own NaN/inf
  errors are checked too).
- **Two checks are artefacts of that pipeline** and are expected to fail:
  ``check_estimators_overwrite_params`` and ``check_dont_overwrite_parameters`` see the
  pipeline's ``steps`` parameter change, because it holds the model object, which
  ``fit`` fits in place. What they check (fit leaves the constructor parameters and
  public attributes alone) is tested on the bare models below.
- **Fixed input shapes**: ``CNNClassifier``, ``CNN1DClassifier`` and ``RNNClassifier``
  read each row as an image or sequence of a set shape (``image_shape``,
  ``sequence_shape``), so the checks' data (1 to 10 features, changing from check to
  check) cannot be fed to them; their contract (clone, get_params, pickling, fitted
  state, errors) is tested in ``test_artificial_families.py``.
- **Brian2 models** (``DiehlCook2015``, ``ConvertedSNN``): every new input size is a
  new C++ build (30-90 s each) and the checks fit about a hundred times on a dozen
  sizes; their contract is tested in ``test_spiking.py`` and ``test_conversion.py``.

The hyperparameters are small but trained enough for ``check_classifiers_train`` and
``check_regressors_train`` (training accuracy above 0.83, R^2 above 0.5). The checks
fit each model about a hundred times (2-5 minutes in all), so they are marked slow:
CI runs them after the default suite (``pytest -m slow``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from artificial import LinearRegression, LogisticRegression, MLPClassifier
from artificial.snn import SpikingMLPClassifier

QUICK = {"epochs": 30, "learning_rate": 0.03, "random_state": 0}
MODELS = [
    LogisticRegression(**QUICK),
    LinearRegression(**QUICK),
    MLPClassifier(hidden_sizes=(8,), **QUICK),
    SpikingMLPClassifier(hidden_sizes=(8,), n_steps=4, **QUICK),
]
pytestmark = pytest.mark.slow

PIPELINE_ARTEFACTS = {
    "check_estimators_overwrite_params": "the pipeline's steps hold the model, fitted in "
    "place; tested on the bare model in test_fit_leaves_parameters_and_public_attributes",
    "check_dont_overwrite_parameters": "as check_estimators_overwrite_params",
}


@parametrize_with_checks(
    [make_pipeline(MinMaxScaler(clip=True), model) for model in MODELS],
    expected_failed_checks=lambda estimator: PIPELINE_ARTEFACTS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_fit_leaves_parameters_and_public_attributes(model):
    # What the two pipeline artefacts check, on the bare model and data in [0, 1].
    model = clone(model)
    rng = np.random.default_rng(0)
    X = rng.random((60, 5))
    y = (X[:, 0] > 0.5).astype(int) if is_classifier(model) else X[:, 0]
    params = copy.deepcopy(model.get_params())
    public = {k: copy.deepcopy(v) for k, v in vars(model).items() if not k.endswith("_")}
    model.fit(X, y)
    assert model.get_params() == params
    after = {k: v for k, v in vars(model).items() if not k.endswith("_") and not k.startswith("_")}
    assert after.keys() == {k for k in public if not k.startswith("_")}
    assert all(repr(after[k]) == repr(public[k]) for k in after)
