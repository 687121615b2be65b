"""Worker pools never fork the process that makes them (spr.processes)."""

from __future__ import annotations

import os
import threading

from spr.processes import process_pool


def test_a_pools_workers_are_not_forks_of_a_process_with_threads_running() -> None:
    # A thread is running, as the progress bar's or a native library's would be: a fork now would copy its
    # locks in whatever state they are. The workers must come from elsewhere (their parent is not us).
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        with process_pool(2, preload=["spr.processes"]) as pool:
            parents = {pool.submit(os.getppid).result() for _ in range(4)}
    finally:
        stop.set()
        busy.join()
    assert os.getpid() not in parents
    assert len(parents) == 1  # one clean server process starts them all
