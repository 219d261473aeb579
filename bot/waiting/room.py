"""The waiting room's rules, in plain Python: who is in, who gets told, what the DMs say.

Each Coviu event arrives as a job (`bot.waiting.webhooks`); its handler calls one method here
with the job's key. The presence change and the DMs it owes are written in one transaction
with a step saying it was done, so a job run again after a crash sends only what is left::

    room = WaitingRoom(store, notifier, slack_client, coviu, fanout)
    room.joined("s1", "p-pat", "GUEST", "waiting", at=1722508807, key=job.key)

The rules:

- A guest arriving while no host is in gets one alert to each host on Slack, once per arrival:
  Coviu repeating itself (a reload, a second delivery) changes nothing until they leave.
- A host coming in (or letting the guest in) settles the alerts: each is updated to say who
  is with the guest, without the urgent *Join now*. A guest who leaves first settles theirs
  as "left". A host leaving with guests still waiting and nobody told alerts the other hosts.
- Five minutes after the start, with a host in, each guest on Slack who has not come gets one
  nudge with their Join link ("Dr Who is waiting for you"); the hosts' cards list the guests
  who have not joined (external guests are the host's to chase).
- Each invitation DM of the session is a live card: it shows who is in now (to a guest, only
  whether a host is), updated as people come and go.
- Each host's App Home shows how many guests wait in the session, republished as it changes.
- When the call ends, every host on Slack gets the summary: when it really ran, who came
  and for how long, who waited and was never let in, who never joined.

Alerts and the host's arrival can be handled at once by two workers. Whoever writes second
sees the other's write (`RoomStore.sent` answers the row as it is after the write), so an alert
that was being sent as a host came in is updated right after, never left saying "waiting".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.coviu.client import CoviuClient
from bot.coviu.models import HOST
from bot.slack import blocks
from bot.slack.notify import SlackNotifier
from bot.storage import ParticipantRecord, SessionRecord, Store
from bot.storage.db import Tx
from bot.waiting import render
from bot.waiting.store import IN, RoomMessage, RoomStore

log = logging.getLogger(__name__)

APPLIED = "applied"  # the job step: the event's change to presence and the DMs it owes
NUDGE_KIND = "coviu:nudge"  # the job that nudges guests on Slack who have not come
NUDGE_AFTER = timedelta(minutes=5)  # after the start


class WaitingRoom:
    def __init__(
        self,
        store: Store,
        notifier: SlackNotifier,
        client: WebClient,
        coviu: CoviuClient,
        fanout: Executor,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_change: Callable[[list[ParticipantRecord]], None] = lambda hosts: None,
    ) -> None:
        self.store = store
        # Told the hosts on Slack of a session whose room changed (their App Home shows it).
        self.on_change = on_change
        self.rooms = RoomStore(store)
        self.notifier = notifier
        self.client = client
        self.coviu = coviu
        self.fanout = fanout
        self.clock = clock

    # -- the events ---------------------------------------------------------------------------

    def joined(
        self, session_id: str, participant_id: str, role: str, status: str, *, at: int, key: str
    ) -> None:
        """``participant:join``: a host is in (`status` "in"), a guest waits ("waiting")."""
        session = self._session(session_id)
        if session is None:
            return
        is_host = role.upper() == HOST
        with self._applying(key) as tx:
            if tx is not None:
                now = self.clock()
                state = IN if is_host or status == IN else "waiting"
                self.rooms.arrive(
                    tx, session_id, participant_id, role.upper(), state, at=at, now=now
                )
                if is_host:
                    self.rooms.settle(tx, session_id, render.ANSWERED, by=participant_id)
                    # Guests on Slack who are not here 5 minutes after the start get a nudge.
                    self.rooms.schedule(
                        tx,
                        f"{NUDGE_KIND}:{session_id}:{at}",
                        NUDGE_KIND,
                        session.team_id,
                        {"sessionId": session_id},
                        due=max(now, session.start + NUDGE_AFTER),
                        now=now,
                    )
                else:
                    self._alert_waiting(tx, session, key, now)
        self._finish(session_id, key)

    def answered(
        self, session_id: str, participant_id: str, by: str | None, *, at: int, key: str
    ) -> None:
        """``waitingarea:answer``: host `by` let the waiting guest in."""
        if self._session(session_id) is None:
            return
        with self._applying(key) as tx:
            if tx is not None:
                arrival = self.rooms.admit(tx, participant_id, at=at, now=self.clock())
                if arrival is not None:
                    self.rooms.settle(
                        tx, session_id, render.ANSWERED, guest=(participant_id, arrival), by=by
                    )
        self._finish(session_id, key)

    def left(self, session_id: str, participant_id: str, role: str, *, at: int, key: str) -> None:
        """``participant:leave``: whoever it was is gone (left, removed, timed out, ...)."""
        session = self._session(session_id)
        if session is None:
            return
        with self._applying(key) as tx:
            if tx is not None:
                now = self.clock()
                arrival = self.rooms.leave(tx, participant_id, at=at, now=now)
                if arrival is not None and role.upper() != HOST:
                    self.rooms.settle(tx, session_id, render.LEFT, guest=(participant_id, arrival))
                elif arrival is not None:
                    self._alert_waiting(tx, session, key, now)
        self._finish(session_id, key)

    def call_ended(self, session_id: str, *, at: int, key: str) -> None:
        """``call:end``: each host on Slack gets the summary from Coviu's own records."""
        session = self._session(session_id)
        if session is None:
            return
        if self.store.step(key, APPLIED) is None:
            # Asked before the transaction, so a Coviu outage fails the job (it is tried again)
            # without holding the database.
            report = self.coviu.summary(session_id)
            people = {
                p.participant_id: p
                for p in self.store.participants(session_id, include_removed=True)
            }
            facts = render.attendance_facts(
                [
                    (
                        render.name_of(people.get(a.participant_id), a.display_name or "A guest"),
                        a.role == HOST,
                        a.status,
                        a.attended,
                        a.in_call,
                    )
                    for a in report.participants
                ]
            )
            facts["started"] = report.actual_start.isoformat() if report.actual_start else None
            facts["ended"] = report.actual_end.isoformat() if report.actual_end else None
            with self._applying(key) as tx:
                if tx is not None:
                    self.rooms.queue(
                        tx,
                        [
                            RoomMessage(
                                key=f"summary:{session_id}:{at}:{host.participant_id}",
                                kind="summary",
                                session_id=session_id,
                                team_id=host.team_id,
                                user_id=host.slack_user or "",
                                host_id=host.participant_id,
                                args=facts,
                                job_key=key,
                            )
                            for host in self._slack_hosts(session_id)
                        ],
                        self.clock(),
                    )
        self._deliver(key)

    def nudge(self, session_id: str, *, key: str) -> None:
        """Five minutes after the start, with a host in: one DM to each guest on Slack who has
        not come, with their Join link. Nobody in: nobody is waiting for them, so no DM."""
        session = self._session(session_id)
        if session is None:
            return
        with self._applying(key) as tx:
            hosts = self.rooms.hosts_in(tx, session_id) if tx is not None else []
            if tx is not None and hosts:
                came = self.rooms.presence(session_id)
                self.rooms.queue(
                    tx,
                    [
                        RoomMessage(
                            key=f"nudge:{session_id}:{guest.participant_id}",
                            kind="nudge",
                            session_id=session_id,
                            team_id=guest.team_id,
                            user_id=guest.slack_user or "",
                            host_id=guest.participant_id,
                            outcome_by=hosts[0],
                            job_key=key,
                        )
                        for guest in self.store.participants(session_id)
                        if not guest.is_host
                        and guest.slack_user
                        and guest.participant_id not in came
                    ],
                    self.clock(),
                )
        self._deliver(key)
        self._cards(session_id)

    # -- the rules ----------------------------------------------------------------------------

    def _alert_waiting(self, tx: Tx, session: SessionRecord, key: str, now: datetime) -> None:
        """Queue an alert to each host on Slack for every guest waiting whose arrival nobody
        was told of, unless a host is in (they see the waiting room themselves)."""
        if self.rooms.hosts_in(tx, session.session_id):
            return
        hosts = self._slack_hosts(session.session_id)
        owed = []
        for guest_id, arrival in self.rooms.waiting(tx, session.session_id):
            if self.rooms.alerted(tx, session.session_id, guest_id, arrival):
                continue
            owed += [
                RoomMessage(
                    key=f"waiting:{session.session_id}:{guest_id}:{arrival}:{host.participant_id}",
                    kind="waiting",
                    session_id=session.session_id,
                    team_id=host.team_id,
                    user_id=host.slack_user or "",
                    host_id=host.participant_id,
                    guest_id=guest_id,
                    arrival=arrival,
                    job_key=key,
                )
                for host in hosts
            ]
        self.rooms.queue(tx, owed, now)

    def _slack_hosts(self, session_id: str) -> list[ParticipantRecord]:
        return [p for p in self.store.participants(session_id) if p.is_host and p.slack_user]

    def _session(self, session_id: str) -> SessionRecord | None:
        session = self.store.session(session_id)
        return None if session is None or session.cancelled else session

    @contextmanager
    def _applying(self, key: str) -> Iterator[Tx | None]:
        """A transaction that records the job's step with what it does; None as the
        transaction when an earlier run of the job applied it already."""
        with self.rooms.transaction() as tx:
            if tx.execute(
                "select 1 as x from job_steps where job_key = ? and step = ?", [key, APPLIED]
            ):
                yield None
                return
            tx.execute(
                "insert into job_steps (job_key, step, result) values (?, ?, ?)",
                [key, APPLIED, json.dumps(True)],
            )
            yield tx

    def role_of(self, participant_id: str, given: str | None) -> str:
        """HOST or GUEST: as the event says, else as the booking recorded it."""
        if given and given.upper() in (HOST, "GUEST"):
            return given.upper()
        found = self.store.participants_by_id([participant_id])
        return found[0].role if found else "GUEST"

    # -- telling people -----------------------------------------------------------------------

    def _finish(self, session_id: str, key: str) -> None:
        self._deliver(key)
        self._refresh(session_id)
        self._cards(session_id)
        try:
            self.on_change(self._slack_hosts(session_id))
        except Exception as error:  # a stale App Home must not undo the alerts: logged only
            log.warning("could not refresh a host's App Home (%s)", _why(error))

    def _cards(self, session_id: str) -> None:
        """Live cards: each invitation of the session shows who is in now. Only a card whose
        line changed is updated (Slack's pace for `chat.update` is kept by the client)."""
        session = self._session(session_id)
        if session is None:
            return
        presence = self.rooms.presence(session_id)
        # Another worker may change presence while this one updates the cards, and finish
        # first: look again after, so the last word a card gets is the newest (a few rounds).
        for _ in range(3):
            self._update_cards(session, presence)
            again = self.rooms.presence(session_id)
            if again == presence:
                return
            presence = again

    def _update_cards(self, session: SessionRecord, presence: dict[str, str]) -> None:
        session_id = session.session_id
        everyone = self.store.participants(session_id)
        by_id = {p.participant_id: p for p in everyone}
        for key, participant_id, channel, ts, shown in self.rooms.invitations(session_id):
            to = by_id.get(participant_id)
            if to is None:  # removed since: their invitation says so already
                continue
            line = render.live_line(to, everyone, presence)
            if line == shown:
                continue
            # As the outbox renders it (the reader's zone, calendar links), plus the live line.
            text, body = self.notifier.render("invite", session, to, everyone)
            try:
                self.client.chat_update(
                    channel=channel, ts=ts, text=text, blocks=[*body, blocks.context(line)]
                )
            except Exception as error:
                log.warning("could not update a session card (%s)", _why(error))
                continue
            self.rooms.card_shown(key, line, self.clock())

    def _deliver(self, key: str) -> None:
        """Send what `key` queued and has not sent, many at once."""
        list(self.fanout.map(self._send, self.rooms.owed(key)))

    def _send(self, message: RoomMessage) -> None:
        try:
            session, to, shown = self._context(message)
            found = None
            if message.status == "sending":  # an attempt that died may have sent it
                found = self.notifier.found(to, message.key)
            if found is not None:
                channel, ts = found
                shown = None  # we can't know what it says: `_update` below sets it right
            elif message.kind == "waiting" and message.outcome is not None:
                # Settled before it went out (a host came in first): nobody needs it now.
                self.rooms.failed(message.key, "moot")
                return
            else:
                self.rooms.sending(message.key)
                channel, ts = self.notifier.dm(to, self._render(message, session, to), message.key)
        except Exception as error:  # one person's DM failing must not stop the others'
            log.warning("could not DM a %s alert (%s)", message.kind, _why(error))
            self.rooms.failed(message.key, _why(error))
            return
        after = self.rooms.sent(message.key, channel, ts, shown, self.clock())
        if after.kind == "waiting" and after.outcome is not None and after.outcome != after.shown:
            # A host came in while it was on its way: say so at once.
            self._update(after)

    def _refresh(self, session_id: str) -> None:
        """Bring every sent alert of the session that says something no longer so up to date."""
        for message in self.rooms.stale(session_id):
            self._update(message)

    def _update(self, message: RoomMessage) -> None:
        try:
            session, to, _ = self._context(message)
            text, body = self._render(message, session, to)
            self.client.chat_update(
                channel=message.channel or "", ts=message.ts or "", text=text, blocks=body
            )
        except Exception as error:
            log.warning("could not update a waiting-room alert (%s)", _why(error))
            return
        self.rooms.shown(message.key, message.outcome or "waiting")

    def _context(self, message: RoomMessage) -> tuple[SessionRecord, ParticipantRecord, str]:
        session = self.store.session(message.session_id)
        (to,) = self.store.participants_by_id([message.host_id]) or (None,)
        if session is None or to is None:
            raise LookupError("no such session or host")
        shown = (message.outcome or "waiting") if message.kind == "waiting" else message.kind
        return session, to, shown

    def _render(
        self, message: RoomMessage, session: SessionRecord, to: ParticipantRecord
    ) -> tuple[str, list[render.Block]]:
        if message.kind == "nudge":
            found = self.store.participants_by_id([message.outcome_by or ""])
            return render.nudge(session, to, found[0] if found else None)
        if message.kind == "summary":
            facts = message.args
            return render.summary(
                session, _when(facts.get("started")), _when(facts.get("ended")), facts
            )
        people = {
            p.participant_id: p
            for p in self.store.participants_by_id(
                [i for i in (message.guest_id, message.outcome_by) if i]
            )
        }
        return render.waiting(
            session,
            to,
            people.get(message.guest_id or ""),
            message.outcome,
            people.get(message.outcome_by or ""),
        )


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _why(error: Exception) -> str:
    """A short, secret-free reason: Slack's error code, or the exception's kind."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "slack_error")
    return type(error).__name__
