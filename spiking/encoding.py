"""Spike encoders: pixel intensities in [0, 1] to spike trains, seeded and unit-checked.

Two codes, both time first:

- **Rate** (:func:`poisson_spikes`): each pixel a Poisson process of rate
  ``x * max_rate``, discretised as one Bernoulli draw per time step with probability
  ``x * max_rate * dt`` (what Brian2's ``PoissonGroup`` does). Diehl & Cook (2015) use
  rate = pixel / 8 * intensity for pixels in 0..255, i.e. ``max_rate = 63.75 Hz`` at
  their starting intensity 2.
- **Latency / time-to-first-spike** (:func:`latency_times`, :func:`latency_spikes`):
  each pixel fires once, brighter pixels earlier, pixels at or below a threshold never
  (Thorpe, Delorme & Van Rullen 2001; Gütig & Sompolinsky 2006 encode with
  first-spike latencies).

Rasters are boolean arrays of shape ``[n_steps, *x.shape]``;
:func:`spike_generator_args` turns one into the ``(indices, times)`` arguments of a
:class:`brian2.SpikeGeneratorGroup`, neurons numbered in C order over ``x.shape``.

Example
-------
>>> import numpy as np
>>> from brian2 import Hz, ms
>>> x = np.array([[0.0, 0.5], [1.0, 0.25]])
>>> spikes = poisson_spikes(x, 100 * ms, 0.5 * ms, 100 * Hz, random_state=0)
>>> spikes.shape, spikes.dtype
((200, 2, 2), dtype('bool'))
>>> indices, times = spike_generator_args(spikes, 0.5 * ms)
>>> int(spikes[:, 0, 0].sum()), bool(np.all(indices != 0))  # a black pixel never fires
(0, True)
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz, Quantity, ms, second
from brian2.units.fundamentalunits import have_same_dimensions

__all__ = [
    "poisson_spikes",
    "latency_times",
    "latency_spikes",
    "spike_generator_args",
]

LATENCY_KINDS = ("log", "linear")
"""Latency codes: the LIF time to threshold, or a linear map of intensity to time."""


def _magnitude(value, unit: Quantity, name: str, example: str) -> float:
    """A positive scalar Brian2 quantity as a float in ``unit``; errors that say why."""
    if not isinstance(value, Quantity) or not have_same_dimensions(value, unit):
        raise TypeError(f"{name} must be a Brian2 quantity like {example}, got {value!r}")
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a scalar, got shape {np.shape(value)}")
    magnitude = float(value / unit)
    if not (np.isfinite(magnitude) and magnitude > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return magnitude


def _pixels(x) -> np.ndarray:
    """Intensities as a float array with at least one axis, checked to lie in [0, 1]."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        raise ValueError("expected an array of intensities (at least 1-D), got a scalar")
    if x.size and np.isnan(x).any():
        raise ValueError(f"expected intensities in [0, 1], got {np.isnan(x).sum()} NaN values")
    if x.size and (x.min() < 0 or x.max() > 1):
        hint = " — divide by 255" if x.max() > 1 and x.max() <= 255 else ""
        raise ValueError(
            f"expected intensities in [0, 1], got min {x.min()} and max {x.max()}{hint}"
        )
    return x


def _n_steps(duration, dt) -> int:
    duration_s = _magnitude(duration, second, "duration", "350 * ms")
    dt_s = _magnitude(dt, second, "dt", "0.5 * ms")
    steps = duration_s / dt_s
    n = int(round(steps))
    if n < 1 or abs(steps - n) > 1e-9 * max(1.0, steps):
        raise ValueError(
            f"duration must be a positive whole number of time steps, got "
            f"duration / dt = {duration} / {dt} = {steps:g}"
        )
    return n


def poisson_spikes(
    x, duration: Quantity, dt: Quantity, max_rate: Quantity = 63.75 * Hz, random_state=None
) -> np.ndarray:
    """Poisson rate code: pixel ``x`` fires at rate ``x * max_rate``.

    In each time step a pixel spikes with probability :math:`p = x\\, r_\\mathrm{max}\\,
    \\Delta t`, independently, so its count over ``duration`` is
    :math:`\\mathrm{Binomial}(n_\\mathrm{steps}, p)` with mean
    :math:`x\\, r_\\mathrm{max} \\cdot \\mathrm{duration}` and variance
    :math:`n_\\mathrm{steps}\\, p (1 - p)` (Poisson as :math:`\\Delta t \\to 0`).

    Parameters
    ----------
    x
        Intensities in [0, 1], any shape with at least one axis (e.g. ``[batch, n]``).
    duration
        Length of the spike train (Brian2 time), a whole number of steps ``dt``.
    dt
        Time step (Brian2 time); ``max_rate * dt`` must be <= 1.
    max_rate
        Rate of a pixel of intensity 1 (Brian2 quantity in Hz). Default: Diehl & Cook's
        255 / 8 * 2 = 63.75 Hz.
    random_state
        Seed, ``numpy.random.SeedSequence`` or ``numpy.random.Generator``; passed to
        :func:`numpy.random.default_rng`. ``None`` draws fresh entropy.

    Returns
    -------
    numpy.ndarray
        Boolean spikes, shape ``[n_steps, *x.shape]`` with ``n_steps = duration / dt``
        (time first); step ``k`` covers ``[k dt, (k + 1) dt)``.

    Raises
    ------
    ValueError
        Intensities outside [0, 1] or NaN, a duration that is not a whole number of
        steps, or ``max_rate * dt > 1``.
    TypeError
        ``duration``, ``dt`` or ``max_rate`` without Brian2 units of time / frequency.
    """
    x = _pixels(x)
    n_steps = _n_steps(duration, dt)
    rate_hz = _magnitude(max_rate, Hz, "max_rate", "63.75 * Hz")
    p_max = rate_hz * float(dt / second)
    if p_max > 1:
        raise ValueError(
            f"max_rate * dt = {max_rate} * {dt} = {p_max:g} > 1: a time step holds at most "
            "one spike; lower max_rate or dt"
        )
    rng = np.random.default_rng(random_state)
    return rng.random((n_steps, *x.shape)) < x * p_max


