"""Training speed of a 784-400-10 LIF network: spikearena's SpikingMLP vs snnTorch.

Prints examples/s of surrogate-gradient training (BPTT through ``T`` steps, Adam,
cross-entropy on output spike counts) for the same network in the same run:

- ``spikearena``: :class:`artificial.snn.SpikingMLP` with ``"direct"`` input (its first
  projection :math:`W_1 x` computed once, every later layer over all steps in one
  matrix product);
- ``snntorch``: the loop of snnTorch's tutorial 5 (Eshraghian et al. 2023, "Training
  spiking neural networks using lessons from deep learning", Proc. IEEE), ``fc1 ->
  Leaky -> fc2 -> Leaky`` at every step, with the same beta, threshold 1, subtract
  reset and fast-sigmoid surrogate;
- ``snntorch, W x hoisted``: the same, with ``fc1(x)`` computed once before the loop, to
  separate the saving of the hoisted projection from the rest.

snnTorch rows appear only when ``import snntorch`` works (``pip install snntorch``; it
is not a project dependency). Every network is timed in alternation, ``--repeats``
times, on one thread; the table shows the median. Data: the first Fashion-MNIST
training images when the data set is installed, otherwise uniform random pixels (the
header says which; speed does not depend on it much, spike counts do a little).

Run ``python benchmarks/bench_snn.py`` (defaults: T = 25, batch 128, 20 timed batches
after 3 warm-up batches, 3 repeats).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from artificial.snn import SURROGATE_SLOPES, SpikingMLP, Surrogate, lif_parameters

TAU_MEM, DT = 20e-3, 1e-3  # seconds: beta = exp(-1/20) = 0.951, about snnTorch's usual 0.95


class SnnTorchMLP(nn.Module):
    """snnTorch's tutorial network: Linear -> Leaky -> Linear -> Leaky, count readout."""

    def __init__(self, beta: float, slope: float, n_steps: int, hoist: bool) -> None:
        import snntorch
        from snntorch import surrogate

        super().__init__()
        spike_grad = surrogate.fast_sigmoid(slope=slope)
        self.fc1, self.fc2 = nn.Linear(784, 400), nn.Linear(400, 10)
        self.lif1 = snntorch.Leaky(beta=beta, spike_grad=spike_grad)
        self.lif2 = snntorch.Leaky(beta=beta, spike_grad=spike_grad)
        self.n_steps, self.hoist = n_steps, hoist

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mem1, mem2 = self.lif1.init_leaky(), self.lif2.init_leaky()
        counts = 0
        current = self.fc1(x) if self.hoist else None
        for _ in range(self.n_steps):
            spikes1, mem1 = self.lif1(current if self.hoist else self.fc1(x), mem1)
            spikes2, mem2 = self.lif2(self.fc2(spikes1), mem2)
            counts = counts + spikes2
        return counts


def _data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    try:
        from compare.data.tasks import load_fashion_mnist

        task = load_fashion_mnist()
        return (
            torch.from_numpy(task.X_train[:n]),
            torch.from_numpy(task.y_train[:n].astype(np.int64)),
            "Fashion-MNIST training images",
        )
    except FileNotFoundError:
        generator = torch.Generator().manual_seed(seed)
        X = torch.rand(n, 784, generator=generator)
        return X, torch.randint(0, 10, (n,), generator=generator), "uniform random pixels"


def _examples_per_second(
    module: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int, warmup: int
) -> float:
    """Train on consecutive batches; examples/s over those after the first ``warmup``."""
    optimizer = torch.optim.Adam(module.parameters(), lr=5e-4)
    batches = list(zip(X.split(batch_size), y.split(batch_size)))
    start = 0.0
    for number, (inputs, targets) in enumerate(batches):
        if number == warmup:
            start = time.perf_counter()
        optimizer.zero_grad()
        functional.cross_entropy(module(inputs), targets).backward()
        optimizer.step()
    return (len(batches) - warmup) * batch_size / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=25, help="time steps T")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--batches", type=int, default=20, help="timed batches per repeat")
    parser.add_argument("--warmup", type=int, default=3, help="untimed batches first")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    params = lif_parameters(TAU_MEM, DT, v_threshold=1.0)
    slope = SURROGATE_SLOPES["fast_sigmoid"]
    X, y, source = _data((args.batches + args.warmup) * args.batch_size, args.seed)
    builders = {
        "spikearena": lambda: SpikingMLP(
            784, 10, (400,), params, n_steps=args.steps, surrogate=Surrogate("fast_sigmoid", slope)
        ),
    }
    try:
        import snntorch

        version = snntorch.__version__
        builders["snntorch"] = lambda: SnnTorchMLP(params.beta, slope, args.steps, hoist=False)
        builders["snntorch, W x hoisted"] = lambda: SnnTorchMLP(
            params.beta, slope, args.steps, hoist=True
        )
    except ImportError:
        version = None
    rates: dict[str, list[float]] = {name: [] for name in builders}
    for repeat in range(args.repeats):
        for name, build in builders.items():
            torch.manual_seed(args.seed + repeat)
            rates[name].append(_examples_per_second(build(), X, y, args.batch_size, args.warmup))

    print(
        f"784-400-10 LIF, T = {args.steps}, batch {args.batch_size}, beta = {params.beta:.4f}, "
        f"fast sigmoid (slope {slope:g}), Adam; {source}; torch {torch.__version__}, "
        f"1 thread; snntorch {version or 'not installed'}"
    )
    print(f"median of {args.repeats} repeats of {args.batches} batches")
    print(f"{'network':<24} {'train examples/s':>16} {'min':>8} {'max':>8} {'spikearena/this':>16}")
    reference = statistics.median(rates["spikearena"])
    for name, values in rates.items():
        median = statistics.median(values)
        ratio = reference / median if median > 0 else math.nan
        print(f"{name:<24} {median:>16.0f} {min(values):>8.0f} {max(values):>8.0f} {ratio:>15.2f}x")


if __name__ == "__main__":
    main()
