"""The jobs Coviu's webhooks become: each hands its event to the waiting room.

Registered on the router under ``coviu:<type>`` (the kind `bot.waiting.webhooks` records);
a worker runs them as it runs Slack's requests. Thin on purpose: the rules are in
`bot.waiting.room`::

    register(router, services)
    # a "coviu:participant:join" job then runs joined(payload, ctx)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.slack.context import Context
from bot.slack.intake import ACCEPT, Route, Router
from bot.slack.listeners.events import publish_home
from bot.slack.notify import SlackNotifier
from bot.storage import ParticipantRecord
from bot.waiting.room import NUDGE_KIND, WaitingRoom
from bot.waiting.webhooks import JOB_PREFIX
from bot.workspaces import current, for_team, using

if TYPE_CHECKING:
    from bot.app import Services


def room_for(services: Services) -> WaitingRoom:
    def refresh_homes(hosts: list[ParticipantRecord]) -> None:
        # App Home says "1 waiting": brought up to date as the room changes, not only when
        # a host happens to open it.
        for host in hosts:
            if host.slack_user:
                publish_home(services, services.slack, host.team_id, host.slack_user)

    return WaitingRoom(
        services.store,
        SlackNotifier(services.slack, services.store, services.calendar),
        services.slack,
        services.coviu,
        services.fanout,
        services.clock,
        on_change=refresh_homes,
    )


def register(router: Router, services: Services) -> None:
    room = room_for(services)

    def joined(event: dict[str, Any], ctx: Context) -> None:
        p = event["payload"]
        who = p["participantId"]
        room.joined(
            p["sessionId"],
            who,
            room.role_of(who, p.get("role")),
            p.get("status") or "",
            at=event["createdAt"],
            key=ctx.key,
        )

    def answered(event: dict[str, Any], ctx: Context) -> None:
        p = event["payload"]
        room.answered(
            p["sessionId"],
            p["participantId"],
            p.get("byParticipantId"),
            at=event["createdAt"],
            key=ctx.key,
        )

    def left(event: dict[str, Any], ctx: Context) -> None:
        p = event["payload"]
        who = p["participantId"]
        room.left(
            p["sessionId"],
            who,
            room.role_of(who, p.get("role")),
            at=event["createdAt"],
            key=ctx.key,
        )

    def call_ended(event: dict[str, Any], ctx: Context) -> None:
        room.call_ended(event["payload"]["sessionId"], at=event["createdAt"], key=ctx.key)

    def nudge(payload: dict[str, Any], ctx: Context) -> None:
        room.nudge(payload["sessionId"], key=ctx.key)

    def in_its_workspace(work: Any) -> Any:
        """Coviu's events name a session, not a workspace: the session's workspace is current
        while its event is handled (its Slack token, its Coviu account)."""

        def run(event: dict[str, Any], ctx: Context) -> None:
            session_id = (event.get("payload") or event).get("sessionId")
            session = services.store.session(session_id) if session_id else None
            with using(for_team(session.team_id) if session else current()):
                work(event, ctx)

        return run

    router.routes[NUDGE_KIND] = Route(NUDGE_KIND, lambda _: ACCEPT, in_its_workspace(nudge))
    for kind, work in (
        ("participant:join", joined),
        ("waitingarea:answer", answered),
        ("participant:leave", left),
        ("call:end", call_ended),
    ):
        name = JOB_PREFIX + kind
        router.routes[name] = Route(name, lambda _: ACCEPT, in_its_workspace(work))
