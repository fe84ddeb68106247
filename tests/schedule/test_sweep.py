"""`pmrollup sweep`: what no event announces (a due date passing overnight) is caught by the sweep."""

from __future__ import annotations

import contextlib
import os
import pty

import pytest

from tests.schedule.conftest import SiteFactory

LATER = "2026-05-04"  # PAY-2 (due 04-30) and WEB-1 (due 04-17) are late; PAY-11 (due 03-27) too


def rules_on(comments: list[str], rule: str) -> list[str]:
    return [c for c in comments if f"[pmrollup:{rule}:start:" in c]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_sweep_raises_overdue_findings_when_due_dates_pass_without_any_webhook(
        site: SiteFactory, monkeypatch: pytest.MonkeyPatch, flavor: str) -> None:
    here = site(flavor=flavor)
    first = here.run("sweep", "--json")
    assert first.code == 0, first.err
    before = first.json()
    assert (before["programs"], before["projects"]) == (1, 5)
    assert here.field_value("WEB-2", "Overdue dependencies") == 0
    assert rules_on(here.comments("PAY-2"), "project-overdue") == []

    monkeypatch.setenv("PMROLLUP_TODAY", LATER)
    second = here.run("sweep", "--json")
    assert second.code == 0, second.err
    after = second.json()
    assert after["findings"]["critical"] > before["findings"]["critical"]
    assert here.field_value("PAY-2", "Health") == "off-track"
    assert here.field_value("WEB-2", "Overdue dependencies") == 1
    assert len(rules_on(here.comments("PAY-2"), "project-overdue")) == 1
    assert here.get("/rest/webhooks/1.0/webhook") == [] and here.sandbox.deliveries()["attempts"] == 0


def test_a_dry_run_sweep_reports_but_writes_nothing(site: SiteFactory) -> None:
    here = site()
    result = here.run("sweep", "--dry-run")
    assert result.code == 0, result.err
    assert [r for r in here.sandbox.requests() if r["method"] != "GET"] == []
    for line in ("programs", "projects", "findings", "fields written", "comments posted", "Jira calls",
                 "time taken"):
        assert line in result.out
    assert "none (dry run)" in result.out
    assert result.err == "", "no progress bar when stderr is not a terminal"


def test_the_summary_counts_every_jira_call_and_every_write(site: SiteFactory) -> None:
    here = site()
    here.sandbox.clear_requests()
    summary = here.run("sweep", "--json").json()
    served = here.sandbox.requests()
    assert summary["jira_calls"] == len(served)
    puts = [r for r in served if r["method"] == "PUT" and "/properties/" not in r["path"]]
    posts = [r for r in served if r["method"] == "POST" and r["path"].endswith("/comment")]
    assert summary["comments_posted"] == len(posts) > 0
    assert summary["fields_written"] >= len(puts) > 0
    again = here.run("sweep", "--json").json()
    assert (again["fields_written"], again["comments_posted"]) == (0, 0)


def read_all(leader: int) -> bytes:
    """Read all a closed terminal was sent, from its leader side (which says EIO after the last byte)."""
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := os.read(leader, 65536):
            chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks)


def test_on_a_terminal_the_sweep_draws_a_progress_bar(site: SiteFactory) -> None:
    here = site()
    leader, follower = pty.openpty()
    with open(follower, "w") as terminal, contextlib.redirect_stderr(terminal):  # stderr is a terminal
        result = here.run("sweep", "--dry-run")
    drawn = read_all(leader).decode()
    assert result.code == 0
    assert "\r[" in drawn and "] 2/2" in drawn and "#" * 30 in drawn
    assert "programs" in result.out
