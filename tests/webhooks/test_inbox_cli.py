"""`pmrollup inbox [retry]` and `pmrollup audit [KEY]` read the real store the config names."""

from __future__ import annotations

from pathlib import Path

import pytest

import webhooks.cli.inbox  # noqa: F401  (registers the subcommands)
from webhooks.cli.main import main
from webhooks.store.inbox import AuditEntry, SqliteInbox, Target

T0 = 1_772_445_600.0  # 2026-03-02 10:00:00 UTC


@pytest.fixture
def app_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text("store:\n  path: pm.sqlite3\n", encoding="utf-8")
    return path


def dead_target(store: SqliteInbox, key: str, error: str) -> None:
    store.upsert_target(Target("program", key), T0, 0, 0)
    leased = store.lease_due_target("w", T0, 30)
    assert leased is not None
    store.fail(leased, error, T0, 5, max_attempts=1)


def test_inbox_prints_counts_and_dead_targets_with_their_last_error(
        app_yaml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteInbox(app_yaml.parent / "pm.sqlite3")
    store.store_delivery("id:1", "jira:issue_updated", b"{}")
    store.upsert_target(Target("project", "PAY-3"), T0, 2, 10)
    dead_target(store, "INIT-1", "JiraUnavailable: Jira answered 503 three times")
    assert main(["--config", str(app_yaml), "inbox"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].split() == ["deliveries", "1", "1", "-", "0"]
    assert lines[2].split() == ["targets", "-", "1", "0", "1"]
    assert "pmrollup inbox retry" in out
    [row] = [line for line in lines if line.startswith("program")]
    assert "INIT-1" in row and "2026-03-02 10:00:00" in row
    assert row.endswith("JiraUnavailable: Jira answered 503 three times")


def test_inbox_retry_requeues_dead_targets(app_yaml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteInbox(app_yaml.parent / "pm.sqlite3")
    dead_target(store, "INIT-1", "boom")
    assert main(["--config", str(app_yaml), "inbox", "retry"]) == 0
    assert "requeued 1 dead item" in capsys.readouterr().out
    assert store.dead_targets() == [] and store.counts().targets_pending == 1


def test_audit_prints_writes_as_a_table_and_filters_by_issue(
        app_yaml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteInbox(app_yaml.parent / "pm.sqlite3")
    store.append_audit([AuditEntry(T0, "PAY-1", "Progress %", "10", "40", "progress"),
                        AuditEntry(T0 + 60, "INIT-1", "Health", None, "amber", "late-dependency")])
    assert main(["--config", str(app_yaml), "audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["WHEN", "(UTC)", "ISSUE"]
    assert lines[1].split() == [
        "2026-03-02", "10:00:00", "PAY-1", "Progress", "%", "10", "->", "40", "progress"]
    assert "(empty) -> amber" in lines[2]
    assert main(["--config", str(app_yaml), "audit", "pay-1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["--config", str(app_yaml), "audit", "WEB-9"]) == 0
    assert capsys.readouterr().out.strip() == "no writes recorded for WEB-9"


def test_commands_without_a_store_say_so_in_one_line(
        app_yaml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["inbox"], ["audit"]):
        assert main(["--config", str(app_yaml), *argv]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "no inbox here yet" in err[0]
    assert not (app_yaml.parent / "pm.sqlite3").exists()
