"""compare.measure.energy: cost tables, energy estimates by hand, the break-even spike count."""

import dataclasses
import json

import pytest

from compare.measure.energy import (
    HOROWITZ_45NM_FP32,
    PJ,
    TABLES,
    CostTable,
    MissingCostError,
    break_even_spikes_per_synapse,
    energy_metric,
    estimate_energy,
    get_table,
    missing_costs,
)
from compare.measure.tidy import Metric, metric_key

# 1000 parameters = 4000 bytes at fp32 and 1000 at int8: both in Horowitz's 8 KB class,
# 10 pJ per 64-bit read, so 5 pJ per fp32 operand and 1.25 pJ per int8 operand.
ANN = {
    "parameter_count": 1000.0,
    "effective_macs": 600.0,
    "effective_acs": 0.0,
    "neuron_updates": 20.0,
}
SNN = {
    "parameter_count": 1000.0,
    "effective_macs": 0.0,
    "effective_acs": 3000.0,
    "neuron_updates": 400.0,
}

# (table, report, compute pJ, memory pJ), each worked out by hand:
HAND = [
    # 600 MACs x 4.6 pJ; reads: min(600, 1000) weights + 20 states, x 5 pJ
    ("horowitz-45nm-fp32", ANN, 600 * 4.6, (600 + 20) * 5.0),
    # 3000 ACs x 0.9 pJ; reads: 3000 weights (one per event) + 400 states, x 5 pJ
    ("horowitz-45nm-fp32", SNN, 3000 * 0.9, (3000 + 400) * 5.0),
    # 600 x (0.2 + 0.03) pJ; reads x 10 pJ x 8 / 64
    ("horowitz-45nm-int8", ANN, 600 * 0.23, (600 + 20) * 1.25),
    ("horowitz-45nm-int8", SNN, 3000 * 0.03, (3000 + 400) * 1.25),
    # 3000 x 23.6 pJ + 400 neuron updates x 52 pJ; memory included in the op costs
    ("loihi-2018", SNN, 3000 * 23.6 + 400 * 52.0, 0.0),
    # 3000 x 26 pJ, all-in
    ("truenorth-2014", SNN, 3000 * 26.0, 0.0),
]


@pytest.mark.parametrize(("name", "ops", "compute_pj", "memory_pj"), HAND)
def test_energy_of_a_hand_made_report_equals_the_hand_sum(name, ops, compute_pj, memory_pj):
    compute_only = estimate_energy(ops, name)
    with_memory = estimate_energy(ops, name, memory=True)
    # rel 1e-12: the same few products in another order (float rounding only)
    assert compute_only["total_j"] == pytest.approx(compute_pj * PJ, rel=1e-12)
    assert compute_only["memory_j"] == 0.0
    assert with_memory["compute_j"] == pytest.approx(compute_pj * PJ, rel=1e-12)
    assert with_memory["memory_j"] == pytest.approx(memory_pj * PJ, rel=1e-12)
    assert with_memory["total_j"] == pytest.approx((compute_pj + memory_pj) * PJ, rel=1e-12)
    for result, memory in ((compute_only, False), (with_memory, True)):
        assert (result["table"], result["table_version"]) == (name, TABLES[name].version)
        assert result["memory"] is memory
        assert result["compute_j"] == pytest.approx(
            result["mac_j"] + result["ac_j"] + result["neuron_j"], rel=1e-12
        )


def test_the_breakdown_separates_weights_state_and_unpriced_terms():
    e = estimate_energy(SNN, "horowitz-45nm-fp32", memory=True)
    assert e["mac_j"] == 0.0 and e["neuron_j"] == 0.0
    assert (e["weight_reads"], e["state_reads"]) == (3000.0, 400.0)
    assert e["weight_read_j"] == pytest.approx(3000 * 5.0 * PJ, rel=1e-12)
    assert e["state_read_j"] == pytest.approx(400 * 5.0 * PJ, rel=1e-12)
    # Horowitz prices no neuron update: the term is named, not silently zero
    assert e["unpriced"] == ("neuron_updates",)
    assert estimate_energy(SNN, "loihi-2018")["unpriced"] == ()
    no_updates = dict(ANN, neuron_updates=0.0)
    assert estimate_energy(no_updates, "horowitz-45nm-fp32")["unpriced"] == ()


