"""Settings from the environment: the contract documented in the README.

>>> settings = Settings.from_env({"COVIU_DEFAULT_MINUTES": "45"})
>>> settings.default_minutes
45
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SLACK_API_DEFAULT = "https://slack.com/api/"


class ConfigError(ValueError):
    """An environment variable holds something unusable; the message names it."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, e.g. {name}={default}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, e.g. {name}={default}")
    return value


def _database_url(url: str | None) -> str | None:
    if url is None:
        return None
    if url.startswith("postgres://"):  # the older spelling some hosts still hand out
        url = "postgresql://" + url[len("postgres://") :]
    if not url.startswith("postgresql://"):
        raise ConfigError(
            "DATABASE_URL must be a PostgreSQL URL, e.g. "
            "DATABASE_URL=postgresql://coviu:secret@localhost:5432/coviu"
        )
    return url


def _public_url(url: str | None) -> str | None:
    """The app's address, for the calendar links it hands out.

    >>> _public_url("https://coviu-slack.example.com/")
    'https://coviu-slack.example.com'
    >>> _public_url("coviu-slack.example.com")
    Traceback (most recent call last):
    bot.config.ConfigError: COVIU_SLACK_PUBLIC_URL must be the app's web address, e.g. \
COVIU_SLACK_PUBLIC_URL=https://coviu-slack.example.com
    """
    if url is None:
        return None
    if not url.startswith(("https://", "http://")):
        raise ConfigError(
            "COVIU_SLACK_PUBLIC_URL must be the app's web address, e.g. "
            "COVIU_SLACK_PUBLIC_URL=https://coviu-slack.example.com"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = SLACK_API_DEFAULT
    # None means: run the embedded local Coviu API and talk to it.
    coviu_api_url: str | None = None
    coviu_api_key: str | None = field(default=None, repr=False)
    coviu_api_secret: str | None = field(default=None, repr=False)
    db_path: Path = Path("coviu-slack.db")
    # PostgreSQL for many processes; None means the SQLite file at `db_path`.
    database_url: str | None = field(default=None, repr=False)
    port: int = 3000
    reminder_minutes: int = 10
    default_minutes: int = 30
    # Checked against the X-Coviu-Webhook-Secret header of Coviu's webhook calls; None refuses
    # them all. The embedded default fills it in (see `bot.embedded.with_webhooks`).
    coviu_webhook_secret: str | None = field(default=None, repr=False)
    # Multi-workspace (OAuth) mode: the app's credentials, and where Slack sends the browser
    # back after an install (optional when the app has one redirect URL configured).
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_redirect_uri: str | None = None
    # Fernet keys, comma-separated (the first seals): see `bot.secretbox`.
    secret_key: str | None = field(default=None, repr=False)
    # The app's own address as people's calendars reach it (calendar files are served from
    # it); None: http://127.0.0.1:$PORT, right for the shell and trying it out.
    public_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def text(name: str) -> str | None:
            return env.get(name, "").strip() or None

        return cls(
            slack_bot_token=text("SLACK_BOT_TOKEN"),
            slack_signing_secret=text("SLACK_SIGNING_SECRET"),
            slack_app_token=text("SLACK_APP_TOKEN"),
            slack_api_url=text("SLACK_API_URL") or SLACK_API_DEFAULT,
            coviu_api_url=text("COVIU_API_URL"),
            coviu_api_key=text("COVIU_API_KEY"),
            coviu_api_secret=text("COVIU_API_SECRET"),
            db_path=Path(text("COVIU_SLACK_DB") or "coviu-slack.db"),
            database_url=_database_url(text("DATABASE_URL")),
            port=_int(env, "PORT", 3000, minimum=1),
            reminder_minutes=_int(env, "COVIU_REMINDER_MINUTES", 10),
            default_minutes=_int(env, "COVIU_DEFAULT_MINUTES", 30, minimum=1),
            coviu_webhook_secret=text("COVIU_WEBHOOK_SECRET"),
            slack_client_id=text("SLACK_CLIENT_ID"),
            slack_client_secret=text("SLACK_CLIENT_SECRET"),
            slack_redirect_uri=text("SLACK_REDIRECT_URI"),
            secret_key=text("COVIU_SLACK_SECRET_KEY"),
            public_url=_public_url(text("COVIU_SLACK_PUBLIC_URL")),
        )

    @property
    def database(self) -> str:
        """Where the app's store lives: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or str(self.db_path)

    @property
    def multi_workspace(self) -> bool:
        """OAuth mode: installable into many workspaces, each with its own token.

        >>> Settings(slack_client_id="1.2", slack_client_secret="s",
        ...          slack_signing_secret="x").multi_workspace
        True
        """
        return bool(
            self.slack_client_id
            and self.slack_client_secret
            and self.slack_signing_secret
            and not self.slack_bot_token
        )

    def mode(self) -> str:
        """Which way `coviu-slack` with no arguments runs: "socket", "http", "oauth" (HTTP,
        many workspaces) or "shell"."""
        if self.multi_workspace:
            return "oauth"
        if self.slack_bot_token and self.slack_app_token:
            return "socket"
        if self.slack_bot_token and self.slack_signing_secret:
            return "http"
        return "shell"
