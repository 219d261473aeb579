"""Installations, install states and Coviu accounts in the app's own database, on SQLite and
PostgreSQL alike; every secret sealed, so a dump of the database shows none of them."""

from __future__ import annotations

import time

import psycopg
import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation

from bot.secretbox import SecretBox, SecretKeyError
from bot.storage import Store
from bot.workspaces import Workspace
from bot.workspaces.store import (
    CoviuAccount,
    CoviuAccounts,
    Installations,
    OAuthStates,
    forget,
    reseal,
)

pytestmark = pytest.mark.both_databases

KEY = Fernet.generate_key().decode()


@pytest.fixture
def store(database: str):
    opened = Store.open(database)
    yield opened
    opened.close()


def installation(team: str, token: str, **more) -> Installation:
    return Installation(
        app_id="A0COVIU",
        team_id=team,
        bot_token=token,
        bot_id="B0COVIU",
        bot_user_id="U0BOT",
        bot_scopes="chat:write,commands",
        user_id="U0ADMIN",
        bot_refresh_token="xoxe-1-refresh-" + team,
        bot_token_expires_in=43200,
        **more,
    )


def dump(store: Store, database: str) -> str:
    """Every row of every table, as text: what a leaked backup shows."""
    if store.dialect == "sqlite":
        import sqlite3

        connection = sqlite3.connect(database)
        return "\n".join(connection.iterdump())
    with psycopg.connect(database) as connection:
        tables = [
            r[0]
            for r in connection.execute(
                "select tablename from pg_tables where schemaname = 'public'"
            )
        ]
        return "\n".join(
            str(row) for table in tables for row in connection.execute(f"select * from {table}")
        )


def test_installations_are_kept_per_workspace_and_sealed(store: Store, database: str) -> None:
    installs = Installations(store.db, SecretBox.from_keys(KEY))
    installs.save(installation("T0CLINIC", "xoxb-clinic-secret"))
    installs.save(installation("T0KIWI", "xoxb-kiwi-secret"))

    clinic = installs.find_bot(enterprise_id=None, team_id="T0CLINIC")
    kiwi = installs.find_bot(enterprise_id=None, team_id="T0KIWI")
    assert (clinic.bot_token, kiwi.bot_token) == ("xoxb-clinic-secret", "xoxb-kiwi-secret")
    assert kiwi.bot_refresh_token == "xoxe-1-refresh-T0KIWI"
    assert kiwi.bot_token_expires_at > time.time()
    assert installs.find_bot(enterprise_id=None, team_id="T0OTHER") is None
    text = dump(store, database)
    assert "T0KIWI" in text
    assert "xoxb-" not in text and "xoxe-" not in text


def test_a_reinstall_replaces_the_token_and_a_rotation_is_kept(store: Store) -> None:
    installs = Installations(store.db, SecretBox.from_keys(KEY))
    installs.save(installation("T0KIWI", "xoxb-old"))
    installs.save(installation("T0KIWI", "xoxb-new"))
    bot = installs.find_bot(enterprise_id=None, team_id="T0KIWI")
    assert bot.bot_token == "xoxb-new"

    bot.bot_token, bot.bot_refresh_token = "xoxb-rotated", "xoxe-1-next"
    installs.save_bot(bot)
    again = installs.find_bot(enterprise_id=None, team_id="T0KIWI")
    assert (again.bot_token, again.bot_refresh_token) == ("xoxb-rotated", "xoxe-1-next")
    assert installs.installed() == [Workspace(None, "T0KIWI")]


def test_an_org_wide_install_serves_every_workspace_of_its_enterprise(store: Store) -> None:
    installs = Installations(store.db, SecretBox.from_keys(KEY))
    installs.save(
        installation("T0ANY", "xoxb-org", enterprise_id="E0GRID", is_enterprise_install=True)
    )
    bot = installs.find_bot(enterprise_id="E0GRID", team_id="T0SOME")
    assert bot.bot_token == "xoxb-org"
    assert installs.find_bot(enterprise_id=None, team_id="T0SOME") is None
    # Once a request showed T0SOME is in E0GRID, work without a payload finds the token too.
    installs.learn_team(Workspace("E0GRID", "T0SOME"))
    assert installs.find_bot(enterprise_id=None, team_id="T0SOME").bot_token == "xoxb-org"
    assert installs.find_bot(enterprise_id="E0OTHER", team_id="T0SOME") is None


