# SPDX-License-Identifier: BSD-3-Clause
"""How many torch threads a fit or a prediction uses.

Small recurrent nets gain little from intra-op threads, and lose a lot when
the threads outnumber the free cores: torch's OpenMP threads spin-wait, so
two threads per process on a 2-core machine slow down by a large factor as
soon as another busy process shares the cores (the README's "Parallel search
on one machine" has a measurement). A parallel search multiplies processes,
so each fit must take only its share of the machine.

What the parallel runners tell their workers (checked with joblib 1.6,
distributed 2026.8, torch 2.13):

- joblib's ``loky`` backend (scikit-learn's default for ``n_jobs``) starts
  workers with ``OMP_NUM_THREADS`` (and ``MKL_NUM_THREADS`` ...) set to
  ``cpu_count() // n_jobs`` unless the parent already sets them, or to
  ``inner_max_num_threads`` of ``parallel_config``; torch reads
  ``OMP_NUM_THREADS`` at start-up, so it already uses that count there.
- Dask's nanny starts worker processes with ``OMP_NUM_THREADS=1``
  (``distributed.nanny.pre-spawn-environ``).
- Threads share one process and nothing is set for them: joblib's
  ``threading`` backend, and Dask workers without processes
  (``processes=False``), run every fit with torch's full count. So does
  joblib's ``multiprocessing`` backend, whose forked workers inherit the
  parent's environment unchanged.

The count chosen here is, in this order: the estimator's ``n_threads`` when
given; otherwise torch's current count, capped by ``OMP_NUM_THREADS`` and,
inside a Dask worker, by the cores per Dask worker thread of this process.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from numbers import Integral

import torch
from joblib import cpu_count


def _env_thread_limit() -> int | None:
    """Return the first count in ``OMP_NUM_THREADS``, or None when unset.

    OpenMP accepts a comma-separated list (one count per nesting level); the
    outer level is the one torch uses.
    """
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n >= 1 else None


def _dask_thread_limit() -> int | None:
    """Return the cores per Dask worker thread of this process, or None.

    Only inside a task of a ``distributed`` worker. Workers started with
    ``processes=False`` share the process, so their threads are summed.
    """
    # Look only when distributed is loaded: a Dask worker has imported it, and
    # importing it here would cost every fit outside Dask a second or so.
    if "distributed" not in sys.modules:
        return None
    from distributed import Worker, get_worker
    from distributed.core import Status

    try:
        worker = get_worker()
    except ValueError:  # not running in a worker
        return None
    live = (Status.running, Status.paused)
    workers = [w for w in getattr(Worker, "_instances", ()) if w.status in live]
    n_threads = sum(w.state.nthreads for w in workers) or worker.state.nthreads
    return max(1, cpu_count() // n_threads)


def effective_n_threads(n_threads: int | None = None) -> int:
    """Return the number of torch threads to use for one fit or prediction.

    Parameters
    ----------
    n_threads : int or None, default=None
        An explicit count, returned unchanged. None reads the environment:
        torch's current count (``torch.get_num_threads()``), capped by
        ``OMP_NUM_THREADS`` when it is set and, inside a Dask worker, by the
        CPU cores divided by the Dask worker threads of this process.

    Returns
    -------
    n_threads : int
        A count of at least 1.

    Examples
    --------
    >>> from sklearn_rnn._threads import effective_n_threads
    >>> effective_n_threads(3)
    3
    """
    if n_threads is not None:
        if not isinstance(n_threads, Integral) or isinstance(n_threads, bool):
            raise TypeError(f"n_threads must be an int or None, got {n_threads!r}.")
        if n_threads < 1:
            raise ValueError(f"n_threads must be at least 1, got {n_threads}.")
        return int(n_threads)
    n = torch.get_num_threads()
    for limit in (_env_thread_limit(), _dask_thread_limit()):
        if limit is not None:
            n = min(n, limit)
    return max(1, n)


@contextmanager
def torch_threads(n_threads: int | None = None):
    """Run the block with ``effective_n_threads(n_threads)`` torch threads.

    The previous count comes back on exit, also when the block raises; when
    the count is already right, nothing is set at all.

    With torch's OpenMP build (the CPU wheels), ``torch.set_num_threads``
    acts on the calling thread, and on threads that have not run torch yet:
    fits in other threads that are already running keep their own count.

    Parameters
    ----------
    n_threads : int or None, default=None
        See :func:`effective_n_threads`.

    Yields
    ------
    n_threads : int
        The count in effect inside the block.

    Examples
    --------
    >>> import torch
    >>> from sklearn_rnn._threads import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    n = effective_n_threads(n_threads)
    previous = torch.get_num_threads()
    if n == previous:
        yield n
        return
    torch.set_num_threads(n)
    try:
        yield n
    finally:
        torch.set_num_threads(previous)
