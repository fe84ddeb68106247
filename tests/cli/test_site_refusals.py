"""Fields the site refuses in other ways: a field of another type, a field off one Jira project's screen,
a field the site lacks; each shown where the README says it is (the store, `check`, the log)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import RunningSandbox
from tests.cli.conftest import Run
from tests.cli.test_site_problems import NUMBERS, demo_seed, rolled_up, sweep
from tests.conftest import LogCapture, SandboxFactory
from webhooks.store.inbox import SqliteInbox

FLAVORS = ["cloud", "datacenter"]
# Where the demo seed's initiatives and epics are, by Jira project and issue type.
DEMO_LEVELS = {("PAY", "Initiative"), ("PAY", "Epic"), ("WEB", "Epic"), ("OPS", "Epic")}


def retyped(seed: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """Return the seed with the fields `kinds` names (by display name) of the type it gives them."""
    for declared in seed["fields"]:
        if declared["name"] in kinds:
            declared["type"] = kinds[declared["name"]]
            declared.pop("options", None)
    return seed


def problems(tmp_path: Path) -> set[tuple[str, str, str]]:
    """Return the site problems the store holds, as (field, Jira project, issue type)."""
    store = SqliteInbox(tmp_path / "pmrollup.sqlite3", create=False)
    return {(p.field_name, p.jira_project, p.issue_type) for p in store.site_problems()}


def field_row(checked: str, setting: str) -> list[str]:
    """Return the words of `check`'s Fields row for one setting."""
    [row] = [line.split() for line in checked.splitlines() if line.split()[:2] == ["output", setting]]
    return row


@pytest.mark.parametrize("flavor", FLAVORS)
def test_outputs_pointed_at_fields_of_another_type_leave_the_others_written_and_check_names_the_type(
        flavor: str, sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run],
        tmp_path: Path) -> None:
    sandbox = sandbox_factory(retyped(demo_seed(), {"Progress %": "date", "Health": "number"}), flavor)
    run = pmrollup(sandbox)
    swept = sweep(run)
    assert swept.code == 0, swept.err

    issues = rolled_up(sandbox)
    assert len(issues) == 6
    for key, fields in issues.items():
        assert fields["Progress %"] is None and fields["Health"] is None, key
        assert all(fields[name] is not None for name in NUMBERS if name != "Progress %"), key

    store = SqliteInbox(tmp_path / "pmrollup.sqlite3", create=False)
    refused = store.site_problems()
    assert problems(tmp_path) == {(name, project, issue_type) for name in ("Progress %", "Health")
                                  for project, issue_type in DEMO_LEVELS}
    reasons = {p.field_name: p.reason for p in refused}
    assert reasons["Health"] == ("'Health' holds number: point outputs.health at a field of type option or "
                                 "string")
    assert reasons["Progress %"] == ("'Progress %' holds date: point outputs.progress_pct at a field of type "
                                     "number")

    checked = run("check")
    assert checked.code == 1
    assert field_row(checked.out, "outputs.progress_pct")[-3:] == ["date", "WRONG", "TYPE"]
    assert field_row(checked.out, "outputs.health")[-3:] == ["number", "WRONG", "TYPE"]
    assert "outputs.progress_pct: 'Progress %' (" in checked.out
    assert "holds date, expected number: point app.yaml at a field of that type" in checked.out
    assert "holds number, expected option or string: point app.yaml at a field of that type" in checked.out
    assert "now: 'Progress %' holds date: point outputs.progress_pct at a field of type number" in checked.out


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_field_off_one_projects_epic_screen_is_left_out_there_and_written_on_the_other_projects_epics(
        flavor: str, sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run],
        tmp_path: Path) -> None:
    seed = demo_seed() | {"screens": {"Story": ["Budget"], "PAY": {"Epic": ["Progress %"]}}}
    sandbox = sandbox_factory(seed, flavor)
    swept = sweep(pmrollup(sandbox))
    assert swept.code == 0, swept.err

    issues = rolled_up(sandbox)
    for key in ("PAY-2", "PAY-3"):
        assert issues[key]["Progress %"] is None, key
        assert issues[key]["Health"] is not None and issues[key]["Budget used %"] is not None, key
    for key in ("PAY-1", "WEB-1", "WEB-2", "OPS-1"):
        assert issues[key]["Progress %"] is not None, key
    assert problems(tmp_path) == {("Progress %", "PAY", "Epic")}


def test_a_refused_field_is_logged_once_with_where_and_why_and_not_again_by_the_next_recompute(
        sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run], logs: LogCapture) -> None:
    seed = demo_seed() | {"screens": {"Story": ["Budget"], "OPS": {"Epic": ["Progress %"]}}}
    # A field the site lacks is refused on every recompute, not only the first.
    seed["fields"] = [f for f in seed["fields"] if f["name"] != "Overdue dependencies"]
    run = pmrollup(sandbox_factory(seed, "cloud"))
    first = sweep(run)
    assert first.code == 0, first.err

    logged = logs.named("site.problem")
    assert {(e["field"], e["project"], e["issue_type"]) for e in logged} == {
        ("Progress %", "OPS", "Epic"), *(("Overdue dependencies", p, t) for p, t in DEMO_LEVELS)}
    assert len(logged) == 1 + len(DEMO_LEVELS)
    [screen] = [e for e in logged if e["field"] == "Progress %"]
    assert screen["key"] == "OPS-1" and screen["level"] == "warning"
    assert "not on the appropriate screen" in screen["reason"]
    assert all(e["key"].startswith(e["project"] + "-") for e in logged)
    assert all("no field named 'Overdue dependencies'" in e["reason"] for e in logged if e is not screen)

    second = sweep(run)
    assert second.code == 0, second.err
    assert ["projects", "5"] in [line.split() for line in second.out.splitlines()], "every epic again"
    assert logs.named("site.problem") == logged
