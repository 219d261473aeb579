"""Installations, install states and Coviu accounts, in the app's own database.

`Installations` and `OAuthStates` are slack_sdk's `InstallationStore` and `OAuthStateStore`
on our SQLite or PostgreSQL seam, so Bolt's OAuth flow and its token rotation use them as they
are. Each workspace keeps its latest installation, sealed whole (tokens, refresh token) with
the `SecretBox`; only ids and the expiry are readable. `CoviuAccounts` keeps each workspace's
clinic account, its secret sealed the same way. `forget` is an uninstall: the workspace's
installation, Coviu account, cached people and future reminders go in one transaction.

Keys: a plain workspace is ('', T); an org-wide install is (E, ''); a workspace of an
enterprise installed on its own is (E, T). A lookup for (E, T) falls back to (E, '').
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.secretbox import SecretBox
from bot.storage.db import Database
from bot.workspaces import Workspace

log = logging.getLogger(__name__)

STATE_TTL_SECONDS = 600


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stamp(value: Any) -> Any:
    # slack_sdk reads its timestamps back from ISO text (not from a float)
    return value.isoformat() if isinstance(value, datetime) else value


class Installations(InstallationStore):
    """slack_sdk's installation store on our database; one installation per workspace."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box
        self._logger = log

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    # -- writing --------------------------------------------------------------------------

    def save(self, installation: Installation) -> None:
        # An org-wide install has no team of its own: keyed by the enterprise alone.
        team = "" if installation.is_enterprise_install else installation.team_id or ""
        data = {k: _stamp(v) for k, v in installation.to_dict_for_copying().items()}
        expires = installation.bot_token_expires_at
        with self.db.transaction() as tx:
            tx.execute(
                "insert into installations (enterprise_id, team_id, is_enterprise_install,"
                " bot_user_id, bot_token_expires_at, sealed, installed_at)"
                " values (?, ?, ?, ?, ?, ?, ?) on conflict (enterprise_id, team_id) do update set"
                " is_enterprise_install = excluded.is_enterprise_install,"
                " bot_user_id = excluded.bot_user_id,"
                " bot_token_expires_at = excluded.bot_token_expires_at,"
                " sealed = excluded.sealed, installed_at = excluded.installed_at",
                [
                    installation.enterprise_id or "",
                    team,
                    int(bool(installation.is_enterprise_install)),
                    installation.bot_user_id,
                    str(int(expires)) if expires else None,
                    self.box.seal(json.dumps(data)),
                    _now(),
                ],
            )

    def save_bot(self, bot: Bot) -> None:
        """A rotated bot token: the installation keeps it."""
        found = self.find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        if found is None:
            return
        found.bot_token = bot.bot_token
        found.bot_refresh_token = bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        self.save(found)

    # -- reading --------------------------------------------------------------------------

    def _row(self, enterprise_id: str | None, team_id: str | None) -> dict[str, Any] | None:
        keys = [(enterprise_id or "", team_id or "")]
        if enterprise_id:
            keys.append((enterprise_id, ""))  # the org-wide install covers its workspaces
        elif team_id:
            known = self.db.query(
                "select enterprise_id from workspace_teams where team_id = ?", [team_id]
            )
            if known:
                keys += [(known[0]["enterprise_id"], team_id), (known[0]["enterprise_id"], "")]
        for enterprise, team in keys:
            rows = self.db.query(
                "select sealed from installations where enterprise_id = ? and team_id = ?",
                [enterprise, team],
            )
            if rows:
                return json.loads(self.box.open(rows[0]["sealed"]))
        return None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        data = self._row(enterprise_id, None if is_enterprise_install else team_id)
        if data is None:
            return None
        custom = data.pop("custom_values", None) or {}
        return Installation(**data, custom_values=custom)

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found.to_bot() if found and found.bot_token else None

    def installed(self) -> list[Workspace]:
        rows = self.db.query(
            "select enterprise_id, team_id from installations order by enterprise_id, team_id"
        )
        return [Workspace(r["enterprise_id"] or None, r["team_id"] or None) for r in rows]

    # -- removing -------------------------------------------------------------------------

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return  # no user tokens are kept: nothing of one person's to delete
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "delete from installations where enterprise_id = ? and team_id = ?",
                [enterprise_id or "", team_id or ""],
            )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def learn_team(self, workspace: Workspace) -> None:
        """Remember a team's enterprise (from one of its requests), for work without one."""
        if workspace.enterprise_id and workspace.team_id:
            with self.db.transaction() as tx:
                tx.execute(
                    "insert into workspace_teams (team_id, enterprise_id) values (?, ?)"
                    " on conflict (team_id) do update set enterprise_id = excluded.enterprise_id",
                    [workspace.team_id, workspace.enterprise_id],
                )


