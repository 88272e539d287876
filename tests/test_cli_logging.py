"""`spikearena -v` / `-q`: log levels, where log lines go, and what stays on stdout.

Log lines go to stderr as ``spikearena: LEVEL: message``; what a command exists to
print (the list, the dry run's jobs) stays on stdout whatever the level.
"""

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compare import cli
from compare.cli import main as cli_main
from compare.logs import PACKAGES, configured

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def logging_list(monkeypatch):
    """`spikearena list` replaced by one that logs a record per level from each package
    (and a third-party one) and prints one line."""

    def fake_list():
        for package in (*PACKAGES, "thirdparty"):
            log = logging.getLogger(f"{package}.module")
            log.debug("%s debug", package)
            log.info("%s info", package)
            log.warning("%s warning", package)
        print("the list")
        return 0

    monkeypatch.setattr(cli, "_list", fake_list)


def _logged(err: str) -> set[str]:
    return {line.split(": ", 2)[2] for line in err.splitlines() if line.startswith("spikearena: ")}


def _records(*levels: str, packages=PACKAGES) -> set[str]:
    return {f"{package} {level}" for package in packages for level in levels}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], _records("info", "warning")),
        (["-q"], _records("warning")),
        (["--quiet"], _records("warning")),
        (["-v"], _records("debug", "info", "warning")),
        # -vv: the libraries' records too (only through the handler: pytest's own is on root)
        (["-vv"], _records("debug", "info", "warning", packages=(*PACKAGES, "thirdparty"))),
    ],
)
def test_each_verbosity_logs_its_levels_to_stderr(logging_list, capsys, options, expected):
    assert cli_main([*options, "list"]) == 0
    out, err = capsys.readouterr()
    assert out == "the list\n"  # the command's output is not a log line
    assert _logged(err) == expected
    level = "INFO" if "compare info" in expected else "WARNING"
    assert f"spikearena: {level}: compare {level.lower()}\n" in err  # the format


def _state():
    loggers = [logging.getLogger(name) for name in ("", *PACKAGES)]
    return [(logger.level, logger.handlers[:]) for logger in loggers]


def test_the_loggers_are_left_as_they_were(logging_list, capsys):
    before = _state()
    for options in ([], ["-q"], ["-vv"]):
        assert cli_main([*options, "list"]) == 0
    assert _state() == before


def test_quiet_and_verbose_together_is_a_usage_error(capsys):
    assert cli_main(["-q", "-v", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not allowed with argument" in err, err


def test_verbose_dry_run_logs_the_spec_and_prints_the_jobs(tmp_path, capsys):
    args = ["run", "tiny_digits.toml", "--dry-run", "--out", str(tmp_path / "x")]
    assert cli_main(["-v", *args]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("tiny_digits: 2 point(s), 6 jobs, 0 finished\n")
    assert err.startswith("spikearena: DEBUG: tiny_digits: spec ") and "results in" in err, err

    for quiet in ([], ["-q"]):  # no DEBUG without -v; the same jobs on stdout
        assert cli_main([*quiet, *args]) == 0
        again, err = capsys.readouterr()
        assert again == out and err == ""


def test_quiet_turns_off_the_progress_bars(capsys):
    from artificial import MLPClassifier

    rng = np.random.default_rng(0)
    X, y = rng.random((40, 8)), np.arange(40) % 2
    model = MLPClassifier(hidden_sizes=(4,), epochs=2, verbose=True, random_state=0)
    with configured(-1):
        model.fit(X, y)
    assert "MLPClassifier" not in capsys.readouterr().err
    with configured(0):  # the default keeps them
        model.fit(X, y)
    assert "MLPClassifier" in capsys.readouterr().err


def test_python_m_compare_quiet_list_still_prints_the_list():
    done = subprocess.run(
        [sys.executable, "-m", "compare", "-q", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "experiments (spikearena run NAME)" in done.stdout and "quickstart" in done.stdout
    assert "benchmarks (spikearena bench NAME)" in done.stdout
