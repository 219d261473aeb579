"""The worker: runs the jobs the web side recorded, and sends the reminders that fall due.

Any number of workers share one database. Each claims what it runs under a lease it keeps
renewing while alive; a worker that dies (SIGKILL, a lost machine) stops renewing, its lease
runs out, and another worker takes the job again. Jobs are written to be run again: each
step records that it was done in the same transaction as its effect (see `bot.booking`), so a
rerun skips what is done and finishes the rest::

    worker = Worker(store, run=router.run, reminders=reminders.send_due)
    worker.start()       # a dispatcher thread and a pool; catches up at once
    worker.wake()        # something was queued or rescheduled: look now
    worker.wait_idle()   # tests and the shell: until nothing runnable is left
    worker.stop()        # SIGTERM: finish what is in hand, hand back the rest

On PostgreSQL idle workers are woken by ``NOTIFY coviu_jobs`` from the web process's insert;
on SQLite (one machine) they also look every `POLL_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bot.storage import Store
from bot.storage.store import Job

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
# How long after a failure a job is tried again, by attempt; past the last, it has failed.
BACKOFF = (1, 5, 30, 120)
# An idle worker looks for work this often even without being woken (other processes'
# reminders and jobs on SQLite, and anything a lost notification would hide).
POLL_SECONDS = 1.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        store: Store,
        run: Callable[[Job], None],
        *,
        reminders: Callable[[datetime], object] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        threads: int = 8,
        lease: timedelta = LEASE,
    ) -> None:
        self.store = store
        self.run_job = run
        self.send_reminders = reminders
        self.clock = clock
        self.name = worker_name()
        self.lease = lease
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")
        self._held: set[str] = set()
        self._state = threading.Condition()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = self._passes = 0  # dispatcher passes begun and ended

    # -- running ------------------------------------------------------------------------------

    def start(self) -> Worker:
        for target, name in ((self._dispatch, "dispatch"), (self._heartbeat, "heartbeat")):
            thread = threading.Thread(target=target, name=f"worker-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.store.dialect == "postgresql":
            thread = threading.Thread(target=self._listen, name="worker-listen", daemon=True)
            thread.start()
        return self

    def wake(self) -> None:
        """Something was queued or rescheduled: look again now."""
        self._wake.set()

    def run_pending(self) -> int:
        """Claim and run what is runnable now, on this thread's pool; how many jobs were
        started. (The dispatcher does this in its loop.)"""
        free = self.threads - len(self._held)
        if free <= 0 or self._stopping.is_set():
            return 0
        jobs = self.store.claim_jobs(self.name, self.clock(), self.lease, free)
        with self._state:
            self._held.update(job.key for job in jobs)
        for job in jobs:
            self._pool.submit(self._run, job)
        return len(jobs)

    def _run(self, job: Job) -> None:
        try:
            self.run_job(job)
        except Exception as error:
            self._failed(job, error)
        else:
            self.store.finish_job(job.key, self.name, self.clock())
        finally:
            with self._state:
                self._held.discard(job.key)
                self._state.notify_all()
            self._wake.set()

    def _failed(self, job: Job, error: Exception) -> None:
        # The job's own handlers answer people's mistakes; what reaches here is the app's or
        # a neighbour's trouble (the database, a bug): try again later, then give up.
        name = type(error).__name__
        if job.attempts <= len(BACKOFF):
            delay = timedelta(seconds=BACKOFF[job.attempts - 1])
            log.warning("job %s failed (%s); trying again in %s", job.kind, name, delay)
            self.store.release_job(job.key, self.name, self.clock() + delay)
        else:
            log.error("job %s failed %d times (%s); giving up", job.kind, job.attempts, name)
            self.store.finish_job(job.key, self.name, self.clock(), failed=name)

    def _dispatch(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before the pass, so a wake() during it is not lost
            with self._state:
                self._started += 1
            try:
                if self.send_reminders is not None:
                    self.send_reminders(self.clock())
                self.run_pending()
            except Exception:
                log.exception("worker pass failed")
            with self._state:
                self._passes += 1
                self._state.notify_all()
            self._wake.wait(self._until_next())

    def _until_next(self) -> float:
        """Seconds to sleep: until the next reminder falls due, `POLL_SECONDS` at most."""
        if self.send_reminders is None:
            return POLL_SECONDS
        try:
            due = self.store.next_reminder_due()
        except Exception:
            return POLL_SECONDS
        if due is None:
            return POLL_SECONDS
        # A floor, so a reminder another worker is claiming right now is no busy loop.
        return min(max((due - self.clock()).total_seconds(), 0.02), POLL_SECONDS)

    def _heartbeat(self) -> None:
        while not self._stopping.wait(self.lease.total_seconds() / 3):
            with self._state:
                held = list(self._held)
            try:
                self.store.extend_leases(self.name, held, self.clock() + self.lease)
            except Exception:
                log.exception("could not renew leases")

    def _listen(self) -> None:
        listener = None
        try:
            listener = self.store.db.listen("coviu_jobs")  # type: ignore[attr-defined]
            while not self._stopping.is_set():
                for _ in listener.notifies(timeout=POLL_SECONDS, stop_after=1):
                    self._wake.set()
        except Exception:
            if not self._stopping.is_set():
                log.warning("job notifications lost; polling every %ss", POLL_SECONDS)
        finally:
            if listener is not None:
                listener.close()

    # -- waiting and stopping -----------------------------------------------------------------

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing runnable is queued and nothing is running. False on timeout.

        Each round waits for a whole dispatcher pass that began after it asked, so work queued
        by a job that just ended is seen too.
        """
        deadline = time.monotonic() + timeout
        with self._state:
            while (left := deadline - time.monotonic()) > 0:
                if self._held:
                    self._state.wait(left)
                    continue
                target = self._started + 1
                self._wake.set()
                self._state.wait_for(lambda t=target: self._passes >= t, left)
                if self._passes >= target and not self._held and not self._runnable():
                    return True
        return False

    def _runnable(self) -> bool:
        due = self.store.next_job_due()
        return due is not None and due <= self.clock()

    def stop(self, grace: float = 20.0) -> None:
        """Stop claiming; let running jobs finish for up to `grace` seconds; hand back the
        rest (their leases are released, so another worker takes them at once)."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=grace)
        with self._state:
            self._state.wait_for(lambda: not self._held, timeout=grace)
            left = list(self._held)
        for key in left:
            self.store.release_job(key, self.name, self.clock())
        self._pool.shutdown(wait=False, cancel_futures=True)
