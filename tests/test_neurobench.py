"""Our operation counts equal NeuroBench's own metric code on the same torch model and data.

NeuroBench (package ``neurobench``, Yik et al. 2023) is a heavy optional extra, not a
dependency: these tests are skipped where it is not installed. To run them::

    pip install --no-deps --target /tmp/nbpkgs neurobench==2.3.0
    PYTHONPATH=/tmp/nbpkgs python -m pytest tests/test_neurobench.py

(``--no-deps``: its metric modules need only torch and numpy; its full dependency set
pulls torchaudio and other packages this project does not use.)
"""

import pytest
import torch

pytest.importorskip("neurobench")
from neurobench.metrics.static import ConnectionSparsity, Footprint, ParameterCount  # noqa: E402
from neurobench.metrics.workload import ActivationSparsity, SynapticOperations  # noqa: E402
from neurobench.models import TorchModel  # noqa: E402

from artificial.models import MLP, ConvNet  # noqa: E402
from artificial.operations import measure_operations  # noqa: E402


def _neurobench(net: torch.nn.Module, X: torch.Tensor) -> dict:
    """NeuroBench's metrics on one batch, the way its Benchmark class calls them."""
    model = TorchModel(net)
    model.register_hooks()
    synops, sparsity = SynapticOperations(), ActivationSparsity()
    with torch.no_grad():
        preds = model(X)
    data = (X, torch.zeros(len(X)))
    ops = synops(model, preds, data)
    out = {
        "effective_macs": ops["Effective_MACs"],
        "effective_acs": ops["Effective_ACs"],
        "dense_macs": ops["Dense"],
        "activation_sparsity": sparsity(model, preds, data),
        "parameter_count": ParameterCount()(model),
        "footprint_bytes": Footprint()(model),
        "connection_sparsity": ConnectionSparsity()(model),
    }
    model.close_hooks()
    return out


def _sparse_weights(net: torch.nn.Module, fraction: float, seed: int) -> None:
    """Zero a fraction of every weight matrix (pruning), so sparsity counts matter."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("weight"):
                p[torch.rand(p.shape, generator=gen) < fraction] = 0.0


@pytest.mark.parametrize("pruned", [0.0, 0.3])
def test_mlp_counts_equal_neurobench(pruned):
    torch.manual_seed(0)
    net = MLP(n_features=20, hidden_sizes=(16, 12), n_classes=5).eval()
    _sparse_weights(net, pruned, seed=1)
    X = torch.rand(32, 20) * (torch.rand(32, 20) < 0.6)  # real values, many zeros
    ours, theirs = measure_operations(net, X), _neurobench(net, X)
    for key in ("effective_macs", "effective_acs", "dense_macs", "parameter_count"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-12), key
    assert ours["footprint_bytes"] == theirs["footprint_bytes"]
    assert ours["activation_sparsity"] == pytest.approx(theirs["activation_sparsity"], rel=1e-9)
    # NeuroBench rounds connection sparsity to 4 decimals
    assert round(ours["connection_sparsity"], 4) == pytest.approx(theirs["connection_sparsity"])


def test_cnn_counts_equal_neurobench():
    torch.manual_seed(0)
    net = ConvNet(image_shape=(12, 12), n_classes=4, channels=(4, 6), dense_size=10).eval()
    _sparse_weights(net, 0.2, seed=2)
    X = torch.rand(8, 144) * (torch.rand(8, 144) < 0.5)
    ours, theirs = measure_operations(net, X), _neurobench(net, X)
    for key in ("effective_macs", "dense_macs", "parameter_count"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-12), key
    assert ours["activation_sparsity"] == pytest.approx(theirs["activation_sparsity"], rel=1e-9)
