"""Program metrics aggregate project snapshots and classify dependencies."""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.engine import evaluate
from rules.metrics import Dependency
from rules.program import PROGRAM_METRICS, Snapshot, program_metrics
from rules.throughput import FORECAST_METRIC_KINDS
from tests.rules.factories import initiative
from webhooks.settings.rulefiles import default_rule_files, load_rules

TODAY = date(2024, 1, 16)


def dep(blocker: str, dependent: str, epic: str | None, overdue: bool = False) -> Dependency:
    return Dependency(blocker_key=blocker, dependent_key=dependent, link_type="Blocks",
                      blocker_due=date(2024, 1, 10) if overdue else None, blocker_epic=epic,
                      blocker_jira_project=blocker.split("-")[0], known=True, open=True,
                      overdue=overdue, late=False)


def snapshots() -> dict[str, Snapshot]:
    pay = Snapshot(key="PAY-1", is_done=False, items_total=4, items_done=2, points_total=10.0,
                   points_done=7.0, baseline_points=8.0, budget=10_000.0, actual_cost=2000.0,
                   earned_value=7000.0, planned_value=5000.0, health="at-risk",
                   dependencies=(dep("WEB-10", "PAY-3", "WEB-1", overdue=True), dep("OPS-1", "PAY-5", None)))
    web = Snapshot(key="WEB-1", is_done=True, items_total=2, items_done=2, points_total=4.0,
                   points_done=4.0, baseline_points=None, budget=5000.0, actual_cost=6000.0,
                   earned_value=5000.0, planned_value=5000.0, health="on-track",
                   dependencies=(dep("EXT-5", "WEB-2", "EXT-1"),))
    return {"PAY-1": pay, "WEB-1": web}


PROGRAMS = {"PAY-1": "PRG-1", "WEB-1": "PRG-1", "EXT-1": "PRG-2"}


def test_program_sums_projects_and_recomputes_progress() -> None:
    v = program_metrics(initiative(), snapshots(), TODAY, PROGRAMS).values
    assert (v["projects_total"], v["projects_done"], v["projects_at_risk"]) == (2, 1, 1)
    assert (v["items_total"], v["items_done"], v["items_open"]) == (6, 4, 2)
    assert (v["points_total"], v["points_done"]) == (14.0, 11.0)
    assert v["progress_pct"] == 78.6  # 11 / 14


def test_program_scope_growth_counts_only_projects_with_a_baseline() -> None:
    v = program_metrics(initiative(), snapshots(), TODAY, PROGRAMS).values
    assert v["baseline_points"] == 8.0 and v["scope_growth_pct"] == 25.0


def test_program_scope_message_adds_up_over_the_projects_with_a_baseline() -> None:
    snaps = snapshots()
    snaps["WEB-1"] = dataclasses.replace(snaps["WEB-1"], points_total=21.0)  # no baseline
    m = program_metrics(initiative(), snaps, TODAY, PROGRAMS)
    v = m.values
    assert (v["baselined_projects"], v["baselined_points_total"], v["baseline_points"]) == (1, 10.0, 8.0)
    findings = evaluate(load_rules(default_rule_files()), "program", "PRG-1", "PRG", v, TODAY, m.details())
    [scope] = [f for f in findings if f.rule.startswith("program-scope-creep")]
    assert scope.message == ("Scope grew 25.0% since the baseline of 1 project (of 2 in this program): "
                             "10 points now against 8 points then.")
    growth, now, then = map(float, re.findall(r"[0-9.]+(?=%| points)", scope.message))
    assert round((now - then) / then * 100, 1) == growth


def test_dependencies_split_into_cross_project_and_external() -> None:
    m = program_metrics(initiative(), snapshots(), TODAY, PROGRAMS)
    v = m.values
    assert (v["dependencies_open"], v["dependencies_overdue"]) == (3, 1)
    assert (v["cross_project_dependencies"], v["cross_project_dependencies_overdue"]) == (1, 1)
    assert v["external_dependencies"] == 2
    cross = [d for d in m.details()["dependencies"] if d["cross_project"]]
    assert [(d["blocker_key"], d["dependent_key"]) for d in cross] == [("WEB-10", "PAY-3")]


