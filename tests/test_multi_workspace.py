"""Installable by many clinics: two workspaces installed through the OAuth flow, each with
its own Coviu account, booking side by side; uninstalling one leaves the other working."""

from __future__ import annotations

import pytest
import requests
from conftest import ALICE, BOB
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
