"""The embedded default, with no configuration: `coviu-slack serve` without COVIU_API_URL runs
the local Coviu API in the same server, and its webhooks reach the app itself, signed with a
secret generated once and kept beside the database."""

from __future__ import annotations

import stat

import requests
import test_cli
from conftest import ALICE, BOB

from bot.config import Settings
from bot.embedded import webhook_secret, with_webhooks
from bot.waiting.webhooks import SECRET_HEADER

# `coviu-slack serve` in its own process, no Coviu settings: the CLI tests' fixture.
served = test_cli.served


def test_serve_alerts_the_host_when_a_guest_waits_with_no_configuration(served, tmp_path):
    slack, url = served
    slack.slash_command(ALICE, "/coviu", 'book "Physio review" with @bob in 5 minutes')
    invite = slack.wait_for(lambda: slack.dms(BOB), what="Bob's invitation DM")[-1]
    [join] = [b for b in invite.buttons() if b.action_id == "join"]

    assert requests.post(join.url + "/enter", timeout=10).json()["status"] == "waiting"

    alert = slack.wait_for(
        lambda: [m for m in slack.dms(ALICE) if "is waiting" in m.text],
        what="Alice's waiting-room alert",
    )[-1]
    assert f"<@{BOB}> is waiting" in alert.text
    assert [b.text for b in alert.buttons()] == ["Join now"]
    # The secret was made for this database, kept beside it, readable by its owner only.
    [kept] = tmp_path.glob("*.hook-secret")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    forged = requests.post(
        url + "/coviu/webhooks", json={}, headers={SECRET_HEADER: "guess"}, timeout=10
    )
    assert forged.status_code == 401


def test_the_kept_webhook_secret_is_the_same_for_every_process_unless_one_is_set(tmp_path):
    settings = Settings(db_path=tmp_path / "bot.db")
    first, again = webhook_secret(settings), webhook_secret(settings)
    assert first == again and len(first) >= 32
    assert with_webhooks(settings).coviu_webhook_secret == first
    chosen = Settings(db_path=tmp_path / "bot.db", coviu_webhook_secret="chosen")
    assert with_webhooks(chosen).coviu_webhook_secret == "chosen"
    assert "chosen" not in repr(chosen) and first not in repr(with_webhooks(settings))


def test_the_webhook_secret_is_read_from_the_environment():
    settings = Settings.from_env({"COVIU_WEBHOOK_SECRET": " s3cret "})
    assert settings.coviu_webhook_secret == "s3cret"
    assert Settings.from_env({}).coviu_webhook_secret is None