def test_rotating_the_key_keeps_every_secret_readable(store: Store) -> None:
    old, new = KEY, Fernet.generate_key().decode()
    Installations(store.db, SecretBox.from_keys(old)).save(installation("T0KIWI", "xoxb-k"))
    # The new key first, the old one after: what was sealed before still opens.
    both = Installations(store.db, SecretBox.from_keys(f"{new},{old}"))
    assert both.find_bot(enterprise_id=None, team_id="T0KIWI").bot_token == "xoxb-k"
    # Without the old key it doesn't, and says what to do: never a token in the message.
    with pytest.raises(SecretKeyError, match="keep the old key"):
        Installations(store.db, SecretBox.from_keys(new)).find_bot(
            enterprise_id=None, team_id="T0KIWI"
        )


def test_a_state_is_good_once(store: Store) -> None:
    states = OAuthStates(store.db)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False
    assert states.consume("made-up") is False
    expired = OAuthStates(store.db, ttl=-1)
    assert expired.consume(expired.issue()) is False


def test_coviu_accounts_are_per_workspace_with_the_secret_sealed(
    store: Store, database: str
) -> None:
    accounts = CoviuAccounts(store.db, SecretBox.from_keys(KEY))
    kiwi = Workspace(None, "T0KIWI")
    accounts.connect(CoviuAccount(kiwi, "https://api.coviu.test/v1", "kiwi-key", "kiwi-s3cret"))
    found = accounts.find(kiwi)
    assert (found.api_key, found.api_secret) == ("kiwi-key", "kiwi-s3cret")
    assert "kiwi-s3cret" not in repr(found)
    assert accounts.find(Workspace(None, "T0CLINIC")) is None
    assert "kiwi-s3cret" not in dump(store, database)


def test_forgetting_a_workspace_leaves_the_others(store: Store) -> None:
    box = SecretBox.from_keys(KEY)
    installs, accounts = Installations(store.db, box), CoviuAccounts(store.db, box)
    for team in ("T0CLINIC", "T0KIWI"):
        installs.save(installation(team, f"xoxb-{team}"))
        accounts.connect(CoviuAccount(Workspace(None, team), "https://c.test/v1", team, "s"))
        store.cache_user(team, "U1", name="Someone", tz="UTC")

    gone = forget(store.db, Workspace(None, "T0KIWI"))

    assert gone["installations"] == 1 and gone["coviu_accounts"] == 1
    assert installs.find_bot(enterprise_id=None, team_id="T0KIWI") is None
    assert accounts.find(Workspace(None, "T0KIWI")) is None
    assert store.cached_user("T0KIWI", "U1") is None
    assert installs.find_bot(enterprise_id=None, team_id="T0CLINIC") is not None
    assert accounts.find(Workspace(None, "T0CLINIC")) is not None
    assert store.cached_user("T0CLINIC", "U1") is not None


def test_after_resealing_the_old_key_can_go(store: Store) -> None:
    old, new = KEY, Fernet.generate_key().decode()
    Installations(store.db, SecretBox.from_keys(old)).save(installation("T0KIWI", "xoxb-k"))
    CoviuAccounts(store.db, SecretBox.from_keys(old)).connect(
        CoviuAccount(Workspace(None, "T0KIWI"), "https://c.test/v1", "k", "coviu-s")
    )

    assert reseal(store.db, SecretBox.from_keys(f"{new},{old}")) == 2

    only_new = SecretBox.from_keys(new)
    bot = Installations(store.db, only_new).find_bot(enterprise_id=None, team_id="T0KIWI")
    assert bot.bot_token == "xoxb-k"
    assert CoviuAccounts(store.db, only_new).find(Workspace(None, "T0KIWI")).api_secret == "coviu-s"


def test_an_org_wide_uninstall_forgets_every_workspace_of_the_enterprise(store: Store) -> None:
    box = SecretBox.from_keys(KEY)
    installs, accounts = Installations(store.db, box), CoviuAccounts(store.db, box)
    installs.save(
        installation("T0ANY", "xoxb-org", enterprise_id="E0GRID", is_enterprise_install=True)
    )
    installs.save(installation("T0ELSE", "xoxb-else"))
    for team in ("T0ONE", "T0TWO"):
        installs.learn_team(Workspace("E0GRID", team))
        accounts.connect(CoviuAccount(Workspace("E0GRID", team), "https://c.test/v1", team, "s"))
        store.cache_user(team, "U1", name="Someone", tz="UTC")
    store.cache_user("T0ELSE", "U1", name="Else", tz="UTC")

    forget(store.db, Workspace("E0GRID", None))

    assert installs.find_bot(enterprise_id="E0GRID", team_id="T0ONE") is None
    for team in ("T0ONE", "T0TWO"):
        assert accounts.find(Workspace("E0GRID", team)) is None
        assert store.cached_user(team, "U1") is None
    assert installs.find_bot(enterprise_id=None, team_id="T0ELSE") is not None
    assert store.cached_user("T0ELSE", "U1") is not None
