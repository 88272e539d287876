"""Spiking networks in PyTorch, trained by backprop through time with surrogate gradients.

The neuron is the current-based leaky integrate-and-fire (LIF) cell of
:func:`spiking.neurons.current_lif` without its synaptic current,

.. math::

    \\tau_m \\frac{dv}{dt} = (v_\\mathrm{rest} - v) + R\\, I(t),

which fires when :math:`v > v_\\mathrm{thresh}` and is then reset. Written relative to
rest, :math:`u = v - v_\\mathrm{rest}`, and with the input held constant over a time step
of length :math:`\\Delta t`, its exact solution at the step boundaries is

.. math::

    u[n + 1] = \\beta\\, u[n] + (1 - \\beta)\\, R\\, I[n],
    \\qquad \\beta = e^{-\\Delta t / \\tau_m},

the update Brian2's ``method="exact"`` performs, so a torch LIF and a Brian2 LIF built
from the same values agree at every step (``tests/test_snn.py`` checks it). Physical
values become the discrete :class:`LIFParameters` in one place, :func:`lif_parameters`;
the maths of one step is written once, in the pure function :func:`lif_step` (Norse's
convention: state goes in and out explicitly).

The spike is a Heaviside step of :math:`u - \\theta`, whose derivative is zero almost
everywhere; training replaces it in the backward pass by a smooth surrogate (Neftci,
Mostafa & Zenke 2019, "Surrogate gradient learning in spiking neural networks", IEEE
Signal Processing Magazine 36(6)): :class:`FastSigmoidSpike` (SuperSpike, Zenke &
Ganguli 2018) and :class:`ArctanSpike` (Fang et al. 2021), with snnTorch's default
slopes (:data:`SURROGATE_SLOPES`).

:class:`SpikingMLP` stacks LIF layers (e.g. 784-400-10) and reads the class out of the
output layer's spike counts or its maximal membrane potential; it processes one layer
at a time over all ``T`` steps, so every weight matrix is applied in one batched matrix
product (once in all for a constant, ``"direct"``, input). :class:`SpikingMLPClassifier`
is its scikit-learn estimator, trained by :func:`artificial.training.train_classifier`.

Shapes are time first: ``[T, batch, n]``. Units: seconds and volts (amperes for a
physical input current); the networks are dimensionless, with threshold 1 and every
layer adding :math:`W x + b` to the membrane per step (snnTorch's convention).

Example
-------
>>> import torch
>>> p = lif_parameters(tau_mem=20e-3, dt=1e-3, v_threshold=1.0)
>>> round(p.beta, 6)  # exp(-1 / 20)
0.951229
>>> state = LIFState(v=torch.zeros(1))
>>> n_spikes = 0
>>> for _ in range(100):
...     spikes, state = lif_step(torch.tensor([1.5]), state, p)
...     n_spikes += int(spikes.sum())
>>> n_spikes  # u -> 1.5 passes 1 after tau ln 3 = 21.97 ms, and again after each reset to ~0
4
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from artificial.estimators import TorchClassifier
from artificial.training import forward_in_chunks

__all__ = [
    "ENCODINGS",
    "READOUTS",
    "RESET_MECHANISMS",
    "SURROGATES",
    "SURROGATE_SLOPES",
    "ArctanSpike",
    "FastSigmoidSpike",
    "LIFParameters",
    "LIFState",
    "SpikingMLP",
    "SpikingMLPClassifier",
    "SpikingMLPRecord",
    "Surrogate",
    "heaviside",
    "latency_encode",
    "leaky_integrate",
    "lif_parameters",
    "lif_step",
    "rate_encode",
]

RESET_MECHANISMS = ("subtract", "zero")
"""How :func:`lif_step` resets a neuron that spiked: ``"subtract"`` lowers its potential by
``threshold - reset`` (keeping the overshoot; snnTorch's ``"subtract"`` when ``reset = 0``),
``"zero"`` sets it to ``reset`` (Brian2's ``v = v_reset``; zero, i.e. rest, by default)."""

ENCODINGS = ("direct", "rate", "latency")
"""How :class:`SpikingMLP` presents an input: ``"direct"`` as a constant current at every
step, ``"rate"`` as Bernoulli spikes (:func:`rate_encode`), ``"latency"`` as one spike per
input, earlier for larger values (:func:`latency_encode`)."""

READOUTS = ("count", "membrane")
"""How :class:`SpikingMLP` turns its output layer into logits: ``"count"`` spike counts of
LIF output neurons, ``"membrane"`` the maximum over time of non-spiking leaky integrators."""

OPERATIONS_CHUNK = 1024
"""Rows per forward pass when counting operations; bounds memory only."""


# --- parameters and the step ---------------------------------------------------------


@dataclass(frozen=True)
class LIFParameters:
    """Discrete-time LIF parameters, made by :func:`lif_parameters` for one time step ``dt``.

    Potentials are relative to rest (:math:`u = v - v_\\mathrm{rest}`), in volts, or in
    the network's dimensionless units where the threshold is 1.
    """

    beta: float
    """Membrane decay per step, :math:`e^{-\\Delta t / \\tau_m}`, in (0, 1); dimensionless."""
    threshold: float
    """Spike threshold :math:`\\theta = v_\\mathrm{thresh} - v_\\mathrm{rest}`: a neuron
    fires when :math:`u > \\theta` (strictly, as Brian2's ``v > v_thresh``)."""
    reset: float
    """Potential after a ``"zero"`` reset, :math:`v_\\mathrm{reset} - v_\\mathrm{rest}`;
    below ``threshold``."""
    dt: float
    """Time step these values were made for, seconds."""
    resistance: float = 1.0
    """Membrane resistance :math:`R` (ohm for an input current in amperes; 1 for a drive
    already in volts or threshold units)."""

    def __post_init__(self) -> None:
        for name in ("beta", "threshold", "reset", "dt", "resistance"):
            value = getattr(self, name)
            if not _is_real(value) or not math.isfinite(value):
                raise ValueError(f"expected {name} to be a finite real number, got {value!r}")
        if not 0 < self.beta < 1:
            raise ValueError(
                f"expected beta in (0, 1) (exp(-dt / tau_mem) for dt, tau_mem > 0), "
                f"got {self.beta!r}"
            )
        if not self.dt > 0:
            raise ValueError(f"expected dt > 0 seconds, got {self.dt!r}")
        if not self.resistance > 0:
            raise ValueError(f"expected resistance > 0, got {self.resistance!r}")
        if not self.reset < self.threshold:
            raise ValueError(
                f"expected reset below threshold (relative to rest), got reset={self.reset!r} "
                f"and threshold={self.threshold!r}"
            )

    @property
    def input_gain(self) -> float:
        """:math:`(1 - \\beta) R`: how much one step of input moves the membrane."""
        return (1.0 - self.beta) * self.resistance


def lif_parameters(
    tau_mem: float,
    dt: float,
    v_threshold: float,
    v_reset: float = 0.0,
    v_rest: float = 0.0,
    resistance: float = 1.0,
) -> LIFParameters:
    """Discrete LIF parameters from physical ones: the one place a ``beta`` is made.

    .. math::

        \\beta = e^{-\\Delta t / \\tau_m}, \\qquad
        \\theta = v_\\mathrm{thresh} - v_\\mathrm{rest}, \\qquad
        u_\\mathrm{reset} = v_\\mathrm{reset} - v_\\mathrm{rest}

    Parameters
    ----------
    tau_mem : float
        Membrane time constant :math:`\\tau_m = RC`, seconds.
    dt : float
        Time step, seconds.
    v_threshold, v_reset, v_rest : float
        Threshold, reset and resting potentials, volts (any consistent unit). The
        returned threshold and reset are relative to ``v_rest``.
    resistance : float
        Membrane resistance, ohm, when the input is a current in amperes; the default 1
        takes the input as a drive :math:`R I` in the potentials' unit.

    Returns
    -------
    LIFParameters

    Examples
    --------
    >>> p = lif_parameters(tau_mem=8e-3, dt=1e-4, v_threshold=-0.050, v_reset=-0.065,
    ...                    v_rest=-0.070, resistance=10e6)
    >>> round(p.beta, 6), round(p.threshold, 6), round(p.reset, 6)
    (0.987578, 0.02, 0.005)
    """
    for name, value in (("tau_mem", tau_mem), ("dt", dt)):
        if not _is_real(value) or not value > 0 or not math.isfinite(value):
            raise ValueError(f"expected {name} > 0 seconds, got {value!r}")
    return LIFParameters(
        beta=math.exp(-dt / tau_mem),
        threshold=float(v_threshold - v_rest),
        reset=float(v_reset - v_rest),
        dt=float(dt),
        resistance=float(resistance),
    )


class LIFState(NamedTuple):
    """State of a layer of LIF neurons."""

    v: Tensor
    """Membrane potential relative to rest, ``[batch, n]`` (0 at rest)."""


def heaviside(x: Tensor) -> Tensor:
    """The spike without a surrogate: :math:`H(x) = [x > 0]`, with zero gradient."""
    return (x > 0).to(x.dtype)


def leaky_integrate(x: Tensor, v: Tensor, params: LIFParameters) -> Tensor:
    """One exact step of :math:`\\tau_m \\dot u = -u + R x` with ``x`` constant over it.

    :math:`u[n + 1] = \\beta u[n] + (1 - \\beta) R\\, x[n]`: no threshold, no reset (the
    non-spiking readout of :class:`SpikingMLP`, and the first half of :func:`lif_step`).
    """
    return params.beta * v + params.input_gain * x


def lif_step(
    x: Tensor,
    state: LIFState,
    params: LIFParameters,
    *,
    spike_fn=heaviside,
    reset_mechanism: str = "subtract",
    detach_reset: bool = True,
) -> tuple[Tensor, LIFState]:
    """Advance LIF neurons by one time step: integrate exactly, spike, reset.

    .. math::

        \\tilde u = \\beta u[n] + (1 - \\beta) R\\, x[n], \\qquad
        s[n] = H(\\tilde u - \\theta), \\qquad
        u[n + 1] = \\begin{cases}
            \\tilde u - s[n] (\\theta - u_\\mathrm{reset}) & \\text{"subtract"} \\\\
            \\tilde u (1 - s[n]) + s[n]\\, u_\\mathrm{reset} & \\text{"zero"}
        \\end{cases}

    This is Brian2's order within a step (state update, threshold, reset), so
    :math:`\\tilde u` is the exact membrane at the end of the step and a spike at step
    ``n`` is Brian2's spike at time ``n * dt``. There is no refractory period.

    Parameters
    ----------
    x : Tensor, shape (batch, n)
        Input during the step: a current in amperes with ``params.resistance`` in ohm,
        or a drive :math:`R I` (``resistance=1``).
    state : LIFState
        Membrane potentials relative to rest at the start of the step.
    params : LIFParameters
        From :func:`lif_parameters`.
    spike_fn : callable
        Maps :math:`\\tilde u - \\theta` to spikes: :func:`heaviside` (no gradient) or a
        :class:`Surrogate` for training.
    reset_mechanism : {"subtract", "zero"}
        See :data:`RESET_MECHANISMS`.
    detach_reset : bool
        Stop gradients through the reset term (snnTorch's and SpyTorch's default; Zenke
        & Vogels 2021 found it helps learning).

    Returns
    -------
    spikes : Tensor, shape (batch, n)
        0. or 1., same dtype as ``x``.
    state : LIFState
        Membrane potentials after the step and the reset.
    """
    if reset_mechanism not in RESET_MECHANISMS:
        raise ValueError(f"expected reset_mechanism in {RESET_MECHANISMS}, got {reset_mechanism!r}")
    v = leaky_integrate(x, state.v, params)
    spikes = spike_fn(v - params.threshold)
    reset_by = spikes.detach() if detach_reset else spikes
    if reset_mechanism == "subtract":
        v = v - reset_by * (params.threshold - params.reset)
    else:
        v = v - reset_by * (v - params.reset)
    return spikes, LIFState(v=v)


# --- surrogate gradients -------------------------------------------------------------


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside forward, fast-sigmoid derivative backward (SuperSpike).

    .. math::

        H(x) \\text{ forward}, \\qquad
        \\frac{\\partial s}{\\partial x} \\approx \\frac{1}{(1 + k |x|)^2}
        = \\frac{d}{dx} \\frac{x}{1 + k|x|}

    with slope :math:`k`: Zenke & Ganguli (2018), "SuperSpike", Neural Computation
    30(6); Neftci, Mostafa & Zenke (2019), eq. 9; snnTorch's
    ``surrogate.fast_sigmoid`` (default slope 25). Derivative 1 at :math:`x = 0`.
    """

    @staticmethod
    def forward(ctx, x: Tensor, slope: float) -> Tensor:  # noqa: D102
        ctx.save_for_backward(x)
        ctx.slope = slope
        return heaviside(x)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:  # noqa: D102
        (x,) = ctx.saved_tensors
        return grad_output / (ctx.slope * x.abs() + 1.0) ** 2, None

    @staticmethod
    def primitive(x: Tensor, slope: float) -> Tensor:
        """The smooth function whose derivative is the surrogate: :math:`x / (1 + k|x|)`."""
        return x / (1.0 + slope * x.abs())


class ArctanSpike(torch.autograd.Function):
    """Heaviside forward, arctan derivative backward.

    .. math::

        H(x) \\text{ forward}, \\qquad
        \\frac{\\partial s}{\\partial x} \\approx
        \\frac{\\alpha / 2}{1 + (\\frac{\\pi}{2} \\alpha x)^2}
        = \\frac{d}{dx} \\Big[\\frac{1}{\\pi} \\arctan(\\tfrac{\\pi}{2} \\alpha x)
        + \\tfrac{1}{2}\\Big]

    with slope :math:`\\alpha`: Fang et al. (2021), "Incorporating learnable membrane
    time constant", ICCV; snnTorch's ``surrogate.atan`` (default :math:`\\alpha = 2`).
    Derivative :math:`\\alpha / 2` at :math:`x = 0`.
    """

    @staticmethod
    def forward(ctx, x: Tensor, slope: float) -> Tensor:  # noqa: D102
        ctx.save_for_backward(x)
        ctx.slope = slope
        return heaviside(x)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:  # noqa: D102
        (x,) = ctx.saved_tensors
        alpha = ctx.slope
        return grad_output * (alpha / 2) / (1.0 + (math.pi / 2 * alpha * x) ** 2), None

    @staticmethod
    def primitive(x: Tensor, slope: float) -> Tensor:
        """The smooth step whose derivative is the surrogate.

        :math:`\\arctan(\\pi \\alpha x / 2) / \\pi + 1/2`.
        """
        return torch.atan(math.pi / 2 * slope * x) / math.pi + 0.5


SURROGATES: dict[str, type[torch.autograd.Function]] = {
    "fast_sigmoid": FastSigmoidSpike,
    "arctan": ArctanSpike,
}
"""Surrogate spike functions by name."""

SURROGATE_SLOPES: dict[str, float] = {"fast_sigmoid": 25.0, "arctan": 2.0}
"""Default slope of each surrogate (snnTorch's ``fast_sigmoid`` and ``atan`` defaults)."""


@dataclass(frozen=True)
class Surrogate:
    """A named surrogate spike function with its slope, callable on ``u - threshold``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([-0.1, 0.0, 0.2], requires_grad=True)
    >>> spike = Surrogate("arctan", slope=2.0)
    >>> spike(x).tolist()
    [0.0, 0.0, 1.0]
    >>> spike(x).sum().backward()
    >>> round(x.grad[1].item(), 6)  # alpha / 2
    1.0
    """

    name: str = "fast_sigmoid"
    """One of :data:`SURROGATES`."""
    slope: float = 25.0
    """Steepness :math:`k` or :math:`\\alpha` (1/unit of the potential); larger is closer
    to the step."""

    def __post_init__(self) -> None:
        if self.name not in SURROGATES:
            raise ValueError(f"expected surrogate in {tuple(SURROGATES)}, got {self.name!r}")
        if not _is_real(self.slope) or not self.slope > 0 or not math.isfinite(self.slope):
            raise ValueError(f"expected surrogate slope > 0, got {self.slope!r}")

    def __call__(self, x: Tensor) -> Tensor:
        """Spikes :math:`H(x)`, with the surrogate derivative in the backward pass."""
        return SURROGATES[self.name].apply(x, float(self.slope))


# --- input encoders ------------------------------------------------------------------


def rate_encode(x: Tensor, n_steps: int, generator: torch.Generator) -> Tensor:
    """Bernoulli rate code: at every step each input spikes with probability ``x``.

    Parameters
    ----------
    x : Tensor, shape (batch, n)
        Spike probabilities per step, in [0, 1].
    n_steps : int
        Number of time steps ``T``.
    generator : torch.Generator
        The only source of randomness, on ``x``'s device.

    Returns
    -------
    Tensor, shape (T, batch, n)
        0. / 1. spikes, ``x``'s dtype; the count of each input is Binomial(T, x).

    Examples
    --------
    >>> import torch
    >>> spikes = rate_encode(torch.tensor([[0.0, 1.0]]), 4, torch.Generator().manual_seed(0))
    >>> spikes.shape, spikes.sum(0).tolist()
    (torch.Size([4, 1, 2]), [[0.0, 4.0]])
    """
    _check_steps(n_steps)
    _check_probabilities(x)
    return torch.bernoulli(x.expand(int(n_steps), *x.shape), generator=generator)


def latency_encode(x: Tensor, n_steps: int) -> Tensor:
    """Latency (time-to-first-spike) code: one spike per input, earlier for larger values.

    Input :math:`x > 0` spikes once, at step :math:`\\mathrm{round}((1 - x)(T - 1))`
    (``x = 1`` at step 0, small ``x`` near step ``T - 1``; snnTorch's linear latency
    code, ``spikegen.latency(..., linear=True, normalize=True)``, up to rounding);
    ``x = 0`` never spikes. Larger inputs never spike later than smaller ones.

    Parameters
    ----------
    x : Tensor, shape (batch, n)
        Values in [0, 1].
    n_steps : int
        Number of time steps ``T``.

    Returns
    -------
    Tensor, shape (T, batch, n)
        0. / 1. spikes, ``x``'s dtype.

    Examples
    --------
    >>> import torch
    >>> spikes = latency_encode(torch.tensor([[1.0, 0.5, 0.0]]), 5)
    >>> spikes[:, 0].argmax(0).tolist(), spikes.sum(0).tolist()
    ([0, 2, 0], [[1.0, 1.0, 0.0]])
    """
    _check_steps(n_steps)
    _check_probabilities(x)
    steps = torch.round((1 - x) * (int(n_steps) - 1))
    times = torch.arange(int(n_steps), device=x.device, dtype=x.dtype).reshape(-1, *([1] * x.ndim))
    return ((times == steps) & (x > 0)).to(x.dtype)


# --- the network ---------------------------------------------------------------------


class SpikingMLPRecord(NamedTuple):
    """Everything one forward pass of :class:`SpikingMLP` computed."""

    logits: Tensor
    """``[batch, n_classes]``: spike counts, or maximal membrane potentials."""
    inputs: Tensor
    """``[T, batch, n_features]``: the input at every step (for ``"direct"`` the analog
    input, an expanded view that holds it once)."""
    hidden_spikes: tuple[Tensor, ...]
    """One ``[T, batch, n_hidden]`` 0/1 tensor per hidden layer."""
    output: Tensor
    """``[T, batch, n_classes]``: output spikes (``"count"``) or membrane (``"membrane"``)."""


class SpikingMLP(nn.Module):
    """Fully connected LIF layers, ``[batch, n_features]`` in, ``[batch, n_classes]`` logits out.

    Every layer is a :class:`torch.nn.Linear` followed by LIF neurons (:func:`lif_step`);
    an example is presented for ``n_steps`` steps from rest and the output layer is
    read out as spike counts (``"count"``: :math:`z_c = \\sum_t s_c[t]`, snnTorch's
    ``ce_count_loss`` when trained with cross-entropy) or as the maximum over time of
    non-spiking leaky integrators (``"membrane"``: :math:`z_c = \\max_t u_c[t]`, as in
    Zenke & Vogels 2021 and Cramer et al. 2020).

    The layers run one after the other over all steps (valid because the network is
    feedforward): layer ``k``'s spikes ``[T, batch, n_k]`` go through layer ``k + 1``'s
    weights in one matrix product. A ``"direct"`` input is constant over time, so the
    first projection :math:`W_1 x + b_1` is computed once; rate- and latency-coded
    inputs are projected for all ``T`` steps in one product.

    Parameters
    ----------
    n_features, n_classes : int
        Input and output sizes.
    hidden_sizes : tuple of int
        Width of each hidden LIF layer, input side first; ``()`` for none.
    params : LIFParameters
        Of every layer (dimensionless, threshold 1 for the estimator; the layers'
        outputs are per-step increments whatever the resistance, see Notes).
    n_steps : int
        Time steps ``T`` per example.
    surrogate : Surrogate or None
        Spike function of every layer; ``None`` for ``Surrogate()`` (fast sigmoid, 25).
    encoding : {"direct", "rate", "latency"}
        See :data:`ENCODINGS`.
    readout : {"count", "membrane"}
        See :data:`READOUTS`.
    reset_mechanism : {"subtract", "zero"}
        See :data:`RESET_MECHANISMS`.
    encoder_seed : int
        Seed of the rate encoder's own :class:`torch.Generator` (the global RNG is not
        used); :meth:`reset_encoder` restarts it.

    Notes
    -----
    Each layer's output :math:`W x + b` is the membrane increment per step, as in
    snnTorch's :math:`u \\leftarrow \\beta u + W x`: the LIF input is
    :math:`(W x + b) / ((1 - \\beta) R)`, so a constant :math:`W x + b` drives
    :math:`u` to :math:`(W x + b) / (1 - \\beta)`. With PyTorch's default
    initialisation the network then starts where snnTorch's does, and Adam's steps have
    the same relative size.

    Examples
    --------
    >>> import torch
    >>> net = SpikingMLP(64, 10, (32,), lif_parameters(20e-3, 1e-3, 1.0), n_steps=8)
    >>> record = net.run(torch.rand(5, 64, generator=torch.Generator().manual_seed(0)))
    >>> record.logits.shape, record.hidden_spikes[0].shape, record.inputs.shape
    (torch.Size([5, 10]), torch.Size([8, 5, 32]), torch.Size([8, 5, 64]))
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_sizes: tuple[int, ...],
        params: LIFParameters,
        n_steps: int = 25,
        surrogate: Surrogate | None = None,
        encoding: str = "direct",
        readout: str = "count",
        reset_mechanism: str = "subtract",
        encoder_seed: int = 0,
    ) -> None:
        super().__init__()
        sizes = (n_features, *hidden_sizes, n_classes)
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
                raise ValueError(
                    f"expected positive int layer sizes, got n_features={n_features!r}, "
                    f"hidden_sizes={tuple(hidden_sizes)!r}, n_classes={n_classes!r}"
                )
        _check_steps(n_steps)
        _check_choice("encoding", encoding, ENCODINGS)
        _check_choice("readout", readout, READOUTS)
        _check_choice("reset_mechanism", reset_mechanism, RESET_MECHANISMS)
        if not isinstance(params, LIFParameters):
            raise TypeError(f"expected params to be LIFParameters, got {type(params).__name__}")
        surrogate = Surrogate() if surrogate is None else surrogate
        if not isinstance(surrogate, Surrogate):
            raise TypeError(f"expected surrogate to be a Surrogate, got {type(surrogate).__name__}")
        self.params = params
        self.n_steps = int(n_steps)
        self.surrogate = surrogate
        self.encoding = encoding
        self.readout = readout
        self.reset_mechanism = reset_mechanism
        self.encoder_seed = int(encoder_seed)
        self.layers = nn.ModuleList(
            nn.Linear(int(n_in), int(n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])
        )
        self._drive_scale = 1.0 / params.input_gain
        self._generator: torch.Generator | None = None

    def reset_encoder(self) -> None:
        """Restart the rate encoder's random stream from ``encoder_seed``."""
        self._generator = None

    def __getstate__(self) -> dict:
        """Pickle and deep-copy without the generator (a copy restarts from ``encoder_seed``)."""
        state = self.__dict__.copy()
        state["_generator"] = None
        return state

    def encode(self, x: Tensor) -> Tensor:
        """The input at every step, ``[T, batch, n_features]`` (see :data:`ENCODINGS`)."""
        if self.encoding == "rate":
            if self._generator is None or self._generator.device != x.device:
                self._generator = torch.Generator(device=x.device).manual_seed(self.encoder_seed)
            return rate_encode(x, self.n_steps, self._generator)
        if self.encoding == "latency":
            return latency_encode(x, self.n_steps)
        return x.expand(self.n_steps, *x.shape)

    def run(self, x: Tensor) -> SpikingMLPRecord:
        """Present ``x`` (``[batch, n_features]``) for ``n_steps`` steps and record everything."""
        inputs = self.encode(x)
        steps, batch = self.n_steps, x.shape[0]
        first = self.layers[0]
        if self.encoding == "direct":
            drive = first(x) * self._drive_scale  # [batch, n_1]: constant, computed once
        else:
            drive = first(inputs.reshape(steps * batch, -1)).reshape(steps, batch, -1)
            drive = drive * self._drive_scale
        hidden = []
        for layer in self.layers[1:]:
            spikes = self._spiking_layer(drive)
            hidden.append(spikes)
            drive = layer(spikes.reshape(steps * batch, -1)).reshape(steps, batch, -1)
            drive = drive * self._drive_scale
        if self.readout == "count":
            output = self._spiking_layer(drive)
            logits = output.sum(dim=0)
        else:
            output = self._integrating_layer(drive)
            logits = output.max(dim=0).values
        return SpikingMLPRecord(logits, inputs, tuple(hidden), output)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[batch, n_classes]`` of ``x`` (``[batch, n_features]``)."""
        return self.run(x).logits

    def _spiking_layer(self, drive: Tensor) -> Tensor:
        """LIF spikes ``[T, batch, n]`` for a drive ``[T, batch, n]`` or constant ``[batch, n]``."""
        constant = drive.ndim == 2
        state = LIFState(v=torch.zeros_like(drive if constant else drive[0]))
        spikes = []
        for step in range(self.n_steps):
            s, state = lif_step(
                drive if constant else drive[step],
                state,
                self.params,
                spike_fn=self.surrogate,
                reset_mechanism=self.reset_mechanism,
            )
            spikes.append(s)
        return torch.stack(spikes)

    def _integrating_layer(self, drive: Tensor) -> Tensor:
        """Membrane ``[T, batch, n]`` of non-spiking leaky integrators (the membrane readout)."""
        constant = drive.ndim == 2
        v = torch.zeros_like(drive if constant else drive[0])
        trace = []
        for step in range(self.n_steps):
            v = leaky_integrate(drive if constant else drive[step], v, self.params)
            trace.append(v)
        return torch.stack(trace)


# --- the estimator -------------------------------------------------------------------


class SpikingMLPClassifier(TorchClassifier):
    """Spiking MLP of LIF neurons trained by BPTT with surrogate gradients.

    A :class:`SpikingMLP` (e.g. 784-400-10 with ``hidden_sizes=(400,)``) trained by the
    artificial arm's loop (:func:`artificial.training.train_classifier`) on its logits:
    output spike counts or maximal output membrane potentials.

    Parameters
    ----------
    hidden_sizes : tuple of int
        Width of each hidden LIF layer.
    n_steps : int
        Time steps ``T`` per example.
    tau_mem : float
        Membrane time constant, seconds.
    dt : float
        Time step, seconds; :math:`\\beta = e^{-dt / \\tau_m}` (:func:`lif_parameters`).
        The defaults give :math:`\\beta = e^{-1/20} = 0.951`, about snnTorch's usual 0.95.
    threshold : float
        Firing threshold above rest, in units of the membrane increment per step
        (:class:`SpikingMLP`: a layer adds :math:`W x + b` to :math:`u` every step).
    reset_mechanism : {"subtract", "zero"}
        See :data:`RESET_MECHANISMS`.
    surrogate : {"fast_sigmoid", "arctan"}
        Surrogate derivative of the spike (:data:`SURROGATES`).
    surrogate_slope : float or None
        Its slope; ``None`` for snnTorch's default (:data:`SURROGATE_SLOPES`).
    encoding : {"direct", "rate", "latency"}
        See :data:`ENCODINGS`. With ``"rate"``, predictions draw from the module's own
        generator, restarted at every ``predict``, so they repeat exactly.
    readout : {"count", "membrane"}
        See :data:`READOUTS`.
    epochs, batch_size, learning_rate, optimizer, weight_decay, loss, lr_schedule, \
validation_fraction, patience, random_state, device, verbose
        See :class:`artificial.estimators.TorchClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> model = SpikingMLPClassifier(hidden_sizes=(32,), n_steps=8, epochs=2,
    ...                              random_state=0).fit(X[:200] / 16, y[:200])
    >>> model.predict(X[:3] / 16).shape
    (3,)
    >>> model.operations(X[:10] / 16)["dense_macs"]  # 64 * 32 once + 8 steps * 32 * 10
    4608.0
    """

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (400,),
        n_steps: int = 25,
        tau_mem: float = 20e-3,
        dt: float = 1e-3,
        threshold: float = 1.0,
        reset_mechanism: str = "subtract",
        surrogate: str = "fast_sigmoid",
        surrogate_slope: float | None = None,
        encoding: str = "direct",
        readout: str = "count",
        *,
        epochs: int = 10,
        batch_size: int = 128,
        learning_rate: float = 5e-4,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        loss: str = "cross_entropy",
        lr_schedule: str = "constant",
        validation_fraction: float = 0.0,
        patience: int | None = None,
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
            loss=loss,
            lr_schedule=lr_schedule,
            validation_fraction=validation_fraction,
            patience=patience,
            random_state=random_state,
            device=device,
            verbose=verbose,
        )
        self.hidden_sizes = hidden_sizes
        self.n_steps = n_steps
        self.tau_mem = tau_mem
        self.dt = dt
        self.threshold = threshold
        self.reset_mechanism = reset_mechanism
        self.surrogate = surrogate
        self.surrogate_slope = surrogate_slope
        self.encoding = encoding
        self.readout = readout

    def _build_module(self, n_features: int, n_outputs: int) -> nn.Module:
        _check_choice("surrogate", self.surrogate, tuple(SURROGATES))
        slope = self.surrogate_slope
        if slope is None:
            slope = SURROGATE_SLOPES[self.surrogate]
        if not _is_real(self.threshold) or not self.threshold > 0:
            raise ValueError(f"expected threshold > 0, got {self.threshold!r}")
        params = lif_parameters(tau_mem=self.tau_mem, dt=self.dt, v_threshold=self.threshold)
        # Drawn from the forked, seeded global RNG the base class builds modules in.
        encoder_seed = int(torch.randint(0, 2**62, (1,)))
        return SpikingMLP(
            n_features,
            n_outputs,
            tuple(self.hidden_sizes),
            params,
            n_steps=self.n_steps,
            surrogate=Surrogate(self.surrogate, slope),
            encoding=self.encoding,
            readout=self.readout,
            reset_mechanism=self.reset_mechanism,
            encoder_seed=encoder_seed,
        )

    def _outputs(self, X) -> Tensor:
        inputs = self._input_tensor(X)
        self.module_.reset_encoder()
        return forward_in_chunks(self.module_, inputs)

    def decision_latency(self, X, y) -> np.ndarray:
        """Time to decision of each example (s), NaN where the network ends wrong.

        The readout is taken after every step on what it has seen so far (the output
        spike counts so far, or the maximal output membrane so far); the decision time
        is the end of the first step, ``(k + 1) * dt``, from which every later readout's
        argmax is the true class. With the ``"count"`` readout there is no answer
        before the first output spike, so an example without output spikes is NaN
        (:meth:`predict` answers it with the first class, a tie-break, not a decision).
        Otherwise the last readout is :meth:`predict`'s answer, so the other NaNs are
        the examples ``predict`` gets wrong. The same measure as
        :meth:`spiking.DiehlCook2015.decision_latency`, in this network's simulated time.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Values in [0, 1].
        y : array-like of shape (n_samples,)
            True labels, among ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> X, y = load_digits(return_X_y=True)
        >>> model = SpikingMLPClassifier(hidden_sizes=(32,), n_steps=8, epochs=3,
        ...                              random_state=0).fit(X[:300] / 16, y[:300])
        >>> latency = model.decision_latency(X[300:310] / 16, y[300:310])
        >>> decided = latency[np.isfinite(latency)]
        >>> bool(np.all((decided > 0) & (decided <= 8e-3)))  # within the 8 steps of 1 ms
        True
        """
        inputs = self._input_tensor(X)
        y = np.asarray(y)
        if y.shape != (len(inputs),):
            raise ValueError(
                f"y must have one label per example ({len(inputs)}), got shape {y.shape}"
            )
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(f"labels {unseen.tolist()} are not among classes_ {self.classes_}")
        labels = torch.from_numpy(np.searchsorted(self.classes_, y)).to(inputs.device)
        module: SpikingMLP = self.module_
        module.reset_encoder()
        was_training = module.training
        module.eval()
        steps = []
        try:
            with torch.no_grad():
                for chunk, chunk_labels in zip(
                    inputs.split(OPERATIONS_CHUNK), labels.split(OPERATIONS_CHUNK)
                ):
                    output = module.run(chunk).output  # [T, batch, classes]
                    if module.readout == "count":
                        so_far = output.cumsum(dim=0)
                        answered = so_far.sum(dim=-1) > 0
                    else:
                        so_far = output.cummax(dim=0).values
                        answered = torch.ones(so_far.shape[:2], dtype=torch.bool)
                    right = (so_far.argmax(dim=-1) == chunk_labels) & answered.to(so_far.device)
                    steps.append(_first_step_right_from_then_on(right))
        finally:
            module.train(was_training)
        step = torch.cat(steps).cpu().numpy().astype(float)
        step[step >= module.n_steps] = np.nan
        return (step + 1) * float(self.dt)

    def operations(self, X) -> dict[str, float]:
        """What inference on ``X`` costs per example, counted from the spikes of a real run.

        Keys and meanings follow :func:`artificial.operations.measure_operations`
        (NeuroBench, Yik et al. 2023), for synaptic layers that see spikes:

        - ``dense_macs``: every synaptic operation as if every input were non-zero at
          every step it is computed: ``n_in * n_1`` once for a ``"direct"`` input
          (projected once), ``T * n_in * n_1`` for a spike-coded one, plus
          ``T * n_k * n_{k+1}`` for every later layer;
        - ``effective_macs``: the first layer on a ``"direct"`` (analog) input, (non-zero
          input, non-zero weight) pairs, once; 0 for spike-coded inputs;
        - ``effective_acs``: accumulates triggered by spikes, each spike times its
          non-zero fan-out, summed over steps (input spikes of a spike code, and every
          hidden layer's spikes);
        - ``activations``: hidden-layer spikes; ``activation_sparsity`` is
          ``1 - activations / (T * hidden units)`` (NaN without hidden layers);
        - ``neuron_updates``: ``T`` LIF (or integrator) updates of every hidden and
          output neuron;
        - ``presentations_per_example``: 1 (no repeats).

        Biases are not counted. The rate encoder is restarted first, so the spikes are
        those ``predict`` sees.
        """
        inputs = self._input_tensor(X)
        module: SpikingMLP = self.module_
        module.reset_encoder()
        layers = list(module.layers)
        masks = [(layer.weight != 0).to(torch.float64) for layer in layers]
        steps = module.n_steps
        totals = {"dense": 0.0, "macs": 0.0, "acs": 0.0, "spikes": 0.0}
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                for chunk in inputs.split(OPERATIONS_CHUNK):
                    record = module.run(chunk)
                    rows = len(chunk)
                    first = layers[0]
                    if module.encoding == "direct":
                        totals["dense"] += rows * first.in_features * first.out_features
                        totals["macs"] += float(((chunk != 0).double() @ masks[0].T).sum())
                    else:
                        totals["dense"] += steps * rows * first.in_features * first.out_features
                        totals["acs"] += _accumulates(record.inputs, masks[0])
                    for spikes, layer, mask in zip(record.hidden_spikes, layers[1:], masks[1:]):
                        totals["dense"] += steps * rows * layer.in_features * layer.out_features
                        totals["acs"] += _accumulates(spikes, mask)
                        totals["spikes"] += float(spikes.sum())
        finally:
            module.train(was_training)
        n_examples = len(inputs)
        hidden_units = steps * sum(layer.out_features for layer in layers[:-1])
        weights = [layer.weight for layer in layers]
        n_weights = sum(weight.numel() for weight in weights)
        tensors = [*module.parameters(), *module.buffers()]
        return {
            "parameter_count": float(sum(p.numel() for p in module.parameters())),
            "footprint_bytes": float(sum(t.numel() * t.element_size() for t in tensors)),
            "connection_sparsity": sum(int((w == 0).sum()) for w in weights) / n_weights,
            "dense_macs": totals["dense"] / n_examples,
            "effective_macs": totals["macs"] / n_examples,
            "effective_acs": totals["acs"] / n_examples,
            "activations": totals["spikes"] / n_examples,
            "activation_sparsity": (
                1.0 - totals["spikes"] / (n_examples * hidden_units) if hidden_units else math.nan
            ),
            "neuron_updates": float(steps * sum(layer.out_features for layer in layers)),
            "presentations_per_example": 1.0,
        }


def _first_step_right_from_then_on(right: Tensor) -> Tensor:
    """Per column of ``right`` (``[T, batch]`` bool): the first step from which every
    later one is True; ``T`` where the last one is False.

    >>> right = torch.tensor([[True, False, True], [False, True, True], [True, True, False]])
    >>> _first_step_right_from_then_on(right).tolist()
    [2, 1, 3]
    """
    steps = torch.arange(right.shape[0], device=right.device)[:, None]
    last_wrong = torch.where(right, -1, steps).max(dim=0).values
    return last_wrong + 1


def _accumulates(spikes: Tensor, mask: Tensor) -> float:
    """Sum over steps and rows of (spikes x non-zero fan-out): ``[T, batch, n_in]`` spikes."""
    fan_out = mask.sum(dim=0)  # non-zero outgoing weights of every input, [n_in]
    return float((spikes.sum(dim=(0, 1)).double() * fan_out).sum())


def _check_steps(n_steps: object) -> None:
    if isinstance(n_steps, bool) or not isinstance(n_steps, Integral) or n_steps < 1:
        raise ValueError(f"expected n_steps to be a positive int, got {n_steps!r}")


def _check_probabilities(x: Tensor) -> None:
    if x.numel() and (bool((x < 0).any()) or bool((x > 1).any()) or bool(x.isnan().any())):
        raise ValueError(
            f"expected values in [0, 1] to encode, got min {float(x.min())} and max "
            f"{float(x.max())}"
        )


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"expected {name} in {choices}, got {value!r}")


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)
