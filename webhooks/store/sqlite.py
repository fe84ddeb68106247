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

OPEN_RETRY_SECONDS = 0.05  # between tries to open an inbox another process is creating


class StoreError(Exception):
    """The inbox cannot read or write now (disk, lock or file trouble)."""


class SqliteStore:
    """One SQLite file; each part of the store (a subclass) adds its tables in its own SCHEMA."""

    SCHEMA: ClassVar[str] = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout: float = 10.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        where = Path(self.path)
        if not create and not where.exists():
            raise StoreError(missing_folder(where) if not where.parent.is_dir() else
                             f"{self.path}: no inbox here yet (`pmrollup serve` or `pmrollup worker` "
                             "creates it)")
        schemas = [c.__dict__["SCHEMA"] for c in reversed(type(self).__mro__) if "SCHEMA" in c.__dict__]
        deadline = time.monotonic() + busy_timeout
        while True:
            try:
                self._create("".join(schemas))
                return
            except sqlite3.Error as exc:
                if _code(exc) != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                    raise StoreError(cannot_open(where, exc)) from exc
            time.sleep(OPEN_RETRY_SECONDS)

    def _create(self, schema: str) -> None:
        """Put the file in WAL mode and create the tables that are missing.

        Turning a new file to WAL takes a lock SQLite does not wait for (its busy timeout does not
        apply), so processes started at once on a new inbox see SQLITE_BUSY here: the caller retries.
        On an inbox that has its tables, this only reads, so a read-only file still opens."""
        with closing(self._connect()) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(schema)

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
            if getattr(self._local, "refused_write", False):
                self._drop_connection()  # it may have been opened read-only: open the file anew
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._failed("write", exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
            self._local.refused_write = False
        except BaseException as exc:
            self._roll_back(conn)
            if isinstance(exc, sqlite3.Error):
                raise self._failed("write", exc) from exc
            raise

    def _failed(self, action: str, exc: sqlite3.Error) -> StoreError:
        """Return the StoreError for a failed read or write.

        SQLite opens a file it may not write (its permissions, a read-only mount) read-only, and that
        connection stays read-only. After SQLITE_READONLY, each write of this thread therefore opens
        the file anew until one commits, so writes work again as soon as the file is writable, without
        a restart (a read in between may well open it read-only again)."""
        if _code(exc) == sqlite3.SQLITE_READONLY:
            self._local.refused_write = True
        return StoreError(cannot_use(self.path, action, exc))

    def _drop_connection(self) -> None:
        """Close this thread's connection; its next use opens a new one."""
        self._local.pid = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()

    def _roll_back(self, conn: sqlite3.Connection) -> None:
        """Undo what is left of a failed transaction without hiding the error that failed it.

        SQLite rolls a transaction back by itself on some errors (disk full, I/O error, busy, out of
        memory), after which ROLLBACK fails with "no transaction is active":
        https://www.sqlite.org/lang_transaction.html#response_to_errors_within_a_transaction
        """
        if not conn.in_transaction:
            return
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            self._drop_connection()  # a connection that cannot roll back is replaced on next use

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        try:
            conn = self._conn()
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise self._failed("read", exc) from exc

    def writable(self) -> None:
        """Raise StoreError unless a write to the store succeeds now."""
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('ready_check', ?)",
                         (str(time.time()),))


# What to do about an SQLite error, by its primary result code (https://www.sqlite.org/rescode.html).
_REMEDIES = {
    sqlite3.SQLITE_FULL: "the disk holding it is full: free space there (deliveries are answered 503, "
                         "so Jira retries them, until then)",
    sqlite3.SQLITE_READONLY: "the file is read-only for this user: give this user write access to the "
                             "file and its folder (SQLite writes -wal and -shm files beside it), or mount "
                             "its file system read-write (deliveries are answered 503, so Jira retries "
                             "them, until then; no restart is needed)",
    sqlite3.SQLITE_BUSY: "another process holds its write lock: it is retried; if it lasts, look for a "
                         "process stuck on the file",
    sqlite3.SQLITE_IOERR: "the disk failed to read or write: check the disk and the file system",
    sqlite3.SQLITE_CORRUPT: "the file is damaged: stop pmrollup and move it aside; a new inbox is "
                            "created at start, and the next sweep recomputes everything",
}


def _code(exc: sqlite3.Error) -> int:
    """Return the primary result code of an SQLite error (-1 when it carries none)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else -1


def cannot_use(path: str, action: str, exc: sqlite3.Error) -> str:
    """Say that the inbox at `path` cannot `action` (read or write) now, why, and what to do."""
    remedy = _REMEDIES.get(_code(exc))
    return f"{path}: cannot {action}: {exc}" + (f": {remedy}" if remedy else "")


def missing_folder(path: Path) -> str:
    """Say that the folder of the inbox does not exist, and what to do."""
    return (f"{path}: the folder {path.parent} does not exist: create it (mkdir -p {path.parent}) or set "
            "store.path in app.yaml to a file in an existing folder")


def cannot_open(path: Path, exc: sqlite3.Error) -> str:
    """Say why the inbox at `path` cannot be opened or created, and what to do."""
    if path.is_dir():
        return (f"{path} is a folder, not a file: set store.path in app.yaml to a file, for example "
                f"{path / 'pmrollup.sqlite3'}")
    if not path.parent.is_dir():
        return missing_folder(path)
    if _code(exc) == sqlite3.SQLITE_NOTADB:
        return (f"{path} is not a pmrollup inbox (not an SQLite database): move it aside so pmrollup "
                "creates a new inbox, or set store.path in app.yaml to another file")
    if _code(exc) == sqlite3.SQLITE_CANTOPEN:
        return (f"{path}: cannot create or open the file: give this user write access to {path.parent}, "
                "or set store.path in app.yaml to a writable place")
    return cannot_use(str(path), "open the inbox", exc)
