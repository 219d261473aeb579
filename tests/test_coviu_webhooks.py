"""The local Coviu API sends webhooks as Coviu does, to a real HTTP receiver on loopback.

The receiver is a tiny ``http.server`` in the test; it records each POST (headers and JSON)
and the test waits on a condition for the number of events it expects, never on a sleep.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("coviu_fixtures")
pytest_plugins = ["coviu_fixtures"]

import requests  # noqa: E402
from coviu_fixtures import CLIENTS, PUBLIC_URL, TOKEN_TTL, Api, FakeClock  # noqa: E402

from bot.coviu.server import create_app  # noqa: E402
from bot.coviu.server.webhooks import SECRET_HEADER, WebhookSender  # noqa: E402
from bot.httpserve import ServerThread  # noqa: E402

SECRET = "hook-secret-5f1c9a"
WAIT = 10  # seconds a test waits for deliveries before failing (a hang guard, not a timing)


@dataclass
class Receiver:
    """Records what Coviu POSTs; ``status`` is what it answers, ``gate`` holds answers back."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    status: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    gate: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self.changed:
            arrived = self.changed.wait_for(lambda: len(self.received) >= count, WAIT)
            assert arrived, f"got {len(self.received)} events of {count}: {self.types()}"
            return list(self.received)

    def types(self) -> list[str]:
        return [body["type"] for body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()
    box.gate.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            box.gate.wait(WAIT)
            with box.changed:
                box.received.append(body)
                box.headers.append(dict(self.headers.items()))
                status = box.status.pop(0) if box.status else 200
                box.changed.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}/coviu/webhooks"
    yield box
    box.gate.set()
    server.shutdown()
    server.server_close()


