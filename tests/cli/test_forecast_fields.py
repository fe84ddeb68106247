"""Delivery forecasts reach Jira as fields a program manager can search: dates, the basis as text,
the slip as a number; a forecast that drifts by a day writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import requests

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, DEMO_TODAY, Run, jira_get
from tests.conftest import SandboxFactory
from webhooks.cli.trialconfig import OUTPUTS, trial_app_yaml

FORECAST_OUTPUTS = {
    "forecast_p85_date": "Forecast P85",
    "forecast_basis": "Forecast basis",
    "forecast_slip_days": "Forecast slip (days)",
    "on_time_probability": "On-time probability",
}
APP_YAML = trial_app_yaml("FLAVOR", outputs={**OUTPUTS, **FORECAST_OUTPUTS}, allow_unsigned=True)


def field_value(sandbox: RunningSandbox, key: str, name: str) -> object:
    """Read one field of an issue by its display name, as Jira's REST API returns it."""
    ids = {f["name"]: f["id"] for f in jira_get(sandbox, "/rest/api/2/field")}
    return jira_get(sandbox, f"/rest/api/2/issue/{key}")["fields"].get(ids[name])


@pytest.fixture(params=["cloud", "datacenter"])
def site(request: pytest.FixtureRequest, sandbox_factory: SandboxFactory,
         pmrollup: Callable[..., Run]) -> tuple[RunningSandbox, Run]:
    sandbox = sandbox_factory(DEMO_SEED, request.param)
    run = pmrollup(sandbox, APP_YAML)
    created = run("fields", "create")
    assert created.code == 0, created.err
    return sandbox, run


def test_fields_create_makes_date_text_and_number_fields_for_the_forecast(
        site: tuple[RunningSandbox, Run]) -> None:
    sandbox, _ = site
    kinds = {f["name"]: f["schema"]["type"] for f in jira_get(sandbox, "/rest/api/2/field")
             if f["name"] in FORECAST_OUTPUTS.values()}
    assert kinds == {"Forecast P85": "date", "Forecast basis": "string", "Forecast slip (days)": "number",
                     "On-time probability": "number"}


def test_the_forecast_is_written_where_jql_finds_the_epics_likely_to_be_late(
        site: tuple[RunningSandbox, Run]) -> None:
    sandbox, run = site
    report = run("evaluate", "PAY-1", "--json")
    assert report.code == 0, report.err
    epics = {p["key"]: p["metrics"] for p in report.json()["projects"]}
    for key, metrics in epics.items():
        p85, due = metrics["forecast_p85_date"], metrics["due_date"]
        assert field_value(sandbox, key, "Forecast P85") == p85
        assert field_value(sandbox, key, "Forecast basis") == metrics["forecast_basis"]
        assert metrics["forecast_basis"] in ("epic", "program", "none")
        if p85 and due:  # the slip always agrees with the P85 field
            slip = (date.fromisoformat(p85) - date.fromisoformat(due)).days
            assert field_value(sandbox, key, "Forecast slip (days)") == slip
    late = sorted(k for k, m in epics.items() if (m["forecast_slip_days"] or 0) > 0)
    assert late, "the demo program has epics forecast to finish after their due date"
    search = "/rest/api/3/search/jql" if sandbox.flavor == "cloud" else "/rest/api/2/search"
    found = requests.get(f"{sandbox.url}{search}", auth=sandbox.admin_auth, timeout=10,
                         params={"jql": '"Forecast slip (days)" > 0', "fields": "summary"})
    found.raise_for_status()
    assert sorted(i["key"] for i in found.json()["issues"] if i["key"] in epics) == late


def stored_forecast(sandbox: RunningSandbox, key: str) -> object:
    return jira_get(sandbox, f"/rest/api/2/issue/{key}/properties/pmrollup.state")["value"]["forecast"]


def test_a_forecast_that_drifts_by_a_day_writes_nothing(site: tuple[RunningSandbox, Run],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, run = site
    assert run("evaluate", "PAY-1").code == 0
    keys = ("PAY-1", "PAY-2", "PAY-3", "WEB-1", "WEB-2")
    before = {key: (field_value(sandbox, key, "Forecast P85"), stored_forecast(sandbox, key)) for key in keys}
    tomorrow = date.fromisoformat(DEMO_TODAY) + timedelta(days=1)
    monkeypatch.setenv("PMROLLUP_TODAY", tomorrow.isoformat())
    again = run("evaluate", "PAY-1", "--json")
    assert again.code == 0, again.err
    # A day later the plan's own figures move (planned value), so some states are rewritten, but no
    # comment, and no field of a forecast whose P85 drifted less than forecast.min_move_days (3 days): the
    # published forecast stays as it was. PAY-3's pace counts from its first item's day (2026-01-26), so
    # a day without a finished one is a fiftieth of its history: its P85 moves 2026-06-17 -> 06-20 and is
    # published.
    written = [w for w in again.json()["writes"] if w["fields"] or w["comments"]]
    assert [(w["key"], w["fields"]["forecast_p85_date"], w["comments"]) for w in written] == \
        [("PAY-3", "2026-06-20", [])]
    assert before["PAY-3"][0] == "2026-06-17"
    after = {key: (field_value(sandbox, key, "Forecast P85"), stored_forecast(sandbox, key)) for key in keys}
    del after["PAY-3"], before["PAY-3"]
    assert after == before
