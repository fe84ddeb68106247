"""The SQLite file under the inbox: WAL, fsync before answering, one connection per thread."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import ClassVar


class StoreError(Exception):
    """The inbox cannot read or write now (disk, lock or file trouble)."""


class SqliteStore:
    """One SQLite file; each part of the store (a subclass) adds its tables in its own SCHEMA."""

    SCHEMA: ClassVar[str] = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout: float = 10.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        if not create and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no inbox here yet (`pmrollup serve` or `pmrollup worker` "
                             "creates it)")
        schemas = [c.__dict__["SCHEMA"] for c in reversed(type(self).__mro__) if "SCHEMA" in c.__dict__]
        try:
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                for schema in schemas:
                    conn.executescript(schema)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the inbox: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return conn

    def _conn(self) -> sqlite3.Connection:
        # A forked process (gunicorn) must not share its parent's connection.
        if getattr(self._local, "pid", None) != os.getpid():
            self._local.conn = self._connect()
            self._local.pid = os.getpid()
        conn: sqlite3.Connection = self._local.conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"{self.path}: cannot write: {exc}") from exc
            raise

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        try:
            conn = self._conn()
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read: {exc}") from exc

    def writable(self) -> None:
        """Raise StoreError unless a write to the store succeeds now."""
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('ready_check', ?)",
                         (str(time.time()),))
