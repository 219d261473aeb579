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

Each person has a row per lead time (`remind 1 day and 10 min before`, their App Home
default, or the app's), and one at the start: the "Starting now" DM, skipped for whoever is
in the session already (from Coviu's webhooks, `bot.waiting`). A snoozed reminder is the
same row due again with its DM kept: it is brought back by `chat.update` of that message,
never a second copy (an update can't duplicate, so it needs no look in the history).

The morning list (`MorningLists`) rides the same pass: for each person with a session today
in their own zone, once their morning time (8:00 unless they chose otherwise) has come, one DM
listing the day's sessions, claimed per person and local day so it goes exactly once. A list
that no worker could send at its time (all down) goes up to two hours late, not later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError

from bot.jobs.outbox import GONE
from bot.slack import reminder_blocks
from bot.slack.notify import SlackNotifier
from bot.slack.people import SlackPeople, UnknownUser
from bot.storage import Store
from bot.storage.personal import Attendance, PersonalStore
from bot.storage.store import RETRY_AFTER, DueReminder
from bot.waiting.store import RoomStore
from bot.workspaces import for_team, using

log = logging.getLogger(__name__)

# Already here: no "Starting now" DM (a guest waiting to be let in counts: they came).
PRESENT = {"in", "waiting"}
MORNING_LEASE = timedelta(seconds=30)
# How often the pass looks for morning lists owed (by the clock it is given).
MORNING_EVERY = timedelta(minutes=1)
# A list no worker could send at its time still goes this long after; later, the morning is
# over and the day's reminders do the work.
MORNING_LATE = timedelta(hours=2)


class Reminders:
    def __init__(
        self,
        store: Store,
        notifier: SlackNotifier,
        fanout: Executor,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 100,
        people: SlackPeople | None = None,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.fanout = fanout
        self.clock = clock
        self.batch = batch
        self.room = RoomStore(store)
        self.mornings = MorningLists(store, notifier, people)

    def send_due(self, now: datetime | None = None) -> int:
        """Send every reminder due by `now`, many at once, and any morning list owed.
        Returns how many reminders were sent."""
        now = now or self.clock()
        sent = 0
        while due := self.store.claim_due_reminders(now, limit=self.batch):
            results = list(self.fanout.map(lambda item: self._send(item, now), due))
            sent += sum(results)
            if len(due) < self.batch or not any(results):
                break
        try:
            self.mornings.send_due(now)
        except Exception:
            log.exception("morning lists not sent this pass; trying again at the next")
        return sent

    def _send(self, due: DueReminder, now: datetime) -> bool:
        # Reminders of every workspace come due together: each goes with its own's token.
        with using(for_team(due.session.team_id)):
            return self._send_in_workspace(due, now)

    def _send_in_workspace(self, due: DueReminder, now: datetime) -> bool:
        participant_id = due.participant.participant_id
        if due.lead_minutes == 0 and self._present(due):
            self.store.drop_reminder(due.reminder_id, "skipped")
            return False
        # A reminder is for one start time: one moved later is another reminder.
        mark = f"reminder:{participant_id}:{due.lead_minutes}:{due.session.start.isoformat()}"
        try:
            if due.snoozed and due.channel and due.ts and self._updated(due):
                channel, ts = due.channel, due.ts
            else:
                sent = due.uncertain and self.notifier.found(due.participant, mark)
                channel, ts = sent or self.notifier.remind(
                    due.session, due.participant, mark, due.lead_minutes
                )
        except UnknownUser:
            # Deactivated since booking: nobody to remind, and no point trying every pass.
            self.store.drop_reminder(due.reminder_id)
            return False
        except Exception:
            log.warning("reminder for session %s not delivered; will retry", due.session.session_id)
            self.store.finish_reminder(due.reminder_id, False, now)
            return False
        self.store.finish_reminder(due.reminder_id, True, now, channel=channel, ts=ts)
        return True

    def _updated(self, due: DueReminder) -> bool:
        """Bring a snoozed reminder back in its own DM; False if that DM is gone (its
        reader deleted it), so a new one is posted instead."""
        message = self.notifier.reminder_message(due.session, due.participant, due.lead_minutes)
        try:
            self.notifier.update(due.channel or "", due.ts or "", message)
        except SlackApiError as error:
            if error.response.get("error") in GONE:
                return False
            raise
        return True

    def _present(self, due: DueReminder) -> bool:
        status = self.room.presence(due.session.session_id).get(due.participant.participant_id)
        return status in PRESENT


class MorningLists:
    """Each morning, a DM to each person listing that day's sessions (their own zone).

    A pass is two queries whatever the number of people (everyone in a session in the next
    day or so, with zone and morning time; the lists already taken), then one claim per list
    that is due now: it runs in the worker's loop, so it must stay cheap.
    """

    def __init__(
        self, store: Store, notifier: SlackNotifier, people: SlackPeople | None = None
    ) -> None:
        self.store = store
        self.personal = PersonalStore(store)
        self.notifier = notifier
        self.people = people
        self._looked: datetime | None = None

    def send_due(self, now: datetime) -> int:
        """Send the lists owed by `now`; how many went. Looks once a minute at most."""
        if self._looked is not None and self._looked <= now < self._looked + MORNING_EVERY:
            return 0
        self._looked = now
        # Anyone's "today" lies within a day and a bit of now, whatever their zone.
        everyone = self.personal.sessions_between(
            now - timedelta(hours=1), now + timedelta(hours=27)
        )
        taken = self.personal.mornings_taken((now - timedelta(days=1)).date().isoformat(), now)
        owed: dict[tuple[str, str, str], list[Attendance]] = {}
        zones: dict[tuple[str, str], ZoneInfo] = {}
        for seen in everyone:
            who = (seen.participant.team_id, seen.participant.slack_user or "")
            if seen.morning == "off":
                continue
            if who not in zones:
                with using(for_team(who[0])):  # users.info asks with its workspace's token
                    zones[who] = self._zone(*who, seen.tz)
            day = _due_day(seen, zones[who], now)
            if day is not None and (*who, day) not in taken:
                owed.setdefault((*who, day), []).append(seen)
        sent = 0
        for (team_id, user_id, day), today in owed.items():
            try:
                # Each list goes with its own workspace's token (many workspaces in one pass).
                with using(for_team(team_id)):
                    sent += self._send(team_id, user_id, day, today, zones[(team_id, user_id)], now)
            except Exception:
                log.warning("a morning list was not sent; trying again later")
        return sent

    def _zone(self, team_id: str, user_id: str, cached: str | None) -> ZoneInfo:
        name = cached
        if name is None and self.people is not None:
            try:
                name = self.people.timezone(team_id, user_id)
            except Exception:  # gone, or Slack not answering: UTC until we know better
                name = None
        try:
            return ZoneInfo(name or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def _send(
        self,
        team_id: str,
        user_id: str,
        day: str,
        today: list[Attendance],
        zone: ZoneInfo,
        now: datetime,
    ) -> int:
        claim = self.personal.claim_morning(team_id, user_id, day, now, MORNING_LEASE)
        if claim is None:
            return 0
        mark = f"morning:{team_id}:{user_id}:{day}"
        sessions = [seen.session for seen in today]
        mine = {seen.session.session_id: seen.participant for seen in today}
        try:
            found = claim.uncertain and self.notifier.found_for(team_id, user_id, mark)
            channel, ts = found or self.notifier.post_to(
                user_id, reminder_blocks.morning_list(sessions, mine, tz=zone), mark
            )
        except UnknownUser:
            self.personal.finish_morning(team_id, user_id, day, now, status="dropped")
            return 0
        except Exception:
            self.personal.finish_morning(team_id, user_id, day, now, retry_after=RETRY_AFTER)
            raise
        self.personal.finish_morning(team_id, user_id, day, now, channel=channel, ts=ts)
        return 1


def _due_day(seen: Attendance, zone: ZoneInfo, now: datetime) -> str | None:
    """The person's local date, if `seen`'s session is on it and their morning time has
    come (and is not two hours gone); None otherwise. Wall-clock time in their zone: DST
    moves it in UTC."""
    today = now.astimezone(zone).date()
    hour, minute = (int(part) for part in seen.morning.split(":"))
    at = datetime.combine(today, time(hour, minute), zone)
    if not at <= now < at + MORNING_LATE:
        return None
    if seen.session.start.astimezone(zone).date() != today or seen.session.end <= now:
        return None
    return today.isoformat()
