"""Each workspace its own Coviu account: one client (and so one token) per account.

`WorkspaceCoviu` stands where a `CoviuClient` stands (the booking service, the waiting room)
and hands each call to the client of the current workspace's account: the one its admin
connected (App Home, or `coviu-slack connect-coviu`), else the operator's default
(`COVIU_API_KEY`/`COVIU_API_SECRET`), else, in the embedded default, a local Coviu team made
for the workspace on first use. With none of them the call is refused with `NotConnected`,
whose message says who can connect the workspace and how::

    coviu = WorkspaceCoviu(accounts, default=None, provision=None)
    with using(Workspace(None, "T0KIWI")):
        coviu.create_session(...)     # with T0KIWI's clinic's account
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from bot.booking import BookingError
from bot.coviu.client import CoviuClient
from bot.workspaces import Workspace, current
from bot.workspaces.store import CoviuAccount, CoviuAccounts


class NotConnected(BookingError):
    """The workspace has no Coviu account: the message is for the person who asked."""

    def __init__(self, workspace: Workspace | None) -> None:
        team = (workspace and workspace.team_id) or "T…"
        super().__init__(
            "This workspace isn't connected to a Coviu account yet, so I can't book or change "
            "sessions. A workspace admin can connect it: open the Coviu app's Home tab and "
            "choose *Connect Coviu* (it asks for the clinic's Coviu API key and secret). The "
            "app's operator can instead run "
            f"`coviu-slack connect-coviu --team {team} --key KEY --secret SECRET`."
        )


def _fingerprint(account: CoviuAccount) -> tuple[str, str, str]:
    # A new secret for the same key is a new client (its old token is no good).
    digest = hashlib.sha256(account.api_secret.encode()).hexdigest()
    return account.api_url, account.api_key, digest


class WorkspaceCoviu:
    def __init__(
        self,
        accounts: CoviuAccounts,
        *,
        default: CoviuClient | None = None,
        provision: Callable[[Workspace], CoviuAccount] | None = None,
        register: Callable[[CoviuAccount], None] | None = None,
        make: Callable[[CoviuAccount], CoviuClient] | None = None,
    ) -> None:
        """`provision` makes an embedded account for a workspace without one; `register`
        (re)registers an embedded account's client with the local API before first use in
        this process (a restart of the local API revokes clients it was not started with)."""
        self.accounts = accounts
        self.default = default
        self.provision = provision
        self.register = register
        self.make = make or (lambda a: CoviuClient(a.api_key, a.api_secret, a.api_url))
        self._clients: dict[tuple[str, str, str], CoviuClient] = {}
        self._lock = threading.Lock()

    def account(self, workspace: Workspace | None) -> CoviuAccount | None:
        """The account the workspace's work uses, provisioning an embedded one if allowed."""
        if workspace is None:
            return None
        account = self.accounts.find(workspace)
        if account is None and self.default is None and self.provision is not None:
            account = self.provision(workspace)
            self.accounts.connect(account, by="embedded")
        return account

    def client(self) -> CoviuClient:
        workspace = current()
        account = self.account(workspace)
        if account is None:
            if self.default is not None:
                return self.default
            raise NotConnected(workspace)
        key = _fingerprint(account)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if account.embedded and self.register is not None:
                    self.register(account)
                client = self._clients[key] = self.make(account)
        return client

    def __getattr__(self, name: str) -> Any:
        # Every CoviuClient call (create_session, warm, ...) goes to this workspace's client.
        return getattr(self.client(), name)

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        if self.default is not None:
            self.default.close()
