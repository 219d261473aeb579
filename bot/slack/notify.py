"""Telling people about their sessions, by DM. Entry links travel only this way.

DMs go to the user id: `chat.postMessage` with a ``U…`` channel posts in the app's DM with that
person (no `conversations.open`, no ``im:write``), and its answer names the ``D…`` channel that
`chat.update` needs later. Each method returns that (channel, ts) and raises if Slack refused;
`UnknownUser` when the person can't get DMs at all (deactivated, a bot, gone), `CannotDM`
when Slack doesn't let the app DM them (a Slack Connect member from another organisation:
not even tried, Slack would refuse).

Every DM carries a mark in Slack's message metadata, made from what it is for (an invitation
under a job, a reminder for a start time). A sender that died between Slack's answer and its
own record of it leaves that DM "sending"; the next attempt looks for the mark in the DM's
recent history (`found`) before sending it again, so nobody gets it twice::

    notifier = SlackNotifier(web_client, store)
    channel, ts = notifier.remind(session, participant, mark="reminder:…")
    notifier.found(participant, "reminder:…")   # (channel, ts) if Slack already has it
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.calendar import Calendar
from bot.slack import blocks, reminder_blocks
from bot.slack.people import CannotDM, UnknownUser
from bot.storage import ParticipantRecord, SessionRecord, Store

# Slack's answers that mean this person will never get a DM from us.
UNREACHABLE = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}
# ... and those that mean Slack won't let the app DM them (a post to a user id that finds no
# DM: someone from another organisation, say).
NO_DM = {"channel_not_found", "user_not_visible", "invalid_user_combination"}

Sent = tuple[str | None, str | None]
EVENT_TYPE = "coviu_dm"
# How far back `found` reads (200 messages a page): well past what a crash leaves behind.
HISTORY_PAGES = 10


def _tag(mark: str) -> str:
    # The mark names participant ids (the entry links' secret): Slack sees only a hash of it.
    return hashlib.sha256(mark.encode()).hexdigest()[:24]


class SlackNotifier:
    def __init__(self, client: WebClient, store: Store, calendar: Calendar | None = None) -> None:
        self.client = client
        self.store = store
        self.calendar = calendar

    def _invite(
        self, session: SessionRecord, to: ParticipantRecord, everyone: Sequence[ParticipantRecord]
    ) -> tuple[str, list[blocks.Block]]:
        """An invitation: with how its series repeats, and the reader's calendar links."""
        series = self.store.series(session.series_id) if session.series_id else None
        links = self.calendar.links(session, to) if self.calendar else None
        return blocks.invite(
            session, to, everyone, tz=self._tz(to), repeats=blocks.repeats(series), calendar=links
        )

    def _dm(
        self, to: ParticipantRecord, message: tuple[str, list[blocks.Block]], mark: str
    ) -> Sent:
        if not to.slack_user:
            raise ValueError("an external guest has no Slack DM")
        if to.external:
            raise CannotDM(to.slack_user)
        return self.post_to(to.slack_user, message, mark)

    def post_to(self, user_id: str, message: tuple[str, list[blocks.Block]], mark: str) -> Sent:
        """A DM to a Slack user, marked (the morning list, which is about no one session)."""
        text, body = message
        try:
            answer = self.client.chat_postMessage(
                channel=user_id,
                text=text,
                blocks=body,
                unfurl_links=False,
                metadata={"event_type": EVENT_TYPE, "event_payload": {"mark": _tag(mark)}},
            )
        except SlackApiError as error:
            if error.response.get("error") in UNREACHABLE:
                raise UnknownUser(user_id) from None
            if error.response.get("error") in NO_DM:
                raise CannotDM(user_id) from None
            raise
        return answer.get("channel"), answer.get("ts")

    def _tz(self, to: ParticipantRecord) -> str | None:
        """The reader's zone, for the times a notification's text spells out."""
        cached = self.store.cached_user(to.team_id, to.slack_user or "")
        return cached.tz if cached else None

    def update(self, channel: str, ts: str, message: tuple[str, list[blocks.Block]]) -> None:
        """Bring a DM already sent up to date (the session moved, was cancelled, ...)."""
        text, body = message
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=body)

    def render(
        self, kind: str, session: SessionRecord, to: ParticipantRecord,
        everyone: Sequence[ParticipantRecord],
    ) -> tuple[str, list[blocks.Block]]:  # fmt: skip
        """An invitation, a reminder or a "Starting now" DM, as it should read now."""
        if kind == "invite":
            return self._invite(session, to, everyone)
        if kind == "starting":
            return reminder_blocks.starting_now(session, to, tz=self._tz(to))
        lead = int(kind.partition(":")[2] or 10)  # "reminder:1440"
        return reminder_blocks.reminder(session, to, lead=lead, tz=self._tz(to))

    def found(self, to: ParticipantRecord, mark: str) -> Sent | None:
        """Where Slack put the DM marked `mark`, if it has it; None if it never arrived (or
        we don't know our DM channel with this person yet, so can't look)."""
        return self.found_for(to.team_id, to.slack_user or "", mark)

    def found_for(self, team_id: str, user_id: str, mark: str) -> Sent | None:
        """`found`, by the Slack user."""
        cached = self.store.cached_user(team_id, user_id)
        if cached is None or not cached.dm_channel:
            return None
        tag = _tag(mark)
        cursor = None
        # Newest first; a busy person's DM may have had many since, so read back a way.
        for _ in range(HISTORY_PAGES):
            page = self.client.conversations_history(
                channel=cached.dm_channel, limit=200, include_all_metadata=True, cursor=cursor
            )
            for message in page.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("mark") == tag:
                    return cached.dm_channel, message.get("ts")
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break
        return None

    def invite(
        self,
        session: SessionRecord,
        to: ParticipantRecord,
        everyone: Sequence[ParticipantRecord],
        mark: str,
    ) -> Sent:
        return self._dm(to, self._invite(session, to, everyone), mark)

    def changed(
        self, session: SessionRecord, to: ParticipantRecord, change: str, by: str, mark: str
    ) -> Sent:
        return self._dm(to, blocks.changed(session, to, change, by, tz=self._tz(to)), mark)

    def reminder_message(
        self, session: SessionRecord, to: ParticipantRecord, lead: int
    ) -> tuple[str, list[blocks.Block]]:
        """The reminder at `lead` minutes before, or (lead 0) the "Starting now" DM."""
        if lead == 0:
            return reminder_blocks.starting_now(session, to, tz=self._tz(to))
        return reminder_blocks.reminder(session, to, lead=lead, tz=self._tz(to))

    def remind(
        self, session: SessionRecord, to: ParticipantRecord, mark: str, lead: int = 10
    ) -> Sent:
        return self._dm(to, self.reminder_message(session, to, lead), mark)

    def dm(self, to: ParticipantRecord, message: tuple[str, list[blocks.Block]], mark: str) -> Sent:
        """A DM built elsewhere (the waiting room's alerts and summaries), marked like the
        rest so `found` can tell whether an attempt that died already sent it."""
        return self._dm(to, message, mark)
