"""Telling people about their sessions, by DM. Entry links travel only this way.

DMs go to the user id: `chat.postMessage` with a ``U…`` channel posts in the app's DM with that
person (no `conversations.open`, no ``im:write``), and its answer names the ``D…`` channel that
`chat.update` needs later. Each method returns that (channel, ts) and raises if Slack refused;
`UnknownUser` when the person can't get DMs at all (deactivated, a bot, gone)::

    notifier = SlackNotifier(web_client)
    channel, ts = notifier.remind(session, participant)
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.people import UnknownUser
from bot.storage import ParticipantRecord, SessionRecord

# Slack's answers that mean this person will never get a DM from us.
UNREACHABLE = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}

Sent = tuple[str | None, str | None]


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _dm(self, to: ParticipantRecord, message: tuple[str, list[blocks.Block]]) -> Sent:
        if not to.slack_user:
            raise ValueError("an external guest has no Slack DM")
        text, body = message
        try:
            answer = self.client.chat_postMessage(
                channel=to.slack_user, text=text, blocks=body, unfurl_links=False
            )
        except SlackApiError as error:
            if error.response.get("error") in UNREACHABLE:
                raise UnknownUser(to.slack_user) from None
            raise
        return answer.get("channel"), answer.get("ts")

    def invite(
        self, session: SessionRecord, to: ParticipantRecord, everyone: Sequence[ParticipantRecord]
    ) -> Sent:
        return self._dm(to, blocks.invite(session, to, everyone))

    def changed(self, session: SessionRecord, to: ParticipantRecord, change: str, by: str) -> Sent:
        return self._dm(to, blocks.changed(session, to, change, by))

    def remind(self, session: SessionRecord, to: ParticipantRecord) -> Sent:
        return self._dm(to, blocks.reminder(session, to))
