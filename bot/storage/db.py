"""The database seam: SQLite (embedded default) or PostgreSQL, one SQL dialect for both.

The store writes its SQL once, with ``?`` placeholders and the common subset of the two
(``INSERT … ON CONFLICT``, ``RETURNING``, text timestamps in UTC). Where they really differ
the dialect says so: `Database.skip_locked` is ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, where
many workers claim rows at once, and empty on SQLite, where ``BEGIN IMMEDIATE`` already makes
each write transaction the only one::

    >>> db = connect(":memory:")
    >>> with db.transaction() as tx:
    ...     _ = tx.execute("create table t (k text primary key)")
    ...     tx.execute("insert into t values (?) returning k", ["a"])
    [{'k': 'a'}]
    >>> db.query("select count(*) as n from t")
    [{'n': 1}]

Why not SQLAlchemy Core? The store's SQL is small and written once already; a thin seam keeps
the hot path (the web process's one insert per Slack request) at one round trip with nothing
between the statement and the driver.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]


class Tx(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement; the rows it returns (none for most writes)."""
        ...


class Database(Protocol):
    dialect: str
    skip_locked: str

    def transaction(self) -> Any:
        """A context manager: one write transaction, committed on exit, rolled back on error."""
        ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One statement on its own: a read, or a write that is atomic by itself (one round
        trip: no BEGIN, no COMMIT)."""
        ...

    def add(self, sql: str, params: Sequence[str | None]) -> bool:
        """The web process's one write per request, committed when this returns: whether it
        added anything (rows written or returned; none when ``on conflict do nothing`` hit).
        Text parameters only. The cheapest path each database has (see the implementations)."""
        ...

    def close(self) -> None: ...


def connect(target: str | Path, *, pool_size: int = 8) -> Database:
    """A PostgreSQL URL (``postgresql://…``) or a SQLite path (``":memory:"`` for a scratch one)."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(text, pool_size=pool_size)
    return SqliteDatabase(text)


def _rows(cursor: Any) -> list[Row]:
    if cursor.description is None:
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class _SqliteTx:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return _rows(self.connection.execute(sql, params))


class SqliteDatabase:
    """One connection per thread on a WAL file, so readers never wait for the writer.

    `synchronous=NORMAL` under WAL loses nothing when a process is killed (only a power cut
    can take the last commits), and keeps the web process's insert cheap. ``:memory:`` is one
    connection behind a lock: each connection to it would be a database of its own.
    """

    dialect = "sqlite"
    skip_locked = ""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._memory = path == ":memory:"
        self._lock = threading.RLock() if self._memory else None
        # This process's writers queue here, on a lock that wakes the next one at once, rather
        # than in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries: with many
        # DMs being recorded side by side that backoff, not the writes, was the cost. (Other
        # processes on the same file still meet the busy handler.)
        self._writer = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        if self._memory:
            self._shared = self._open()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if not self._memory:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA busy_timeout = 15000")
        with self._all_lock:
            self._all.append(connection)
        return connection

    def _connection(self) -> sqlite3.Connection:
        if self._memory:
            return self._shared
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._open()
        return connection

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._lock is None:
            yield
        else:
            with self._lock:
                yield

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._writer, self._locked():
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._locked():
            return _rows(self._connection().execute(sql, params))

    def add(self, sql: str, params: Sequence[str | None]) -> bool:
        """Autocommit on this thread's connection (sqlite3 keeps the statement prepared): the
        row count says whether it was added, with no rows to fetch and wrap."""
        if self._lock is None:
            return self._connection().execute(sql, params).rowcount > 0
        with self._lock:
            return self._shared.execute(sql, params).rowcount > 0

    def close(self) -> None:
        with self._all_lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
        self._local = threading.local()


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """The store's ``?`` placeholders in psycopg's ``%s`` style (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


@functools.lru_cache(maxsize=64)
def _pg_numbered(sql: str) -> bytes:
    """The store's ``?`` placeholders as libpq's ``$1, $2…``."""
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)).encode() + (
        parts[-1].encode()
    )


ADDER_NAME = "coviu-slack intake"  # as pg_stat_activity shows the intake's connection
CONNECT_TIMEOUT = 3  # seconds


class _Adder:
    """The web process's insert on a connection of its own, prepared once, run through
    libpq itself (`psycopg.pq`): psycopg's cursor (adapting, converting, wrapping rows) and
    the pool's checkout cost ~60 µs of CPU a request, as much as the rest of the ack.

    Parameters are text, sent as UTF-8 (the connection says ``client_encoding=UTF8``). A lost
    connection is opened again and the statement tried once more: the statements run here
    are ``on conflict do nothing`` inserts, so a second try of one that did commit adds
    nothing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._connection: Any = None
        self._prepared: dict[bytes, bytes] = {}

    def _connected(self) -> Any:
        import psycopg
        from psycopg import pq
        from psycopg.conninfo import conninfo_to_dict

        connection = self._connection
        if connection is None or connection.pgconn.status != pq.ConnStatus.OK:
            if connection is not None:
                connection.close()
            self._connection = None  # if connecting fails, the next call tries again
            self._prepared.clear()
            options: dict[str, Any] = {"client_encoding": "UTF8", "application_name": ADDER_NAME}
            if "connect_timeout" not in conninfo_to_dict(self.url):
                # Slack gives up on an answer after 3 s; psycopg would wait 130 s for a
                # database that does not answer. Fail, answer 5xx, and let Slack retry.
                options["connect_timeout"] = CONNECT_TIMEOUT
            connection = psycopg.connect(self.url, autocommit=True, **options)
            self._connection = connection
        return connection

    def run(self, sql: str, params: Sequence[str | None]) -> int:
        """Rows written or returned by `sql`."""
        import psycopg
        from psycopg import pq

        statement = _pg_numbered(sql)
        values = [None if value is None else str(value).encode() for value in params]
        with self._lock:
            for attempt in (1, 2):
                pgconn = self._connected().pgconn
                name = self._prepared.get(statement)
                if name is None:
                    name = f"add{len(self._prepared)}".encode()
                    prepared = pgconn.prepare(name, statement)
                    if prepared.status != pq.ExecStatus.COMMAND_OK:
                        if attempt == 1 and pgconn.status != pq.ConnStatus.OK:
                            continue
                        raise psycopg.errors.error_from_result(prepared)
                    self._prepared[statement] = name
                result = pgconn.exec_prepared(name, values)
                if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
                    return int(result.command_tuples or 0)
                if attempt == 1 and pgconn.status != pq.ConnStatus.OK:
                    continue  # the connection was lost: open another and try once more
                raise psycopg.errors.error_from_result(result)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class _PgTx:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return _rows(self.connection.execute(_pg_sql(sql), list(params)))


class PostgresDatabase:
    """A psycopg 3 connection pool: any number of processes share the one database."""

    dialect = "postgresql"
    skip_locked = "for update skip locked"

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self.url = url
        # Autocommit: a lone statement is one round trip; `transaction()` says BEGIN itself.
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=True,
            name="coviu-slack",
            kwargs={"autocommit": True},
        )
        self.pool.wait(timeout=30)
        self._adder = _Adder(url)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.pool.connection() as connection, connection.transaction():
            yield _PgTx(connection)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.pool.connection() as connection:
            return _rows(connection.execute(_pg_sql(sql), list(params)))

    def add(self, sql: str, params: Sequence[str | None]) -> bool:
        return self._adder.run(sql, params) > 0

    def listen(self, channel: str) -> Any:
        """A connection of its own, listening on `channel` (for waking idle workers)."""
        import psycopg

        connection = psycopg.connect(self.url, autocommit=True)
        connection.execute(f"LISTEN {channel}")
        return connection

    def close(self) -> None:
        self._adder.close()
        self.pool.close()
