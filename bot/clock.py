"""The time, as one object every part shares, so the shell and tests can move it.

The app, its reminder scheduler and the embedded Coviu API all ask the same clock. In
production it is the real time. The shell's `skip` command moves it forward to show a reminder
without waiting; tests freeze it at a known instant::

    >>> clock = Clock(frozen_at=datetime(2030, 3, 18, 9, 0, tzinfo=UTC))
    >>> clock.advance(timedelta(minutes=50)).isoformat()
    '2030-03-18T09:50:00+00:00'
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, frozen_at: datetime | None = None) -> None:
        if frozen_at is not None and frozen_at.tzinfo is None:
            raise ValueError("frozen_at must be timezone-aware")
        self._frozen_at = frozen_at
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.now()

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else datetime.now(UTC)
            return base + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward (never back)."""
        if delta < timedelta():
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()
