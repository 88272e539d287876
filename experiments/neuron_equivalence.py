"""Neuron equivalence: the Brian2 LIF and the torch LIF, from the same values, on one input.

The two arms simulate their neurons with different machinery: Brian2 integrates the
membrane equation it generates code for (:func:`spiking.neurons.current_lif`, exact
linear integration), the torch arm steps :func:`artificial.snn.lif_step`, whose
constants come from the same physical values through one conversion
(:func:`compare.models.equivalence.lif_parameter_kwargs`: beta = exp(-dt / tau_m), threshold
and reset relative to rest). This study drives both with the same currents, one
neuron per amplitude from below rheobase to five times it, modulated by a slow sine
and a step, and overlays their membrane traces and spikes (study 10 of the studies
issue).

Outputs (``results/neuron_equivalence/``): ``agreement.csv`` (per neuron: mean current,
spikes in each arm, largest spike-step difference, steps compared, largest membrane
difference up to the first spike on which they differ), ``figures/traces.png`` and
``.svg`` (the traces of three neurons overlaid, with the spike times),
``config.json``, ``environment.json``.

Run ``python experiments/neuron_equivalence.py`` (seconds); ``--quick`` simulates 100 ms
instead of 300 ms.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from compare.files import environment, staged_directory, write_csv, write_json
from compare.models.equivalence import simulate_both
from compare.report import figures
from compare.tables import format_table

DT_MS = 0.1
DURATION_MS = 300.0
QUICK_DURATION_MS = 100.0
AMPLITUDES_NA = (1.2, 1.9, 2.6, 3.5, 5.0)  # rheobase R * I = theta - rest: 20 mV / 10 MOhm = 2 nA
SINE_PERIOD_MS = 23.0
SINE_DEPTH = 0.3
STEP_AT_MS = 150.0
STEP_SIZE = 0.2
SHOWN = (1, 2, 4)  # neurons whose traces the figure overlays
ROOT = Path(__file__).resolve().parents[1]


def stimulus(n_steps: int, dt_ms: float) -> np.ndarray:
    """Input current (A), ``(n_steps, len(AMPLITUDES_NA))``: each amplitude x the modulation."""
    t_ms = np.arange(n_steps) * dt_ms
    modulation = 1 + SINE_DEPTH * np.sin(2 * np.pi * t_ms / SINE_PERIOD_MS)
    modulation = modulation + STEP_SIZE * (t_ms > STEP_AT_MS)
    return 1e-9 * np.asarray(AMPLITUDES_NA)[None, :] * modulation[:, None]


def plot_traces(run, shown, ax=None):
    """Membrane traces (mV) of both arms overlaid, one offset row per neuron, spikes as ticks."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    t_ms = np.arange(run.brian_v.shape[1]) * run.dt * 1e3
    for row, k in enumerate(shown):
        offset = -40.0 * row
        ax.plot(
            t_ms,
            1e3 * run.brian_v[k] + offset,
            color="#c0392b",
            lw=2.2,
            alpha=0.6,
            label="Brian2" if row == 0 else None,
        )
        ax.plot(
            t_ms,
            1e3 * run.torch_v[k] + offset,
            color="#1f4e9c",
            lw=0.8,
            ls="--",
            label="torch" if row == 0 else None,
        )
        top = offset - 45.0
        ax.vlines(run.brian_spikes[k] * run.dt * 1e3, top + 1, top + 4, color="#c0392b", lw=1)
        ax.vlines(run.torch_spikes[k] * run.dt * 1e3, top + 4, top + 7, color="#1f4e9c", lw=1)
        current = 1e9 * float(np.mean(run.current[:, k]))
        ax.text(t_ms[-1], offset - 60, f" {current:.2f} nA", va="center", fontsize=8)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential (mV, rows offset by 40 mV)")
    ax.set_title("Same LIF values, same current: Brian2 and torch", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    return ax


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 ms instead of 300 ms")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    args = parser.parse_args(argv)

    from brian2 import ms

    from spiking.neurons import CurrentLIFParams

    cell = replace(CurrentLIFParams(), refractory=0 * ms)  # lif_step has no refractoriness
    duration = QUICK_DURATION_MS if args.quick else DURATION_MS
    n_steps = int(round(duration / DT_MS))
    run = simulate_both(cell, DT_MS * ms, stimulus(n_steps, DT_MS))
    rows = run.agreement()

    out = Path(args.out or ROOT / "results" / "neuron_equivalence")
    with staged_directory(out) as staging:
        write_csv(staging / "agreement.csv", rows, list(rows[0]))
        (staging / "figures").mkdir()
        axes = plot_traces(run, [k for k in SHOWN if k < len(rows)])
        figures.save(axes.figure, staging / "figures" / "traces")
        write_json(
            staging / "config.json",
            {
                "dt_ms": DT_MS,
                "duration_ms": duration,
                "amplitudes_na": AMPLITUDES_NA,
                "sine_period_ms": SINE_PERIOD_MS,
                "sine_depth": SINE_DEPTH,
                "step_at_ms": STEP_AT_MS,
                "step_size": STEP_SIZE,
                "cell": {k: str(v) for k, v in vars(cell).items()},
                "quick": args.quick,
            },
        )
        write_json(staging / "environment.json", environment())
    shown = [
        dict(
            r,
            mean_current=f"{1e9 * r['mean_current_a']:.2f} nA",
            max_v=f"{r['max_abs_v_difference_v']:.1e} V",
        )
        for r in rows
    ]
    columns = [
        ("mean_current", "mean current"),
        ("brian_spikes", "Brian2 spikes"),
        ("torch_spikes", "torch spikes"),
        ("max_spike_step_difference", "max spike shift (steps)"),
        ("max_v", "largest v difference"),
    ]
    print(format_table(shown, columns))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
