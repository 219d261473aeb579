"""The workspaces the app serves, in one place: their installations, install states and Coviu
accounts, sealed with the app's secret key::

    workspaces = Workspaces.open(settings, store)
    workspaces.installations.find_bot(enterprise_id=None, team_id="T0KIWI")
    workspaces.forget(Workspace(None, "T0KIWI"))     # an uninstall
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.secretbox import EXAMPLE, SecretBox, SecretKeyError
from bot.storage import Store
from bot.workspaces import Workspace
from bot.workspaces.store import CoviuAccounts, Installations, OAuthStates, forget

log = logging.getLogger(__name__)


def secret_box(settings: Settings) -> SecretBox:
    """`COVIU_SLACK_SECRET_KEY`, or a key kept beside the SQLite file when it is unset (made
    when first needed: a single-workspace app may never seal anything)."""
    if settings.secret_key:
        return SecretBox.from_keys(settings.secret_key)
    if settings.database_url:
        return LaterBox(_no_key)
    return LaterBox(lambda: SecretBox.kept_beside(settings.db_path))


def _no_key() -> SecretBox:
    raise SecretKeyError(
        "with DATABASE_URL, set COVIU_SLACK_SECRET_KEY to keep secrets in the database, e.g. "
        + EXAMPLE
    )


class LaterBox(SecretBox):
    """A `SecretBox` made on first use."""

    def __init__(self, make: Callable[[], SecretBox]) -> None:
        self._make = make
        self._box: SecretBox | None = None

    def _real(self) -> SecretBox:
        if self._box is None:
            self._box = self._make()
        return self._box

    def seal(self, secret: str) -> str:
        return self._real().seal(secret)

    def open(self, sealed: str) -> str:
        return self._real().open(sealed)

    def rotate(self, sealed: str) -> str:
        return self._real().rotate(sealed)


@dataclass
class Workspaces:
    store: Store
    box: SecretBox
    installations: Installations
    states: OAuthStates
    accounts: CoviuAccounts

    @classmethod
    def open(cls, settings: Settings, store: Store) -> Workspaces:
        box = secret_box(settings)
        return cls(
            store,
            box,
            Installations(store.db, box),
            OAuthStates(store.db),
            CoviuAccounts(store.db, box),
        )

    def forget(self, workspace: Workspace) -> dict[str, int]:
        gone = forget(self.store.db, workspace)
        log.info("workspace %s uninstalled: removed %s", workspace.label, gone)
        return gone
