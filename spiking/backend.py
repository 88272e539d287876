"""Where Brian2 networks run: C++ standalone (compiled once, re-run with new data) or runtime.

C++ standalone turns a whole network into one C++ program. spikearena builds each
network *shape* once and then runs the same binary again and again, passing new data
and new state through ``device.run(run_args=...)`` (Brian2 >= 2.6), so training an
epoch or evaluating a test set never recompiles and never re-enters Python per example.

Every build gets a :class:`~brian2.devices.cpp_standalone.device.CPPStandaloneDevice`
of its own, so one process can hold several compiled networks at once (training and
test mode of a network, or networks of different sizes) and Brian2's global device
stays in runtime mode for everything else.

Each build also patches the hot loops of Brian2's C++ spike queue (:class:`_Device`):
the same insertions in the same order, one block copy per source and delay instead of
a push and a 64-bit division per synapse. :func:`memoised_exp` gives a group's
exponential-Euler step an exp with a one-entry cache (the same numbers, fewer calls).

Builds are cached on disk by a key (a hash of the model and its shape, see
:func:`build_key`) under :func:`cache_root`: the first process to compile a key
publishes its finished build as ``<key>/template`` (by an atomic rename); every
process then works in a private copy, ``<key>/proc-<host>-<pid>-<n>``, so parallel
workers never share a directory (the host name keeps apart the processes of machines
that share the cache on a network file system), and make finds the copied objects up
to date (a reuse costs seconds, a fresh compile tens of seconds). Private copies are
removed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import brian2
from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
from brian2.devices.device import reset_device, set_device

__all__ = [
    "BACKENDS",
    "CACHE_ENV",
    "StandaloneBuild",
    "StandaloneUnavailable",
    "build_key",
    "cache_root",
    "compiler_available",
    "memoised_exp",
    "process_rss_mb",
    "resolve_backend",
    "standalone_build",
]

logger = logging.getLogger(__name__)

CACHE_ENV = "SPIKEARENA_BUILD_DIR"
"""Environment variable overriding where compiled Brian2 builds are cached."""

BACKENDS = ("standalone", "runtime")


class StandaloneUnavailable(RuntimeError):
    """C++ standalone cannot run here (no compiler, or the build directory is unusable)."""


def cache_root() -> Path:
    """Directory of cached builds: ``$SPIKEARENA_BUILD_DIR`` or ``~/.cache/spikearena/brian2``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "spikearena" / "brian2"


