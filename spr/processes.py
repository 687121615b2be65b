"""Worker processes that start clean.

A pool whose workers are forks of the calling process inherits everything that process holds at that
moment: the state of other threads' locks and of native libraries (DuckDB under the identity stage, the
progress bar's refresh thread). Under load that crashed a bulk load's checking worker (a segmentation
fault while it collected garbage, and the load failed with "a child process terminated abruptly"). The
pools here fork their workers from a separate, single-threaded server process instead (``forkserver``),
which has imported the modules the workers need once (``preload``), so starting a worker stays cheap.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def process_pool(workers: int, *, preload: Sequence[str] = (), **kwargs: Any) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``workers`` processes, none of them a fork of this one (``forkserver``
    where the platform has it, else ``spawn``). ``preload``: modules the server imports before its first
    fork (the worker functions' own), taken when this process starts its server, its first pool."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), **kwargs)
    context = multiprocessing.get_context("forkserver")
    if preload:
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(workers, mp_context=context, **kwargs)
