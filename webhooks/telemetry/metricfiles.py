"""Under gunicorn, one folder of metric files per master beside the store, so that a scrape, whichever
worker answers it, adds up the counts of all the master's workers (prometheus-client's multiprocess mode).

The folder is named by the master's pid and start time: a master that starts again, even under the same
pid (pid 1 in a container), begins from zero, and the folders of masters no longer running are removed.
pmrollup keeps no live gauges in these files (its gauges are read from the store at each scrape), so a
worker that exits needs no `mark_process_dead`: its counts stay in the master's totals, as they should."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import values

from webhooks.telemetry.metrics import SHARED_FOLDER_ENV

FOLDER_NAME = "pmrollup-metrics"  # beside the store; one folder in it per gunicorn master


def share_with_sibling_workers(store_path: str) -> Path:
    """Keep this gunicorn worker's metrics in its master's folder beside the store; call it before any
    `Metrics` is made. A folder already set in the environment (SHARED_FOLDER_ENV) is kept as it is."""
    chosen = os.environ.get(SHARED_FOLDER_ENV)
    if chosen:
        return Path(chosen)
    parent = Path(store_path).resolve().parent / FOLDER_NAME
    name = process_name(os.getppid())
    folder = parent / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in parent.iterdir():
        if old.name != name and not is_running(old.name):
            shutil.rmtree(old, ignore_errors=True)  # a sibling worker may be removing it too
    os.environ[SHARED_FOLDER_ENV] = str(folder)
    # prometheus-client chooses where values live when it is first imported, before app.yaml has named the
    # store; with the folder set, it chooses again, as it would have (no metric has been made yet).
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return folder


def process_name(pid: int) -> str:
    """Name a process by its pid and start time, so that a later process under the same pid differs."""
    return f"{pid}-{_start_time(pid)}"


def is_running(name: str) -> bool:
    """Tell whether the process a folder is named for still runs (a name that is no process's: yes)."""
    pid_text, _, _ = name.partition("-")
    if not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it runs, as another user
    return process_name(int(pid_text)) == name


def _start_time(pid: int) -> str:
    """Return when a process started, in clock ticks since boot (field 22 of Linux's /proc/PID/stat), or
    "0" where that cannot be read; the process's name, in parentheses, may hold spaces."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "0"
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else "0"
