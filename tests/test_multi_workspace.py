"""Installable by many clinics: two workspaces installed through the OAuth flow, each with
its own Coviu account, booking side by side; uninstalling one leaves the other working."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
from conftest import ALICE, BOB, SIGNING_SECRET
from multi_fixtures import (
    CLINIC,
    CLINIC_KEY,
    CLINIC_SECRET,
    KIWI,
    KIWI_KEY,
    KIWI_SECRET,
    YUSUF,
    ZOE,
    MultiBot,
)

from bot.coviu.client import CoviuClient
from bot.slackfake import DEMO_USERS, FakeSlack

pytestmark = pytest.mark.both_databases


@pytest.fixture
def both(multi: MultiBot, clinic, kiwi) -> MultiBot:
    assert "Coviu is installed" in multi.install(clinic, ALICE).text
    assert "Kiwi Physio" in multi.install(kiwi, ZOE.id).text
    multi.connect(CLINIC, CLINIC_KEY, CLINIC_SECRET)
    multi.connect(KIWI, KIWI_KEY, KIWI_SECRET)
    return multi


def book_in_both(multi: MultiBot, clinic, kiwi) -> None:
    multi.command(clinic, ALICE, 'book "Physio review" with @bob tomorrow 3pm')
    multi.command(
        kiwi, ZOE.id, 'book "Kiwi check-in" with @yusuf tomorrow 10am', channel_id="C0KIWI"
    )


def test_each_workspace_books_with_its_own_token_and_its_own_coviu_account(
    both: MultiBot, clinic, kiwi, accounts
) -> None:
    book_in_both(both, clinic, kiwi)

    # Each invitation reached its person: sent with that workspace's own bot token (the
    # stand-in answers a token only in its own workspace).
    assert "Physio review" in clinic.dms(BOB)[-1].text_content()
    assert "Kiwi check-in" in kiwi.dms(YUSUF.id)[-1].text_content()
    assert {c.method for c in kiwi.calls} >= {"oauth.v2.access", "chat.postMessage"}
    for workspace in (clinic, kiwi):
        refused = [c.response.get("error") for c in workspace.calls if not c.ok]
        assert "invalid_auth" not in refused and "not_authed" not in refused
    # Each clinic's Coviu account holds its own session only.
    assert [s.session_name for s in accounts.clinic.iter_sessions()] == ["Physio review"]
    assert [s.session_name for s in accounts.kiwi.iter_sessions()] == ["Kiwi check-in"]


def test_the_install_pages_say_what_happened(multi: MultiBot, clinic) -> None:
    landing = requests.get(multi.url + "/")
    assert "Add to Slack" in landing.text and "Privacy" in landing.text
    assert 'href="/slack/install"' in landing.text
    # A redirect with a made-up state is refused with a page, not a traceback.
    refused = requests.get(multi.url + "/slack/oauth_redirect?code=x&state=y")
    assert refused.status_code in (400, 401)
    assert "Coviu was not installed" in refused.text and "Start the install" in refused.text
    # Cancelled on Slack's page.
    cancelled = requests.get(multi.url + "/slack/oauth_redirect?error=access_denied")
    assert "cancelled" in cancelled.text


def test_uninstalling_one_workspace_removes_its_data_and_leaves_the_other_working(
    both: MultiBot, clinic, kiwi, accounts, clock
) -> None:
    book_in_both(both, clinic, kiwi)
    store, workspaces = both.services.store, both.services.workspaces
    [kiwi_session] = both.services.booking.upcoming("T0KIWI", ZOE.id)
    assert store.cached_user("T0KIWI", YUSUF.id) is not None

    clinic.uninstall("T0KIWI")  # Slack tells the app: tokens_revoked, app_uninstalled
    both.idle()

    assert workspaces.installations.find_bot(enterprise_id=None, team_id="T0KIWI") is None
    assert workspaces.accounts.find(KIWI) is None
    assert store.cached_user("T0KIWI", YUSUF.id) is None
    assert store.cached_user("T0KIWI", ZOE.id) is None
    left = store.db.query(
        "select count(*) as n from reminders where session_id = ?", [kiwi_session.session_id]
    )
    assert left[0]["n"] == 0
    # Nothing the app kept of Kiwi Physio is left: its session, people and their links, the
    # requests it sent (the uninstall's own job ran on: its payload emptied).
    assert store.session(kiwi_session.session_id) is None
    assert store.participants(kiwi_session.session_id, include_removed=True) == []
    payloads = store.db.query("select payload from jobs where team_id = 'T0KIWI'")
    assert all(row["payload"] == "{}" for row in payloads)
    # The session booked at Coviu is left as it is (the README says so).
    assert not accounts.kiwi.get_session(kiwi_session.session_id).canceled

    # The clinic carries on: it books, and its reminders (only its own) go out.
    both.command(clinic, ALICE, 'book "Follow-up" with @bob friday 3pm')
    assert "Follow-up" in clinic.dms(BOB)[-1].text_content()
    kiwi_dms = len(kiwi.dms(YUSUF.id))
    clock.advance(datetime(2030, 3, 19, 3, 50, tzinfo=UTC) - clock.now())
    assert both.services.reminders.send_due() == 2
    assert "Reminder" in clinic.dms(BOB)[-1].text_content()
    assert len(kiwi.dms(YUSUF.id)) == kiwi_dms


def test_a_workspace_without_a_coviu_account_is_told_who_can_connect_it(
    multi: MultiBot, kiwi
) -> None:
    multi.install(kiwi, ZOE.id)

    multi.command(kiwi, ZOE.id, 'book "Kiwi check-in" with @yusuf 10am', channel_id="C0KIWI")

    reply = kiwi.ephemerals(ZOE.id)[-1].text_content()
    assert "isn't connected to a Coviu account" in reply
    assert "Home tab" in reply and "connect-coviu --team T0KIWI" in reply
    assert kiwi.dms(YUSUF.id) == []


def test_the_embedded_default_gives_each_workspace_its_own_coviu_team(
    multi_embedded: MultiBot, clinic, kiwi
) -> None:
    multi_embedded.install(clinic, ALICE)
    multi_embedded.install(kiwi, ZOE.id)

    book_in_both(multi_embedded, clinic, kiwi)

    assert "Physio review" in clinic.dms(BOB)[-1].text_content()
    assert "Kiwi check-in" in kiwi.dms(YUSUF.id)[-1].text_content()
    found = multi_embedded.services.workspaces.accounts
    mine, theirs = found.find(CLINIC), found.find(KIWI)
    assert mine.embedded and theirs.embedded and mine.api_key != theirs.api_key
    with (
        CoviuClient(mine.api_key, mine.api_secret, mine.api_url) as clinic_view,
        CoviuClient(theirs.api_key, theirs.api_secret, theirs.api_url) as kiwi_view,
    ):
        assert [s.session_name for s in clinic_view.iter_sessions()] == ["Physio review"]
        assert [s.session_name for s in kiwi_view.iter_sessions()] == ["Kiwi check-in"]


def test_an_admin_connects_coviu_from_app_home_checked_first_and_the_secret_never_shown(
    multi: MultiBot, clinic, kiwi, accounts
) -> None:
    multi.install(kiwi, ZOE.id)
    multi.install(clinic, ALICE)
    multi.open_home(kiwi, ZOE.id)
    assert "not connected yet" in json.dumps(kiwi.home(ZOE.id).spec)
    # Not an admin: Alice is told who can.
    multi.open_home(clinic, ALICE)
    multi.click(clinic, ALICE, clinic.home(ALICE), "connect_coviu")
    assert "Only a workspace admin" in clinic.dms(ALICE)[-1].text_content()
    assert clinic.modal(ALICE) is None

    # Zoe is an admin: a wrong secret is refused after asking Coviu, and nothing is kept.
    multi.click(kiwi, ZOE.id, kiwi.home(ZOE.id), "connect_coviu")
    form = kiwi.modal(ZOE.id)
    multi.submit(kiwi, ZOE.id, form, {"key": KIWI_KEY, "secret": "wrong-secret",
                                      "url": accounts.url + "/v1"})  # fmt: skip
    refusal = json.dumps(kiwi.calls_to("views.update")[-1].params)
    assert "Coviu refused that key and secret" in refusal and "wrong-secret" not in refusal
    assert multi.services.workspaces.accounts.find(KIWI) is None

    multi.open_home(kiwi, ZOE.id)
    multi.click(kiwi, ZOE.id, kiwi.home(ZOE.id), "connect_coviu")
    form = kiwi.modal(ZOE.id)
    assert KIWI_SECRET not in json.dumps(form.spec)
    multi.submit(kiwi, ZOE.id, form, {"key": KIWI_KEY, "secret": KIWI_SECRET,
                                      "url": accounts.url + "/v1"})  # fmt: skip
    done = json.dumps(kiwi.calls_to("views.update")[-1].params)
    assert "Connected to the Coviu account" in done and KIWI_SECRET not in done
    # The secret is in the database sealed only (the job's payload included).
    rows = multi.services.store.db.query("select payload from jobs")
    assert all(KIWI_SECRET not in row["payload"] for row in rows)

    multi.command(kiwi, ZOE.id, 'book "Kiwi check-in" with @yusuf 10am', channel_id="C0KIWI")
    assert "Kiwi check-in" in kiwi.dms(YUSUF.id)[-1].text_content()
    assert [s.session_name for s in accounts.kiwi.iter_sessions()] == ["Kiwi check-in"]
    multi.open_home(kiwi, ZOE.id)
    shown = json.dumps(kiwi.home(ZOE.id).spec)
    assert f"`{KIWI_KEY}`" in shown and KIWI_SECRET not in shown


def test_with_token_rotation_expiring_tokens_are_refreshed_and_kept(
    accounts, database, clock
) -> None:
    # Tokens that last 5 minutes: inside the app's 10-minute margin, so it refreshes first.
    with FakeSlack(
        bot_token=None,
        signing_secret=SIGNING_SECRET,
        team_id="T0CLINIC",
        users=DEMO_USERS,
        token_rotation=True,
        token_ttl=300,
    ) as slack:
        multi = MultiBot(slack, accounts, database, clock)
        try:
            multi.install(slack, ALICE)
            multi.connect(CLINIC, CLINIC_KEY, CLINIC_SECRET)
            installs = multi.services.workspaces.installations
            first = installs.find_bot(enterprise_id=None, team_id="T0CLINIC")
            assert first.bot_refresh_token and first.bot_token_expires_at

            multi.command(slack, ALICE, 'book "Physio review" with @bob tomorrow 3pm')

            assert "Physio review" in slack.dms(BOB)[-1].text_content()
            refreshes = [c for c in slack.calls_to("oauth.v2.access")
                         if c.params.get("grant_type") == "refresh_token"]  # fmt: skip
            assert refreshes and all(c.ok for c in refreshes)
            now = installs.find_bot(enterprise_id=None, team_id="T0CLINIC")
            assert now.bot_token != first.bot_token
            assert now.bot_token == slack.bot_token  # the one Slack holds as current
        finally:
            multi.stop()


def test_the_operators_account_serves_workspaces_that_have_not_connected_their_own(
    accounts, clinic, kiwi, database, clock
) -> None:
    multi = MultiBot(clinic, accounts, database, clock, default=(CLINIC_KEY, CLINIC_SECRET))
    try:
        multi.install(clinic, ALICE)
        multi.install(kiwi, ZOE.id)
        multi.connect(KIWI, KIWI_KEY, KIWI_SECRET)

        book_in_both(multi, clinic, kiwi)

        # The clinic connected nothing: its session is in the operator's (default) account.
        assert [s.session_name for s in accounts.clinic.iter_sessions()] == ["Physio review"]
        assert [s.session_name for s in accounts.kiwi.iter_sessions()] == ["Kiwi check-in"]
    finally:
        multi.stop()


def test_revoking_only_a_persons_token_leaves_the_installation(multi: MultiBot, kiwi) -> None:
    multi.install(kiwi, ZOE.id)
    kiwi.send_event({"type": "tokens_revoked", "tokens": {"oauth": [ZOE.id], "bot": []}})
    multi.idle()

    installs = multi.services.workspaces.installations
    assert installs.find_bot(enterprise_id=None, team_id="T0KIWI") is not None


def test_coviu_events_reach_the_sessions_own_workspace(both: MultiBot, clinic, kiwi) -> None:
    """The waiting room in many workspaces: a guest entering Kiwi Physio's session alerts its
    host, with Kiwi Physio's token; the clinic hears nothing."""
    both.command(kiwi, ZOE.id, 'book "Kiwi check-in" with @yusuf in 5 minutes', channel_id="C0KIWI")
    [session] = both.services.booking.upcoming("T0KIWI", ZOE.id)
    [yusuf] = [p for p in both.services.store.participants(session.session_id)
               if p.slack_user == YUSUF.id]  # fmt: skip

    entered = requests.post(yusuf.entry_url + "/enter", timeout=10)
    assert entered.status_code == 200, entered.text
    both.idle()

    alerts = [m for m in kiwi.dms(ZOE.id) if "waiting" in m.text]
    assert alerts and f"<@{YUSUF.id}> is waiting" in alerts[-1].text
    assert clinic.messages() == []
