"""Everything `coviu-slack coviu-server` logs, from every logger, holds no id, token or secret.

The command runs as a real process (uvicorn's access log on, as an operator runs it); a full
Coviu API workout goes at it over HTTP; then all it wrote (stdout and stderr, every logger and
handler) is searched for each participant id, session id, token and secret of the workout.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.coviu.dates import to_rfc1123

KEY, SECRET = "ops-key", "ops-client-secret-91f0"
HOOK_SECRET = "ops-hook-secret-77ab"
WAIT = 30  # a hang guard for the process's output, not a timing


class Output:
    """The process's output, line by line, with a way to wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, words: str) -> str:
        with self.changed:
            found = self.changed.wait_for(
                lambda: next((line for line in self.lines if words in line), None), WAIT
            )
        assert found, f"no line with {words!r} in:\n{self.text()}"
        return found

    def finish(self) -> str:
        self._thread.join(WAIT)
        return self.text()

    def text(self) -> str:
        with self.changed:
            return "".join(self.lines)


@pytest.fixture
def refusing_receiver() -> Iterator[str]:
    """A webhook receiver that answers 500 to everything (so the server logs refusals)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            del args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def workout(url: str) -> list[str]:
    """Create, list, participants, entry page, cancel, summary; returns what must not leak."""
    basic = (KEY, SECRET)
    token = requests.post(
        f"{url}/v1/auth/token", auth=basic, data={"grant_type": "client_credentials"}
    ).json()
    refreshed = requests.post(
        f"{url}/v1/auth/token",
        auth=basic,
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    ).json()
    assert requests.post(f"{url}/v1/auth/token", auth=(KEY, "wrong")).status_code == 401
    bearer = {"Authorization": f"Bearer {refreshed['access_token']}"}
    start = datetime.now(UTC) + timedelta(minutes=5)  # its links are open already
    created = requests.post(
        f"{url}/v1/sessions",
        headers=bearer,
        json={
            "session_name": "Physio review",
            "start_time": to_rfc1123(start),
            "end_time": to_rfc1123(start + timedelta(minutes=30)),
            "participants": [{"role": "host", "state": "U0ALICE"}, {"role": "guest"}],
        },
    )
    assert created.status_code == 200, created.text
    session = created.json()
    sid = session["session_id"]
    host, guest = (p["participant_id"] for p in session["participants"])
    added = requests.post(
        f"{url}/v1/sessions/{sid}/participants", headers=bearer, json={"role": "guest"}
    ).json()["participant_id"]
    calls = [
        ("GET", f"/v1/sessions?start_time={to_rfc1123(start)}"),
        ("GET", f"/v1/sessions/{sid}"),
        ("GET", f"/v1/sessions/{sid}/participants"),
        ("GET", f"/v1/participants/{guest}"),
        ("GET", f"/session/{host}"),
        ("POST", f"/session/{host}/enter"),
        ("GET", f"/session/{host}/state"),
        ("POST", f"/session/{guest}/enter"),
        ("DELETE", f"/v1/participants/{guest}"),
        ("GET", f"/v1/sessions/{sid}/summary"),
        ("DELETE", f"/v1/sessions/{sid}"),
    ]
    for method, path in calls:
        answer = requests.request(method, f"{url}{path}", headers=bearer)
        assert answer.status_code == 200, (method, path, answer.text)
    unknown = requests.get(f"{url}/v1/sessions/{sid}", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    return [
        sid,
        host,
        guest,
        added,
        token["access_token"],
        token["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        SECRET,
        HOOK_SECRET,
    ]


def test_no_id_token_or_secret_reaches_any_log(tmp_path: Path, refusing_receiver: str) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "coviu-server",
            "--port",
            "0",
            "--db",
            str(tmp_path / "coviu.db"),
            "--client",
            f"{KEY}:{SECRET}:clinic",
            "--webhook-url",
            refusing_receiver,
            "--webhook-secret",
            HOOK_SECRET,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(process)
    try:
        started = output.wait_for("Uvicorn running on ")
        url = started.split("Uvicorn running on ")[1].split()[0]
        secrets = workout(url)
        output.wait_for("webhook session:cancel refused: HTTP 500")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(WAIT)
    logged = output.finish()
    (tmp_path / "server.log").write_text(logged)

    # The workout was logged: uvicorn's access lines name routes, ids replaced.
    assert '"GET /session/{id} HTTP/1.1" 200' in logged
    assert '"DELETE /v1/participants/{id} HTTP/1.1" 200' in logged
    assert '"GET /v1/sessions/{id}/summary HTTP/1.1" 200' in logged
    assert '"POST /v1/auth/token HTTP/1.1" 401' in logged
    for secret in secrets:
        assert secret not in logged
