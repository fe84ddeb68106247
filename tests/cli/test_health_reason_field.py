"""Every at-risk or off-track issue says why on the issue itself, whether or not a comment was posted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, Run, jira_get
from tests.conftest import SandboxFactory
from webhooks.cli.trialconfig import OUTPUTS, trial_app_yaml

# Comments stay silent on the first run (the default): the field alone must say why.
APP_YAML = trial_app_yaml("FLAVOR", outputs={**OUTPUTS, "health_reason": "Health reason"},
                          allow_unsigned=True)


def reason_on(sandbox: RunningSandbox, key: str) -> object:
    ids = {f["name"]: f["id"] for f in jira_get(sandbox, "/rest/api/2/field")}
    return jira_get(sandbox, f"/rest/api/2/issue/{key}")["fields"].get(ids["Health reason"])


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_health_reason_field_names_the_blocker_and_the_figures_without_a_comment(
        flavor: str, sandbox_factory: SandboxFactory, pmrollup: Callable[..., Run]) -> None:
    sandbox = sandbox_factory(DEMO_SEED, flavor)
    run = pmrollup(sandbox, APP_YAML)
    assert run("fields", "create").code == 0
    report = run("evaluate", "PAY-1", "--json")
    assert report.code == 0, report.err
    assert not [r for r in sandbox.requests() if r["method"] == "POST" and r["path"].endswith("/comment")]
    healths = {p["key"]: p["metrics"]["health"] for p in report.json()["projects"]}
    assert reason_on(sandbox, "PAY-3") == ("off-track: P50 forecast 2026-05-21, after the due date "
                                           "2026-05-15; scope grew 30.0 % since 2026-02-02; "
                                           "WEB-8 blocks PAY-15, due 2026-03-06")
    assert reason_on(sandbox, "WEB-1") == ("off-track: budget 110 % used; P50 forecast 2026-05-07, after the "
                                           "due date 2026-04-17; CPI 0.45; behind the plan at 50 % done")
    assert healths["PAY-2"] == "off-track"
    assert reason_on(sandbox, "PAY-2") == "off-track: P50 forecast 2026-05-14, after the due date 2026-04-30"
    assert str(reason_on(sandbox, "PAY-1")).startswith("off-track: WEB-8 blocks PAY-15")
    lone = run("evaluate", "OPS-1", "--json")
    assert lone.json()["metrics"]["health"] == "on-track" and reason_on(sandbox, "OPS-1") is None
