"""Telling people about their sessions, by DM. Entry links travel only this way.

The Slack side of the booking service's `Notifier`: each method posts one DM and raises if
Slack refused it, so the caller can tell the booker who was not reached.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient

from bot import blocks
from bot.people import SlackPeople
from bot.storage import ParticipantRecord, SessionRecord


class SlackNotifier:
    def __init__(self, client: WebClient, people: SlackPeople) -> None:
        self.client = client
        self.people = people

    def _dm(self, to: ParticipantRecord, message: tuple[str, list[blocks.Block]]) -> None:
        if not to.slack_user:
            raise ValueError("an external guest has no Slack DM")
        text, body = message
        channel = self.people.dm_channel(to.team_id, to.slack_user)
        self.client.chat_postMessage(channel=channel, text=text, blocks=body, unfurl_links=False)

    def invite(
        self, session: SessionRecord, to: ParticipantRecord, everyone: Sequence[ParticipantRecord]
    ) -> None:
        self._dm(to, blocks.invite(session, to, everyone))

    def changed(self, session: SessionRecord, to: ParticipantRecord, change: str, by: str) -> None:
        self._dm(to, blocks.changed(session, to, change, by))

    def remind(self, session: SessionRecord, to: ParticipantRecord) -> None:
        self._dm(to, blocks.reminder(session, to))
