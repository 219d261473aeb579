"""Sending the DMs a job owes, many at once, each exactly once as far as Slack lets us.

A job queues its DMs (`bot.storage.Message`) in the transaction that made the change they
announce; `deliver` sends those still pending and records each one's channel and ts as Slack
answers. A rerun of the job after a crash sends only what is still pending. Messages are
rendered when sent, from the session as it is then::

    outbox = Outbox(store, notifier, fanout)
    failed = outbox.deliver(job_key)   # the people Slack would not take a DM for
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import UTC, datetime

from bot.slack.confirmations import Confirmations
from bot.slack.notify import Sent, SlackNotifier
from bot.slack.people import CannotDM, UnknownUser
from bot.storage import ParticipantRecord, Store
from bot.storage.store import Message

log = logging.getLogger(__name__)

# Slack's answers to chat.update for a message that is no longer there to update.
GONE = {"message_not_found", "channel_not_found", "cant_update_message"}


class Outbox:
    def __init__(
        self,
        store: Store,
        notifier: SlackNotifier,
        fanout: Executor,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        confirmations: Confirmations | None = None,
    ) -> None:
        """`confirmations`: the bookers' private confirmations, refreshed with the DMs."""
        self.store = store
        self.notifier = notifier
        self.fanout = fanout
        self.clock = clock
        self.confirmations = confirmations

    def deliver(self, job_key: str) -> list[Message]:
        """Send what `job_key` still owes; every message of it that could not be delivered."""
        pending = self.store.pending_messages(job_key)
        list(self.fanout.map(self._send, pending))
        return [m for m in self.store.messages_of(job_key) if m.status == "failed"]

    def _send(self, message: Message) -> None:
        try:
            channel, ts = self._post(message)
        except UnknownUser as error:
            # Nobody Slack will let us DM (someone from another organisation, a deactivated
            # account): the booker is told; no retry, and no reminder to fail every pass.
            why = "other_organisation" if isinstance(error, CannotDM) else "unreachable"
            log.info("not DMing a participant (%s)", why)
            self.store.message_failed(message.key, why)
            if participant_id := message.args.get("participant_id"):
                self.store.drop_reminder(participant_id)
        except Exception as error:
            log.warning("could not DM about a session (%s)", _why(error))
            self.store.message_failed(message.key, _why(error))
        else:
            self.store.message_sent(message, channel, ts, self.clock())

    def _post(self, message: Message) -> Sent:
        session = self.store.session(message.session_id or "")
        if session is None:
            raise LookupError("no such session")
        everyone = self.store.participants(session.session_id, include_removed=True)
        to = _find(everyone, message.args.get("participant_id"))
        if message.status == "sending" and (sent := self.notifier.found(to, message.key)):
            return sent  # an attempt that died had already sent it
        self.store.message_sending(message.key)
        active = [p for p in everyone if p.active]
        if message.kind == "invite":
            return self.notifier.invite(session, to, active, message.key)
        change, by = message.args.get("change", "changed"), message.args.get("by", "")
        return self.notifier.changed(session, to, change, by, message.key)

    def refresh(self, session_id: str) -> None:
        """Bring every invitation and reminder already sent about a session up to date, so
        none shows an old time or a live button on a cancelled session (and the booker's
        confirmation, while Slack takes posts to it). Best effort: a DM
        Slack won't update is left as it is (and logged)."""
        session = self.store.session(session_id)
        if session is None:
            return
        everyone = self.store.participants(session_id, include_removed=True)
        active = [p for p in everyone if p.active]

        def update(sent: tuple[str, str, str, str]) -> None:
            kind, participant_id, channel, ts = sent
            try:
                to = _find(everyone, participant_id)
                message = self.notifier.render(kind, session, to, active)
                self.notifier.update(channel, ts, message)
            except Exception as error:
                why = _why(error)
                # A DM its reader deleted (or a history Slack no longer has) is nothing to fix.
                level = logging.INFO if why in GONE else logging.WARNING
                log.log(level, "could not update a DM about a session (%s)", why)

        list(self.fanout.map(update, self.store.sent_dms(session_id)))
        if self.confirmations is not None:
            try:
                self.confirmations.refresh(session_id)
            except Exception as error:  # best effort, as the DMs: the change itself stands
                log.warning("could not update a booker's confirmation (%s)", _why(error))


def _find(people: list[ParticipantRecord], participant_id: str | None) -> ParticipantRecord:
    for person in people:
        if person.participant_id == participant_id:
            return person
    raise LookupError("no such participant")


def _why(error: Exception) -> str:
    """A short, secret-free reason: Slack's error code, or the exception's kind."""
    response = getattr(error, "response", None)
    if response is not None and hasattr(response, "get"):
        return str(response.get("error") or type(error).__name__)
    return type(error).__name__
