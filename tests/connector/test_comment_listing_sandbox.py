"""Several comments on one issue list its comments once; a marker already there is never posted again."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED, SandboxFactory
from tests.connector.seeds import gateway


def comment_requests(sandbox: RunningSandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in sandbox.requests():
        if "/comment" in r["path"]:
            counts[r["method"]] = counts.get(r["method"], 0) + 1
    return counts


def bodies(sandbox: RunningSandbox, key: str) -> list[str]:
    found: list[Any] = sandbox.issue_json(key)["fields"]["comment"]["comments"]
    return [str(c["body"]) for c in found]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_three_comments_on_one_issue_list_its_comments_once(sandbox_factory: SandboxFactory,
                                                             flavor: str) -> None:
    sandbox = sandbox_factory(SMALL_SEED, flavor)
    jira = gateway(sandbox)
    sandbox.clear_requests()
    listed = jira.comments("PAY-2")
    for n in range(3):
        jira.add_comment("PAY-2", f"Finding {n} [pmrollup:rule-{n}:start:PAY-2:20260316T0900Z]",
                         f"[pmrollup:rule-{n}:start:PAY-2:20260316T0900Z]", listed)
    assert comment_requests(sandbox) == {"GET": 1, "POST": 3}
    # The same transitions again, with the listing kept up to date: nothing is posted twice.
    for n in range(3):
        assert jira.add_comment("PAY-2", f"Finding {n} [pmrollup:rule-{n}:start:PAY-2:20260316T0900Z]",
                                f"[pmrollup:rule-{n}:start:PAY-2:20260316T0900Z]", listed) is None
    assert comment_requests(sandbox) == {"GET": 1, "POST": 3}
    assert sum("[pmrollup:rule-" in b for b in bodies(sandbox, "PAY-2")) == 3


def test_without_a_listing_each_comment_checks_jira_first(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_SEED, "cloud")
    jira = gateway(sandbox)
    marker = "[pmrollup:budget-overrun:start:PAY-2:20260316T0900Z]"
    assert jira.add_comment("PAY-2", f"Over budget {marker}", marker) is not None
    sandbox.clear_requests()
    assert jira.add_comment("PAY-2", f"Over budget {marker}", marker) is None
    assert comment_requests(sandbox) == {"GET": 1}
