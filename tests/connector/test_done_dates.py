"""The day each work item was finished, read with the items (the forecasts' throughput counts it)."""

from __future__ import annotations

from datetime import date

import pytest

from connector.convert import done_on
from tests.conftest import SMALL_SEED, SandboxFactory
from tests.connector.seeds import gateway

DONE = {"status": {"name": "Done", "statusCategory": {"key": "done", "name": "Done"}}}
OPEN = {"status": {"name": "In Progress", "statusCategory": {"key": "indeterminate", "name": "In Progress"}}}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_done_item_carries_the_day_it_was_resolved_and_an_open_one_none(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(SMALL_SEED, flavor)
    jira = gateway(sandbox)
    jira.field_catalog()  # the one-time field discovery, counted apart
    sandbox.clear_requests()
    items = {item.key: item for item in jira.work_items(["PAY-2"])}
    assert items["PAY-3"].done_on == date(2026, 2, 15)  # its seeded move into Done
    assert items["PAY-4"].done_on is None
    assert len(sandbox.requests()) == 1, "the dates come with the items' one search"


def test_a_done_item_without_a_resolution_counts_from_its_status_category_change() -> None:
    fields = {**DONE, "resolutiondate": None, "statuscategorychangedate": "2026-03-02T17:45:00.000+0000"}
    assert done_on(fields) == date(2026, 3, 2)
    assert done_on({**DONE, "resolutiondate": "2026-03-01T09:00:00.000+0000",
                    "statuscategorychangedate": "2026-03-02T17:45:00.000+0000"}) == date(2026, 3, 1)


def test_an_open_item_has_no_done_day_even_with_an_old_resolution_date() -> None:
    assert done_on({**OPEN, "resolutiondate": "2026-03-01T09:00:00.000+0000"}) is None
    assert done_on({**DONE}) is None
