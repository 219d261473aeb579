"""Fixtures and stand-in servers for the Coviu client tests.

``FlakyCoviu`` is a small purpose-built HTTP server for *network faults* the real local API
never produces on its own: 503 then 200, 429 with Retry-After, a 401 for a token it issued,
502/504, counted token requests. It speaks just enough of the API for the client to parse its
answers. ``RawSocketServer`` is lower still: it accepts a connection, reads the request and then
drops the connection (or holds it silently), which no ASGI app can do.

``Faults`` is ASGI middleware that wraps the *real* app from ``bot.coviu.server``: it counts
token requests and can answer a scripted status before passing a request through.
``local_api(db_path)`` starts that pair and hands out clients sharing one hand-moved clock.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bot.coviu.client import CoviuClient
from bot.httpserve import ServerThread

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_KEY = "key-alpha"
API_SECRET = "s3cret-alpha-DO-NOT-LOG"


class FakeClock:
    """A monotonic clock the test moves by hand: ``clock.advance(1800)``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class RecordingSleep:
    """Stands in for time.sleep: records the delays, waits for nothing."""

    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self.delays: list[float] = []
        self._on_sleep = on_sleep

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self._on_sleep is not None:
            self._on_sleep(seconds)


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _respond(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


@dataclass
class Fault:
    """A scripted answer: ``status`` with an error body and optional headers."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


def session_json(session_id: str = "s-1", participant_id: str = "p-1") -> dict[str, Any]:
    return {
        "session_id": session_id,
        "session_name": "Physio review",
        "start_time": "Wed, 08 Jun 2016 04:07:11 GMT",
        "end_time": "2016-06-08T04:17:11Z",  # ISO on purpose: the client accepts both
        "picture": None,
        "team_id": "t-1",
        "client_id": "c-1",
        "extra_field_from_the_future": {"ignored": True},
        "participants": [
            {
                "client_id": "c-1",
                "display_name": "Dr. Who",
                "entry_url": f"http://127.0.0.1/session/{participant_id}",
                "participant_id": participant_id,
                "picture": None,
                "role": "HOST",
                "session_id": session_id,
                "state": "U1",
            }
        ],
    }


class FlakyCoviu:
    """An ASGI stand-in for the Coviu API that fails on purpose, as scripted.

    ``plan(method, *faults)`` queues answers for the next requests of that method (to any
    resource path); when the queue is empty the request succeeds with a canned session.
    ``token_requests`` counts grant requests by grant type. ``expires_in`` is what token
    answers say. ``revoke_all()`` forgets every issued access token (the next call gets 401).
    """

    def __init__(self, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.token_requests: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.bearers: list[str] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._access: set[str] = set()
        self._refresh: set[str] = set()
        self._serial = itertools.count(1)
        self.refuse_refresh = False
        self.session_extra: dict[str, Any] = {}  # merged into every canned session
        self.token_faults: deque[int] = deque()  # statuses for the next token requests
        self.token_arrived = threading.Event()  # set when a token request reaches the server
        self.gate: threading.Event | None = None  # when set, token answers wait for it
        self._lock = threading.Lock()

    def plan(self, method: str, *faults: Fault | int) -> None:
        queue = self._faults.setdefault(method, deque())
        queue.extend(f if isinstance(f, Fault) else Fault(f) for f in faults)

    def revoke_all(self) -> None:
        with self._lock:
            self._access.clear()

    def issued(self) -> set[str]:
        with self._lock:
            return set(self._access) | set(self._refresh)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        body = await _read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            self.requests.append((method, path))
        if path == "/v1/auth/token":
            await self._token(send, headers, body)
            return
        auth = headers.get("authorization", "")
        with self._lock:
            self.bearers.append(auth)
            known = auth.removeprefix("Bearer ") in self._access
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if not known:
            await _respond(
                send,
                401,
                {"error": {"code": "invalid_token", "message": "unknown token"}},
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            return
        if fault is not None:
            await _respond(
                send,
                fault.status,
                {"error": {"code": f"fault_{fault.status}", "message": "scripted fault"}},
                fault.headers,
            )
            return
        if method == "DELETE":
            await _respond(send, 200, {"ok": True})
        elif path.startswith("/v1/sessions") and path.endswith("/participants"):
            await _respond(send, 200, [session_json()["participants"][0]])
        elif path == "/v1/sessions" and method == "GET":
            await _respond(
                send, 200, {"content": [session_json()], "page": 0, "page_size": 1, "more": False}
            )
        else:
            await _respond(send, 200, session_json() | self.session_extra)

    async def _token(self, send: Send, headers: dict[str, str], body: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        grant = form.get("grant_type", "")
        with self._lock:
            self.token_requests[grant] += 1
            fault = self.token_faults.popleft() if self.token_faults else None
        self.token_arrived.set()
        if fault is not None:
            await _respond(send, fault, {"error": "temporarily_unavailable"}, {"Retry-After": "0"})
            return
        expected = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
        if headers.get("authorization") != expected:
            await _respond(send, 401, {"error": "invalid_client"})
            return
        if self.gate is not None:
            # Hold the answer until the test releases it, so other threads pile up behind.
            gate = self.gate
            await _to_thread(gate.wait)
        with self._lock:
            if grant not in ("refresh_token", "client_credentials"):
                answer: tuple[int, Any] = (400, {"error": "unsupported_grant_type"})
            elif grant == "refresh_token" and (
                self.refuse_refresh or form.get("refresh_token") not in self._refresh
            ):
                answer = (400, {"error": "invalid_grant"})
            else:
                # Rotation: a refresh token works once.
                self._refresh.discard(form.get("refresh_token", ""))
                n = next(self._serial)
                access, refresh = f"access-{n}-XYZ", f"refresh-{n}-XYZ"
                self._access.add(access)
                self._refresh.add(refresh)
                answer = (
                    200,
                    {
                        "access_token": access,
                        "refresh_token": refresh,
                        "expires_in": self.expires_in,
                        "token_type": "Bearer",
                        "scope": "session",
                    },
                )
        await _respond(send, *answer)


async def _to_thread(function: Callable[[], Any]) -> Any:
    import asyncio

    return await asyncio.to_thread(function)


PASS = 0  # in a `Faults.plan`: this request goes through untouched


class Faults:
    """ASGI middleware around the real app: counts token requests, injects statuses.

    ``plan(method, path_prefix, *statuses)`` answers the next matching requests with those
    statuses (and a Retry-After of 0 for 429/503) instead of passing them on.
    ``lose_answer(method, path_prefix, status)`` passes the next matching request on, throws the
    real answer away and says ``status`` instead: the request took effect, the client cannot
    know.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.token_requests: Counter[str] = Counter()
        self.passed: Counter[tuple[str, str]] = Counter()
        self.bodies: list[tuple[str, str, bytes]] = []  # resource calls only, never tokens
        self.issued_tokens: list[str] = []  # every access/refresh token the server handed out
        self._plans: list[tuple[str, str, deque[int], bool]] = []
        self._lock = threading.Lock()

    def plan(self, method: str, path_prefix: str, *statuses: int) -> None:
        """The next matching requests get these statuses, in order; `PASS` lets one through
        to the real app (to fail, say, the third create of a series)."""
        with self._lock:
            self._plans.append((method, path_prefix, deque(statuses), False))

    def lose_answer(self, method: str, path_prefix: str, status: int) -> None:
        with self._lock:
            self._plans.append((method, path_prefix, deque([status]), True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        status = None
        if path == "/v1/auth/token":
            # Peek at the grant type, then replay the body to the real app.
            body = await _read_body(receive)
            grant = parse_qs(body.decode()).get("grant_type", [""])[0]
            with self._lock:
                self.token_requests[grant] += 1
            receive = _replay(body)
            send = self._capture_tokens(send)
        elif method in ("POST", "PUT"):
            body = await _read_body(receive)
            with self._lock:
                self.bodies.append((method, path, body))
            receive = _replay(body)
        # A threading lock, never held across an await (one event loop serves every request).
        with self._lock:
            lost = False
            for plan_method, prefix, queue, swallow in self._plans:
                if plan_method == method and path.startswith(prefix) and queue:
                    status, lost = queue.popleft(), swallow
                    if status == PASS:  # this one goes through; the plan's next is for later
                        status, lost = None, False
                    break
            if status is None or lost:
                self.passed[(method, path)] += 1
        if lost:
            await self.app(scope, receive, _discard)
        if status is not None:
            await _respond(
                send,
                status,
                {"error": {"code": f"fault_{status}", "message": "injected"}},
                {"Retry-After": "0"} if status in (429, 503) else None,
            )
            return
        await self.app(scope, receive, send)


    def _capture_tokens(self, send: Send) -> Send:
        async def capture(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                try:
                    answer = json.loads(message["body"])
                except ValueError:
                    answer = None
                if isinstance(answer, dict):
                    with self._lock:
                        self.issued_tokens += [
                            answer[k] for k in ("access_token", "refresh_token") if k in answer
                        ]
            await send(message)

        return capture


async def _discard(message: Message) -> None:
    return None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class RawSocketServer:
    """A TCP server that answers token requests and then misbehaves on every other request.

    ``mode="drop"`` closes the connection without answering (the request *was* received);
    ``mode="hang"`` keeps it open silently until the server stops (the client's read timeout
    fires). ``lines`` lists the request lines that arrived, e.g. ``"POST /v1/sessions"``.
    Requests are handled one connection at a time in arrival order, and ``stop`` queues a wake-up
    connection behind the others, so after ``with`` ends ``lines`` is complete.
    """

    _TOKEN = json.dumps(
        {"access_token": "raw-access-XYZ", "refresh_token": "raw-refresh-XYZ",
         "expires_in": 3600, "token_type": "Bearer", "scope": "session"}
    ).encode()

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.lines: list[str] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def requests_to(self, method: str, path_prefix: str) -> int:
        return sum(1 for line in self.lines if line.startswith(f"{method} {path_prefix}"))

    def _serve(self) -> None:
        while True:
            conn, _ = self._listener.accept()
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            line = " ".join(data.split(b"\r\n", 1)[0].decode(errors="replace").split()[:2])
            if line == "STOP /":
                conn.close()
                return
            self.lines.append(line)
            if line.startswith("POST /v1/auth/token"):
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(self._TOKEN)}\r\nConnection: close\r\n\r\n".encode()
                    + self._TOKEN
                )
                conn.close()
            elif self.mode == "drop":
                conn.close()
            else:
                self._held.append(conn)

    def __enter__(self) -> RawSocketServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as wake:
            wake.sendall(b"STOP / HTTP/1.1\r\n\r\n")
            self._thread.join()
        self._listener.close()
        for conn in self._held:
            conn.close()


def free_port() -> int:
    """A loopback port with nothing listening on it (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def all_text(records: Iterator[Any] | list[Any]) -> str:
    """Every log record rendered, with its arguments, for secret scanning."""
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)


# -- the real local API ------------------------------------------------------------------------

SERVER_START = datetime(2030, 1, 6, 9, 0, tzinfo=UTC)
PUBLIC_URL = "https://coviu.test"

REGISTRATIONS = {
    # alpha and beta share a team; gamma is another clinic.
    "alpha": (API_KEY, API_SECRET, "clinic-a"),
    "beta": ("key-beta", "s3cret-beta-DO-NOT-LOG", "clinic-a"),
    "gamma": ("key-gamma", "s3cret-gamma-DO-NOT-LOG", "clinic-b"),
}


class TwinClock:
    """One hand-moved time for both sides: the server reads an aware datetime, the client a
    monotonic float. ``advance(seconds, client=False)`` moves only the server (a token that
    expired without the client noticing)."""

    def __init__(self, start: datetime = SERVER_START) -> None:
        self.server_now = start
        self.client = FakeClock()

    def server(self) -> datetime:
        return self.server_now

    def advance(self, seconds: float, *, client: bool = True) -> None:
        self.server_now += timedelta(seconds=seconds)
        if client:
            self.client.advance(seconds)


@dataclass
class LocalApi:
    """The real local Coviu API behind ``Faults``, and a factory for clients of it."""

    url: str
    faults: Faults
    clock: TwinClock
    sleep: RecordingSleep

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def client(self, name: str = "alpha", **options: Any) -> CoviuClient:
        key, secret, _team = REGISTRATIONS[name]
        settings: dict[str, Any] = {"clock": self.clock.client, "sleep": self.sleep}
        settings.update(options)
        return CoviuClient(key, secret, self.base_url, **settings)


@contextmanager
def local_api(db_path: Path, token_ttl: int = 3600) -> Iterator[LocalApi]:
    """Start the real server (wrapped in ``Faults``) on a free port."""
    from bot.coviu.server import ClientRegistration, create_app

    clock = TwinClock()
    registrations = [ClientRegistration(*values) for values in REGISTRATIONS.values()]
    app = create_app(
        db_path, registrations, token_ttl=token_ttl, public_url=PUBLIC_URL, clock=clock.server
    )
    faults = Faults(app)
    with ServerThread(faults) as server:
        yield LocalApi(server.url, faults, clock, RecordingSleep())
