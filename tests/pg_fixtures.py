"""PostgreSQL for the tests: a real server, never a mock.

A pytest plugin (`pytest_plugins = ["pg_fixtures"]`) with two fixtures:
- `postgres_url` (session): the server in `COVIU_TEST_DATABASE_URL`. Unset, tests that need it
  are skipped, or fail when `COVIU_REQUIRE_POSTGRES=1` (as in CI, so a lost server is noticed).
- `fresh_postgres_url` (function): a new, empty database on that server for one test, dropped
  after it (connections still open included), so tests never see each other's data.

`bash .ci/postgres` starts a throwaway server and prints its URL:

    export COVIU_TEST_DATABASE_URL=$(bash .ci/postgres)
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

URL_VARIABLE = "COVIU_TEST_DATABASE_URL"
REQUIRE_VARIABLE = "COVIU_REQUIRE_POSTGRES"
NO_POSTGRES = f"no PostgreSQL: run `bash .ci/postgres` and set {URL_VARIABLE}"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL (`postgresql://user:password@host:port/db`)."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return url
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{NO_POSTGRES} ({REQUIRE_VARIABLE}=1 says these tests must run)")
    pytest.skip(NO_POSTGRES)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped when the test ends."""
    with fresh_database(postgres_url) as url:
        yield url


def database_url(url: str, name: str) -> str:
    """`url` with its database replaced by `name` (credentials and options kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def fresh_database(server_url: str, prefix: str = "coviu_test_") -> Iterator[str]:
    """Creates an empty database on the server at `server_url`; yields its URL; drops it."""
    name = prefix + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
