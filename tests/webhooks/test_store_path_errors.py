"""A store path that cannot be an inbox (its folder missing, a folder, a file that is not SQLite) stops
`pmrollup serve`, `worker` and `inbox` with one line saying what is wrong and what to do, and stops
gunicorn's boot with one JSON log line; no traceback anywhere."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.forked import Ran, run_forked
from tests.webhooks.conftest import SECRET
from tests.webhooks.processes import (
    BIN,
    clean_environ,
    gunicorn_command,
    wait_for_line,
    write_app_yaml,
)
from webhooks.web.signature import SECRET_ENV

ROOT = Path(__file__).resolve().parents[2]

# Each bad store path: how to make it in a folder, and what the message must say.
BAD_STORES = {
    "folder missing": ("nowhere/inbox.sqlite3", ("nowhere does not exist", "mkdir -p")),
    "a folder": ("inbox.d", ("is a folder, not a file", "set store.path")),
    "not an SQLite file": ("notes.txt", ("not a pmrollup inbox", "move it aside")),
}
COMMANDS = {
    "serve": ["serve", "--port", "0", "--no-schedules"],
    "worker": ["worker"],
    "inbox": ["inbox"],
}
# Jira settings that are well-formed; nothing listens there, and none of these commands asks it at start.
ENVIRON = {"JIRA_URL": "http://127.0.0.1:9", "JIRA_USER": "admin@example.com", "JIRA_TOKEN": "token",
           SECRET_ENV: SECRET}


def bad_store(folder: Path, case: str) -> tuple[str, ...]:
    """Write an app.yaml naming the case's bad store in `folder`; return what the message must say."""
    store, says = BAD_STORES[case]
    if case == "a folder":
        (folder / store).mkdir(parents=True)
    elif case == "not an SQLite file":
        (folder / store).write_text("meeting notes, not a database\n" * 200, encoding="utf-8")
    write_app_yaml(folder, store)
    return says


@pytest.fixture(scope="module")
def commands_on_bad_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Ran]:
    """Run every command on every bad store, each in a folder of its own; return how each ended."""
    runs = {(case, command): tmp_path_factory.mktemp("store") for case in BAD_STORES for command in COMMANDS}
    for (case, _), folder in runs.items():
        bad_store(folder, case)
    plan = [(folder, COMMANDS[command]) for (_, command), folder in runs.items()]
    return dict(zip(runs, run_forked(plan, clean_environ(**ENVIRON), ROOT), strict=True))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(BAD_STORES))
def test_a_bad_store_path_stops_the_command_with_one_line_saying_what_to_do(
        commands_on_bad_stores: dict[tuple[str, str], Ran], case: str, command: str) -> None:
    says = BAD_STORES[case][1]
    done = commands_on_bad_stores[(case, command)]
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("pmrollup: ")
    assert all(phrase in line for phrase in says), line


@pytest.mark.parametrize("case", sorted(BAD_STORES))
def test_a_bad_store_path_stops_gunicorn_with_one_json_line_and_no_traceback(
        tmp_path: Path, case: str) -> None:
    says = bad_store(tmp_path, case)
    done = subprocess.run(gunicorn_command(), env=clean_environ(**ENVIRON), cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Traceback" not in output
    ours = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert ours and all(r["event"] == "service.refused" for r in ours), output
    assert all(phrase in ours[0]["reason"] for phrase in says), ours[0]


def test_a_missing_store_file_in_an_existing_folder_is_created(tmp_path: Path) -> None:
    write_app_yaml(tmp_path, "inbox.sqlite3")
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        worker = subprocess.Popen([str(BIN / "pmrollup"), "worker"], env=clean_environ(**ENVIRON),
                                  cwd=tmp_path, stdout=out, stderr=out)
    try:
        wait_for_line(log, r'"event": "(worker\.start)"', worker)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    assert (tmp_path / "inbox.sqlite3").is_file()
