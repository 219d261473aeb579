"""Entry links in a real browser: headless Chromium, driven by Playwright.

A host's and a guest's links are open side by side (the guest on a phone-sized page, in
Sydney): the guest waits, the host sees them and lets them in, and the guest's page shows it
without a reload. Refusals are real pages with real statuses. Everything waits on what the
page shows (Playwright's ``expect`` retries until it holds), never on a sleep.

Needs Debian's ``chromium`` at /usr/bin/chromium and the ``playwright`` package (its own
browser download is not used). Set ``ENTRY_SCREENSHOTS=<dir>`` to keep the screenshots of the
waiting room and the host's view there (``docs/screenshots/make.py`` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)

pytest.register_assert_rewrite("coviu_fixtures", "entry_fixtures")

from coviu_fixtures import Api, FakeClock  # noqa: E402
from entry_fixtures import Booking, book  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import Response  # noqa: E402

from bot.httpserve import ServerThread  # noqa: E402

pytest_plugins = ["coviu_fixtures", "entry_fixtures"]

expect = sync_api.expect

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# An upper bound for each expectation, not a pause: expect() returns as soon as the page shows
# what is expected. Generous because CI machines are small and the page polls every 1.5 s.
expect.set_options(timeout=20_000)

GUEST_WAITS = "You're in the waiting room. Your host will let you in when they arrive."
GUEST_KNOWN = "You're in the waiting room. Your host knows you're here and will let you in."
GUEST_IN = "You're in the session. Your host let you in."
HOST_IN = "You're in the session."

# Pictures: simple SVG figures, one colour each, served by a little picture server of our own.
_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect width="64" height="64" fill="{bg}"/><circle cx="32" cy="25" r="12" fill="#fff"/>
<path d="M10 60c3-13 12-19 22-19s19 6 22 19z" fill="#fff"/></svg>"""
_COLOURS = {"who": "#0b6e99", "sam": "#b5651d", "room": "#2e7d5b"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def pictures() -> Iterator[tuple[str, list[str | None]]]:
    """A picture server on loopback; also collects the Referer of every request it gets."""
    referers: list[str | None] = []
    app = FastAPI()

    @app.get("/{name}.svg")
    def picture(name: str, request: Request) -> Response:
        referers.append(request.headers.get("referer"))
        colour = _COLOURS.get(name, "#555")
        return Response(_SVG.format(bg=colour), media_type="image/svg+xml")

    with ServerThread(app) as server:
        yield server.url, referers


@pytest.fixture
def booking(entry_clinic: Api, pictures: tuple[str, list[str | None]]) -> Booking:
    url, _ = pictures
    booked = book(entry_clinic, more_guests=1, picture=f"{url}/room.svg")
    # Give the host and the first guest pictures (through the API, as a client would).
    for participant, name in ((booked.host, "who"), (booked.guest, "sam")):
        answer = entry_clinic.put(
            f"/v1/participants/{participant['participant_id']}",
            json={"role": participant["role"], "picture": f"{url}/{name}.svg"},
        )
        assert answer.status_code == 200, answer.text
    return booked


class Opener(Protocol):
    def __call__(self, url: str, phone: bool) -> tuple[Any, list[str]]: ...


@pytest.fixture
def open_page(browser: Any) -> Iterator[Opener]:
    """Open a link in its own context (own storage: another person's device), in Sydney.

    ``page, navigations = open_page(url, phone)``: ``navigations`` lists the page's main-frame
    navigations, to show that nothing reloads.
    """
    contexts: list[Any] = []

    def opener(url: str, phone: bool) -> tuple[Any, list[str]]:
        size = {"width": 390, "height": 760} if phone else {"width": 900, "height": 820}
        context = browser.new_context(
            viewport=size, locale="en-AU", timezone_id="Australia/Sydney", is_mobile=phone
        )
        contexts.append(context)
        page = context.new_page()
        navigations: list[str] = []

        def navigated(frame: Any) -> None:
            if frame is page.main_frame:
                navigations.append(frame.url)

        page.on("framenavigated", navigated)
        page.goto(url)
        return page, navigations

    yield opener
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ENTRY_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def test_guest_waits_host_lets_them_in_without_a_reload(
    open_page: Opener,
    booking: Booking,
    pictures: tuple[str, list[str | None]],
    tmp_path: Path,
) -> None:
    guest, guest_navigations = open_page(booking.guest["entry_url"], phone=True)
    status = guest.get_by_role("status")
    expect(status).to_have_text(GUEST_WAITS)
    expect(guest.get_by_role("heading", level=1)).to_have_text("Hello, Sam Patient")
    # 04:05 UTC is 2:05 pm in Sydney: the time is shown in the browser's zone.
    expect(guest.locator(".when time").first).to_contain_text("2:05")
    expect(guest.locator(".when time").first).not_to_contain_text("UTC")
    expect(guest.get_by_role("button", name="Leave")).to_be_visible()

    host, _ = open_page(booking.host["entry_url"], phone=False)
    expect(host.get_by_role("status")).to_have_text(HOST_IN)
    waiting = host.locator("#waiting-list li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Sam Patient")
    # The guest learns, live, that a host is there.
    expect(status).to_have_text(GUEST_KNOWN)
    expect(guest.locator("#call")).to_be_hidden()

    # A second guest arrives while the host watches: the list grows by itself.
    second, _ = open_page(booking.others[0]["entry_url"], phone=True)
    expect(second.get_by_role("status")).to_have_text(GUEST_KNOWN)
    expect(waiting).to_have_count(2)
    expect(host.locator("#announce")).to_have_text("Guest 0 is waiting to be let in.")
    expect(host.locator("#waiting-count")).to_have_text("(2)")
    screenshot(guest, "waiting-room.png", tmp_path)
    screenshot(host, "host-view.png", tmp_path)

    host.get_by_role("button", name="Let in Sam Patient").click()
    expect(status).to_have_text(GUEST_IN)
    in_call = guest.locator("#people li")
    expect(in_call).to_have_count(2)
    expect(in_call.first).to_contain_text("Dr. Who")
    expect(host.locator("#people li")).to_have_count(2)
    expect(waiting).to_have_count(1)
    expect(second.get_by_role("status")).to_have_text(GUEST_KNOWN)  # still waiting
    # The guest's page was never reloaded: one navigation, the first.
    assert guest_navigations == [booking.guest["entry_url"]]

    # Pictures were loaded, and none of their requests told the picture host the link.
    expect(guest.locator(".me img.avatar")).to_have_js_property("naturalWidth", 64)
    _, referers = pictures
    assert referers and all(referer is None for referer in referers)


def test_host_removes_a_guest_who_can_knock_again(open_page: Opener, booking: Booking) -> None:
    host, _ = open_page(booking.host["entry_url"], phone=False)
    expect(host.get_by_role("status")).to_have_text(HOST_IN)
    guest, navigations = open_page(booking.guest["entry_url"], phone=True)
    expect(guest.get_by_role("status")).to_have_text(GUEST_KNOWN)

    host.get_by_role("button", name="Remove Sam Patient").click()
    expect(guest.get_by_role("status")).to_have_text("A host removed you from the session.")
    expect(host.locator("#waiting-empty")).to_be_visible()
    expect(guest.get_by_role("button", name="Leave")).to_be_hidden()

    guest.get_by_role("button", name="Join again").click()
    expect(guest.get_by_role("status")).to_have_text(GUEST_KNOWN)
    expect(host.locator("#waiting-list li")).to_have_count(1)
    assert navigations == [booking.guest["entry_url"]]


def test_leaving_shows_on_the_hosts_page(open_page: Opener, booking: Booking) -> None:
    host, _ = open_page(booking.host["entry_url"], phone=False)
    guest, _ = open_page(booking.guest["entry_url"], phone=True)
    expect(host.locator("#waiting-list li")).to_have_count(1)
    host.get_by_role("button", name="Let in Sam Patient").click()
    expect(guest.get_by_role("status")).to_have_text(GUEST_IN)

    guest.get_by_role("button", name="Leave").click()
    expect(guest.get_by_role("status")).to_have_text("You left the session.")
    expect(host.locator("#people li")).to_have_count(1)


def test_cancelled_participant_is_refused(
    browser: Any, entry_clinic: Api, booking: Booking
) -> None:
    assert (
        entry_clinic.delete(f"/v1/participants/{booking.guest['participant_id']}").status_code
        == 200
    )
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(booking.guest["entry_url"])
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Link cancelled")
    expect(page.get_by_role("status")).to_contain_text("no longer lets anyone in")
    context.close()


def test_ended_session_is_refused(
    browser: Any, open_page: Opener, booking: Booking, coviu_clock: FakeClock
) -> None:
    # A page open when the session ends is told so by its next poll...
    host, navigations = open_page(booking.host["entry_url"], phone=False)
    expect(host.get_by_role("status")).to_have_text(HOST_IN)
    coviu_clock.advance(minutes=35)  # 04:35, the end
    expect(host.get_by_role("status")).to_have_text("This session has ended.")
    expect(host.get_by_role("button", name="Leave")).to_be_hidden()
    assert navigations == [booking.host["entry_url"]]

    # ...and opening the link afterwards is refused outright.
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(booking.guest["entry_url"])
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Session ended")
    context.close()
