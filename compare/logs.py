"""Where the project's log messages go when ``spikearena`` runs: its ``-v`` and ``-q``.

The library modules only log (``logger = logging.getLogger(__name__)``); nothing is
configured on import. The command line configures the loggers of the three packages
for the length of one command (:func:`configured`):

- ``-q``: warnings and errors only, and no progress bars (a package logger set above
  INFO hides that package's tqdm bars);
- default: INFO and above (progress messages such as a Brian2 build being compiled);
- ``-v``: DEBUG of spikearena's own modules too (each job started and finished);
- ``-vv``: DEBUG of the third-party libraries as well (Dask, matplotlib, ...).

Lines go to standard error as ``spikearena: LEVEL: message``; standard output keeps
what a command exists to print (lists, tables, paths).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

__all__ = ["FORMAT", "PACKAGES", "configured", "level_for"]

PACKAGES = ("compare", "spiking", "artificial")
"""The loggers configured: each package's root logger (its modules' loggers are children)."""

FORMAT = "spikearena: %(levelname)s: %(message)s"


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record arrives (a redirected stream,
    pytest's capture), not the stream of the time it was made."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def level_for(verbosity: int) -> int:
    """The level of spikearena's loggers: -1 (``-q``) WARNING, 0 INFO, 1 or more DEBUG."""
    if verbosity < 0:
        return logging.WARNING
    return logging.INFO if verbosity == 0 else logging.DEBUG


@contextlib.contextmanager
def configured(verbosity: int) -> Iterator[None]:
    """Log to standard error at :func:`level_for` ``(verbosity)`` while the block runs.

    The handler sits on each of :data:`PACKAGES`' loggers; from ``verbosity >= 2`` on
    it sits on the root logger instead, at DEBUG, so third-party records show too.
    Afterwards the loggers' levels and handlers are as they were.
    """
    handler = _Stderr()
    handler.setFormatter(logging.Formatter(FORMAT))
    names = ["", *PACKAGES]
    saved = {name: _state(logging.getLogger(name)) for name in names}
    try:
        for name in PACKAGES:
            logging.getLogger(name).setLevel(level_for(verbosity))
        if verbosity >= 2:
            logging.getLogger().setLevel(logging.DEBUG)
            logging.getLogger().addHandler(handler)
        else:
            for name in PACKAGES:
                logging.getLogger(name).addHandler(handler)
        yield
    finally:
        for name, (level, handlers) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.handlers[:] = handlers


def _state(logger: logging.Logger) -> tuple[int, list[logging.Handler]]:
    return logger.level, list(logger.handlers)