@pytest.mark.parametrize(
    ("parameters", "read_pj_per_fp32"),
    [
        (2048, 10.0 / 2),  # 8192 B: fits the 8 KB SRAM exactly
        (2049, 20.0 / 2),  # one parameter more: the 32 KB class
        (8193, 100.0 / 2),  # 32772 B: the 1 MB class
        (262_145, 1300.0 / 2),  # just over 1 MB: DRAM
    ],
)
def test_weights_are_read_from_the_smallest_memory_that_holds_them(parameters, read_pj_per_fp32):
    ops = dict(ANN, parameter_count=float(parameters), neuron_updates=0.0)
    e = estimate_energy(ops, "horowitz-45nm-fp32", memory=True)
    assert e["weight_read_j"] == pytest.approx(600 * read_pj_per_fp32 * PJ, rel=1e-12)


def test_artificial_weight_reads_are_capped_by_the_parameters():
    """A convolution reuses its kernel: reads = parameters, not MACs."""
    conv = dict(ANN, effective_macs=50_000.0)
    assert estimate_energy(conv, "horowitz-45nm-fp32")["weight_reads"] == 1000.0


def test_a_missing_cost_is_an_error_that_names_it():
    with pytest.raises(MissingCostError, match=r"loihi-2018@1 has no 'mac_pj'.*600 effective_macs"):
        estimate_energy(ANN, "loihi-2018")
    with pytest.raises(MissingCostError, match="truenorth-2014@1 has no 'mac_pj'"):
        estimate_energy(ANN, "truenorth-2014", memory=True)
    assert missing_costs(ANN, "loihi-2018") == ["mac_pj"]
    assert missing_costs(SNN, "loihi-2018") == []

    no_ac = dataclasses.replace(HOROWITZ_45NM_FP32, name="no-ac", ac_pj=None)
    with pytest.raises(MissingCostError, match=r"no-ac@1 has no 'ac_pj'.*3000 effective_acs"):
        estimate_energy(SNN, no_ac)
    assert estimate_energy(ANN, no_ac)["total_j"] > 0  # ACs are 0: no AC cost needed

    no_memory = dataclasses.replace(HOROWITZ_45NM_FP32, name="no-sram", sram_read_pj=())
    estimate_energy(ANN, no_memory)  # compute-only needs no memory costs
    with pytest.raises(MissingCostError, match="no-sram@1 has no 'sram_read_pj'"):
        estimate_energy(ANN, no_memory, memory=True)
    no_dram = dataclasses.replace(HOROWITZ_45NM_FP32, name="no-dram", dram_read_pj=None)
    with pytest.raises(MissingCostError, match="no-dram@1 has no 'dram_read_pj'"):
        estimate_energy(dict(ANN, parameter_count=1e6), no_dram, memory=True)


def test_unknown_table_names_list_the_valid_ones():
    known = "horowitz-45nm-fp32, horowitz-45nm-int8, loihi-2018, truenorth-2014"
    with pytest.raises(ValueError, match=f"unknown cost table 'horowitz-fp32'; known: {known}"):
        estimate_energy(ANN, "horowitz-fp32")
    with pytest.raises(ValueError, match="unknown cost table"):
        energy_metric("loihi", memory=False)


def test_bad_reports_are_refused_with_the_key():
    with pytest.raises(ValueError, match="lacks effective_acs, neuron_updates"):
        estimate_energy({"parameter_count": 1, "effective_macs": 1}, "horowitz-45nm-fp32")
    with pytest.raises(ValueError, match="effective_macs must be finite and >= 0, got -1"):
        estimate_energy(dict(ANN, effective_macs=-1), "horowitz-45nm-fp32")


def test_every_table_is_citable_and_versioned():
    for name, table in TABLES.items():
        assert table.name == name and table.version and table.description
        assert "doi:10." in table.source  # a DOI a reader can follow
        assert get_table(table) is table
        assert table.to_dict()["name"] == name
    assert energy_metric(TABLES["loihi-2018"], memory=False) == Metric(
        "energy_compute_only", cost_table="loihi-2018@1"
    )