def build_key(*parts) -> str:
    """A short stable hash of JSON-able parts (model description, shape), plus Brian2's version.

    >>> build_key({"n": 100}) == build_key({"n": 100}) != build_key({"n": 400})
    True
    """
    blob = json.dumps([brian2.__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@functools.cache
def compiler_available() -> bool:
    """Whether a C++ compiler and make run (Brian2's standalone needs both)."""
    for cmd in (["c++", "--version"], ["make", "--version"]):
        try:
            subprocess.run(cmd, capture_output=True, check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return False
    return True


def resolve_backend(backend: str) -> str:
    """``"standalone"`` or ``"runtime"``; "standalone" falls back to runtime with a warning.

    Raises
    ------
    ValueError
        For a backend name other than the two.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be 'standalone' or 'runtime', got {backend!r}")
    if backend == "standalone" and not compiler_available():
        warnings.warn(
            "no working C++ compiler/make found: running Brian2 in runtime mode, which is "
            "about 10-20x slower for the Diehl & Cook network; install g++ and make "
            "(e.g. apt-get install g++ make) for C++ standalone",
            RuntimeWarning,
            stacklevel=3,
        )
        return "runtime"
    return backend


def _writable_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StandaloneUnavailable(
            f"cannot create the Brian2 build directory {path}: {err}; set {CACHE_ENV} "
            "to a writable directory"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StandaloneUnavailable(
            f"the Brian2 build directory {path} is not writable; set {CACHE_ENV} to a "
            "writable directory"
        )
    return path


_PEAK_RSS_FILE = "peak_rss_kb"
# The binary's own high-water mark (VmHWM belongs to the exec'd image; getrusage of a
# child forked from a large Python process would include the parent's pages).
_WRITE_PEAK_RSS = f"""
{{
    std::ifstream status("/proc/self/status");
    std::ofstream out(brian::results_dir + "{_PEAK_RSS_FILE}");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) out << line.substr(6) << std::endl;
}}
"""

_PRIVATE_DIRS: set[Path] = set()
_HOST = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname())
_COUNTER = itertools.count()


@atexit.register
def _remove_private_dirs() -> None:
    for path in list(_PRIVATE_DIRS):
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class StandaloneBuild:
    """A compiled standalone network: its device, directory and the caller's handle."""

    key: str
    device: CPPStandaloneDevice
    directory: Path
    handle: object

    def run(self, run_args: dict) -> None:
        """Run the binary once with ``run_args`` (see :attr:`peak_rss_mb` afterwards).

        The data files Brian2 writes for ``run_args`` arrays are deleted afterwards
        (Brian2 would keep every one of them under ``static_arrays/``).
        """
        try:
            self.device.run(directory=str(self.directory), with_output=False, run_args=run_args)
        finally:
            for name in self.device.run_args_arrays:
                Path(self.directory, "static_arrays", name).unlink(missing_ok=True)
                Path(self.directory, "static_arrays", name + ".lock").unlink(missing_ok=True)

    @property
    def peak_rss_mb(self) -> float | None:
        """Peak resident memory of the last run of the binary (Linux ``VmHWM``), in MB."""
        try:
            kb = Path(self.directory, "results", _PEAK_RSS_FILE).read_text().split()[0]
        except (OSError, IndexError):
            return None
        return float(kb) / 1024


_QUEUE_FILE = "brianlib/spikequeue.h"
_QUEUE_PATCHES = (
    (  # new members: each source's synapses in delay blocks
        """    vector< vector<int> > synapses;
""",
        """    vector< vector<int> > synapses;
    // spikearena: every source's synapses sorted by delay (stably: ascending synapse
    // index within one delay), source after source, and where each delay's block
    // starts (n_delay_slots + 1 offsets per source), for pushes of whole blocks.
    vector<int32_t> by_delay;
    vector<int> block_start;
    int n_delay_slots;
""",
    ),
    (  # prepare: build the blocks (heterogeneous delays only)
        """        scalar_delay = (min_delay == max_delay);
""",
        """        scalar_delay = (min_delay == max_delay);
        if (!scalar_delay)
        {
            const int n_sources = source_end - source_start;
            n_delay_slots = max_delay + 1;
            by_delay.assign(n_synapses, 0);
            block_start.assign((size_t)n_sources * (n_delay_slots + 1), 0);
            vector<int> next(n_delay_slots + 1);
            int filled = 0;
            for (int s = 0; s < n_sources; s++)
            {
                const vector<int> &syn = synapses[s];
                int * __restrict bs = &block_start[(size_t)s * (n_delay_slots + 1)];
                std::fill(next.begin(), next.end(), 0);
                for (size_t k = 0; k < syn.size(); k++)
                    next[delays[syn[k] - openmp_padding] + 1]++;
                bs[0] = filled;
                for (int d = 0; d < n_delay_slots; d++)
                    bs[d + 1] = bs[d] + next[d + 1];
                for (int d = 0; d < n_delay_slots; d++)
                    next[d] = bs[d];
                for (size_t k = 0; k < syn.size(); k++)
                    by_delay[next[delays[syn[k] - openmp_padding]]++] = syn[k];
                filled = bs[n_delay_slots];
            }
        }
""",
    ),
    (  # push: one block copy per (source, delay) instead of one push per synapse
        """            int * __restrict rdelays = delays-openmp_padding;
            for(int idx_spike=start; idx_spike<stop; idx_spike++)
            {
                const int idx_neuron = rspikes[idx_spike] - source_start;
                const int num_indices = synapses[idx_neuron].size();
                if(num_indices==0) continue;
                const int* __restrict cur_indices = &(synapses[idx_neuron][0]);
                for(int idx_indices=0; idx_indices<num_indices; idx_indices++)
                {
                    const int synaptic_index = cur_indices[idx_indices];
                    int delay = rdelays[synaptic_index];
                    queue[(offset+delay)%queue.size()].push_back(synaptic_index);
                }
            }
""",
        """            const int n_slots = (int)queue.size();
            for(int idx_spike=start; idx_spike<stop; idx_spike++)
            {
                const int idx_neuron = rspikes[idx_spike] - source_start;
                const int * __restrict bs = &block_start[(size_t)idx_neuron * (n_delay_slots + 1)];
                for (int d = 0; d < n_delay_slots; d++)
                {
                    if (bs[d] == bs[d + 1]) continue;
                    int slot = offset + d;
                    if (slot >= n_slots) slot -= n_slots;
                    vector<int32_t> &cur_queue = queue[slot];
                    cur_queue.insert(cur_queue.end(), by_delay.begin() + bs[d],
                                     by_delay.begin() + bs[d + 1]);
                }
            }
""",
    ),
)


class _Device(CPPStandaloneDevice):
    """Brian2's standalone device with a faster spike-queue push for per-synapse delays.

    Brian2's ``CSpikeQueue::push`` sends each synapse of a spiking source to the slot
    of its delay, one ``push_back`` (and a 64-bit modulo) per synaptic event: about
    half the Diehl & Cook simulation at N = 400 (perf). The patched queue sorts each
    source's synapses by delay once per run (``prepare``) and pushes each
    (source, delay) block with one copy. Within a block the synapses keep their
    ascending order, so every slot receives the same synapses in the same order as
    before and results are identical (bit for bit: a test compares spike trains and
    weights with the unpatched queue). If Brian2's source ever changes so that a
    patched passage is not found, the file is left as it is (correct, slower) with a
    warning.
    """

    patch_queue = True
    """Class switch for tests that compare against Brian2's own queue."""

    def copy_source_files(self, writer, directory):
        super().copy_source_files(writer, directory)
        if not self.patch_queue:
            return
        path = Path(directory, _QUEUE_FILE)
        original = path.read_text()
        missing = [old for old, _ in _QUEUE_PATCHES if old not in original]
        if missing:
            warnings.warn(
                f"Brian2 {brian2.__version__}'s spike queue is not the one spikearena "
                "patches; using it unchanged (correct, somewhat slower)",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        patched = original
        for old, new in _QUEUE_PATCHES:
            patched = patched.replace(old, new, 1)
        stat = path.stat()
        path.write_text(patched)
        # Keep the copied file's time stamp (Brian2 copies it with copy2), so make sees
        # a reused build's objects as up to date. The build key hashes this module.
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


_MEMO_EXP_CPP = """
static inline double _memo_exp(const double x)
{
    // exp through a one-entry cache: exactly exp(x), computed only when x changes
    static double last_x = 0.0, last_e = 1.0;
    if (x != last_x) { last_x = x; last_e = exp(x); }
    return last_e;
}
"""


@functools.cache
def _memo_exp_function():
    import numpy as np
    from brian2 import check_units, implementation

    @implementation("cpp", _MEMO_EXP_CPP, name="_memo_exp")
    @check_units(x=1, result=1)
    def memo_exp(x):
        return np.exp(x)

    return memo_exp


MEMOISE_EXP = True
"""Module switch for tests that compare against Brian2's plain ``exp`` calls."""


def memoised_exp(kwargs: dict) -> dict:
    """A NeuronGroup's keyword arguments, its exponential-Euler step calling a cached exp.

    Brian2's exponential Euler evaluates ``exp(dt * (-1 - g_e - g_i) / tau_m)`` for every
    neuron in every step, about a third of a Diehl & Cook simulation (perf). Where the
    conductances are zero the argument is the same for neuron after neuron: an
    inhibitory cell of that network gets no inhibition, and its excitation decays to
    exactly zero (denormals are flushed) half a second after its one excitatory
    partner last fired, which for most cells is most of the time. The C++ function
    that replaces ``exp`` here remembers its last argument and result, so each such
    run of equal arguments costs one ``exp``. The result is ``exp`` itself, bit for
    bit (a test compares spike trains and weights with the plain calls). For C++
    standalone only (one thread: the cache is a static variable); other methods, OpenMP
    builds and switched-off memoisation (:data:`MEMOISE_EXP`) return ``kwargs``
    unchanged.
    """
    if not MEMOISE_EXP or kwargs.get("method") != "exponential_euler":
        return kwargs
    if brian2.prefs.devices.cpp_standalone.openmp_threads > 1:
        return kwargs  # threads would share the cache
    from brian2.stateupdaters.exponential_euler import exponential_euler

    def method(equations, variables=None, method_options=None):
        code = exponential_euler(equations, variables, method_options)
        return re.sub(r"\bexp\(", "memo_exp(", code)

    return {
        **kwargs,
        "method": method,
        "namespace": {**kwargs.get("namespace", {}), "memo_exp": _memo_exp_function()},
    }


_BUILDS: dict[str, StandaloneBuild] = {}


def standalone_build(key: str, build: Callable[[CPPStandaloneDevice], object]) -> StandaloneBuild:
    """The compiled network for ``key``, built (or reused from the disk cache) on first use.

    Parameters
    ----------
    key
        Identifies the network's code (see :func:`build_key`).
    build
        Called with a fresh standalone device active; creates the Brian2 objects, calls
        ``device.apply_run_args()`` and ``run`` once, and returns a handle (the objects
        the caller reads results from). Later calls with the same key return the same
        :class:`StandaloneBuild` without calling it.

    Raises
    ------
    StandaloneUnavailable
        If the build directory is unusable or compilation fails.
    """
    if key in _BUILDS:
        return _BUILDS[key]
    root = _writable_dir(cache_root() / key)
    private = root / f"proc-{_HOST}-{os.getpid()}-{next(_COUNTER)}"
    template = root / "template"
    shutil.rmtree(private, ignore_errors=True)
    if template.is_dir():
        logger.debug("reusing the compiled Brian2 network %s from %s", key, template)
        shutil.copytree(template, private, symlinks=True)  # copy2 keeps mtimes: no rebuild
    else:
        logger.info(
            "compiling the Brian2 network %s (first use of this layout; cached in %s)", key, root
        )
    _PRIVATE_DIRS.add(private)

    device = _Device()
    set_device(device, build_on_run=False, directory=str(private))
    try:
        handle = build(device)
        device.insert_code("after_end", _WRITE_PEAK_RSS)
        with _bounded_make():
            device.build(directory=str(private), compile=True, run=False, with_output=False)
    except Exception as err:  # noqa: BLE001 - Brian2 raises plain RuntimeError/OSError here
        raise StandaloneUnavailable(
            f"building the Brian2 network in {private} failed: {err}"
        ) from err
    finally:
        reset_device()
    if not template.exists():
        _publish(private, template)
    _BUILDS[key] = StandaloneBuild(key, device, private, handle)
    return _BUILDS[key]


_MAKE_ARGS = "devices.cpp_standalone.extra_make_args_unix"


@contextlib.contextmanager
def _bounded_make():
    """Compile with at most as many jobs as this process has CPUs.

    Brian2's default is ``make -j``, without a limit: one compiler per generated source
    file at once (some 40 for the Diehl & Cook network, a few hundred MB each), and twice
    that when two workers build at once, which swamps a small machine. A preference the
    user changed is left alone.
    """
    previous = list(brian2.prefs[_MAKE_ARGS])
    if previous == ["-j"]:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        brian2.prefs[_MAKE_ARGS] = [f"-j{cpus or 1}"]
    try:
        yield
    finally:
        brian2.prefs[_MAKE_ARGS] = previous


def _publish(private: Path, template: Path) -> None:
    """Copy a finished build to ``template`` atomically (first writer wins)."""
    staging = Path(tempfile.mkdtemp(dir=template.parent, prefix=".template-"))
    try:
        shutil.copytree(private, staging / "build", symlinks=True, ignore=_not_code)
        os.rename(staging / "build", template)
    except OSError:
        pass  # another process published first, or the disk is full: not needed to run
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _not_code(directory, names):
    return [n for n in names if n == "results" or n.startswith("init_")]


def process_rss_mb() -> float | None:
    """Resident memory of this (Python) process now (Linux ``VmRSS``), in MB; None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
