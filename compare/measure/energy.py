"""Energy per inference from a model's operations report and a cost table.

An estimate is operations x energy per operation, from a published table. Which table
and which operations are priced decide the answer, so every table here carries a name,
a version and its source, and every estimate records the table it used.

Compute-only (the usual estimate, e.g. in most SNN papers): the work a model reports
(:func:`artificial.operations.measure_operations` and the spiking models'
``operations``), per example:

.. math::

    E_\\text{compute} = N_\\text{MAC} E_\\text{MAC} + N_\\text{AC} E_\\text{AC}
                      + N_\\text{neuron} E_\\text{neuron}

with :math:`N_\\text{MAC}` = ``effective_macs`` (artificial layers, and a spiking
network's first layer on analog input), :math:`N_\\text{AC}` = ``effective_acs``
(synaptic events) and :math:`N_\\text{neuron}` = ``neuron_updates``; the neuron term
only where the table prices neuron updates (Horowitz's does not: that term is then
listed as ``unpriced``). This estimate favours spiking networks: an accumulate costs a
fifth of a multiply-accumulate (Horowitz fp32), and moving data costs nothing.

Memory-aware: Dampfhoffer et al. (2023) show that memory accesses dominate on digital
hardware and that spiking layers save energy only below about 0.15-1.38 spikes per
synapse per inference. With ``memory=True`` the estimate adds the reads of weights and
of neuron state, priced at the table's SRAM/DRAM read costs. The assumptions (stated
so that they can be argued with):

- Weights are stored at the table's operand width (32 bits for fp32, 8 for int8) in one
  memory holding all ``parameter_count`` parameters; it is the smallest SRAM of the
  table's size classes that holds them (Horowitz: 8 KB, 32 KB, 1 MB), DRAM beyond.
  (``footprint_bytes`` is not used: it measures the simulator's storage, float64 in
  Brian2 and float32 in torch, not the hardware priced.)
- A read of ``b`` bits costs ``b / access_bits`` of one access (Horowitz's SRAM and
  DRAM figures are per 64-bit access).
- Artificial (MAC) work reuses weights: each weight used is read once per inference,
  at most one read per MAC and at most ``parameter_count`` reads
  (:math:`\\min(N_\\text{MAC}, P)`): a dense layer reads the weights of its non-zero
  inputs, a convolution or recurrent layer reads its kernel once.
- Event-driven (AC) work has no reuse: every synaptic event reads its weight
  (:math:`N_\\text{AC}` reads), as on event-driven neuromorphic cores and in
  Dampfhoffer et al.'s model.
- Every neuron update reads the neuron's state (an artificial neuron's output, read
  once by the next layer; a spiking neuron's membrane potential, once per time step)
  from the smallest SRAM class; inputs accumulate in registers. Writes are not
  counted, so the memory term is a lower bound.
- Tables whose per-operation costs already include memory (Loihi's synaptic operation
  reads its synaptic memory; TrueNorth's figure is all-in) add nothing.

Sources
-------
- M. Horowitz, "Computing's energy problem (and what we can do about it)", IEEE ISSCC
  2014, pp. 10-14, doi:10.1109/ISSCC.2014.6757323 (45 nm, 0.9 V).
- M. Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning",
  IEEE Micro 38(1):82-99, 2018, doi:10.1109/MM.2018.112130359 (pre-silicon figures).
- P. A. Merolla et al., "A million spiking-neuron integrated circuit with a scalable
  communication network and interface", Science 345(6197):668-673, 2014,
  doi:10.1126/science.1254642.
- M. Dampfhoffer, T. Mesquida, A. Valentian, L. Anghel, "Are SNNs really more
  energy-efficient than ANNs? An in-depth hardware-aware study", IEEE Trans. Emerg.
  Topics Comput. Intell. 7(3):731-741, 2023, doi:10.1109/TETCI.2022.3214509.

Example
-------
>>> report = {"parameter_count": 100.0, "effective_macs": 50.0,
...           "effective_acs": 0.0, "neuron_updates": 10.0}
>>> energy = estimate_energy(report, "horowitz-45nm-fp32")
>>> round(energy["total_j"] * 1e12, 6)  # 50 MACs x 4.6 pJ
230.0
>>> energy["unpriced"]
('neuron_updates',)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from compare.measure.tidy import Metric

__all__ = [
    "DEFAULT_TABLES",
    "HOROWITZ_45NM_FP32",
    "HOROWITZ_45NM_INT8",
    "LOIHI_2018",
    "TABLES",
    "TRUENORTH_2014",
    "CostTable",
    "MissingCostError",
    "break_even_spikes_per_synapse",
    "energy_metric",
    "estimate_energy",
    "get_table",
    "missing_costs",
]

PJ = 1e-12
"""One picojoule in joules."""


@dataclass(frozen=True)
class CostTable:
    """Energy per operation of one technology, as published.

    Parameters
    ----------
    name
        Key in :data:`TABLES`, e.g. ``"horowitz-45nm-fp32"``.
    version
        Version of this encoding of the table; it changes whenever a value or an
        assumption here changes, so that results made with different values never mix.
    source
        Full citation of the numbers.
    description
        One line: technology, precision, what the numbers include.
    mac_pj
        Energy of one multiply-accumulate (pJ); None where the source gives none.
    ac_pj
        Energy of one accumulate, i.e. one synaptic event (pJ); None where absent.
    neuron_update_pj
        Energy of one neuron state update (pJ); None where the source gives none
        (the term is then left out and listed as unpriced), 0.0 where the source's
        other figures already include it.
    operand_bits
        Width of a stored weight or neuron state (bits), for the memory term.
    sram_read_pj
        ``(capacity_bytes, pJ per access)`` of each SRAM size class, ascending.
    access_bits
        Bits per priced memory access (64 in Horowitz's table).
    dram_read_pj
        Energy of one DRAM access (pJ), for weights beyond the largest SRAM class.
    memory_in_operation_costs
        True where ``ac_pj`` (and the others) already include reading the memory they
        need: the memory-aware estimate then adds nothing.
    notes
        What was chosen where the source gives a range, and anything else a reader of
        the numbers should know.
    """

    name: str
    version: str
    source: str
    description: str
    mac_pj: float | None = None
    ac_pj: float | None = None
    neuron_update_pj: float | None = None
    operand_bits: int | None = None
    sram_read_pj: tuple[tuple[int, float], ...] = ()
    access_bits: int = 64
    dram_read_pj: float | None = None
    memory_in_operation_costs: bool = False
    notes: str = ""

    def __post_init__(self):
        capacities = [c for c, _ in self.sram_read_pj]
        if capacities != sorted(capacities):
            raise ValueError(
                f"cost table {self.name!r}: SRAM size classes must be ascending, got {capacities}"
            )
        for field in ("mac_pj", "ac_pj", "neuron_update_pj", "dram_read_pj"):
            value = getattr(self, field)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"cost table {self.name!r}: {field} must be >= 0, got {value}")

    @property
    def label(self) -> str:
        """``name@version``, as recorded with every result."""
        return f"{self.name}@{self.version}"

    @classmethod
    def from_dict(cls, data: Mapping) -> CostTable:
        """The table that :meth:`to_dict` gave ``data`` (e.g. from ``energy_tables.json``).

        >>> get_table("loihi-2018") == CostTable.from_dict(get_table("loihi-2018").to_dict())
        True
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"cost table {data.get('name')!r}: unknown fields {unknown}; known: "
                f"{', '.join(sorted(known))}"
            )
        fields = dict(data)
        fields["sram_read_pj"] = tuple(
            (int(capacity), float(pj)) for capacity, pj in fields.get("sram_read_pj", ())
        )
        return cls(**fields)

    def to_dict(self) -> dict:
        """JSON-able copy, for the results directory."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "description": self.description,
            "mac_pj": self.mac_pj,
            "ac_pj": self.ac_pj,
            "neuron_update_pj": self.neuron_update_pj,
            "operand_bits": self.operand_bits,
            "sram_read_pj": [list(level) for level in self.sram_read_pj],
            "access_bits": self.access_bits,
            "dram_read_pj": self.dram_read_pj,
            "memory_in_operation_costs": self.memory_in_operation_costs,
            "notes": self.notes,
        }


_HOROWITZ_SOURCE = (
    "M. Horowitz, 'Computing's energy problem (and what we can do about it)', IEEE ISSCC "
    "2014, pp. 10-14, doi:10.1109/ISSCC.2014.6757323"
)
_HOROWITZ_SRAM = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))
_HOROWITZ_NOTES = (
    "MAC = mult + add. SRAM reads per 64-bit access: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; "
    "DRAM 1.3-2.6 nJ per 64-bit access, the low end used. No neuron-update cost."
)

HOROWITZ_45NM_FP32 = CostTable(
    name="horowitz-45nm-fp32",
    version="1",
    source=_HOROWITZ_SOURCE,
    description="45 nm CMOS, 32-bit floating point: add 0.9 pJ, mult 3.7 pJ",
    mac_pj=3.7 + 0.9,
    ac_pj=0.9,
    operand_bits=32,
    sram_read_pj=_HOROWITZ_SRAM,
    dram_read_pj=1300.0,
    notes=_HOROWITZ_NOTES,
)
"""Horowitz (ISSCC 2014), 45 nm, fp32: MAC 4.6 pJ, AC 0.9 pJ."""

HOROWITZ_45NM_INT8 = CostTable(
    name="horowitz-45nm-int8",
    version="1",
    source=_HOROWITZ_SOURCE,
    description="45 nm CMOS, 8-bit integer: add 0.03 pJ, mult 0.2 pJ",
    mac_pj=0.2 + 0.03,
    ac_pj=0.03,
    operand_bits=8,
    sram_read_pj=_HOROWITZ_SRAM,
    dram_read_pj=1300.0,
    notes=_HOROWITZ_NOTES,
)
"""Horowitz (ISSCC 2014), 45 nm, int8: MAC 0.23 pJ, AC 0.03 pJ."""

LOIHI_2018 = CostTable(
    name="loihi-2018",
    version="1",
    source=(
        "M. Davies et al., 'Loihi: a neuromorphic manycore processor with on-chip "
        "learning', IEEE Micro 38(1):82-99, 2018, doi:10.1109/MM.2018.112130359"
    ),
    description="Intel Loihi, 14 nm, pre-silicon figures: synaptic spike op, neuron update",
    ac_pj=23.6,
    neuron_update_pj=52.0,
    memory_in_operation_costs=True,
    notes=(
        "Synaptic spike operation 23.6 pJ (the table's minimum); neuron update 52 pJ "
        "(inactive) to 81 pJ (active), the lower value used, so the estimate is a lower "
        "bound. Synaptic memory reads are part of the synaptic operation. No MAC: analog "
        "input layers cannot be priced."
    ),
)
"""Loihi (Davies et al. 2018): 23.6 pJ per synaptic event, 52 pJ per neuron update."""

TRUENORTH_2014 = CostTable(
    name="truenorth-2014",
    version="1",
    source=(
        "P. A. Merolla et al., 'A million spiking-neuron integrated circuit with a scalable "
        "communication network and interface', Science 345(6197):668-673, 2014, "
        "doi:10.1126/science.1254642"
    ),
    description="IBM TrueNorth, 28 nm: energy per synaptic event, all-in",
    ac_pj=26.0,
    neuron_update_pj=0.0,
    memory_in_operation_costs=True,
    notes=(
        "26 pJ per synaptic event, the chip's energy divided by its synaptic events: "
        "neuron updates, memory and routing are included (priced 0 separately). No MAC: "
        "analog input layers cannot be priced."
    ),
)
"""TrueNorth (Merolla et al. 2014): 26 pJ per synaptic event, all-in."""

TABLES: dict[str, CostTable] = {
    t.name: t for t in (HOROWITZ_45NM_FP32, HOROWITZ_45NM_INT8, LOIHI_2018, TRUENORTH_2014)
}
"""Every cost table by name."""

DEFAULT_TABLES: tuple[str, ...] = tuple(TABLES)
"""The tables an evaluation prices by default: each that can price the model."""

_REQUIRED_KEYS = ("parameter_count", "effective_macs", "effective_acs", "neuron_updates")

_COSTS = {
    "mac_pj": ("effective_macs", "energy per multiply-accumulate"),
    "ac_pj": ("effective_acs", "energy per accumulate (synaptic event)"),
}


class MissingCostError(ValueError):
    """A cost table lacks a cost that the operations to be priced need."""


def get_table(table: str | CostTable) -> CostTable:
    """The :class:`CostTable` named ``table`` (a table passes through).

    >>> get_table("loihi-2018").ac_pj
    23.6
    """
    if isinstance(table, CostTable):
        return table
    try:
        return TABLES[table]
    except (KeyError, TypeError):
        raise ValueError(f"unknown cost table {table!r}; known: {', '.join(TABLES)}") from None


def energy_metric(table: str | CostTable, *, memory: bool) -> Metric:
    """The tidy metric holding an estimate: ``energy_with_memory`` or
    ``energy_compute_only``, with the table and its version in ``cost_table``.

    >>> energy_metric("horowitz-45nm-fp32", memory=True).columns()["cost_table"]
    'horowitz-45nm-fp32@1'
    """
    kind = "energy_with_memory" if memory else "energy_compute_only"
    return Metric(kind, cost_table=get_table(table).label)


def _counts(report: Mapping[str, float]) -> dict[str, float]:
    missing = [k for k in _REQUIRED_KEYS if k not in report]
    if missing:
        raise ValueError(
            f"operations report lacks {', '.join(missing)}; an energy estimate needs "
            f"{', '.join(_REQUIRED_KEYS)} (per-example means)"
        )
    counts = {}
    for key in _REQUIRED_KEYS:
        value = float(report[key])
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"operations report: {key} must be finite and >= 0, got {value}")
        counts[key] = value
    return counts


def missing_costs(report: Mapping[str, float], table: str | CostTable) -> list[str]:
    """The costs ``table`` lacks for the non-zero operations of ``report`` (empty: it can
    price them all).

    >>> ops = {"parameter_count": 10, "effective_macs": 5, "effective_acs": 0,
    ...        "neuron_updates": 2}
    >>> missing_costs(ops, "loihi-2018"), missing_costs(ops, "horowitz-45nm-int8")
    (['mac_pj'], [])
    """
    table, counts = get_table(table), _counts(report)
    return [
        field
        for field, (key, _) in _COSTS.items()
        if counts[key] > 0 and getattr(table, field) is None
    ]


def _read_pj(table: CostTable, capacity_bytes: float) -> float:
    """Energy of one access to the smallest memory of ``table`` that holds ``capacity_bytes``."""
    if not table.sram_read_pj:
        raise MissingCostError(
            f"cost table {table.label} has no 'sram_read_pj' (SRAM read energy), which the "
            f"memory-aware estimate needs; tables that have it: "
            f"{', '.join(t.name for t in TABLES.values() if t.sram_read_pj)}"
        )
    for capacity, energy in table.sram_read_pj:
        if capacity_bytes <= capacity:
            return energy
    if table.dram_read_pj is None:
        raise MissingCostError(
            f"cost table {table.label} has no 'dram_read_pj' (DRAM access energy), needed for "
            f"{capacity_bytes:.0f} bytes of weights, more than its largest SRAM "
            f"({table.sram_read_pj[-1][0]} bytes)"
        )
    return table.dram_read_pj


def _operand_bits(table: CostTable) -> int:
    if table.operand_bits is None:
        raise MissingCostError(
            f"cost table {table.label} has no 'operand_bits' (stored word width), which the "
            "memory-aware estimate needs"
        )
    return table.operand_bits


def _per_operand_read_pj(table: CostTable, capacity_bytes: float) -> float:
    """pJ to read one operand of ``table.operand_bits`` from the memory of that size."""
    return _read_pj(table, capacity_bytes) * _operand_bits(table) / table.access_bits


def estimate_energy(
    operations_report: Mapping[str, float], table: str | CostTable, *, memory: bool = False
) -> dict:
    """Energy of one inference (one example), from an operations report and a cost table.

    See the module docstring for the equations and the memory model's assumptions.

    Parameters
    ----------
    operations_report
        A model's ``operations(X)`` report (per-example means); needs
        ``parameter_count``, ``effective_macs``, ``effective_acs`` and
        ``neuron_updates``.
    table
        A :class:`CostTable` or the name of one in :data:`TABLES`.
    memory
        Add the weight and neuron-state reads (the memory-aware estimate).

    Returns
    -------
    dict
        Always the same keys; energies in joules per example:

        ``table``, ``table_version``, ``memory``
            What was used.
        ``mac_j``, ``ac_j``, ``neuron_j``, ``compute_j``
            The compute terms and their sum.
        ``weight_reads``, ``state_reads``
            Reads per example under the memory model (counted whether or not
            ``memory`` is set).
        ``weight_read_j``, ``state_read_j``, ``memory_j``
            The memory terms and their sum (0.0 without ``memory``, or where the
            table's operation costs include memory).
        ``total_j``
            ``compute_j + memory_j``.
        ``unpriced``
            Tuple of the report's non-zero counts the table gives no cost for
            (``"neuron_updates"`` with Horowitz's tables), left out of the sum.

    Raises
    ------
    MissingCostError
        Where the table lacks a cost that a non-zero count needs (e.g. MACs on Loihi),
        or, with ``memory``, its memory costs; the message names the entry.
    ValueError
        For an unknown table name (the message lists the known ones) or a report
        lacking a needed key.

    Examples
    --------
    A spiking model with 1000 synaptic events and 200 neuron updates per example, and
    100 parameters (400 bytes at fp32: the 8 KB class, 10 pJ per 64-bit read):

    >>> ops = {"parameter_count": 100, "effective_macs": 0, "effective_acs": 1000,
    ...        "neuron_updates": 200}
    >>> e = estimate_energy(ops, "horowitz-45nm-fp32", memory=True)
    >>> round(e["compute_j"] / PJ, 6), round(e["memory_j"] / PJ, 6)  # 1000 x 0.9; 1200 x 5
    (900.0, 6000.0)
    >>> round(estimate_energy(ops, "loihi-2018")["total_j"] / PJ, 6)  # 1000 x 23.6 + 200 x 52
    34000.0
    """
    table = get_table(table)
    counts = _counts(operations_report)
    missing = missing_costs(counts, table)
    if missing:
        field = missing[0]
        key, meaning = _COSTS[field]
        able = [t.name for t in TABLES.values() if getattr(t, field) is not None]
        raise MissingCostError(
            f"cost table {table.label} has no {field!r} ({meaning}), but the operations "
            f"report has {counts[key]:g} {key} per example; tables that price it: "
            f"{', '.join(able)}"
        )
    macs, acs = counts["effective_macs"], counts["effective_acs"]
    updates = counts["neuron_updates"]
    mac_j = macs * (table.mac_pj or 0.0) * PJ
    ac_j = acs * (table.ac_pj or 0.0) * PJ
    unpriced = ()
    if table.neuron_update_pj is None:
        neuron_j = 0.0
        if updates > 0:
            unpriced = ("neuron_updates",)
    else:
        neuron_j = updates * table.neuron_update_pj * PJ

    weight_reads = min(macs, counts["parameter_count"]) + acs
    state_reads = updates
    weight_read_j = state_read_j = 0.0
    if memory and not table.memory_in_operation_costs:
        weight_bytes = counts["parameter_count"] * _operand_bits(table) / 8
        weight_read_j = weight_reads * _per_operand_read_pj(table, weight_bytes) * PJ
        state_read_j = state_reads * _per_operand_read_pj(table, 0) * PJ

    compute_j = mac_j + ac_j + neuron_j
    memory_j = weight_read_j + state_read_j
    return {
        "table": table.name,
        "table_version": table.version,
        "memory": bool(memory),
        "mac_j": mac_j,
        "ac_j": ac_j,
        "neuron_j": neuron_j,
        "compute_j": compute_j,
        "weight_reads": weight_reads,
        "state_reads": state_reads,
        "weight_read_j": weight_read_j,
        "state_read_j": state_read_j,
        "memory_j": memory_j,
        "total_j": compute_j + memory_j,
        "unpriced": unpriced,
    }


def break_even_spikes_per_synapse(
    table: str | CostTable,
    *,
    fan_in: int,
    n_steps: int = 1,
    memory: bool = False,
    parameter_count: float | None = None,
) -> float:
    """Spikes per synapse per inference above which a spiking layer costs more than its
    dense twin (after Dampfhoffer et al. 2023).

    A fully connected layer with ``fan_in`` inputs per neuron, run densely once (one
    MAC per synapse, one update per neuron), against the same layer run event-driven
    for ``n_steps`` time steps with :math:`s` input spikes per synapse per inference
    (:math:`s \\cdot` ``fan_in`` synaptic events and ``n_steps`` updates per neuron).
    Per output neuron, with :math:`r_w` the read energy of a weight and :math:`r_s` of
    a neuron state (0 without ``memory``; the module docstring's memory model),
    :math:`E_n` the neuron-update energy (0 where the table has none):

    .. math::

        \\text{fan\\_in}\\,(E_\\text{MAC} + r_w) + (E_n + r_s)
        = s^*\\,\\text{fan\\_in}\\,(E_\\text{AC} + r_w) + T\\,(E_n + r_s)

    The number of output neurons cancels. Below :math:`s^*` the spiking layer saves
    energy; 0.0 means it never does (its neuron updates alone cost more).

    Parameters
    ----------
    table
        A :class:`CostTable` or a name in :data:`TABLES`; it must price MACs and ACs.
    fan_in
        Inputs per neuron (synapses per output neuron).
    n_steps
        Time steps :math:`T` the spiking layer updates its neurons per inference.
    memory
        Include the weight and neuron-state reads.
    parameter_count
        Parameters of the model holding the layer: they set the SRAM size class of the
        weight reads. Needed with ``memory``.

    Examples
    --------
    Compute only, fp32: a MAC costs as much as 4.6 / 0.9 = 5.1 accumulates.

    >>> round(break_even_spikes_per_synapse("horowitz-45nm-fp32", fan_in=784), 2)
    5.11

    With memory, a 784-100 layer (78,400 weights, 314 KB at fp32: the 1 MB SRAM, 50 pJ
    per 32-bit read), one step: :math:`(4.6 + 50) / (0.9 + 50)`, in Dampfhoffer's range.

    >>> round(break_even_spikes_per_synapse(
    ...     "horowitz-45nm-fp32", fan_in=784, memory=True, parameter_count=78_400), 2)
    1.07
    """
    table = get_table(table)
    if not (isinstance(fan_in, numbers.Integral) and fan_in >= 1):
        raise ValueError(f"fan_in must be a positive integer, got {fan_in!r}")
    if not (isinstance(n_steps, numbers.Integral) and n_steps >= 1):
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    for field in ("mac_pj", "ac_pj"):
        if getattr(table, field) is None:
            key, meaning = _COSTS[field]
            raise MissingCostError(
                f"cost table {table.label} has no {field!r} ({meaning}); a break-even "
                "needs both the dense and the spiking cost"
            )
    weight_read = state_read = 0.0
    if memory and not table.memory_in_operation_costs:
        if parameter_count is None or not parameter_count > 0:
            raise ValueError(
                "memory=True needs parameter_count (> 0): it sets the SRAM size class of "
                f"the weight reads; got {parameter_count!r}"
            )
        weight_read = _per_operand_read_pj(table, parameter_count * _operand_bits(table) / 8)
        state_read = _per_operand_read_pj(table, 0)
    neuron = (table.neuron_update_pj or 0.0) + state_read
    saved = fan_in * (table.mac_pj + weight_read) - (n_steps - 1) * neuron
    return max(saved, 0.0) / (fan_in * (table.ac_pj + weight_read))