def _layer_reports(fan_in, n_out, n_steps, spikes_per_synapse):
    """Operations of one dense layer and of its spiking twin, as the models report them."""
    synapses = float(fan_in * n_out)
    dense = {
        "parameter_count": synapses,
        "effective_macs": synapses,
        "effective_acs": 0.0,
        "neuron_updates": float(n_out),
    }
    spiking = {
        "parameter_count": synapses,
        "effective_macs": 0.0,
        "effective_acs": spikes_per_synapse * synapses,
        "neuron_updates": float(n_steps * n_out),
    }
    return dense, spiking


@pytest.mark.parametrize("memory", [False, True])
@pytest.mark.parametrize("name", ["horowitz-45nm-fp32", "horowitz-45nm-int8"])
@pytest.mark.parametrize(("fan_in", "n_out", "n_steps"), [(64, 10, 1), (784, 100, 25)])
def test_at_the_break_even_both_layers_cost_the_same(name, memory, fan_in, n_out, n_steps):
    s = break_even_spikes_per_synapse(
        name, fan_in=fan_in, n_steps=n_steps, memory=memory, parameter_count=fan_in * n_out
    )
    assert s > 0
    for factor, cheaper in ((1.0, None), (0.5, "spiking"), (2.0, "dense")):
        dense, spiking = _layer_reports(fan_in, n_out, n_steps, factor * s)
        e_dense = estimate_energy(dense, name, memory=memory)["total_j"]
        e_spiking = estimate_energy(spiking, name, memory=memory)["total_j"]
        if cheaper is None:  # rel 1e-9: the same sum computed two ways
            assert e_spiking == pytest.approx(e_dense, rel=1e-9)
        elif cheaper == "spiking":
            assert e_spiking < e_dense
        else:
            assert e_spiking > e_dense


def test_break_even_closed_forms_and_limits():
    # compute only, one step: E_MAC / E_AC
    assert break_even_spikes_per_synapse("horowitz-45nm-fp32", fan_in=10) == pytest.approx(
        4.6 / 0.9, rel=1e-12
    )
    # with memory the weight read dominates both sides: the ratio falls towards 1
    with_memory = break_even_spikes_per_synapse(
        "horowitz-45nm-fp32", fan_in=784, memory=True, parameter_count=784 * 100
    )
    assert with_memory == pytest.approx((4.6 + 50.0) / (0.9 + 50.0), rel=1e-12)
    # enough time steps and the neuron-state reads alone outweigh the dense layer
    assert (
        break_even_spikes_per_synapse(
            "horowitz-45nm-int8", fan_in=4, n_steps=1000, memory=True, parameter_count=40
        )
        == 0.0
    )
    with pytest.raises(MissingCostError, match="loihi-2018@1 has no 'mac_pj'"):
        break_even_spikes_per_synapse("loihi-2018", fan_in=10)
    with pytest.raises(ValueError, match="needs parameter_count"):
        break_even_spikes_per_synapse("horowitz-45nm-fp32", fan_in=10, memory=True)
    with pytest.raises(ValueError, match="fan_in must be a positive integer, got 0"):
        break_even_spikes_per_synapse("horowitz-45nm-fp32", fan_in=0)


def test_tables_come_back_from_their_json_and_metrics_from_their_row_columns():
    """energy_tables.json and the energy metrics' rows are read back by the reports."""
    for table in TABLES.values():
        assert CostTable.from_dict(json.loads(json.dumps(table.to_dict()))) == table
        for memory in (False, True):
            metric = energy_metric(table, memory=memory)
            columns = metric.columns()
            assert columns["metric"] == ("energy_with_memory" if memory else "energy_compute_only")
            assert columns["cost_table"] == table.label
            assert metric_key(columns) == metric
    with pytest.raises(ValueError, match=r"unknown fields \['joules'\]"):
        CostTable.from_dict({**HOROWITZ_45NM_FP32.to_dict(), "joules": 1})
