"""The Web API side of the fake: ``/api/<method>`` and the ``response_url`` hooks.

It answers as Slack does: HTTP 200 with ``{"ok": false, "error": ...}`` for API errors, 429
with ``Retry-After`` when rate limited, the same error codes and response shapes. Parameters
come from the query string, a form body or a JSON body (slack_sdk uses all three).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from . import blockkit
from .network import Network
from .state import (
    ApiCall,
    Change,
    Channel,
    Message,
    ResponseUrl,
    Scheduled,
    Trigger,
    View,
    Workspace,
)
from .users import user_object

Params = dict[str, Any]
Handler = Callable[..., dict[str, Any]]  # (params) or, for TOKEN_AWARE methods, (params, grant)

# Methods anyone may call; oauth.v2.access authenticates the app by its client credentials.
UNAUTHENTICATED = frozenset({"api.test", "oauth.v2.access"})
# The scope each method needs (Slack's method pages). A DM by user id needs only chat:write;
# conversations.open is what needs im:write (mpim:write for several people).
METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.scheduleMessage": "chat:write",
    "chat.deleteScheduledMessage": "chat:write",
    "chat.scheduledMessages.list": "chat:write",
    "users.info": "users:read",
    "users.list": "users:read",
    # Only DMs are read here (a channel would need channels:history).
    "conversations.history": "im:history",
}
# Handlers that answer according to the token used (they take the `Grant` too).
TOKEN_AWARE = frozenset({"auth.test"})

# Slack's limits, kept where a bot could plausibly hit them.
MAX_VIEW_STACK = 3
SCHEDULE_HORIZON = 120 * 24 * 3600
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60
RESPONSE_URL_READY_WAIT = 30.0  # at most this long for the issuing request's answer


class ApiError(Exception):
    """An ``ok: false`` answer; `messages` become ``response_metadata.messages``."""

    def __init__(self, error: str, messages: list[str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.extra = extra  # other fields of the answer (e.g. ``needed`` with missing_scope)


@dataclass
class Failure:
    """An injected failure for the next call of one method (see `FakeSlack.fail_next`)."""

    error: str
    status: int
    retry_after: int | None


DEFAULT_SCOPES = "commands,chat:write,chat:write.public,im:history,im:write,users:read"


@dataclass(frozen=True)
class AppIdentity:
    """Who the app is in this workspace: what auth.test reports."""

    bot_token: str | None
    app_id: str
    bot_id: str
    team_domain: str
    scopes: str = DEFAULT_SCOPES
    team_name: str = ""

    @property
    def team(self) -> str:
        """The workspace's name (``Coviu Clinic`` from ``coviu-clinic`` unless given)."""
        return self.team_name or self.team_domain.replace("-", " ").title()


@dataclass
class Grant:
    """A token the stand-in accepts, and what it stands for.

    `kind` is ``bot`` or ``user``; `user_id` is the bot user for bot tokens, the person who
    installed the app for user tokens. `expires_at` (workspace clock) is set for rotating
    tokens; a revoked grant answers ``token_revoked``.
    """

    token: str
    team_id: str
    kind: str
    user_id: str
    scopes: str
    expires_at: float | None = None
    revoked: bool = False


