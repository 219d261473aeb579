"""A thread pool that knows when it is idle.

Bolt runs listeners and lazy listeners on the executor it is given. The shell waits for the
app to finish handling one line before reading the next, and tests wait for a request's lazy
work to finish, with `wait_idle()`: a condition variable, not a sleep::

    executor = TrackingExecutor(max_workers=8)
    app = App(..., listener_executor=executor)
    executor.wait_idle()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class TrackingExecutor(ThreadPoolExecutor):
    def __init__(self, max_workers: int | None = None, thread_name_prefix: str = "work") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._busy += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any] | None) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = 30.0) -> bool:
        """Block until no task is queued or running. False if `timeout` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)
