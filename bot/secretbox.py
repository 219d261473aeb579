"""Secrets at rest: workspace tokens and clinics' Coviu secrets are encrypted in the database.

`COVIU_SLACK_SECRET_KEY` holds one Fernet key (urlsafe base64 of 32 bytes), or several
separated by commas for rotation: the first encrypts, every one decrypts, and `rotate`
re-encrypts a value under the first. So a database dump reveals no token, and a leaked key is
replaced by putting a new one first, running `coviu-slack rotate-key`, then dropping the old::

    >>> box = SecretBox.from_keys("kVWnUG6C6Z2jQxPvQnYy4mTn3oLZbR7x0uXG2r9r1xM=")
    >>> sealed = box.seal("xoxb-123")
    >>> sealed.startswith("fernet:") and "xoxb" not in sealed
    True
    >>> box.open(sealed)
    'xoxb-123'

Without the variable (single-workspace and embedded use) a key is generated once and kept
beside the SQLite file, mode 600, as the embedded Coviu API's secret is.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "fernet:"
EXAMPLE = "COVIU_SLACK_SECRET_KEY=$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"  # noqa: E501


class SecretKeyError(ValueError):
    """The key is missing, malformed, or not the one the data was sealed with."""


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise SecretKeyError(f"COVIU_SLACK_SECRET_KEY is empty; set it, e.g. {EXAMPLE}")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise SecretKeyError(
                "COVIU_SLACK_SECRET_KEY must be Fernet keys (urlsafe base64 of 32 bytes), "
                f"comma-separated; e.g. {EXAMPLE}"
            ) from None

    @classmethod
    def from_keys(cls, text: str) -> SecretBox:
        return cls([part.strip().encode() for part in text.split(",") if part.strip()])

    @classmethod
    def kept_beside(cls, database: Path) -> SecretBox:
        """A key made once and kept beside the SQLite file (``bot.db`` → ``bot.secret-key``)."""
        path = database.with_name(database.stem + ".secret-key")
        try:
            return cls.from_keys(path.read_text())
        except FileNotFoundError:
            pass
        key = Fernet.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return cls.from_keys(path.read_text())
        with os.fdopen(fd, "wb") as out:
            out.write(key)
        return cls([key])

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        if not sealed.startswith(PREFIX):
            raise SecretKeyError("a stored secret is not sealed")
        try:
            return self._fernet.decrypt(sealed[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "a stored secret does not open with COVIU_SLACK_SECRET_KEY: keep the old key "
                "in the list (after the new one) until `coviu-slack rotate-key` has run"
            ) from None

    def rotate(self, sealed: str) -> str:
        """The same secret sealed under the first key."""
        try:
            return PREFIX + self._fernet.rotate(sealed[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError("a stored secret does not open with any key given") from None
