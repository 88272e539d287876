"""The spiking arm: Brian2 neurons, plasticity, encoders and networks (see docs/ARCHITECTURE.md).

Importing Brian2 replaces the process's Ctrl-C (SIGINT) handler with one that stops a
running simulation and otherwise calls the handler it replaced. Where that was not a
function but ``SIG_IGN`` (a process started in the background by a non-interactive
shell inherits SIGINT ignored) or ``SIG_DFL``, Brian2's
handler fails with ``TypeError: 'Handlers' object is not callable`` at the first
SIGINT. Importing this package repairs that: an ignored SIGINT stays ignored, and a
default one raises :class:`KeyboardInterrupt`, as Python's own handler does.
"""

from __future__ import annotations

import signal
import threading


def _repair_brian2_sigint_handler() -> None:
    import brian2  # noqa: F401  (installs its handler on first import)

    handler = signal.getsignal(signal.SIGINT)
    previous = getattr(handler, "previous_handler", None)
    if previous is None or callable(previous):
        return
    if threading.current_thread() is not threading.main_thread():
        return  # signal.signal works only there; Brian2's handler was installed there too
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:  # SIG_DFL
        handler.previous_handler = signal.default_int_handler


_repair_brian2_sigint_handler()
