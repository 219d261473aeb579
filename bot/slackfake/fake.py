"""`FakeSlack`: a local Slack for the tests and the offline shell.

One object plays both halves of Slack:

* the **Web API** the app calls (``WebClient(base_url=slack.api_url)``), served over HTTP on
  loopback, with Slack's tokens, errors and response shapes, every call recorded;
* the **Slack side** that calls the app: signed slash commands, button clicks, modal
  submissions and events POSTed to ``slack.app_url``, with the app's answers applied the way
  Slack applies them (an ack's text shown to the user, ``response_action`` on modals, ...).

Usage::

    with FakeSlack(bot_token="xoxb-test", signing_secret="s3cret") as slack:
        slack.app_url = app_server.url + "/slack/events"
        slack.slash_command("U0ALICE", "/coviu", "book with @bob tomorrow 3pm")
        dm = slack.wait_for(lambda: slack.dms("U0BOB"))[-1]
        slack.click("U0BOB", dm, "join")

Over a "real network" (see `bot.slackfake.network`)::

    FakeSlack(latency=0.1, rate_limits=True)     # 100 ms a call; Slack's tiers, 429s past them
    slack.latency = 0                             # both can change while it runs
    slack.rate_limited_calls()                    # the calls answered 429

Several workspaces and OAuth installs (see `bot.slackfake.hub`)::

    other = slack.add_workspace("T0KIWI", [FakeUser("U0ZOE", "zoe", "Zoe Park", "UTC")])
    code = slack.authorize("T0KIWI", "U0ZOE")     # Zoe clicks Allow: a code for oauth.v2.access
    WebClient(base_url=slack.api_url).oauth_v2_access(
        client_id=slack.client_id, client_secret=slack.client_secret, code=code)
    other.bot_token                               # the token it issued; other.slash_command(...)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from bot.httpserve import ServerThread

from . import blockkit, payloads
from .api import DEFAULT_SCOPES, RESPONSE_URL_TTL, AppIdentity, Failure, WebApi
from .hub import TOKEN_TTL, Hub, OAuthApp
from .network import Network, RateLimits
from .payloads import InvalidInput
from .signing import sign
from .state import ApiCall, Change, Channel, Message, Trigger, View, Workspace
from .users import BOT_USER, DEMO_USERS, FakeUser, escape_mentions

T = TypeVar("T")

DEFAULT_CHANNELS: tuple[Channel, ...] = (
    Channel("C0GENERAL", "general"),
    Channel("C0CLINIC", "clinic"),
)


class FakeSlackError(Exception):
    """Something a person could not do in Slack (click a missing button, submit a closed view)."""


@dataclass
class SlackResult:
    """What happened when the fake sent the app a request.

    `status`/`headers`/`text` are the app's HTTP answer (`body` is it parsed as JSON, else
    None); `status` is 0 when the app could not be reached. For submissions, `errors` holds
    ``response_action: errors`` and `view` the view shown afterwards (None once closed).
    `refused` lists Slack's objections when a slash command's answer had blocks Slack
    would not show (the person then sees only Slack's ``invalid_blocks`` notice).
    """

    kind: str
    status: int
    headers: dict[str, str]
    text: str
    body: Any
    payload: dict[str, Any]
    request_body: bytes
    content_type: str
    elapsed: float
    user_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    errors: dict[str, str] | None = None
    view: View | None = None
    shown: list[Message] = field(default_factory=list)  # messages the answer put on screen
    refused: list[str] = field(default_factory=list)  # Slack's objections to the answer's blocks

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class FakeSlack:
    """A stand-in for Slack; see the module docstring. Thread-safe.

    `trigger_ttl` is how long a trigger_id may wait before views.open (Slack: 3 s of wall
    clock). `clock` is the workspace clock (message ts, scheduled messages, users' tz
    offsets); request signatures always use the real time, as the app checks them against it.
    `auto_deliver_every`, when set, delivers due scheduled messages on a background thread.

    The network (off by default): `latency` is seconds added to every Web API call and
    response_url post, served concurrently; `rate_limits` (``True`` for Slack's tiers, or a
    `RateLimits`) answers HTTP 429 with ``Retry-After`` past a budget. Both can be changed
    while the fake runs (``slack.latency = 0.1``). See `bot.slackfake.network`.

    `scopes` are the bot token's (comma-separated); a method needing another answers
    ``missing_scope``; they are also what OAuth installs ask for by default. OAuth: the
    app's `client_id`/`client_secret`; `token_rotation` makes issued tokens expire after
    `token_ttl` seconds (workspace clock) with a refresh token. ``bot_token=None``
    leaves this workspace without the app until `authorize` + ``oauth.v2.access``. More
    workspaces come from `add_workspace`; each answers only its own tokens.
    """

    def __init__(
        self,
        bot_token: str | None = "xoxb-test",
        signing_secret: str = "s3cret",
        team_id: str = "T0CLINIC",
        users: Iterable[FakeUser] = DEMO_USERS,
        *,
        team_domain: str = "coviu-clinic",
        app_id: str = "A0COVIU",
        bot_id: str = "B0COVIU",
        bot_user: FakeUser = BOT_USER,
        channels: Iterable[Channel] = DEFAULT_CHANNELS,
        verification_token: str = "fake-verification-token",
        trigger_ttl: float = 3.0,
        clock: Callable[[], float] = time.time,
        app_url: str | None = None,
        request_timeout: float = 30.0,
        auto_deliver_every: float | None = None,
        team_name: str = "",
        scopes: str = DEFAULT_SCOPES,
        latency: float = 0.0,
        rate_limits: bool | RateLimits | None = None,
        client_id: str = OAuthApp.client_id,
        client_secret: str = OAuthApp.client_secret,
        token_rotation: bool = False,
        token_ttl: int = TOKEN_TTL,
        _hub: Hub | None = None,
    ) -> None:
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.team_id = team_id
        self.team_domain = team_domain
        self.app_id = app_id
        self._app_url = app_url
        self.request_timeout = request_timeout
        self._ws = Workspace(
            team_id,
            list(users),
            bot_user,
            [Channel(c.id, c.name, c.kind, c.members) for c in channels],
            clock,
        )
        self._identity = AppIdentity(
            bot_token, app_id, bot_id, team_domain, scopes=scopes, team_name=team_name
        )
        # A workspace added with `add_workspace` shares the first one's server and network.
        self._owns_server = _hub is None
        if _hub is None:
            limits = RateLimits() if rate_limits is True else rate_limits or None
            oauth = OAuthApp(client_id, client_secret, app_id, scopes, token_rotation, token_ttl)
            _hub = Hub(Network(latency, limits), oauth)
            self._server: ServerThread | None = ServerThread(_hub.asgi())
            self.url: str = self._server.url
        else:
            self._server = None
        self._hub = _hub
        self._api = WebApi(self._ws, self._identity, trigger_ttl, lambda: self.url, _hub.network)
        _hub.add(self._api)
        self._api.owner = self
        self._parent: FakeSlack | None = None
        self._auto_every = auto_deliver_every
        self._stop = threading.Event()
        self._deliverer: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Base URL for slack_sdk: ``WebClient(token, base_url=slack.api_url)``."""
        return self.url + "/api/"

    @property
    def bot_user_id(self) -> str:
        return self._ws.bot.id

    @property
    def clock(self) -> Callable[[], float]:
        return self._ws.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self._ws.clock = clock

    def start(self) -> FakeSlack:
        if self._server is None:
            return self  # an added workspace: the first one's server serves it
        self._server.start()
        if self._auto_every:
            self._deliverer = threading.Thread(
                target=self._deliver_loop, daemon=True, name="fakeslack-scheduler"
            )
            self._deliverer.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._deliverer is not None:
            self._deliverer.join()
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _deliver_loop(self) -> None:
        assert self._auto_every is not None
        while not self._stop.wait(self._auto_every):
            self.deliver_scheduled()

    @property
    def app_url(self) -> str | None:
        """Where Slack's requests to the app go (``…/slack/events``). An added workspace
        uses the first one's unless given its own: it is the same app."""
        if self._app_url is None and self._parent is not None:
            return self._parent.app_url
        return self._app_url

    @app_url.setter
    def app_url(self, url: str | None) -> None:
        self._app_url = url

    @property
    def team_name(self) -> str:
        return self._identity.team

    # --- the network -----------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every Web API call and response_url post takes (0: loopback speed)."""
        return self._hub.network.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._hub.network.latency = seconds

    @property
    def rate_limits(self) -> RateLimits | None:
        """Slack's rate-limit tiers in force (None: no limits). Setting it starts every
        budget afresh; ``True`` means Slack's defaults."""
        return self._hub.network.limits

    @rate_limits.setter
    def rate_limits(self, limits: bool | RateLimits | None) -> None:
        self._hub.network.limits = RateLimits() if limits is True else limits or None

    def rate_limited_calls(self) -> list[ApiCall]:
        """The calls this workspace answered with HTTP 429, oldest first."""
        return [call for call in self.calls if call.rate_limited]

    # --- workspaces and OAuth -------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._hub.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self._hub.oauth.client_secret

    @property
    def bot_token(self) -> str | None:
        """The app's current bot token in this workspace (None until installed)."""
        with self._ws.lock:
            live = [g for g in self._api.grants.values() if g.kind == "bot" and not g.revoked]
        return live[-1].token if live else None

    def add_workspace(
        self,
        team_id: str,
        users: Iterable[FakeUser] = (),
        *,
        team_name: str = "",
        team_domain: str | None = None,
        bot_token: str | None = None,
        bot_user: FakeUser | None = None,
        bot_id: str | None = None,
        channels: Iterable[Channel] = DEFAULT_CHANNELS,
    ) -> FakeSlack:
        """Another workspace on the same server, its own people, channels and tokens.

        The app isn't installed there until `authorize` + ``oauth.v2.access`` (or pass
        `bot_token`). Returns the workspace's own `FakeSlack`, to act in it::

            other = slack.add_workspace("T0OTHER", [FakeUser("U0ZOE", "zoe", "Zoe", "UTC")])
            code = slack.authorize("T0OTHER", "U0ZOE")
            other.slash_command("U0ZOE", "/coviu", "help")
        """
        suffix = team_id[1:]
        workspace = FakeSlack(
            bot_token,
            self.signing_secret,
            team_id,
            users,
            team_domain=team_domain or suffix.lower(),
            team_name=team_name,
            app_id=self.app_id,
            bot_id=bot_id or f"B{suffix}",
            bot_user=bot_user or FakeUser(f"U{suffix}BOT", "coviu", "Coviu", BOT_USER.tz, True),
            channels=channels,
            verification_token=self.verification_token,
            trigger_ttl=self._api.trigger_ttl,
            # Follows this workspace's clock, even when a test swaps it later.
            clock=lambda: self._ws.clock(),
            request_timeout=self.request_timeout,
            _hub=self._hub,
        )
        workspace.url = self.url
        workspace._parent = self
        return workspace

    def workspace(self, team_id: str) -> FakeSlack:
        """The `FakeSlack` of a workspace this one's server hosts (see `add_workspace`)."""
        if team_id == self.team_id:
            return self
        root = self._parent or self
        for child in root._children():
            if child.team_id == team_id:
                return child
        raise KeyError(f"no workspace {team_id!r}")

    def _children(self) -> list[FakeSlack]:
        return [api.owner for api in self._hub.apis.values() if api.owner is not None]

    def authorize(
        self,
        team_id: str,
        user_id: str,
        *,
        scopes: str | None = None,
        user_scopes: str = "",
        redirect_uri: str | None = None,
    ) -> str:
        """`user_id` installs the app in `team_id` (clicks *Allow*): a code for
        ``oauth.v2.access``, good once, for ten minutes of the workspace clock. `scopes`
        default to the app's bot scopes; `user_scopes` also asks for a user token."""
        return self._hub.authorize(team_id, user_id, scopes, user_scopes, redirect_uri)

    def oauth_redirect(
        self, authorize_url: str, team_id: str, user_id: str, *, redirect_uri: str | None = None
    ) -> str:
        """Where Slack's install page sends the browser after `user_id` allows the app.

        `authorize_url` is the ``https://slack.com/oauth/v2/authorize?...`` link an install
        page (Bolt's ``/slack/install``) offers; its ``client_id`` must be the app's. The
        answer is its ``redirect_uri`` (or `redirect_uri`) with ``code`` and ``state``.
        """
        query = dict(parse_qsl(urlsplit(authorize_url).query))
        if query.get("client_id") != self.client_id:
            raise FakeSlackError(f"client_id {query.get('client_id')!r} isn't this app's")
        target = query.get("redirect_uri") or redirect_uri
        if not target:
            raise FakeSlackError("no redirect_uri in the link; pass redirect_uri=")
        code = self._hub.authorize(
            team_id,
            user_id,
            query.get("scope"),
            query.get("user_scope", ""),
            query.get("redirect_uri"),
        )
        answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return f"{target}{'&' if '?' in target else '?'}{urlencode(answer)}"

    def uninstall(self, team_id: str | None = None) -> None:
        """Someone removes the app from `team_id` (default: this workspace): its tokens
        stop working (``token_revoked``) and the app hears ``tokens_revoked`` and
        ``app_uninstalled`` when `app_url` is set."""
        team = team_id or self.team_id
        workspace = self.workspace(team)
        with workspace._ws.lock:
            bots = [g.user_id for g in workspace._api.grants.values() if g.kind == "bot"]
            people = [g.user_id for g in workspace._api.grants.values() if g.kind == "user"]
        self._hub.uninstall(team)
        if workspace.app_url:
            workspace.send_event(
                {"type": "tokens_revoked", "tokens": {"oauth": people, "bot": bots}}
            )
            workspace.send_event({"type": "app_uninstalled"})

    # --- the workspace --------------------------------------------------------------------

    @property
    def users(self) -> dict[str, FakeUser]:
        """Everyone in the workspace by id, the bot user included."""
        return dict(self._ws.users)

    def user(self, id_or_name: str) -> FakeUser:
        """A user by id (``U0ALICE``), handle (``alice``) or ``@alice``."""
        key = id_or_name.lstrip("@")
        for user in self._ws.users.values():
            if key in (user.id, user.name):
                return user
        raise KeyError(f"no user {id_or_name!r}; known: {', '.join(self._ws.users)}")

    def add_channel(self, channel_id: str, name: str) -> None:
        with self._ws.lock:
            self._ws.channels[channel_id] = Channel(channel_id, name)

    def im_channel(self, user_id: str) -> str:
        """The id of the bot's IM with `user_id` (``D0ALICE`` for ``U0ALICE``)."""
        return self._ws.im_with(user_id).id

    # --- what the app did -----------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        with self._ws.lock:
            return list(self._ws.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one Web API method, oldest first."""
        return [call for call in self.calls if call.method == method]

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail as Slack would.

        ``fail_next("chat.postMessage")`` answers HTTP 429 ``ratelimited`` with
        ``Retry-After: 1``; ``fail_next("users.info", "internal_error", 500)`` a server error;
        ``fail_next("views.open", "expired_trigger_id")`` an ordinary ok:false error;
        ``fail_next("response_url", "invalid_blocks", 400)`` refuses the next answer with
        blocks posted to a response_url, as Slack does with blocks it can't show.
        """
        if status is None:
            status = 429 if error in ("ratelimited", "rate_limited") else 200
        if status == 429 and retry_after is None:
            retry_after = 1
        self._api.fail_next(method, Failure(error, status, retry_after), times)

    def messages(self, *, include_deleted: bool = False) -> list[Message]:
        """Every message in the workspace, oldest first."""
        with self._ws.lock:
            return [m for m in self._ws.messages if include_deleted or not m.deleted]

    def dms(self, user_id: str) -> list[Message]:
        """Messages the bot posted in its IM with `user_id` (not ephemeral), oldest first."""
        channel_id = "D" + user_id[1:]
        return [
            m
            for m in self.messages()
            if m.channel == channel_id and not m.is_ephemeral and m.user == self.bot_user_id
        ]

    def ephemerals(self, user_id: str) -> list[Message]:
        """Messages only `user_id` sees (ephemeral replies, acks, Slack's notices)."""
        return [m for m in self.messages() if m.ephemeral_to == user_id]

    def channel_messages(self, channel_id: str) -> list[Message]:
        """What everyone in the channel sees, oldest first."""
        return [m for m in self.messages() if m.channel == channel_id and not m.is_ephemeral]

    def home(self, user_id: str) -> View | None:
        """The App Home last published for `user_id`."""
        with self._ws.lock:
            return self._ws.homes.get(user_id)

    def view_stack(self, user_id: str) -> list[View]:
        """The modals open for `user_id`, bottom first (empty when none)."""
        with self._ws.lock:
            return list(self._ws.stacks.get(user_id, []))

    def modal(self, user_id: str) -> View | None:
        """The modal `user_id` is looking at, if any."""
        stack = self.view_stack(user_id)
        return stack[-1] if stack else None

    def scheduled_messages(self) -> list[dict[str, Any]]:
        """Pending chat.scheduleMessage messages, earliest first."""
        with self._ws.lock:
            pending = sorted(self._ws.scheduled.values(), key=lambda s: (s.post_at, s.id))
            return [
                {
                    "id": s.id,
                    "channel": s.channel,
                    "post_at": s.post_at,
                    "text": s.text,
                    "blocks": s.blocks,
                }
                for s in pending
            ]

    def deliver_scheduled(self, now: float | None = None) -> list[Message]:
        """Post the scheduled messages due at `now` (default: the workspace clock)."""
        return self._api.deliver_scheduled(self._ws.clock() if now is None else now)

    # --- watching -------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call `callback(change)` for every visible change; returns an unsubscribe function.

        Callbacks run on the thread that made the change, after the state lock is released,
        in the order the changes happened.
        """
        return self._ws.subscribe(callback)

    def wait_for(
        self, predicate: Callable[[], T | None], timeout: float = 10, *, what: str | None = None
    ) -> T:
        """The first truthy value of `predicate()`, re-evaluated after every change (and
        every 50 ms, so predicates over the test's own state work too).

        ``dm = slack.wait_for(lambda: slack.dms("U0BOB"))`` waits for a DM without sleeping.
        Raises `TimeoutError` naming what was awaited and the last Web API calls.
        """
        return self._ws.wait_for(predicate, timeout, what)

    # --- triggers -------------------------------------------------------------------------

    def issue_response_url(
        self, user_id: str, channel_id: str, origin: Message | None = None
    ) -> str:
        """A live response_url for `user_id` in `channel_id`, as Slack puts in an interaction
        payload (for requests a test or bench builds itself). With `origin`, ``replace_original``
        and ``delete_original`` act on that message."""
        return self._api.issue_response_url(user_id, channel_id, origin)

    def response_url_answers(self, url: str) -> list[tuple[int, str]]:
        """What Slack answered each post to this response_url, oldest first: ``(200, "ok")``,
        ``(404, "expired_url")`` past 30 minutes, ``(404, "used_url")`` past 5 uses."""
        with self._ws.lock:
            hook = self._ws.response_urls.get(url.rsplit("/", 1)[-1])
            return list(hook.answers) if hook is not None else []

    def expire_response_url(self, url: str) -> None:
        """Make Slack forget a response_url, as it does 30 minutes after issuing it (real
        minutes: the app may believe it has longer, its clock and Slack's disagreeing)."""
        with self._ws.lock:
            hook = self._ws.response_urls[url.rsplit("/", 1)[-1]]
            hook.issued_at = time.time() - RESPONSE_URL_TTL - 1

    def new_trigger_id(self, user_id: str, view_id: str | None = None) -> str:
        """Issue a trigger_id for `user_id`, as Slack does with each interaction."""
        issued = time.time()
        trigger = Trigger(
            f"{int(issued)}.{self._ws.next_id('', 6)}.{blockkit.random_id(16)}",
            user_id,
            issued,
            view_id=view_id,
        )
        with self._ws.lock:
            self._ws.triggers[trigger.id] = trigger
        return trigger.id

    # --- the Slack side: requests to the app ----------------------------------------------

    def post_signed(
        self,
        body: bytes,
        content_type: str = "application/json",
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        kind: str = "raw",
        payload: dict[str, Any] | None = None,
        user_id: str | None = None,
    ) -> SlackResult:
        """POST `body` to the app as Slack would, signed with `secret` (default: the real
        one) at `timestamp` (default: now). Lower level than the methods below; use it to
        send a bad signature or a stale timestamp."""
        if not self.app_url:
            raise FakeSlackError("set slack.app_url to the app's /slack/events URL first")
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **sign(self.signing_secret if secret is None else secret, body, stamp),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        started = time.monotonic()
        try:
            response = requests.post(
                self.app_url, data=body, headers=headers, timeout=self.request_timeout
            )
            status, text = response.status_code, response.text
            answer_headers = dict(response.headers)
        except requests.RequestException as error:
            status, text, answer_headers = 0, str(error), {}
        elapsed = time.monotonic() - started
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = None
        return SlackResult(
            kind,
            status,
            answer_headers,
            text,
            parsed,
            payload or {},
            body,
            content_type,
            elapsed,
            user_id=user_id,
        )

    def resend(
        self, result: SlackResult, retry_num: int = 1, retry_reason: str = "http_timeout"
    ) -> SlackResult:
        """Send an earlier request again, byte for byte, freshly signed, with Slack's retry
        headers; its answer is applied as the original's was (to test idempotency)."""
        again = self.post_signed(
            result.request_body,
            result.content_type,
            retry_num=retry_num,
            retry_reason=retry_reason,
            kind=result.kind,
            payload=result.payload,
            user_id=result.user_id,
        )
        again.trigger_id, again.response_url = result.trigger_id, result.response_url
        self._apply(again, result.view)
        return again

    def _apply(self, result: SlackResult, view: View | None) -> None:
        if result.kind == "slash_command":
            self._show_command_answer(result)
        elif result.kind == "view_submission" and view is not None:
            self._apply_submission_answer(result, view)
        self._ws.flush()

    # slash commands

    def slash_command(
        self,
        user_id: str,
        command: str = "/coviu",
        text: str = "",
        channel_id: str = "C0GENERAL",
        *,
        retry_num: int | None = None,
        escape: bool = True,
    ) -> SlackResult:
        """`user_id` types ``{command} {text}`` in `channel_id`.

        ``@name`` of known users becomes ``<@U…|name>`` (``should_escape: true``). The app's
        immediate answer is shown to the user as Slack shows it (`result.shown`).
        """
        user = self._person(user_id)
        channel = self._command_channel(user, channel_id)
        trigger_id = self.new_trigger_id(user.id)
        response_url = self._api.issue_response_url(user.id, channel.id, None, ready=False)
        fields = payloads.slash_command_form(
            token=self.verification_token,
            team_id=self.team_id,
            team_domain=self.team_domain,
            channel_id=channel.id,
            channel_name="directmessage" if channel.is_im else channel.name,
            user=user,
            command=command,
            text=escape_mentions(text, self._ws.users.values()) if escape else text,
            api_app_id=self.app_id,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        try:
            result = self.post_signed(
                payloads.form_body(fields),
                "application/x-www-form-urlencoded",
                retry_num=retry_num,
                kind="slash_command",
                payload=dict(fields),
                user_id=user.id,
            )
            result.trigger_id, result.response_url = trigger_id, response_url
            self._apply(result, None)
        finally:
            self._api.mark_ready(response_url)
        return result

    def _command_channel(self, user: FakeUser, channel_id: str) -> Channel:
        if channel_id == "D" + user.id[1:]:
            return self._ws.im_with(user.id)
        channel = self._ws.resolve_channel(channel_id, allow_user=False)
        if channel is None or not channel.admits(user.id):
            known = ", ".join(c.id for c in self._ws.channels.values() if c.admits(user.id))
            raise FakeSlackError(f"{user.name} can't type in {channel_id!r}; try one of {known}")
        return channel

    def _show_command_answer(self, result: SlackResult) -> None:
        """Slack shows the ack's body to the person who typed the command."""
        user_id = result.user_id or ""
        channel_id = str(result.payload.get("channel_id"))
        hook_id = (result.response_url or "").rsplit("/", 1)[-1]
        if not result.ok:
            # Slack's own notice; the app never sees it.
            reason = "dispatch_failed" if result.status == 0 else "http_service_error"
            notice = Message(
                channel_id,
                self._ws.next_ts(),
                "USLACKBOT",
                f'{result.payload.get("command")} failed with the error "{reason}"',
                ephemeral_to=user_id,
                source="slack",
            )
            result.shown.append(self._ws.add_message(notice))
            return
        if not result.text.strip():
            return
        body = result.body if isinstance(result.body, dict) else {"text": result.text}
        text = str(body.get("text") or "")
        refused = blockkit.validate_message(body["blocks"]) if "blocks" in body else []
        if refused:
            # Slack shows nothing of an answer it can't render, only its own notice.
            result.refused = refused
            notice = Message(
                channel_id,
                self._ws.next_ts(),
                "USLACKBOT",
                f'{result.payload.get("command")} failed with the error "invalid_blocks"',
                ephemeral_to=user_id,
                source="slack",
            )
            result.shown.append(self._ws.add_message(notice))
            return
        blocks = blockkit.normalize(body.get("blocks") or [])
        if not text and not blocks:
            return
        in_channel = body.get("response_type") == "in_channel"
        message = Message(
            channel_id,
            self._ws.next_ts(),
            self.bot_user_id,
            text,
            blocks,
            ephemeral_to=None if in_channel else user_id,
            source="ack",
            bot_id=self._identity.bot_id,
            app_id=self.app_id,
            team=self.team_id,
        )
        self._ws.add_message(message)
        result.shown.append(message)
        with self._ws.lock:
            hook = self._ws.response_urls.get(hook_id)
            if hook is not None:
                hook.origin = message

    # clicks

    def click(
        self,
        user_id: str,
        where: Message | View,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
    ) -> SlackResult:
        """`user_id` presses the element `action_id` on a message or view.

        For a button, `value` picks among buttons sharing an action_id; for a select,
        overflow, date picker... it is the choice made. Raises `FakeSlackError` when there is
        no such element, so a test cannot press a button the app never showed.
        """
        user = self._person(user_id)
        if isinstance(where, Message) and where.deleted:
            raise FakeSlackError(f"{where!r} was deleted")
        if isinstance(where, View) and where.closed:
            raise FakeSlackError(f"{where!r} is closed")
        if isinstance(where, Message) and where.is_ephemeral and where.ephemeral_to != user.id:
            raise FakeSlackError(f"{user.name} can't see {where!r}")
        block, element = _find_element(where.blocks, action_id, value, block_id)
        action_ts = f"{time.time():.6f}"
        choice = payloads._UNSET if element.get("type") == "button" or value is None else value
        try:
            act = payloads.action(
                element, str(block.get("block_id")), choice, action_ts, self._ws.users
            )
        except InvalidInput as error:
            raise FakeSlackError(str(error)) from None
        trigger_id = self.new_trigger_id(
            user.id, view_id=where.id if isinstance(where, View) else None
        )
        common = dict(
            user=user,
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id=self.app_id,
            token=self.verification_token,
            trigger_id=trigger_id,
            actions=[act],
        )
        response_url = None
        if isinstance(where, Message):
            response_url = self._api.issue_response_url(user.id, where.channel, where)
            channel = self._ws.channels.get(where.channel)
            payload = payloads.block_actions(
                **common,
                container={
                    "type": "message",
                    "message_ts": where.ts,
                    "channel_id": where.channel,
                    "is_ephemeral": where.is_ephemeral,
                },
                channel={
                    "id": where.channel,
                    "name": "directmessage" if channel is None or channel.is_im else channel.name,
                },
                # Slack leaves the message out of payloads from ephemeral messages.
                message=None if where.is_ephemeral else where.payload(),
                response_url=response_url,
            )
        else:
            state = self._current_state(where)
            payload = payloads.block_actions(
                **common, container={"type": "view", "view_id": where.id}, view=where.payload(state)
            )
        result = self.post_signed(
            payloads.interactive_body(payload),
            "application/x-www-form-urlencoded",
            kind="block_actions",
            payload=payload,
            user_id=user.id,
        )
        result.trigger_id, result.response_url = trigger_id, response_url
        return result

    def _current_state(self, view: View) -> dict[str, Any]:
        # What the inputs hold right now: their initial values (the fake has no typing).
        values: dict[str, Any] = {}
        for i in view.inputs():
            try:
                values[i.block_id] = {
                    i.action_id: payloads.element_state(i.element, users=self._ws.users)
                }
            except InvalidInput:
                continue
        return values

    # modals

    def submit(
        self, user_id: str, view: View, values: Mapping[str, Any] | None = None
    ) -> SlackResult:
        """`user_id` fills in `view` and presses its submit button.

        `values` override the inputs' initial values, keyed by block_id (or action_id when
        unique), in plain Python: text, numbers, ``datetime`` (aware) or epoch seconds for a
        datetimepicker, ``date``/``"2025-03-01"``, ``"15:30"``, option values, user ids or
        handles. Raises `InvalidInput` for what Slack's client would refuse (a required
        field left empty, an unknown option). The app's answer is applied: ``errors`` (kept
        in `result.errors` and `view.errors`, the view stays), ``update``, ``push``,
        ``clear``, or an empty ack which closes the view.
        """
        user = self._person(user_id)
        if view.closed or view not in self.view_stack(user.id):
            raise FakeSlackError(f"{view!r} is not open for {user.name}")
        if view is not self.view_stack(user.id)[-1]:
            raise FakeSlackError(f"{view!r} is under another modal; submit the top one")
        if not view.submit:
            raise FakeSlackError(f"{view!r} has no submit button")
        state = payloads.state_values(view.inputs(), values, self._ws.users)
        trigger_id = self.new_trigger_id(user.id, view_id=view.id)
        payload = payloads.view_submission(
            user=user,
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id=self.app_id,
            token=self.verification_token,
            trigger_id=trigger_id,
            view=view.payload(state),
        )
        result = self.post_signed(
            payloads.interactive_body(payload),
            "application/x-www-form-urlencoded",
            kind="view_submission",
            payload=payload,
            user_id=user.id,
        )
        result.trigger_id = trigger_id
        self._apply(result, view)
        return result

    def _apply_submission_answer(self, result: SlackResult, view: View) -> None:
        result.view = view
        if not result.ok or view.closed:
            return  # Slack shows "We had some trouble connecting"; the modal stays.
        answer = result.body if isinstance(result.body, dict) else {}
        action = answer.get("response_action")
        ws = self._ws
        if action == "errors":
            result.errors = dict(answer.get("errors") or {})
            with ws.lock:
                view.errors = dict(result.errors)
                ws.emit(Change("view_updated", view=view, user_id=view.user_id))
        elif action == "update":
            self._api.update_view(view, self._answer_view(answer))
        elif action == "push":
            spec = self._answer_view(answer)
            with ws.lock:
                stack = ws.stacks.setdefault(view.user_id, [])
                if len(stack) >= 3:
                    raise FakeSlackError("push_limit_reached: Slack allows 3 stacked modals")
                pushed = self._api._new_view(view.user_id, spec, root=stack[0].id, previous=view.id)
                stack.append(pushed)
                ws.emit(Change("view_pushed", view=pushed, user_id=view.user_id))
            result.view = pushed
        elif action == "clear":
            self._close(view.user_id, all_views=True)
            result.view = None
        else:
            self._close(view.user_id, all_views=False)
            result.view = self.modal(view.user_id)

    def _answer_view(self, answer: dict[str, Any]) -> dict[str, Any]:
        spec = answer.get("view")
        problems = blockkit.validate_view(spec)
        if problems:
            raise FakeSlackError(
                "the app answered with a view Slack refuses: " + "; ".join(problems)
            )
        assert isinstance(spec, dict)
        return {**spec, "blocks": blockkit.normalize(spec.get("blocks") or [])}

    def _close(self, user_id: str, *, all_views: bool) -> list[View]:
        with self._ws.lock:
            stack = self._ws.stacks.get(user_id, [])
            closing = list(stack) if all_views else stack[-1:]
            for view in reversed(closing):
                stack.remove(view)
                view.closed = True
                self._ws.emit(Change("view_closed", view=view, user_id=user_id))
            return closing

    def close_view(self, user_id: str, view: View) -> SlackResult | None:
        """`user_id` dismisses the modal (Cancel / ×). The app hears of it (``view_closed``)
        only if the view asked for ``notify_on_close``; then its result is returned."""
        user = self._person(user_id)
        if view.closed or view not in self.view_stack(user.id):
            raise FakeSlackError(f"{view!r} is not open for {user.name}")
        state = self._current_state(view)
        closed = self._close(user.id, all_views=bool(view.spec.get("clear_on_close")))
        self._ws.flush()
        if not view.notify_on_close:
            return None
        payload = payloads.view_closed(
            user=user,
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id=self.app_id,
            token=self.verification_token,
            view=view.payload(state),
            is_cleared=len(closed) > 1,
        )
        return self.post_signed(
            payloads.interactive_body(payload),
            "application/x-www-form-urlencoded",
            kind="view_closed",
            payload=payload,
            user_id=user.id,
        )

    # events

    def event_envelope(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The ``event_callback`` wrapper Slack puts around `event` (fresh event_id)."""
        now = time.time()
        body = dict(event)
        body.setdefault("event_ts", f"{now:.6f}")
        return payloads.event_callback(
            event=body,
            token=self.verification_token,
            team_id=self.team_id,
            api_app_id=self.app_id,
            event_id=self._ws.next_id("Ev0", 8),
            event_time=int(now),
            bot_user_id=self.bot_user_id,
        )

    def send_event(
        self,
        event: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> SlackResult:
        """Deliver an Events API event (wrapped in ``event_callback``) to the app."""
        envelope = self.event_envelope(event)
        return self.post_signed(
            json.dumps(envelope).encode(),
            "application/json",
            retry_num=retry_num,
            retry_reason=retry_reason,
            kind="event",
            payload=envelope,
            user_id=event.get("user"),
        )

    def open_home(self, user_id: str) -> SlackResult:
        """`user_id` opens the app's Home tab: ``app_home_opened`` with ``tab: home``."""
        user = self._person(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": self.im_channel(user.id),
            "tab": "home",
        }
        home = self.home(user.id)
        if home is not None:
            event["view"] = home.payload()
        return self.send_event(event)

    def say(self, user_id: str, text: str, channel_id: str | None = None) -> SlackResult:
        """`user_id` posts `text` (default: in their IM with the bot); the app gets a
        ``message`` event, as with the ``message.im`` / ``message.channels`` subscriptions."""
        user = self._person(user_id)
        channel = (
            self._ws.im_with(user.id)
            if channel_id is None
            else self._command_channel(user, channel_id)
        )
        escaped = escape_mentions(text, self._ws.users.values())
        message = self._ws.add_message(
            Message(
                channel.id, self._ws.next_ts(), user.id, escaped, source="user", team=self.team_id
            )
        )
        self._ws.flush()
        return self.send_event(
            {
                "type": "message",
                "channel": channel.id,
                "user": user.id,
                "text": escaped,
                "ts": message.ts,
                "event_ts": message.ts,
                "team": self.team_id,
                "channel_type": channel.kind if channel.kind != "mpim" else "mpim",
            }
        )

    def url_verification(self, challenge: str = "fake-challenge") -> SlackResult:
        """Slack's handshake when a Request URL is saved; the app must echo `challenge`."""
        payload = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return self.post_signed(
            json.dumps(payload).encode(), kind="url_verification", payload=payload
        )

    def _person(self, user_id: str) -> FakeUser:
        user = self.user(user_id)
        if user.is_bot:
            raise FakeSlackError(f"{user.name} is a bot; bots don't type or click")
        return user


def _find_element(
    blocks: list[dict[str, Any]], action_id: str, value: str | None, block_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (block, element) a person interacts with, or a clear FakeSlackError."""
    found = [
        (block, element)
        for block in blocks
        for element in blockkit.elements_of(block)
        if element.get("action_id") == action_id
        and (block_id is None or block.get("block_id") == block_id)
    ]
    buttons = [(b, e) for b, e in found if e.get("type") == "button"]
    if buttons and value is not None:
        found = [(b, e) for b, e in buttons if e.get("value") == value]
    if len(found) == 1:
        return found[0]
    shown = [
        f"{e.get('action_id')}"
        + (f"={e.get('value')!r}" if e.get("type") == "button" else f" ({e.get('type')})")
        for b in blocks
        for e in blockkit.elements_of(b)
        if e.get("action_id")
    ]
    if not found:
        wanted = action_id + (f" with value {value!r}" if value is not None else "")
        raise FakeSlackError(f"no element {wanted} here; there is: {', '.join(shown) or 'none'}")
    raise FakeSlackError(f"{len(found)} elements match {action_id!r}; pass value= or block_id=")
