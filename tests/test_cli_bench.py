"""`spikearena bench NAME [ARGS...]` runs benchmarks/bench_NAME.py; nothing is measured here
(each benchmark takes minutes): only the listing, the look-up and the scripts' --help."""

import ast
from pathlib import Path

import pytest

from compare.cli import find_benchmark
from compare.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = {
    "artificial": "Training speed of the artificial arm's families",
    "memory": "Memory of a long Diehl & Cook (2015) training run",
    "snn": "Training speed of a 784-400-10 LIF network",
    "spiking": "Training and inference speed of the Diehl & Cook (2015) network",
}


def test_bench_without_a_name_lists_the_benchmarks_with_their_first_lines(capsys):
    assert cli_main(["bench"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "benchmarks (spikearena bench NAME [ARGS...]):"
    listed = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines[1:]}
    assert set(listed) == set(BENCHMARKS)
    for name, start in BENCHMARKS.items():
        assert listed[name].startswith(start), listed[name]


def test_spikearena_list_shows_the_benchmarks_too(capsys):
    assert cli_main(["list"]) == 0
    out = capsys.readouterr().out
    section = out.split("benchmarks (spikearena bench NAME):\n")[1]
    assert [line.split()[0] for line in section.splitlines()[:4]] == sorted(BENCHMARKS)


def test_an_unknown_benchmark_is_a_one_line_usage_error_naming_the_known_ones(capsys):
    assert cli_main(["bench", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("spikearena: error: unknown benchmark 'nope'; known: ")
    assert "artificial, memory, snn, spiking" in err


@pytest.mark.parametrize("name", ["spiking", "bench_spiking"])
def test_bench_passes_its_arguments_to_the_script(capsys, name):
    with pytest.raises(SystemExit) as done:  # argparse's --help: exit status 0
        cli_main(["bench", name, "--help"])
    assert done.value.code == 0
    help_text = capsys.readouterr().out
    assert help_text.startswith("usage: bench_spiking.py")
    for option in ("--sizes", "--examples", "--runtime-examples", "--digits"):
        assert option in help_text


def test_every_benchmark_script_has_a_main_taking_argv():
    for name in BENCHMARKS:
        path = find_benchmark(name)
        assert path == ROOT / "benchmarks" / f"bench_{name}.py"
        functions = {
            node.name: [a.arg for a in node.args.args]
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)
        }
        assert functions.get("main") == ["argv"], path
