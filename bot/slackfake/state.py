"""The fake workspace's state: conversations, messages, views, triggers, and the call log.

Everything is guarded by one re-entrant lock; every visible change notifies a condition (for
`Workspace.wait_for`) and queues a `Change` for subscribers. Subscribers are called outside
the lock, in the order changes happened, so a callback may read the state or even act.
"""

from __future__ import annotations

import inspect
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import blockkit
from .blockkit import Block, Button, Input
from .users import FakeUser

T = TypeVar("T")

WAIT_RECHECK = 0.05  # seconds between re-checks of a wait_for predicate with no change


@dataclass
class Channel:
    """A conversation: a public channel (``C…``), an IM with the bot (``D…``) or an MPIM."""

    id: str
    name: str
    kind: str = "channel"  # "channel" | "im" | "mpim"
    members: frozenset[str] = frozenset()  # for IM/MPIM; public channels admit everyone

    @property
    def is_im(self) -> bool:
        return self.kind == "im"

    def admits(self, user_id: str) -> bool:
        return self.kind == "channel" or user_id in self.members


@dataclass(eq=False)
class Message:
    """A message as someone in the workspace sees it.

    `user` is the author (the bot user for the app's messages); `ephemeral_to` is set for
    messages only one person sees; `source` says how it arrived: ``"api"`` (chat.* calls),
    ``"response_url"``, ``"ack"`` (the app's immediate answer to a slash command),
    ``"scheduled"`` (chat.scheduleMessage), ``"user"`` (typed by a person), ``"slack"``
    (Slack's own notices, e.g. a command that failed).
    """

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[Block] = field(default_factory=list)
    thread_ts: str | None = None
    ephemeral_to: str | None = None
    source: str = "api"
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)  # earlier {text, blocks}
    bot_id: str | None = None
    app_id: str | None = None
    team: str | None = None
    metadata: dict[str, Any] | None = None

    @property
    def via_response_url(self) -> bool:
        return self.source == "response_url"

    @property
    def is_ephemeral(self) -> bool:
        return self.ephemeral_to is not None

    def buttons(self) -> list[Button]:
        """Every button in the message's blocks."""
        return blockkit.buttons(self.blocks)

    def text_content(self) -> str:
        """The text and all block text, one piece per line."""
        return blockkit.text_content(self.text, self.blocks)

    def payload(self) -> dict[str, Any]:
        """The message object Slack returns from chat.* and puts in block_actions payloads."""
        body: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text}
        if self.bot_id:
            body.update(bot_id=self.bot_id, app_id=self.app_id)
        body.update(ts=self.ts, team=self.team, blocks=self.blocks)
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.edits:
            body["edited"] = {"user": self.user, "ts": self.ts}
        if self.metadata:
            body["metadata"] = self.metadata
        return body

    def __repr__(self) -> str:
        who = f" ephemeral_to={self.ephemeral_to}" if self.ephemeral_to else ""
        gone = " deleted" if self.deleted else ""
        summary = self.text_content().replace("\n", " | ")[:80]
        return f"<Message {self.channel} {self.ts} by {self.user}{who}{gone}: {summary!r}>"