def latency_times(
    x, tau: Quantity = 20 * ms, threshold: float = 0.2, kind: str = "log"
) -> Quantity:
    """Time-to-first-spike code: one spike per pixel, brighter pixels earlier.

    ``kind="log"`` is the time a leaky integrator with time constant :math:`\\tau`,
    driven from 0 by a constant input :math:`x`, takes to reach the threshold
    :math:`\\theta`: :math:`x (1 - e^{-t/\\tau}) = \\theta`, so

    .. math::

        t(x) = \\tau \\ln \\frac{x}{x - \\theta} \\quad (x > \\theta),

    from :math:`\\tau \\ln(1/(1-\\theta))` at :math:`x = 1` to :math:`\\infty` as
    :math:`x \\to \\theta`. ``kind="linear"`` maps :math:`(\\theta, 1]` linearly onto
    :math:`[\\tau, 0)`: :math:`t(x) = \\tau (1 - x) / (1 - \\theta)`. Pixels with
    :math:`x \\le \\theta` never fire. Both are strictly decreasing in :math:`x`, so the
    order of first spikes is the order of intensities (rank-order code, Thorpe et al.
    2001).

    Parameters
    ----------
    x
        Intensities in [0, 1], any shape with at least one axis.
    tau
        Time scale (Brian2 time).
    threshold
        :math:`\\theta` in [0, 1): pixels at or below it stay silent.
    kind
        ``"log"`` or ``"linear"``.

    Returns
    -------
    brian2.Quantity
        Spike times in seconds, shape ``x.shape``; ``inf`` for silent pixels.

    Examples
    --------
    >>> from brian2 import ms
    >>> t = latency_times([1.0, 0.6, 0.2], tau=10 * ms, threshold=0.2, kind="linear")
    >>> print(t / ms)
    [ 0.  5. inf]
    """
    x = _pixels(x)
    tau_s = _magnitude(tau, second, "tau", "20 * ms")
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must lie in [0, 1), got {threshold}")
    if kind not in LATENCY_KINDS:
        raise ValueError(f"kind must be one of {LATENCY_KINDS}, got {kind!r}")
    fires = x > threshold
    safe = np.where(fires, x, 1.0)  # avoid log(0) / division warnings for silent pixels
    if kind == "log":
        t = tau_s * np.log(safe / (safe - threshold))
    else:
        t = tau_s * (1 - safe) / (1 - threshold)
    return np.where(fires, t, np.inf) * second


def latency_spikes(
    x,
    duration: Quantity,
    dt: Quantity,
    tau: Quantity = 20 * ms,
    threshold: float = 0.2,
    kind: str = "log",
) -> np.ndarray:
    """:func:`latency_times` on a time grid: at most one spike per pixel.

    A pixel with first-spike time :math:`t` spikes in step :math:`\\lfloor t / \\Delta t
    \\rfloor` if that is before ``duration``; later and silent pixels do not spike.

    Parameters
    ----------
    x, tau, threshold, kind
        As :func:`latency_times`.
    duration, dt
        As :func:`poisson_spikes`.

    Returns
    -------
    numpy.ndarray
        Boolean spikes, shape ``[n_steps, *x.shape]`` (time first).
    """
    x = _pixels(x)
    n_steps = _n_steps(duration, dt)
    t = np.asarray(latency_times(x, tau, threshold, kind) / second)
    finite = np.isfinite(t)
    step = np.full(t.shape, np.inf)
    # round first so that a time exactly on the grid is not pushed down by float error
    step[finite] = np.floor(np.round(t[finite] / float(dt / second), 9))
    spikes = np.zeros((n_steps, *x.shape), dtype=bool)
    fires = step < n_steps
    spikes[(step[fires].astype(int), *np.nonzero(fires))] = True
    return spikes


def spike_generator_args(spikes, dt: Quantity) -> tuple[np.ndarray, Quantity]:
    """``(indices, times)`` of a :class:`brian2.SpikeGeneratorGroup` for a raster.

    Parameters
    ----------
    spikes
        Boolean (or 0/1) raster, shape ``[n_steps, *shape]``, time first, as returned by
        :func:`poisson_spikes` or :func:`latency_spikes`.
    dt
        The raster's time step; step ``k`` becomes the time ``k * dt``.

    Returns
    -------
    (indices, times)
        ``indices``: int array, neuron index of each spike, numbering ``shape`` in C
        order (the group has ``prod(shape)`` neurons); ``times``: Brian2 time quantity of
        the same length. Sorted by time, then index. Use
        ``SpikeGeneratorGroup(prod(shape), indices, times, dt=dt)``.
    """
    spikes = np.asarray(spikes)
    if spikes.ndim < 2:
        raise ValueError(
            f"expected a raster [n_steps, *shape] with time first, got shape {spikes.shape}"
        )
    if spikes.dtype != bool:
        if not np.isin(spikes, (0, 1)).all():
            raise ValueError("expected a boolean or 0/1 raster, got other values")
        spikes = spikes.astype(bool)
    _magnitude(dt, second, "dt", "0.5 * ms")
    steps, indices = np.nonzero(spikes.reshape(spikes.shape[0], -1))
    return indices.astype(int), steps * dt