def test_blocker_in_another_project_of_the_program_not_yet_evaluated_is_cross_project() -> None:
    snaps = {"PAY-1": snapshots()["PAY-1"]}
    v = program_metrics(initiative(), snaps, TODAY, PROGRAMS).values
    assert v["cross_project_dependencies"] == 1 and v["external_dependencies"] == 1


def test_budget_sums_projects_and_earned_value_uses_summed_values() -> None:
    v = program_metrics(initiative(), snapshots(), TODAY, PROGRAMS).values
    assert (v["budget"], v["actual_cost"], v["budget_used_pct"]) == (15_000.0, 8000.0, 53.3)
    assert (v["earned_value"], v["planned_value"]) == (12_000.0, 10_000.0)
    assert (v["cpi"], v["spi"], v["eac"], v["etc"], v["vac"]) == (1.5, 1.2, 10_000.0, 2000.0, 5000.0)
    assert v["tcpi"] == 0.43  # 3000 / 7000


def test_initiative_budget_overrides_the_sum_of_projects() -> None:
    v = program_metrics(initiative(budget=20_000.0), snapshots(), TODAY, PROGRAMS).values
    assert v["budget"] == 20_000.0 and v["eac"] == 13_333.33 and v["budget_used_pct"] == 40.0


def test_overdue_program_and_all_metrics_present() -> None:
    m = program_metrics(initiative(due_date=date(2024, 1, 10)), snapshots(), TODAY, PROGRAMS)
    assert m.values["is_overdue"] is True and m.values["days_overdue"] == 6
    assert set(m.values) | set(FORECAST_METRIC_KINDS) == set(PROGRAM_METRICS)  # forecasts: rules.outlook
    assert m.with_health("off-track").values["health"] == "off-track"


def test_empty_program_gives_zeros_and_nulls() -> None:
    v = program_metrics(initiative(), {}, TODAY, {}).values
    assert (v["projects_total"], v["progress_pct"], v["scope_growth_pct"], v["budget"], v["cpi"]) == \
        (0, 0.0, None, None, None)


def test_snapshot_survives_a_round_trip_and_junk() -> None:
    snap = snapshots()["PAY-1"]
    restored = Snapshot.from_dict({
        "key": "PAY-1", "is_done": False, "items_total": 4, "items_done": 2, "points_total": 10.0,
        "points_done": 7.0, "baseline_points": 8.0, "budget": 10000.0, "actual_cost": 2000.0,
        "earned_value": 7000.0, "planned_value": 5000.0, "health": "at-risk",
        "dependencies": [d.as_dict() for d in snap.dependencies],
    })
    assert restored == snap
    junk = Snapshot.from_dict({"items_total": "many", "health": "great", "dependencies": [{"x": 1}, 5]})
    assert junk.items_total == 0 and junk.health is None and junk.dependencies == ()


junk_numbers = st.none() | st.floats() | st.integers() | st.text(max_size=3) | st.booleans()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "points_total": junk_numbers, "points_done": junk_numbers, "items_total": junk_numbers,
    "items_done": junk_numbers, "baseline_points": junk_numbers, "budget": junk_numbers,
    "actual_cost": junk_numbers, "earned_value": junk_numbers, "planned_value": junk_numbers,
}), max_size=6), st.none() | st.floats())
def test_program_metrics_never_raise_on_stored_snapshots(raw: list[dict[str, object]],
                                                          budget: float | None) -> None:
    snaps = {f"P-{n}": Snapshot.from_dict({"key": f"P-{n}", **r}) for n, r in enumerate(raw)}
    v = program_metrics(initiative(budget=budget), snaps, TODAY, {}).values
    for name in ("progress_pct", "scope_growth_pct", "budget_used_pct"):
        assert v[name] is None or math.isfinite(v[name]), name  # type: ignore[arg-type]