@dataclass(eq=False)
class View:
    """A modal or App Home view as Slack holds it. `spec` is what the app last sent."""

    id: str
    user_id: str
    spec: dict[str, Any]
    hash: str
    team_id: str
    app_id: str
    bot_id: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str = ""
    closed: bool = False
    errors: dict[str, str] = field(default_factory=dict)  # last response_action: errors

    @property
    def type(self) -> str:
        return str(self.spec.get("type", ""))

    @property
    def blocks(self) -> list[Block]:
        return list(self.spec.get("blocks") or [])

    @property
    def callback_id(self) -> str:
        return str(self.spec.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.spec.get("private_metadata") or "")

    @property
    def title(self) -> str | None:
        return blockkit.plain(self.spec["title"]) if self.spec.get("title") else None

    @property
    def submit(self) -> str | None:
        return blockkit.plain(self.spec["submit"]) if self.spec.get("submit") else None

    @property
    def close(self) -> str | None:
        return blockkit.plain(self.spec["close"]) if self.spec.get("close") else None

    @property
    def notify_on_close(self) -> bool:
        return bool(self.spec.get("notify_on_close", False))

    def buttons(self) -> list[Button]:
        return blockkit.buttons(self.blocks)

    def inputs(self) -> list[Input]:
        return blockkit.inputs(self.blocks)

    def text_content(self) -> str:
        return blockkit.text_content(self.title or "", self.blocks)

    def payload(self, state_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view object of Slack's API responses and interaction payloads."""
        spec = self.spec
        body: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": state_values or {}},
            "hash": self.hash,
            "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": self.notify_on_close,
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": self.app_id,
            "external_id": self.external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if self.type == "home":
            for key in ("title", "close", "submit"):
                body[key] = spec.get(key) or {"type": "plain_text", "text": "View Title"}
        return body

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<View {self.id} {self.type} {self.callback_id!r} of {self.user_id}{state}>"


@dataclass(frozen=True)
class ApiCall:
    """One Web API call the app made, with what the fake answered.

    `started` is when the request reached the stand-in and `finished` when its answer left
    (``time.monotonic()``), so a test can see which calls overlapped: with latency L, calls
    served concurrently have ``max(started) < min(finished)``.
    """

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    ok: bool
    status: int = 200
    started: float = 0.0
    finished: float = 0.0

    @property
    def rate_limited(self) -> bool:
        """Slack answered 429 (``ratelimited``, with ``Retry-After``)."""
        return self.status == 429


@dataclass(frozen=True)
class Change:
    """A visible change, as passed to `FakeSlack.subscribe` callbacks.

    `kind` is one of ``message_posted``, ``message_updated``, ``message_deleted``,
    ``ephemeral``, ``view_opened``, ``view_pushed``, ``view_updated``, ``view_closed``,
    ``home_published``.
    """

    kind: str
    message: Message | None = None
    view: View | None = None
    user_id: str | None = None


@dataclass
class Trigger:
    id: str
    user_id: str
    issued_at: float  # real time: Slack's 3 s are wall-clock seconds
    used: bool = False
    view_id: str | None = None  # the view it came from, for views.push


@dataclass
class ResponseUrl:
    id: str
    user_id: str
    channel_id: str
    issued_at: float
    origin: Message | None = None  # the message replace_original / delete_original act on
    uses: int = 0
    answers: list[tuple[int, str]] = field(default_factory=list)  # (status, text) per post
    # Set once Slack has shown the answer to the request that issued the URL: an app's ack
    # comes before anything it posts to the URL, even when the two race over the network.
    ready: threading.Event = field(default_factory=threading.Event)


@dataclass
class Scheduled:
    id: str
    channel: str
    post_at: int
    text: str
    blocks: list[Block]
    thread_ts: str | None
    date_created: int


class Workspace:
    """All state of the fake, safe to use from many threads."""

    def __init__(
        self,
        team_id: str,
        users: list[FakeUser],
        bot: FakeUser,
        channels: list[Channel],
        clock: Callable[[], float],
    ) -> None:
        self.team_id = team_id
        self.bot = bot
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.users: dict[str, FakeUser] = {u.id: u for u in [*users, bot]}
        self.channels: dict[str, Channel] = {c.id: c for c in channels}
        self.messages: list[Message] = []
        self.views: dict[str, View] = {}
        self.stacks: dict[str, list[View]] = {}
        self.homes: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.scheduled: dict[str, Scheduled] = {}
        self.calls: list[ApiCall] = []
        self._ids = itertools.count(1)
        self._last_micros = 0
        self._pending: deque[Change] = deque()
        self._subscribers: list[Callable[[Change], None]] = []
        self._notify_lock = threading.RLock()

    # --- ids ------------------------------------------------------------------------------

    def next_id(self, prefix: str, width: int = 8) -> str:
        """``V00000003``-style ids: unique, readable, and ordered by creation."""
        with self.lock:
            return f"{prefix}{next(self._ids):0{width}d}"

    def next_ts(self) -> str:
        """A message timestamp: the clock in microseconds, strictly increasing."""
        with self.lock:
            micros = max(int(self.clock() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # --- conversations --------------------------------------------------------------------

    def im_with(self, user_id: str) -> Channel:
        """The bot's IM with `user_id` (``U0ALICE`` → ``D0ALICE``), opened on first use."""
        with self.lock:
            channel_id = "D" + user_id[1:]
            if channel_id not in self.channels:
                self.channels[channel_id] = Channel(
                    channel_id, user_id, "im", frozenset({user_id, self.bot.id})
                )
            return self.channels[channel_id]

    def can_dm(self, user_id: str) -> bool:
        """Whether the app may have a DM with this person: a person of this workspace's own
        organisation (not a bot, not a Slack Connect member from elsewhere)."""
        user = self.users.get(user_id)
        return user is not None and not user.is_bot and not user.external

    def resolve_channel(self, channel: str, *, allow_user: bool = True) -> Channel | None:
        """A channel by id, ``#name``/name, or (for posting) a user id meaning their IM."""
        with self.lock:
            if channel in self.channels:
                return self.channels[channel]
            # Every person has an IM with the app from install on, opened or not; but not
            # people from another organisation: Slack doesn't let an app DM them, and a post
            # to their user id finds no conversation (channel_not_found).
            person = self.users.get("U" + channel[1:]) if channel.startswith("D") else None
            if person is not None and self.can_dm(person.id):
                return self.im_with(person.id)
            if allow_user and channel in self.users and self.can_dm(channel):
                return self.im_with(channel)
            name = channel.lstrip("#")
            for candidate in self.channels.values():
                if candidate.kind == "channel" and candidate.name == name:
                    return candidate
            return None

    # --- messages -------------------------------------------------------------------------

    def add_message(self, message: Message) -> Message:
        with self.lock:
            self.messages.append(message)
            kind = "ephemeral" if message.ephemeral_to else "message_posted"
            self.emit(Change(kind, message=message, user_id=message.ephemeral_to))
        return message

    def find_message(self, channel: str, ts: str, *, ephemeral: bool = False) -> Message | None:
        with self.lock:
            for message in reversed(self.messages):
                if (
                    message.channel == channel
                    and message.ts == ts
                    and not message.deleted
                    and message.is_ephemeral == ephemeral
                ):
                    return message
            return None

    def edit_message(self, message: Message, text: str, blocks: list[Block]) -> None:
        with self.lock:
            message.edits.append({"text": message.text, "blocks": message.blocks})
            message.text, message.blocks = text, blocks
            self.emit(Change("message_updated", message=message, user_id=message.ephemeral_to))

    def delete_message(self, message: Message) -> None:
        with self.lock:
            message.deleted = True
            self.emit(Change("message_deleted", message=message, user_id=message.ephemeral_to))

    # --- changes, waiting and subscribers -------------------------------------------------

    def emit(self, change: Change) -> None:
        """Record a change: wake waiters now, tell subscribers once the lock is released."""
        with self.lock:
            self._pending.append(change)
            self.changed.notify_all()

    def touch(self) -> None:
        """Wake waiters without a visible change (e.g. an API call was recorded)."""
        with self.lock:
            self.changed.notify_all()

    def flush(self) -> None:
        """Deliver queued changes to subscribers, in order, outside the state lock."""
        with self._notify_lock:
            while True:
                with self.lock:
                    if not self._pending:
                        return
                    change = self._pending.popleft()
                    subscribers = list(self._subscribers)
                for callback in subscribers:
                    callback(change)

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        with self.lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self.lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def wait_for(self, predicate: Callable[[], T | None], timeout: float, what: str | None) -> T:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._timeout_message(predicate, timeout, what))
                # Changes wake us at once; the short cap also covers predicates over state
                # the fake never sees (a list a listener appends to).
                self.changed.wait(min(remaining, WAIT_RECHECK))

    def _timeout_message(
        self, predicate: Callable[[], Any], timeout: float, what: str | None
    ) -> str:
        if what is None:
            try:
                what = inspect.getsource(predicate).strip()
            except (OSError, TypeError):
                what = getattr(predicate, "__qualname__", repr(predicate))
        recent = self.calls[-8:]
        lines = [f"  {c.method} {_short(c.params)} -> {_short(c.response)}" for c in recent]
        seen = "\n".join(lines) if lines else "  (no Web API calls)"
        return f"nothing satisfied {what} within {timeout:g}s; last Web API calls:\n{seen}"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
