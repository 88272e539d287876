"""Shared fixtures: a clean Brian2 state and closed figures around every test."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_global_state():
    """Reset Brian2's scope and default clock and close figures, before and after."""
    import brian2

    brian2.start_scope()
    brian2.defaultclock.dt = 0.1 * brian2.ms
    yield
    brian2.start_scope()
    plt.close("all")


@pytest.fixture
def seed():
    """The seed tests use where any fixed seed would do."""
    return 1234
