"""Bridges between the two arms' neuron parameters, for equivalence tests.

:mod:`spiking` keeps every physical value as a Brian2 quantity and :mod:`artificial`
never imports Brian2, so the torch LIF (:func:`artificial.snn.lif_parameters`) takes
plain SI numbers. :func:`lif_parameter_kwargs` strips the units of a
:class:`spiking.neurons.CurrentLIFParams` by dividing by named SI units, so both arms
can be built from the same values.

Example
-------
>>> from brian2 import ms
>>> from dataclasses import replace
>>> from spiking.neurons import CurrentLIFParams
>>> kwargs = lif_parameter_kwargs(replace(CurrentLIFParams(), refractory=0 * ms), 0.1 * ms)
>>> kwargs["tau_mem"], kwargs["v_threshold"], kwargs["resistance"]
(0.008, -0.05, 10000000.0)
"""

from __future__ import annotations

from brian2 import Quantity, ohm, second, volt

from spiking.neurons import CurrentLIFParams

__all__ = ["lif_parameter_kwargs"]


def lif_parameter_kwargs(params: CurrentLIFParams, dt: Quantity) -> dict[str, float]:
    """Keyword arguments of :func:`artificial.snn.lif_parameters` from a Brian2 parameter set.

    Parameters
    ----------
    params : CurrentLIFParams
        The membrane constants (``tau_syn`` is not used: compare with
        ``current_lif(params, synaptic=False)``). Its ``refractory`` must be 0, because
        :func:`artificial.snn.lif_step` has no refractory period.
    dt : Quantity
        The simulation time step (Brian2 time).

    Returns
    -------
    dict of str to float
        ``tau_mem`` and ``dt`` in seconds, ``v_threshold``, ``v_reset`` and ``v_rest``
        in volts, ``resistance`` in ohm.

    Raises
    ------
    ValueError
        If ``params.refractory`` is not 0, or ``dt`` is not a positive time.
    """
    if not isinstance(params, CurrentLIFParams):
        raise TypeError(f"expected CurrentLIFParams, got {type(params).__name__}")
    if float(params.refractory / second) != 0:
        raise ValueError(
            f"expected refractory = 0 ms, got {params.refractory}: artificial.snn.lif_step "
            f"has no refractory period; use dataclasses.replace(params, refractory=0 * ms)"
        )
    dt_seconds = float(dt / second)
    if not dt_seconds > 0:
        raise ValueError(f"expected a positive time step, got dt = {dt}")
    return {
        "tau_mem": float(params.tau_mem / second),
        "dt": dt_seconds,
        "v_threshold": float(params.v_thresh / volt),
        "v_reset": float(params.v_reset / volt),
        "v_rest": float(params.v_rest / volt),
        "resistance": float(params.R / ohm),
    }