@dataclass
class Hooked:
    url: str
    clock: FakeClock
    app: Any

    def api(self) -> Api:
        return Api(self.url, CLIENTS["alice"], self.clock).login()

    def wait(self, minutes: int, *present: dict[str, Any]) -> None:
        """Let minutes pass with these people's pages open (each polls, as the page does)."""
        for _ in range(minutes):
            self.clock.advance(minutes=1)
            for participant in present:
                path = participant["entry_url"].removeprefix(PUBLIC_URL)
                assert requests.get(f"{self.url}{path}/state").status_code == 200

    def page(self, participant: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
        path = participant["entry_url"].removeprefix(PUBLIC_URL)
        answer = requests.post(f"{self.url}{path}/{action}", json=body or None)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def hooked(tmp_path: Path, receiver: Receiver) -> Iterator[Hooked]:
    clock = FakeClock()
    app = create_app(
        tmp_path / "coviu.db",
        list(CLIENTS.values()),
        public_url=PUBLIC_URL,
        clock=clock,
        token_ttl=TOKEN_TTL,
        webhook_url=receiver.url,
        webhook_secret=SECRET,
    )
    with ServerThread(app) as server:
        yield Hooked(server.url, clock, app)
    app.state.coviu.webhooks.close()


def test_a_session_from_booking_to_call_end_sends_each_event_in_order(
    hooked: Hooked, receiver: Receiver
) -> None:
    alice = hooked.api()
    session = alice.create_session(starts_in=timedelta(hours=1))
    sid = session["session_id"]
    host, guest = session["participants"]
    alice.put(f"/v1/sessions/{sid}", json={"session_name": "Physio review (moved)"})
    hooked.clock.advance(minutes=55)  # the links open 10 minutes before the start
    hooked.page(guest, "enter")
    token = hooked.page(host, "enter")["waiting"][0]["token"]
    hooked.page(host, "admit", token=token)
    hooked.wait(10, host, guest)  # now after the start
    hooked.page(guest, "leave")
    hooked.page(host, "leave")
    other = alice.create_session(starts_in=timedelta(days=1), participants=[])
    alice.delete(f"/v1/sessions/{other['session_id']}")

    events = receiver.wait_for(9)

    assert (
        receiver.types()
        == [
            "session:create",
            "session:update",
            "participant:join",
            "participant:join",
            "waitingarea:answer",
            "participant:leave",
            "participant:leave",
            "call:end",
            "session:create",
            "session:cancel",
        ][: len(events)]
    )
    events = receiver.wait_for(10)
    assert all(headers.get(SECRET_HEADER) == SECRET for headers in receiver.headers)
    assert all(h["Content-Type"] == "application/json" for h in receiver.headers)
    team = session["team_id"]
    ids = {"teamId": team, "sessionId": sid}
    guest_ids = ids | {"participantId": guest["participant_id"], "role": "GUEST"}
    host_ids = ids | {"participantId": host["participant_id"], "role": "HOST"}
    assert [e["payload"] for e in events[:8]] == [
        ids | {"clientId": session["client_id"]},
        ids | {"clientId": session["client_id"]},
        guest_ids | {"status": "waiting"},
        host_ids | {"status": "in"},
        guest_ids | {"byParticipantId": host["participant_id"]},
        guest_ids | {"reason": "left"},
        host_ids | {"reason": "left"},
        ids,
    ]
    assert events[9]["payload"]["sessionId"] == other["session_id"]
    now = int(hooked.clock.now.timestamp())
    assert [e["createdAt"] for e in events[5:8]] == [now] * 3
    assert set(events[0]) == {"type", "createdAt", "payload"}


def test_a_call_ends_only_when_the_last_person_in_it_leaves_after_the_start(
    hooked: Hooked, receiver: Receiver
) -> None:
    alice = hooked.api()
    session = alice.create_session(
        starts_in=timedelta(minutes=5),
        participants=[{"role": "host"}, {"role": "host"}],
    )
    first, second = session["participants"]
    hooked.page(first, "enter")
    hooked.page(first, "leave")  # before the start: no call yet, so no call:end
    hooked.clock.advance(minutes=10)
    hooked.page(first, "enter")
    hooked.page(second, "enter")
    hooked.wait(1, first, second)
    hooked.page(first, "leave")  # someone is still in
    hooked.page(second, "leave")

    receiver.wait_for(8)

    assert receiver.types() == [
        "session:create",
        "participant:join",
        "participant:leave",
        "participant:join",
        "participant:join",
        "participant:leave",
        "participant:leave",
        "call:end",
    ]


def test_the_end_of_the_session_closes_presences_and_ends_the_call(
    hooked: Hooked, receiver: Receiver
) -> None:
    alice = hooked.api()
    session = alice.create_session(starts_in=timedelta(minutes=5), participants=[{"role": "host"}])
    [host] = session["participants"]
    hooked.clock.advance(minutes=6)
    hooked.page(host, "enter")
    hooked.wait(28, host)  # a minute before the end (5 + 30 minutes), still there
    hooked.clock.advance(minutes=5)  # the session has ended; the next look settles it
    summary = alice.get(f"/v1/sessions/{session['session_id']}/summary").json()

    events = receiver.wait_for(4)

    assert receiver.types() == [
        "session:create",
        "participant:join",
        "participant:leave",
        "call:end",
    ]
    assert events[2]["payload"]["reason"] == "session_ended"
    assert summary["participants"][0]["left_time"] == session["end_time"]


def test_a_failed_delivery_is_not_retried(hooked: Hooked, receiver: Receiver) -> None:
    receiver.status = [500]
    alice = hooked.api()
    first = alice.create_session(participants=[])
    second = alice.create_session(participants=[])

    # Deliveries go out in order on one thread: had the first been retried, the retry would
    # have arrived before the second event.
    events = receiver.wait_for(2)

    assert [e["payload"]["sessionId"] for e in events] == [
        first["session_id"],
        second["session_id"],
    ]


def test_a_slow_receiver_does_not_hold_up_the_api(hooked: Hooked, receiver: Receiver) -> None:
    receiver.gate.clear()  # the receiver takes the first event and does not answer
    alice = hooked.api()

    created = [alice.create_session(participants=[]) for _ in range(3)]
    listed = alice.get("/v1/sessions").json()["content"]

    assert len(listed) == 3 == len(created)
    receiver.gate.set()
    assert receiver.types() == [] or receiver.types()[0] == "session:create"
    receiver.wait_for(3)


def test_the_secret_stays_out_of_logs_and_reprs(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.status = [401, 500]
    sender = WebhookSender(receiver.url, SECRET)
    sender.send({"type": "session:create", "createdAt": 0, "payload": {}})
    sender.send({"type": "session:update", "createdAt": 0, "payload": {}})
    receiver.wait_for(2)
    sender.close()
    unreachable = WebhookSender("http://127.0.0.1:9/nowhere", SECRET)
    unreachable.send({"type": "call:end", "createdAt": 0, "payload": {}})
    unreachable.close()

    assert "webhook session:create refused: HTTP 401" in caplog.text
    assert "webhook call:end not delivered: ConnectionError" in caplog.text
    assert SECRET not in caplog.text
    assert SECRET not in repr(sender)


def test_a_webhook_url_needs_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a webhook secret"):
        create_app(tmp_path / "c.db", [], webhook_url="http://127.0.0.1:1/hook")


def test_without_a_webhook_url_nothing_is_sent(tmp_path: Path, receiver: Receiver) -> None:
    clock = FakeClock()
    app = create_app(tmp_path / "c.db", [CLIENTS["alice"]], clock=clock)
    with ServerThread(app) as server:
        Api(server.url, CLIENTS["alice"], clock).login().create_session()

    assert app.state.coviu.webhooks.enabled is False
    assert receiver.received == []


def test_the_document_describes_the_webhooks(hooked: Hooked) -> None:
    document = requests.get(f"{hooked.url}/openapi.json").json()

    assert SECRET_HEADER in document["info"]["description"]
    assert set(document["webhooks"]) >= {"participant:join", "call:end", "session:cancel"}
