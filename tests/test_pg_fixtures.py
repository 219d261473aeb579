"""The PostgreSQL fixtures give each test a working, empty database of its own."""

from __future__ import annotations

import psycopg
import pytest

# The main conftest loads it too; named here so this file also runs on its own. Its helpers are
# imported inside the tests, after pytest has loaded it as a plugin.
pytest_plugins = ["pg_fixtures"]


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return sorted(name for (name,) in rows)


def database_exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


# Run twice: each run creates the same table, which only works if neither sees the other's.
@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_an_empty_database_it_can_write(fresh_postgres_url: str, run: int):
    assert tables(fresh_postgres_url) == []
    with psycopg.connect(fresh_postgres_url) as conn:
        conn.execute("CREATE TABLE marker (run integer NOT NULL)")
        conn.execute("INSERT INTO marker (run) VALUES (%s)", (run,))
    with psycopg.connect(fresh_postgres_url) as conn:
        assert conn.execute("SELECT run FROM marker").fetchall() == [(run,)]


def test_a_fresh_database_is_not_the_servers_own(postgres_url: str, fresh_postgres_url: str):
    assert fresh_postgres_url != postgres_url
    with psycopg.connect(fresh_postgres_url) as conn:
        conn.execute("CREATE TABLE only_here (id integer)")
    assert "only_here" in tables(fresh_postgres_url)
    assert "only_here" not in tables(postgres_url)


def test_two_fresh_databases_do_not_share_tables(postgres_url: str):
    from pg_fixtures import fresh_database

    with fresh_database(postgres_url) as first, fresh_database(postgres_url) as second:
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE only_in_first (id integer)")
        assert tables(first) == ["only_in_first"]
        assert tables(second) == []


def test_a_fresh_database_is_dropped_afterwards_even_while_still_connected(postgres_url: str):
    from pg_fixtures import fresh_database

    with fresh_database(postgres_url) as url:
        name = url.rsplit("/", 1)[1]
        lingering = psycopg.connect(url)  # as a test that forgot to close would leave it
        assert database_exists(postgres_url, name)
    assert not database_exists(postgres_url, name)
    with lingering, pytest.raises(psycopg.OperationalError):
        lingering.execute("SELECT 1")


def test_database_url_keeps_credentials_and_options():
    from pg_fixtures import database_url

    url = "postgresql://u:p%40ss@127.0.0.1:5433/coviu_test?sslmode=disable"
    other = "postgresql://u:p%40ss@127.0.0.1:5433/other?sslmode=disable"
    assert database_url(url, "other") == other
