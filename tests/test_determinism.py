"""Same seed, same result, in a fresh Python process: bit for bit.

The in-process seeding tests (test_artificial.py, test_snn.py, test_spiking.py) fit
twice in one process; these fit in two separate processes (``sys.executable``), so
nothing can carry over between the runs: not the global RNGs, not an imported
module's state, not a warm cache in memory, not hash randomisation (each process draws
its own ``PYTHONHASHSEED``). Each run saves what it produced to an ``.npz``; the test
compares the arrays' bytes (``tobytes``: stricter than ``==``, which takes -0.0 for 0.0),
and checks that another seed gives another result, so the comparison can fail.

- PyTorch on the CPU: ``MLPClassifier`` and ``SpikingMLPClassifier`` (rate-encoded
  input, so its seeded Poisson encoder is covered too) fitted on sklearn's digits
  scaled to [0, 1]; the probabilities of ``predict_proba``. The runs use one intra-op
  thread (the machine's other work aside, a different thread count may sum in a
  different order).
- Brian2: ``DiehlCook2015`` with 10 excitatory neurons on 64-pixel digits, 12 training
  and 6 test examples, in runtime mode and as C++ standalone; the learned weights,
  theta and neuron labels, the test spike counts and the predictions. The standalone
  builds go to a fresh ``SPIKEARENA_BUILD_DIR`` shared by the two processes: the first
  compiles (3 minutes on two busy cores), the second finds the cached build and only
  copies and runs it, so the test also checks that a cached build computes what the
  fresh one did. Both are ``slow`` (runtime about 40 s for its two processes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED, OTHER_SEED = 3, 4

TORCH_RUN = """
import sys
import numpy as np
import torch
from sklearn.datasets import load_digits

from artificial import MLPClassifier
from artificial.snn import SpikingMLPClassifier

torch.set_num_threads(1)
out, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel counts 0..16 -> [0, 1]
results = {}
for seed in seeds:
    models = {
        "mlp": MLPClassifier(hidden_sizes=(32,), epochs=3, random_state=seed),
        "sg_snn": SpikingMLPClassifier(
            hidden_sizes=(32,), n_steps=6, encoding="rate", epochs=2, random_state=seed
        ),
    }
    for name, model in models.items():
        model.fit(X[:400], y[:400])
        results[f"{name}_seed{seed}"] = model.predict_proba(X[1500:])
np.savez(out, **results)
"""

DIEHL_COOK_RUN = """
import sys
import numpy as np
from sklearn.datasets import load_digits

from spiking import backend
from spiking.networks.diehl_cook import DiehlCook2015, vote

out, mode, seeds = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
if mode == "standalone" and not backend.compiler_available():
    sys.exit(3)  # would fall back to runtime mode: nothing standalone to test
X, y = load_digits(return_X_y=True)
keep = np.isin(y, (0, 1, 7))
X, y = (X[keep] / 16).astype(np.float32), y[keep]
order = np.random.default_rng(0).permutation(len(X))
X, y = X[order], y[order]
results = {}
for seed in seeds:
    model = DiehlCook2015(n_excitatory=10, backend=mode, random_state=seed).fit(X[:12], y[:12])
    counts = model.spike_counts(X[12:18])
    predictions = model.classes_[vote(counts, model.assignments_, len(model.classes_))]
    for name, value in [
        ("weights", model.weights_),
        ("theta", model.theta_),
        ("assignments", model.assignments_),
        ("counts", counts),
        ("predictions", predictions),
    ]:
        results[f"{name}_seed{seed}"] = value
np.savez(out, **results)
"""


def _run(script: str, out: Path, *args, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``script`` in a new interpreter writing ``out``; fail the test on an error."""
    environment = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    environment.pop("PYTHONHASHSEED", None)  # each process draws its own
    done = subprocess.run(
        [sys.executable, "-c", script, str(out), *map(str, args)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if done.returncode == 3:
        pytest.skip("no C++ compiler: DiehlCook2015 would fall back to runtime mode")
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


def _assert_bit_identical(first: dict, second: dict, names) -> None:
    for name in names:
        a, b = first[name], second[name]
        assert (a.dtype, a.shape) == (b.dtype, b.shape), name
        assert a.tobytes() == b.tobytes(), f"{name} differs between the two processes"


def test_torch_models_give_bit_identical_probabilities_in_two_processes(tmp_path):
    _run(TORCH_RUN, tmp_path / "first.npz", SEED)
    _run(TORCH_RUN, tmp_path / "second.npz", SEED, OTHER_SEED)
    first, second = _load(tmp_path / "first.npz"), _load(tmp_path / "second.npz")

    for model in ("mlp", "sg_snn"):
        same = f"{model}_seed{SEED}"
        _assert_bit_identical(first, second, [same])
        proba = first[same]
        assert proba.shape == (297, 10) and proba.dtype == np.float64
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)  # float64 softmax
        other = second[f"{model}_seed{OTHER_SEED}"]
        assert not np.array_equal(proba, other), f"{model}: another seed, the same result"


@pytest.mark.slow  # runtime: ~40 s; standalone: ~3 min to compile two builds, cold
@pytest.mark.parametrize("mode", ["runtime", "standalone"])
def test_diehl_cook_gives_identical_spikes_and_weights_in_two_processes(tmp_path, mode):
    build_dir = tmp_path / "builds"
    env = {"SPIKEARENA_BUILD_DIR": str(build_dir)}
    _run(DIEHL_COOK_RUN, tmp_path / "first.npz", mode, SEED, env=env)
    if mode == "standalone":
        # The compiled binaries (spiking.backend keeps each build under KEY/template/).
        binaries = {p: p.stat().st_mtime_ns for p in build_dir.glob("*/template/main")}
        assert len(binaries) == 2  # training and test mode, compiled by the first process
    _run(DIEHL_COOK_RUN, tmp_path / "second.npz", mode, SEED, OTHER_SEED, env=env)
    if mode == "standalone":  # the second process ran the same binaries: none relinked
        assert {p: p.stat().st_mtime_ns for p in build_dir.glob("*/template/main")} == binaries
    first, second = _load(tmp_path / "first.npz"), _load(tmp_path / "second.npz")

    names = ["weights", "theta", "assignments", "counts", "predictions"]
    _assert_bit_identical(first, second, [f"{name}_seed{SEED}" for name in names])
    counts = first[f"counts_seed{SEED}"]
    assert counts.shape == (6, 10) and counts.sum() > 0  # the network did fire
    assert not np.array_equal(counts, second[f"counts_seed{OTHER_SEED}"])
    assert not np.array_equal(first[f"weights_seed{SEED}"], second[f"weights_seed{OTHER_SEED}"])
