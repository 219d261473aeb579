"""Reminder DMs, from a persistent schedule in the store.

Why not Slack's `chat.scheduleMessage`? Every move, cancel and removal would have to be mirrored
to Slack per participant, scheduled messages can't be edited, and the store would still be
needed to know what to delete. A schedule in our own SQLite file is the one truth: it moves
with the session in the same transaction, survives restarts, and a start catches up on
whatever fell due while the app was down.

Each reminder is claimed ("sending") in a transaction before its DM is posted and marked "sent"
after, so it is never sent twice, even with two processes on one file. If posting fails it
goes back to "pending" and is tried again on the next pass::

    scheduler = ReminderScheduler(store, notifier.remind)
    scheduler.start()          # a daemon thread; catches up at once
    scheduler.wake()           # after booking: re-read when the next one is due
    scheduler.send_due(now)    # one pass, as the thread does it (used by tests)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from bot.storage import ParticipantRecord, SessionRecord, Store

log = logging.getLogger(__name__)

# A failed send is retried after this long, so a Slack outage doesn't become a busy loop.
RETRY_SECONDS = 30.0
# Upper bound on a wait, so a clock change or a missed wake can't delay reminders for long.
LONGEST_WAIT = 300.0


class ReminderScheduler:
    def __init__(
        self,
        store: Store,
        remind: Callable[[SessionRecord, ParticipantRecord], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.remind = remind
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send_due(self, now: datetime | None = None) -> int:
        """Send every reminder due by `now`. Returns how many were sent."""
        return self._pass(now or self.clock())[0]

    def _pass(self, now: datetime) -> tuple[int, int]:
        """(sent, failed) for one pass over the reminders due by `now`."""
        sent = failed = 0
        for due in self.store.claim_due_reminders(now):
            try:
                self.remind(due.session, due.participant)
            except Exception:
                log.warning(
                    "reminder for session %s not delivered; will retry", due.session.session_id
                )
                self.store.finish_reminder(due.participant.participant_id, False, now)
                failed += 1
            else:
                self.store.finish_reminder(due.participant.participant_id, True, now)
                sent += 1
        return sent, failed

    def _seconds_to_next(self, failed: bool) -> float:
        due = self.store.next_reminder_due()
        if due is None:
            return LONGEST_WAIT
        wait = (due - self.clock()).total_seconds()
        if failed:
            wait = max(wait, RETRY_SECONDS)
        return min(max(wait, 0.0), LONGEST_WAIT)

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the pass, so a wake() during it is not lost.
            self._wake.clear()
            try:
                failed = self._pass(self.clock())[1] > 0
            except Exception:
                log.exception("reminder pass failed")
                failed = True
            self._wake.wait(self._seconds_to_next(failed))

    def start(self) -> ReminderScheduler:
        self._thread = threading.Thread(target=self._run, name="reminders", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Something changed in the schedule: look again now."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
