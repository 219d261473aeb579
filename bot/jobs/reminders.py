"""Reminder DMs, from a persistent schedule in the store.

Why not Slack's `chat.scheduleMessage`? Every move, cancel and removal would have to be mirrored
to Slack per participant, scheduled messages can't be edited, and the store would still be
needed to know what to delete. A schedule in our own database is the one truth: it moves with
the session in the same transaction, survives restarts, and a worker catches up on whatever
fell due while none was running.

Each due reminder is claimed under a lease before its DM is posted, and marked sent in the
same step that records where Slack put it. A worker that dies holding a claim loses it when
the lease runs out, and the reminder is sent by another. The window for a second copy (Slack
accepted the DM and the process died before recording it) is closed as far as Slack lets: a
reminder claimed by a sender that died is looked for in our DM's history with that person (by
the mark in its metadata) before it is sent again. Only a person's very first DM from the app,
unrecorded when the process died, can come twice: we don't know that DM's channel yet::

    reminders = Reminders(store, notifier, fanout)
    reminders.send_due(now)    # one pass; the worker calls it in its loop
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime

from bot.slack.notify import SlackNotifier
from bot.slack.people import UnknownUser
from bot.storage import Store
from bot.storage.store import DueReminder
from bot.workspaces import for_team, using

log = logging.getLogger(__name__)



class Reminders:
    def __init__(
        self,
        store: Store,
        notifier: SlackNotifier,
        fanout: Executor,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 100,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.fanout = fanout
        self.clock = clock
        self.batch = batch

    def send_due(self, now: datetime | None = None) -> int:
        """Send every reminder due by `now`, many at once. Returns how many were sent."""
        now = now or self.clock()
        sent = 0
        while due := self.store.claim_due_reminders(now, limit=self.batch):
            results = list(self.fanout.map(lambda item: self._send(item, now), due))
            sent += sum(results)
            if len(due) < self.batch or not any(results):
                break
        return sent

    def _send(self, due: DueReminder, now: datetime) -> bool:
        # Reminders of every workspace come due together: each goes with its own's token.
        with using(for_team(due.session.team_id)):
            return self._send_in_workspace(due, now)

    def _send_in_workspace(self, due: DueReminder, now: datetime) -> bool:
        participant_id = due.participant.participant_id
        # A reminder is for one start time: one moved later is another reminder.
        mark = f"reminder:{participant_id}:{due.session.start.isoformat()}"
        try:
            sent = due.uncertain and self.notifier.found(due.participant, mark)
            channel, ts = sent or self.notifier.remind(due.session, due.participant, mark)
        except UnknownUser:
            # Deactivated since booking: nobody to remind, and no point trying every pass.
            self.store.drop_reminder(participant_id)
            return False
        except Exception:
            log.warning("reminder for session %s not delivered; will retry", due.session.session_id)
            self.store.finish_reminder(participant_id, False, now)
            return False
        self.store.finish_reminder(participant_id, True, now, channel=channel, ts=ts)
        return True
