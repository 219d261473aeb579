"""Fixtures for the entry-page tests (``tests/test_entry_*.py``).

Load with ``pytest_plugins = ["coviu_fixtures", "entry_fixtures"]``. Unlike ``local_coviu``,
whose links point at ``https://coviu.test``, this server hands out links to itself, so an
``entry_url`` from the API can be opened as it is::

    def test_guest_waits(entry_coviu, entry_clinic):
        booking = book(entry_clinic)
        requests.post(booking.guest["entry_url"] + "/enter").json()["status"]   # "waiting"
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from coviu_fixtures import CLIENTS, TOKEN_TTL, Api, FakeClock, LocalCoviu
from fastapi import FastAPI

from bot.coviu.server import create_app
from bot.httpserve import ServerThread


@dataclass
class Booking:
    """A session booked through the API: the body, and its participants by role."""

    session: dict[str, Any]
    host: dict[str, Any]
    guest: dict[str, Any]
    others: list[dict[str, Any]]

    @property
    def session_id(self) -> str:
        return str(self.session["session_id"])

    @property
    def everyone(self) -> list[dict[str, Any]]:
        return [self.host, self.guest, *self.others]


def book(
    api: Api,
    starts_in: timedelta = timedelta(minutes=5),
    length: timedelta = timedelta(minutes=30),
    more_guests: int = 0,
    **fields: Any,
) -> Booking:
    """A session with host Dr. Who (with a picture) and guest Sam Patient, plus ``more_guests``;
    by default it starts in five minutes, so its links are already open."""
    people = [
        {"display_name": "Dr. Who", "role": "host", "picture": "https://pics.test/who.png"},
        {"display_name": "Sam Patient", "role": "guest"},
    ] + [{"display_name": f"Guest {n}", "role": "guest"} for n in range(more_guests)]
    session = api.create_session(starts_in=starts_in, length=length, participants=people, **fields)
    host, guest, *others = session["participants"]
    return Booking(session, host, guest, others)


@pytest.fixture
def entry_coviu(tmp_path: Path, coviu_clock: FakeClock) -> Iterator[LocalCoviu]:
    db_path = tmp_path / "coviu.db"
    built: list[FastAPI] = []

    def make(url: str) -> FastAPI:
        built.append(
            create_app(
                db_path,
                list(CLIENTS.values()),
                token_ttl=TOKEN_TTL,
                public_url=url,
                clock=coviu_clock,
            )
        )
        return built[0]

    with ServerThread.build(make) as server:
        yield LocalCoviu(server.url, built[0], db_path, coviu_clock)


@pytest.fixture
def entry_clinic(entry_coviu: LocalCoviu) -> Api:
    """Alice's API client (team clinic-a) on the entry server."""
    return entry_coviu.api("alice")
