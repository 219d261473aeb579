"""Connecting a workspace to its clinic's Coviu account: checked before it is saved.

The same rule serves the App Home form and `coviu-slack connect-coviu`: the key and secret
must get a token from the Coviu API at `url` (so a typo is caught now, not at the first
booking), and only then is the account kept, its secret sealed. Every refusal says what was
wrong and what works; none repeats the secret::

    account = connect(accounts, Workspace(None, "T0KIWI"), key, secret, url, by="U0ZOE")
"""

from __future__ import annotations

from collections.abc import Callable

from bot.coviu.client import PRODUCTION_URL, CoviuClient
from bot.coviu.errors import AuthError, CoviuError
from bot.workspaces import Workspace
from bot.workspaces.store import CoviuAccount, CoviuAccounts


class ConnectError(ValueError):
    """Why the account was not connected; `field` is the form input it is about."""

    def __init__(self, message: str, field: str = "key") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check(
    key: str,
    secret: str,
    url: str | None,
    *,
    make: Callable[[str, str, str], CoviuClient] = lambda k, s, u: CoviuClient(k, s, u, retries=0),
) -> str:
    """The API URL the key and secret got a token from; `ConnectError` otherwise."""
    key, secret, url = key.strip(), secret.strip(), (url or "").strip() or PRODUCTION_URL
    if not key:
        raise ConnectError("Enter the clinic's Coviu API key, e.g. `a1b2c3d4-…`.", "key")
    if not secret:
        raise ConnectError("Enter the Coviu API secret that goes with the key.", "secret")
    if not url.startswith(("https://", "http://")):
        raise ConnectError(
            f"The Coviu API URL must start with https://, e.g. {PRODUCTION_URL}", "url"
        )
    client = make(key, secret, url.rstrip("/"))
    try:
        client.warm()  # gets a token: the credentials work
    except AuthError:
        raise ConnectError(
            "Coviu refused that key and secret. Copy both again from Coviu's API settings "
            "(the secret is shown once, when the key is made).",
            "secret",
        ) from None
    except CoviuError:
        raise ConnectError(
            f"Couldn't reach the Coviu API at {url}. Check the URL (usually {PRODUCTION_URL}) "
            "and try again.",
            "url",
        ) from None
    finally:
        client.close()
    return url.rstrip("/")


def connect(
    accounts: CoviuAccounts,
    workspace: Workspace,
    key: str,
    secret: str,
    url: str | None = None,
    *,
    by: str | None = None,
    make: Callable[[str, str, str], CoviuClient] | None = None,
) -> CoviuAccount:
    checked = check(key, secret, url, **({"make": make} if make else {}))
    account = CoviuAccount(workspace, checked, key.strip(), secret.strip())
    accounts.connect(account, by=by)
    return account
