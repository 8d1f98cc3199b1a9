"""Run calls at the same moment in threads, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection


def run_together(call: Callable[..., Any], args: Sequence[tuple[Any, ...]]) -> list[Any]:
    """``call(*a)`` for each ``a`` in ``args``, one thread each, released together by a
    barrier; returns the results in the order of ``args``. An exception in any thread is
    re-raised here (the first one), after every thread has finished. Each thread closes its
    own connection, as a worker process's would end."""
    barrier = threading.Barrier(len(args))
    results: list[Any] = [None] * len(args)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call(*args[index])
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(args))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