class WebApi:
    """Slack Web API methods over a `Workspace`."""

    def __init__(
        self,
        ws: Workspace,
        identity: AppIdentity,
        trigger_ttl: float,
        public_url: Callable[[], str],
        network: Network | None = None,
    ) -> None:
        self.ws = ws
        self.me = identity
        self.trigger_ttl = trigger_ttl
        self.public_url = public_url
        self.network = network or Network()
        self.owner: Any = None  # the FakeSlack acting for this workspace
        # The tokens valid in this workspace; the hub routes each token to its workspace.
        self.grants: dict[str, Grant] = {}
        if identity.bot_token:
            self.add_grant(Grant(identity.bot_token, ws.team_id, "bot", ws.bot.id, identity.scopes))
        self._failures: dict[str, deque[Failure]] = {}
        self._failures_lock = threading.Lock()
        self.methods: dict[str, Handler] = {
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.scheduleMessage": self.chat_schedule_message,
            "chat.deleteScheduledMessage": self.chat_delete_scheduled_message,
            "chat.scheduledMessages.list": self.chat_scheduled_messages_list,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.history": self.conversations_history,
            "users.info": self.users_info,
            "users.list": self.users_list,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
        }

    # --- plumbing -------------------------------------------------------------------------

    def fail_next(self, method: str, failure: Failure, times: int = 1) -> None:
        with self._failures_lock:
            self._failures.setdefault(method, deque()).extend([failure] * times)

    def _take_failure(self, method: str) -> Failure | None:
        with self._failures_lock:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def add_grant(self, grant: Grant) -> None:
        with self.ws.lock:
            self.grants[grant.token] = grant

    def grant(self, token: str) -> Grant | None:
        with self.ws.lock:
            return self.grants.get(token)

    def _authenticate(self, token: str | None) -> Grant:
        if not token:
            raise ApiError("not_authed")
        grant = self.grant(token)
        if grant is None:
            raise ApiError("invalid_auth")
        if grant.revoked:
            raise ApiError("token_revoked")
        if grant.expires_at is not None and self.ws.clock() >= grant.expires_at:
            raise ApiError("token_expired")
        return grant

    def _rate_channel(self, method: str, params: Params) -> str | None:
        """The channel chat.postMessage's per-channel budget is kept for (a user id counts
        as their IM, as Slack posts there)."""
        if method != "chat.postMessage":
            return None
        name = _text(params, "channel")
        channel = self.ws.resolve_channel(name) if name else None
        return channel.id if channel is not None else name or None

    def call(
        self,
        method: str,
        params: Params,
        token: str | None,
        *,
        started: float | None = None,
        handler: Handler | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Run one API call: (HTTP status, JSON body, extra headers). Always recorded.

        `started` is when the request arrived (before any latency); `handler` serves a
        method without a token (oauth.v2.access, whose credentials are the app's own).
        """
        started = time.monotonic() if started is None else started
        status, headers = 200, {}
        grant: Grant | None = None
        try:
            handler = handler or self.methods.get(method)
            if handler is None:
                raise ApiError("unknown_method")
            if method not in UNAUTHENTICATED:
                grant = self._authenticate(token)
                headers["X-OAuth-Scopes"] = grant.scopes
                _check_scope(method, params, grant)
            failure = self._take_failure(method)
            if failure is not None:
                status = failure.status
                if failure.retry_after is not None:
                    headers["Retry-After"] = str(failure.retry_after)
                raise ApiError(failure.error)
            wait = self.network.admit(self.ws.team_id, method, self._rate_channel(method, params))
            if wait is not None:
                status, headers["Retry-After"] = 429, str(wait)
                raise ApiError("ratelimited")
            body = {
                "ok": True,
                **(handler(params, grant) if method in TOKEN_AWARE else handler(params)),
            }
        except ApiError as error:
            body = {"ok": False, "error": error.error, **error.extra}
            if error.messages:
                body["response_metadata"] = {"messages": error.messages}
        with self.ws.lock:
            self.ws.calls.append(
                ApiCall(
                    method,
                    params,
                    body,
                    bool(body["ok"]),
                    status,
                    started=started,
                    finished=time.monotonic(),
                )
            )
            self.ws.touch()
        self.ws.flush()
        return status, body, headers

    def _user(self, params: Params, key: str = "user") -> str:
        user_id = _text(params, key)
        if not user_id or user_id not in self.ws.users:
            raise ApiError("user_not_found")
        return user_id

    def _channel(self, params: Params, *, allow_user: bool = True) -> Channel:
        name = _text(params, "channel")
        channel = self.ws.resolve_channel(name, allow_user=allow_user) if name else None
        if channel is None:
            raise ApiError("channel_not_found")
        return channel

    def _content(self, params: Params) -> tuple[str, list[dict[str, Any]]]:
        """A message's text and blocks, refused as Slack refuses them."""
        text = _text(params, "text")
        blocks = _json(params, "blocks")
        attachments = _json(params, "attachments")
        if blocks is not None:
            problems = blockkit.validate_message(blocks)
            if problems:
                raise ApiError("invalid_blocks", problems)
        if not text and not blocks and not attachments:
            raise ApiError("no_text")
        return text, blockkit.normalize(blocks or [])

    def _bot_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        thread_ts: str | None = None,
        ephemeral_to: str | None = None,
        source: str = "api",
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        return Message(
            channel=channel,
            ts=self.ws.next_ts(),
            user=self.ws.bot.id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            ephemeral_to=ephemeral_to,
            source=source,
            bot_id=self.me.bot_id,
            app_id=self.me.app_id,
            team=self.ws.team_id,
            metadata=metadata,
        )

    # --- auth -----------------------------------------------------------------------------

    def api_test(self, params: Params) -> dict[str, Any]:
        return {"args": {k: v for k, v in params.items() if k != "token"}} if params else {}

    def auth_test(self, params: Params, grant: Grant | None = None) -> dict[str, Any]:
        """Who the token is: the bot user for a bot token, the person for a user token."""
        user = self.ws.users.get(grant.user_id) if grant else None
        user = user or self.ws.bot
        body: dict[str, Any] = {
            "url": f"https://{self.me.team_domain}.slack.com/",
            "team": self.me.team,
            "user": user.name,
            "team_id": self.ws.team_id,
            "user_id": user.id,
        }
        if grant is None or grant.kind == "bot":
            body["bot_id"] = self.me.bot_id
        body["is_enterprise_install"] = False
        if grant is not None and grant.expires_at is not None:
            body["expires_in"] = max(0, int(grant.expires_at - self.ws.clock()))
        return body

    # --- chat -----------------------------------------------------------------------------

    def chat_post_message(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params)
        text, blocks = self._content(params)
        message = self._bot_message(
            channel.id,
            text,
            blocks,
            thread_ts=_text(params, "thread_ts") or None,
            metadata=_json(params, "metadata"),
        )
        self.ws.add_message(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.payload()}

    def chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params)
        user_id = self._user(params)
        if not channel.admits(user_id):
            raise ApiError("user_not_in_channel")
        text, blocks = self._content(params)
        message = self._bot_message(
            channel.id,
            text,
            blocks,
            ephemeral_to=user_id,
            thread_ts=_text(params, "thread_ts") or None,
        )
        self.ws.add_message(message)
        return {"message_ts": message.ts}

    def chat_update(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params, allow_user=False)
        message = self.ws.find_message(channel.id, _text(params, "ts"))
        if message is None:
            raise ApiError("message_not_found")
        if message.user != self.ws.bot.id:
            raise ApiError("cant_update_message")
        text, blocks = self._content(params)
        self.ws.edit_message(message, text, blocks)
        return {"channel": channel.id, "ts": message.ts, "text": text, "message": message.payload()}

    def chat_delete(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params, allow_user=False)
        message = self.ws.find_message(channel.id, _text(params, "ts"))
        if message is None:
            raise ApiError("message_not_found")
        if message.user != self.ws.bot.id:
            raise ApiError("cant_delete_message")
        self.ws.delete_message(message)
        return {"channel": channel.id, "ts": message.ts}

    def chat_schedule_message(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params)
        try:
            post_at = int(float(params["post_at"]))
        except (KeyError, TypeError, ValueError):
            raise ApiError("invalid_time") from None
        now = self.ws.clock()
        if post_at <= now:
            raise ApiError("time_in_past")
        if post_at > now + SCHEDULE_HORIZON:
            raise ApiError("time_too_far")
        text, blocks = self._content(params)
        scheduled = Scheduled(
            id=self.ws.next_id("Q"),
            channel=channel.id,
            post_at=post_at,
            text=text,
            blocks=blocks,
            thread_ts=_text(params, "thread_ts") or None,
            date_created=int(now),
        )
        with self.ws.lock:
            self.ws.scheduled[scheduled.id] = scheduled
        preview = {
            "type": "message",
            "text": text,
            "user": self.ws.bot.id,
            "bot_id": self.me.bot_id,
            "app_id": self.me.app_id,
            "blocks": blocks,
            "team": self.ws.team_id,
        }
        return {
            "channel": channel.id,
            "scheduled_message_id": scheduled.id,
            "post_at": post_at,
            "message": preview,
        }

    def chat_delete_scheduled_message(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params)
        with self.ws.lock:
            scheduled = self.ws.scheduled.get(_text(params, "scheduled_message_id"))
            if scheduled is None or scheduled.channel != channel.id:
                raise ApiError("invalid_scheduled_message_id")
            del self.ws.scheduled[scheduled.id]
        return {}

    def chat_scheduled_messages_list(self, params: Params) -> dict[str, Any]:
        channel = None
        if _text(params, "channel"):
            channel = self._channel(params)
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or float("inf"))
        with self.ws.lock:
            pending = sorted(self.ws.scheduled.values(), key=lambda s: (s.post_at, s.id))
        listed = [
            {
                "id": s.id,
                "channel_id": s.channel,
                "post_at": s.post_at,
                "date_created": s.date_created,
                "text": s.text,
            }
            for s in pending
            if (channel is None or s.channel == channel.id) and oldest <= s.post_at <= latest
        ]
        return {"scheduled_messages": listed, "response_metadata": {"next_cursor": ""}}

    def deliver_scheduled(self, now: float) -> list[Message]:
        """Post every scheduled message due at `now`, earliest first."""
        with self.ws.lock:
            due = sorted(
                (s for s in self.ws.scheduled.values() if s.post_at <= now),
                key=lambda s: (s.post_at, s.id),
            )
            delivered = []
            for scheduled in due:
                del self.ws.scheduled[scheduled.id]
                message = self._bot_message(
                    scheduled.channel,
                    scheduled.text,
                    scheduled.blocks,
                    thread_ts=scheduled.thread_ts,
                    source="scheduled",
                )
                delivered.append(self.ws.add_message(message))
        self.ws.flush()
        return delivered

    def chat_get_permalink(self, params: Params) -> dict[str, Any]:
        channel = self._channel(params, allow_user=False)
        ts = _text(params, "message_ts")
        if self.ws.find_message(channel.id, ts) is None:
            raise ApiError("message_not_found")
        archive = f"https://{self.me.team_domain}.slack.com/archives/{channel.id}"
        link = f"{archive}/p{ts.replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    # --- conversations and users ----------------------------------------------------------

    def conversations_open(self, params: Params) -> dict[str, Any]:
        users = [u.strip() for u in _text(params, "users").split(",") if u.strip()]
        if not users:
            if _text(params, "channel"):
                channel = self._channel(params, allow_user=False)
                return {"channel": {"id": channel.id}}
            raise ApiError("users_list_not_supplied")
        for user_id in users:
            if user_id not in self.ws.users:
                raise ApiError("user_not_found")
        if len(users) == 1 and not self.ws.can_dm(users[0]):
            # Someone from another organisation: no DM between them and an app (the same
            # answer as a post to their user id).
            raise ApiError("channel_not_found")
        if len(users) == 1:
            existed = "D" + users[0][1:] in self.ws.channels
            channel = self.ws.im_with(users[0])
            body: dict[str, Any] = {"channel": {"id": channel.id}}
            if existed:
                body.update(no_op=True, already_open=True)
            if _flag(params, "return_im"):
                body["channel"] = self._conversation(channel)
            return body
        if len(users) > 8:
            raise ApiError("too_many_users")
        members = frozenset([*users, self.ws.bot.id])
        with self.ws.lock:
            for existing in self.ws.channels.values():
                if existing.kind == "mpim" and existing.members == members:
                    return {"channel": {"id": existing.id}, "no_op": True, "already_open": True}
            channel_id = self.ws.next_id("G")
            self.ws.channels[channel_id] = Channel(
                channel_id,
                "mpdm-" + "--".join(self.ws.users[u].name for u in users),
                "mpim",
                members,
            )
        return {"channel": {"id": channel_id}}

    def _conversation(self, channel: Channel) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": channel.id,
            "created": 1700000000,
            "is_im": channel.kind == "im",
            "is_mpim": channel.kind == "mpim",
            "is_channel": channel.kind == "channel",
            "is_private": channel.kind != "channel",
            "is_archived": False,
            "is_org_shared": False,
            "context_team_id": self.ws.team_id,
        }
        if channel.kind == "im":
            body["user"] = channel.name
            body["is_open"] = True
        else:
            body["name"] = channel.name
        return body

    def conversations_info(self, params: Params) -> dict[str, Any]:
        return {"channel": self._conversation(self._channel(params, allow_user=False))}

    def conversations_history(self, params: Params) -> dict[str, Any]:
        """Newest first, a page at a time (``limit`` ≤ 999, then ``next_cursor``) as Slack
        answers; ``metadata`` only with ``include_all_metadata``; a D… or C… id, not a user's.
        """
        channel = self._channel(params, allow_user=False)
        oldest = float(_text(params, "oldest") or 0)
        limit = min(int(_text(params, "limit") or 100), 999)
        start = int(_text(params, "cursor") or 0)
        with_metadata = _flag(params, "include_all_metadata")
        with self.ws.lock:
            found = [
                m for m in reversed(self.ws.messages)
                if m.channel == channel.id and not m.deleted and not m.is_ephemeral
                and float(m.ts) > oldest
            ]
        page = found[start:start + limit]
        listed = []
        for message in page:
            body: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text,
                                    "user": message.user}
            if with_metadata and message.metadata:
                body["metadata"] = message.metadata
            listed.append(body)
        more = start + limit < len(found)
        return {"messages": listed, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def users_info(self, params: Params) -> dict[str, Any]:
        user = self.ws.users[self._user(params)]
        return {"user": user_object(user, self.ws.team_id, self.ws.clock())}

    def users_list(self, params: Params) -> dict[str, Any]:
        now = self.ws.clock()
        members = [user_object(u, self.ws.team_id, now) for u in self.ws.users.values()]
        return {"members": members, "cache_ts": int(now), "response_metadata": {"next_cursor": ""}}

    # --- views ----------------------------------------------------------------------------

    def _view_spec(self, params: Params, *, kind: str) -> dict[str, Any]:
        spec = _json(params, "view")
        if spec is None:
            raise ApiError(
                "invalid_arguments", ["[ERROR] missing required field: view [json-pointer:/view]"]
            )
        problems = blockkit.validate_view(spec)
        if not problems and spec.get("type") != kind:
            problems = [f"[ERROR] must be {kind} [json-pointer:/view/type]"]
        if problems:
            raise ApiError("invalid_arguments", problems)
        return {**spec, "blocks": blockkit.normalize(spec.get("blocks") or [])}

    def _redeem_trigger(self, params: Params) -> Trigger:
        trigger_id = _text(params, "trigger_id")
        if not trigger_id:
            raise ApiError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        with self.ws.lock:
            trigger = self.ws.triggers.get(trigger_id)
            if trigger is None:
                raise ApiError("invalid_trigger_id")
            if trigger.used:
                raise ApiError("exchanged_trigger_id")
            # Slack's 3 s are real seconds: measured on the wall clock, not the fake's clock.
            if time.time() - trigger.issued_at > self.trigger_ttl:
                raise ApiError("expired_trigger_id")
            trigger.used = True
            return trigger

    def _new_view(
        self,
        user_id: str,
        spec: dict[str, Any],
        *,
        root: str | None = None,
        previous: str | None = None,
    ) -> View:
        view_id = self.ws.next_id("V")
        external_id = str(spec.get("external_id") or "")
        with self.ws.lock:
            if external_id and any(
                v.external_id == external_id and not v.closed for v in self.ws.views.values()
            ):
                raise ApiError("duplicate_external_id")
            view = View(
                id=view_id,
                user_id=user_id,
                spec=spec,
                hash=self._hash(),
                team_id=self.ws.team_id,
                app_id=self.me.app_id,
                bot_id=self.me.bot_id,
                root_view_id=root or view_id,
                previous_view_id=previous,
                external_id=external_id,
            )
            self.ws.views[view_id] = view
        return view

    def _hash(self) -> str:
        return f"{int(self.ws.clock())}.{blockkit.random_id(8)}"

    def views_open(self, params: Params) -> dict[str, Any]:
        spec = self._view_spec(params, kind="modal")
        trigger = self._redeem_trigger(params)
        with self.ws.lock:
            view = self._new_view(trigger.user_id, spec)
            # A new modal replaces whatever stack the person had open.
            for old in self.ws.stacks.get(trigger.user_id, []):
                old.closed = True
            self.ws.stacks[trigger.user_id] = [view]
            self.ws.emit(Change("view_opened", view=view, user_id=trigger.user_id))
        return {"view": view.payload()}

    def views_push(self, params: Params) -> dict[str, Any]:
        spec = self._view_spec(params, kind="modal")
        trigger = self._redeem_trigger(params)
        with self.ws.lock:
            stack = self.ws.stacks.get(trigger.user_id, [])
            if not stack:
                raise ApiError("not_found")
            if len(stack) >= MAX_VIEW_STACK:
                raise ApiError("push_limit_reached")
            view = self._new_view(trigger.user_id, spec, root=stack[0].id, previous=stack[-1].id)
            stack.append(view)
            self.ws.emit(Change("view_pushed", view=view, user_id=trigger.user_id))
        return {"view": view.payload()}

    def views_update(self, params: Params) -> dict[str, Any]:
        view_id, external_id = _text(params, "view_id"), _text(params, "external_id")
        if not view_id and not external_id:
            raise ApiError(
                "invalid_arguments", ["[ERROR] either view_id or external_id is required"]
            )
        with self.ws.lock:
            view = (
                self.ws.views.get(view_id)
                if view_id
                else next((v for v in self.ws.views.values() if v.external_id == external_id), None)
            )
            if view is None or view.closed:
                raise ApiError("not_found")
            spec = self._view_spec(params, kind=view.type)
            given_hash = _text(params, "hash")
            if given_hash and given_hash != view.hash:
                raise ApiError("hash_conflict")
            self.update_view(view, spec)
        return {"view": view.payload()}

    def update_view(self, view: View, spec: dict[str, Any]) -> None:
        """Replace a view's content in place (same id, new hash), as views.update does."""
        with self.ws.lock:
            view.spec = {**spec, "external_id": spec.get("external_id", view.external_id)}
            view.external_id = str(view.spec.get("external_id") or "")
            view.hash = self._hash()
            view.errors = {}
            self.ws.emit(Change("view_updated", view=view, user_id=view.user_id))

    def views_publish(self, params: Params) -> dict[str, Any]:
        user_id = self._user(params, "user_id")
        spec = self._view_spec(params, kind="home")
        with self.ws.lock:
            home = self.ws.homes.get(user_id)
            given_hash = _text(params, "hash")
            if home is not None and given_hash and given_hash != home.hash:
                raise ApiError("hash_conflict")
            if home is None:
                home = self._new_view(user_id, spec)
                self.ws.homes[user_id] = home
            else:
                home.spec, home.hash = spec, self._hash()
            self.ws.emit(Change("home_published", view=home, user_id=user_id))
        return {"view": home.payload()}

    # --- response_url ---------------------------------------------------------------------

    def issue_response_url(
        self, user_id: str, channel_id: str, origin: Message | None, *, ready: bool = True
    ) -> str:
        """A response_url for one interaction. With ``ready=False`` posts to it wait until
        `mark_ready` (the issuing request's own answer has been shown)."""
        hook = ResponseUrl(self.ws.next_id("R", 10), user_id, channel_id, time.time(), origin)
        if ready:
            hook.ready.set()
        with self.ws.lock:
            self.ws.response_urls[hook.id] = hook
        # Slack's shape (hooks.slack.com/commands/T…/<number>/<secret>), on the stand-in's host.
        return f"{self.public_url()}/commands/{self.ws.team_id}/{hook.id[1:]}/{hook.id}"

    def mark_ready(self, url: str | None) -> None:
        hook = self.ws.response_urls.get((url or "").rsplit("/", 1)[-1])
        if hook is not None:
            hook.ready.set()

    def respond(self, hook_id: str, body: Params) -> tuple[int, str]:
        """Apply a POST to a response_url: (HTTP status, text body) as Slack answers."""
        status, text = self._respond(hook_id, body)
        with self.ws.lock:
            hook = self.ws.response_urls.get(hook_id)
            if hook is not None:
                hook.answers.append((status, text))
        return status, text

    def _respond(self, hook_id: str, body: Params) -> tuple[int, str]:
        with self.ws.lock:
            hook = self.ws.response_urls.get(hook_id)
            if hook is None:
                return 404, "no_service"
            if time.time() - hook.issued_at > RESPONSE_URL_TTL:
                return 404, "expired_url"
            if hook.uses >= RESPONSE_URL_USES:
                return 404, "used_url"
            hook.uses += 1
            origin = hook.origin
            if _flag(body, "delete_original"):
                if origin is not None and not origin.deleted:
                    self.ws.delete_message(origin)
                    hook.origin = None
                return 200, "ok"
            try:
                text, blocks = self._content(body)
            except ApiError as error:
                return 400, error.error
            if _flag(body, "replace_original") and origin is not None and not origin.deleted:
                self.ws.edit_message(origin, text, blocks)
                return 200, "ok"
            in_channel = body.get("response_type") == "in_channel"
            message = self._bot_message(
                hook.channel_id,
                text,
                blocks,
                source="response_url",
                ephemeral_to=None if in_channel else hook.user_id,
                thread_ts=_text(body, "thread_ts") or None,
            )
            self.ws.add_message(message)
            # Later replace_original / delete_original act on the latest answer of a command.
            if hook.origin is None or hook.origin.source in ("ack", "response_url"):
                hook.origin = message
            return 200, "ok"

    # --- HTTP (routed here by `bot.slackfake.hub.Hub`) ------------------------------------

    async def respond_http(self, hook_id: str, body: Params) -> Response:
        if "payload" in body and isinstance(body["payload"], str):
            body = json.loads(body["payload"])
        hook = self.ws.response_urls.get(hook_id)
        if hook is not None and not hook.ready.is_set():
            await run_in_threadpool(hook.ready.wait, RESPONSE_URL_READY_WAIT)
        failure = self._take_failure("response_url") if "blocks" in body else None
        if failure is not None:  # e.g. fail_next("response_url", "invalid_blocks", 400)
            return PlainTextResponse(failure.error, status_code=failure.status)
        status, text = self.respond(hook_id, body)
        self.ws.flush()
        return PlainTextResponse(text, status_code=status)


async def body_params(request: Request) -> Params:
    raw = await request.body()
    if not raw:
        return {}
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        decoded = json.loads(raw)
        return decoded if isinstance(decoded, dict) else {}
    if "multipart/form-data" in content_type:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))


def _check_scope(method: str, params: Params, grant: Grant) -> None:
    """``missing_scope`` (with ``needed`` and ``provided``) when the token lacks the scope."""
    needed = METHOD_SCOPES.get(method)
    if method == "conversations.open" and _text(params, "users"):
        several = "," in _text(params, "users").strip(",")
        needed = "mpim:write" if several else "im:write"
    if needed and needed not in grant.scopes.split(","):
        raise ApiError("missing_scope", needed=needed, provided=grant.scopes)


def _text(params: Params, key: str) -> str:
    value = params.get(key)
    return "" if value is None else str(value)


def _json(params: Params, key: str) -> Any:
    """A structured argument: JSON bodies carry it as is, forms as a JSON string."""
    value = params.get(key)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(f"invalid_{key}" if key == "blocks" else "invalid_arguments") from None
    return value


def _flag(params: Params, key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