class OAuthStates(OAuthStateStore):
    """The install flow's states: each good once, for ten minutes."""

    def __init__(self, db: Database, ttl: int = STATE_TTL_SECONDS) -> None:
        self.db = db
        self.ttl = ttl

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        with self.db.transaction() as tx:
            # Old ones go as new ones come: the table stays as small as the installs in flight.
            tx.execute("delete from oauth_states where expires_at < ?", [str(int(time.time()))])
            tx.execute(
                "insert into oauth_states (state, expires_at) values (?, ?)",
                [state, str(int(time.time()) + self.ttl)],
            )
        return state

    def consume(self, state: str) -> bool:
        with self.db.transaction() as tx:
            rows = tx.execute(
                "delete from oauth_states where state = ? returning expires_at", [state]
            )
        return bool(rows) and int(rows[0]["expires_at"]) >= int(time.time())


@dataclass(frozen=True)
class CoviuAccount:
    """A clinic's Coviu API client. ``repr`` leaves the secret out."""

    workspace: Workspace
    api_url: str
    api_key: str
    api_secret: str
    embedded: bool = False

    def __repr__(self) -> str:
        return f"CoviuAccount({self.workspace.label}, {self.api_url}, {self.api_key})"


class CoviuAccounts:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def connect(self, account: CoviuAccount, by: str | None = None) -> None:
        workspace = account.workspace
        with self.db.transaction() as tx:
            tx.execute(
                "insert into coviu_accounts (enterprise_id, team_id, api_url, api_key,"
                " sealed_secret, embedded, connected_by, connected_at)"
                " values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (enterprise_id, team_id) do update"
                " set api_url = excluded.api_url, api_key = excluded.api_key,"
                " sealed_secret = excluded.sealed_secret, embedded = excluded.embedded,"
                " connected_by = excluded.connected_by, connected_at = excluded.connected_at",
                [
                    workspace.enterprise_id or "",
                    workspace.team_id or "",
                    account.api_url,
                    account.api_key,
                    self.box.seal(account.api_secret),
                    int(account.embedded),
                    by,
                    _now(),
                ],
            )

    def find(self, workspace: Workspace) -> CoviuAccount | None:
        keys = [(workspace.enterprise_id or "", workspace.team_id or "")]
        if workspace.enterprise_id and workspace.team_id:
            keys.append((workspace.enterprise_id, ""))
        for enterprise, team in keys:
            rows = self.db.query(
                "select api_url, api_key, sealed_secret, embedded from coviu_accounts"
                " where enterprise_id = ? and team_id = ?",
                [enterprise, team],
            )
            if rows:
                row = rows[0]
                return CoviuAccount(
                    workspace,
                    row["api_url"],
                    row["api_key"],
                    self.box.open(row["sealed_secret"]),
                    bool(row["embedded"]),
                )
        return None


