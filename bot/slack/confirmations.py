"""The booker's private "Booked" confirmation, kept true after later changes.

The confirmation is an ephemeral answer posted through the booking request's response_url:
the app can't `chat.update` it, only post to that URL again with ``replace_original``, and
Slack takes 5 posts within 30 minutes. So after a reschedule, an add, a remove or a cancel,
the confirmation is rendered again from the session as it is now and posted there while
Slack still takes it; once Slack says no (expired, used up) or the 30 minutes are over, it
is left as it is: no error to anyone, and no further tries::

    confirmations = Confirmations(store, people)
    confirmations.keep(session_id, team_id, user_id, job, posts=1)   # after "Booked"
    confirmations.refresh(session_id)                                # after any change

The response_url is a secret (whoever has it can post to the booker): it is not copied
anywhere, but read from the booking job's payload when needed, and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from slack_sdk.webhook import WebhookClient

from bot.slack import blocks
from bot.storage import Store
from bot.storage.store import Job

log = logging.getLogger(__name__)

# Slack's limits on one response_url.
USES = 5
LIFETIME = timedelta(minutes=30)


class Zones(Protocol):
    def timezone(self, team_id: str, user_id: str) -> str:
        """The booker's IANA zone (`SlackPeople.timezone`)."""
        ...


class Confirmations:
    def __init__(
        self,
        store: Store,
        people: Zones,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        timeout: int = 10,
    ) -> None:
        self.store = store
        self.people = people
        self.clock = clock
        self.timeout = timeout

    def keep(self, session_id: str, team_id: str, user_id: str, job: Job, posts: int) -> None:
        """The booker saw the confirmation through `job`'s response_url, after `posts` posts
        to it (Slack counts each)."""
        self.store.keep_confirmation(
            session_id, team_id, user_id, job.key, posts, job.created_at
        )

    def refresh(self, session_id: str) -> None:
        """Post the confirmation as it should read now, if Slack still takes it."""
        kept = self.store.confirmation(session_id)
        if kept is None:
            return
        url = self._url(kept.job_key)
        if url is None or self.clock() >= kept.created_at + LIFETIME:
            self.store.confirmation_gone(session_id)  # Slack has forgotten it: leave it be
            return
        if not self.store.take_confirmation_use(session_id, USES):
            self.store.confirmation_gone(session_id)
            return
        text, body = self._render(session_id, kept.team_id, kept.user_id)
        try:
            answer = WebhookClient(url, timeout=self.timeout).send(
                text=text, blocks=body, replace_original=True
            )
        except Exception as error:  # the network: the next change tries again
            log.info("could not update a booker's confirmation (%s)", type(error).__name__)
            return
        if answer.status_code != 200:
            # Expired or used up (404), or a body Slack won't show: left as it is, for good.
            log.info("Slack no longer takes a booker's confirmation (%s)", answer.status_code)
            self.store.confirmation_gone(session_id)

    def _url(self, job_key: str) -> str | None:
        payload = self.store.job_payload(job_key) or {}
        url = payload.get("response_url")
        return url if isinstance(url, str) and url else None

    def _render(
        self, session_id: str, team_id: str, user_id: str
    ) -> tuple[str, list[blocks.Block]]:
        session = self.store.session(session_id)
        if session is None:  # recorded with the confirmation: can't happen
            raise LookupError("no such session")
        everyone = self.store.participants(session_id)
        failed = self.store.failed_invitations(session_id)
        undelivered = [p for p in everyone if p.participant_id in failed]
        tz = self.people.timezone(team_id, user_id)
        me = next((p for p in everyone if p.slack_user == user_id), None)
        if not session.cancelled and (me is None or not me.is_host):
            return blocks.no_longer_host(session, tz=tz)
        return blocks.booked(session, everyone, undelivered, tz=tz)
