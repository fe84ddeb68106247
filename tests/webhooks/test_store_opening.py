"""Processes started at once on a new inbox (gunicorn's web workers beside `pmrollup worker`, or two
schedulers started by mistake) each open it: none stops with "database is locked".

Turning a new SQLite file to WAL takes a lock SQLite does not wait for, whatever its busy timeout, so
the second of two processes creating the inbox at the same moment used to stop at once. The race is
narrow; the test runs it on many new inboxes, each opened by several processes released together."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
INBOXES = 30

# argv[1]: the folder for the inboxes. Each of PROCESSES forked processes opens inbox 0, 1, ... in
# turn, all of them released together at each by a barrier, and prints one JSON line per inbox: the
# error it stopped with, or null.
OPEN_AT_ONCE = f"""\
import json, multiprocessing, sys
from pathlib import Path
from webhooks.store.inbox import SqliteInbox, StoreError
folder = Path(sys.argv[1])
def open_each(barrier, lock):
    for n in range({INBOXES}):
        barrier.wait()
        try:
            SqliteInbox(folder / f"inbox-{{n}}.sqlite3")
            said = None
        except StoreError as exc:
            said = str(exc)
        with lock:
            print(json.dumps(said), flush=True)
fork = multiprocessing.get_context("fork")
barrier, lock = fork.Barrier({PROCESSES}), fork.Lock()
children = [fork.Process(target=open_each, args=(barrier, lock)) for _ in range({PROCESSES})]
for child in children:
    child.start()
for child in children:
    child.join()
sys.exit(max(child.exitcode for child in children))
"""


def test_processes_started_at_once_on_a_new_inbox_each_open_it(tmp_path: Path) -> None:
    ran = subprocess.run([sys.executable, "-c", OPEN_AT_ONCE, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    said = [json.loads(line) for line in ran.stdout.splitlines()]
    assert len(said) == PROCESSES * INBOXES, ran.stdout
    assert [s for s in said if s] == []
    for n in range(INBOXES):
        with sqlite3.connect(tmp_path / f"inbox-{n}.sqlite3") as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert conn.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