def forget(db: Database, workspace: Workspace) -> dict[str, int]:
    """An uninstall: the workspace's installation, Coviu account and everything the app kept
    about it (people, sessions and their entry links, reminders, DMs, requests) go, in one
    transaction. Sessions already booked at Coviu are left as they are there. Returns how many
    rows of each went."""
    enterprise, team = workspace.enterprise_id or "", workspace.team_id or ""
    gone: dict[str, int] = {}
    with db.transaction() as tx:

        def drop(name: str, sql: str, params: list[Any]) -> None:
            gone[name] = len(tx.execute(sql + " returning 1 as one", params))

        drop(
            "installations",
            "delete from installations where enterprise_id = ? and team_id = ?",
            [enterprise, team],
        )
        drop(  # an org-wide uninstall takes its workspaces' own accounts too
            "coviu_accounts",
            "delete from coviu_accounts where enterprise_id = ? and (team_id = ? or ? = '')",
            [enterprise, team, team],
        )
        # An org-wide install covers every workspace of its enterprise seen so far.
        teams = [team] if team else [
            row["team_id"]
            for row in tx.execute(
                "select team_id from workspace_teams where enterprise_id = ?", [enterprise]
            )
        ]
        for each in teams:
            _forget_team(tx, each, gone)
    return gone


def _forget_team(tx: Any, team: str, gone: dict[str, int]) -> None:
    """Everything the app keeps about one team: its people, sessions (with participants and
    their entry links), reminders and reminder settings, morning lists, DMs owed and sent,
    waiting-room records and the requests it sent. Nothing at Coviu is touched."""

    def drop(name: str, sql: str, params: list[Any]) -> None:
        gone[name] = gone.get(name, 0) + len(tx.execute(sql + " returning 1 as one", params))

    sessions = "(select session_id from sessions where team_id = ?)"
    drop("slack_users", "delete from slack_users where team_id = ?", [team])
    drop("reminders", f"delete from reminders where session_id in {sessions}", [team])
    drop(
        "live_cards",
        "delete from live_cards where message_key in"
        " (select message_key from messages where team_id = ?)",
        [team],
    )
    drop("messages", "delete from messages where team_id = ?", [team])
    drop("room_messages", "delete from room_messages where team_id = ?", [team])
    drop("presence", f"delete from presence where session_id in {sessions}", [team])
    drop("participants", f"delete from participants where session_id in {sessions}", [team])
    drop("confirmations", "delete from confirmations where team_id = ?", [team])
    # Each person's reminder settings and the morning lists sent to them.
    drop("user_settings", "delete from user_settings where team_id = ?", [team])
    drop("morning_lists", "delete from morning_lists where team_id = ?", [team])
    drop("sessions", "delete from sessions where team_id = ?", [team])
    drop("series", "delete from series where team_id = ?", [team])
    # Requests already done or waiting go with their payloads; one being run (the uninstall
    # itself, say) is finished by its worker, its payload emptied now.
    drop(
        "job_steps",
        "delete from job_steps where job_key in"
        " (select job_key from jobs where team_id = ? and status <> 'running')",
        [team],
    )
    drop("jobs", "delete from jobs where team_id = ? and status <> 'running'", [team])
    tx.execute("update jobs set payload = '{}' where team_id = ? and status = 'running'", [team])
    drop("workspace_teams", "delete from workspace_teams where team_id = ?", [team])


def reseal(db: Database, box: SecretBox) -> int:
    """Every stored secret sealed again under the first key (after a new key was put first in
    COVIU_SLACK_SECRET_KEY): afterwards the old key can be dropped. Returns how many."""
    count = 0
    with db.transaction() as tx:
        for row in tx.execute("select enterprise_id, team_id, sealed from installations"):
            tx.execute(
                "update installations set sealed = ? where enterprise_id = ? and team_id = ?",
                [box.rotate(row["sealed"]), row["enterprise_id"], row["team_id"]],
            )
            count += 1
        for row in tx.execute("select enterprise_id, team_id, sealed_secret from coviu_accounts"):
            tx.execute(
                "update coviu_accounts set sealed_secret = ?"
                " where enterprise_id = ? and team_id = ?",
                [box.rotate(row["sealed_secret"]), row["enterprise_id"], row["team_id"]],
            )
            count += 1
    return count
