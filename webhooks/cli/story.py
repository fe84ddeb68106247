"""The demo's story: the seed it plays on, the day it is, its app.yaml, and the steps people take."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.seed import SEEDS_DIR
from webhooks.cli.trialconfig import OUTPUTS, trial_app_yaml

SEED = SEEDS_DIR / "demo.yaml"
TODAY = "2026-03-16"  # the demo seed's figures are as of this day
PROGRAM = "PAY-1"
# The demo writes why each issue is red, and when it is forecast to be done, beside the usual fields.
DEMO_OUTPUTS = {**OUTPUTS, "health_reason": "Health reason", "forecast_p85_date": "Forecast P85",
                "forecast_slip_days": "Forecast slip (days)"}


def app_yaml(flavor: str, store: str) -> str:
    """Return the demo's app.yaml: signed deliveries, a silent first rollup, quiet hours, a short debounce."""
    return trial_app_yaml(flavor, store, timezone="UTC", outputs=DEMO_OUTPUTS,
                          comments={"on_first_run": False, "quiet_hours": 24},
                          allow_unsigned=False,
                          worker={"debounce_seconds": 0.3, "max_delay_seconds": 2, "max_attempts": 5})



@dataclass(frozen=True)
class Change:
    """One thing a person does in Jira: edit an issue, or create one."""

    key: str
    body: Mapping[str, Any]
    says: str
    create: bool = False


@dataclass(frozen=True)
class Step:
    """One beat of the story: what happens, and what pmrollup should make of it."""

    title: str
    changes: tuple[Change, ...]
    expect: str
    explain: tuple[str, str] | None = None  # (key, metric): a figure the step turns red, explained


STORY = (
    Step("Two stories are finished",
         (Change("PAY-9", {"status": "Done"}, "PAY-9 Fee calculation rules (5 pts) -> Done"),
          Change("PAY-10", {"status": "Done"}, "PAY-10 Negative balance alerts (3 pts) -> Done")),
         "PAY-2's progress rises from 60 % to 80 %, and the initiative's with it; nobody gets a comment."),
    Step("Scope is added after the baseline",
         (Change("PAY-27", {"type": "Story", "summary": "Payout holds for risky merchants",
                            "parent": "PAY-2", "fields": {"Story Points": 8}},
                 "PAY-27 Payout holds for risky merchants (8 pts) created under PAY-2", create=True),
          Change("PAY-28", {"type": "Story", "summary": "Ledger export for auditors",
                            "parent": "PAY-2", "fields": {"Story Points": 5}},
                 "PAY-28 Ledger export for auditors (5 pts) created under PAY-2", create=True)),
         "PAY-2 now holds 53 points against a baseline of 38 (+39.5 %): a critical scope-creep comment "
         "on PAY-2, and the initiative's scope growth passes 10 %: a warning on PAY-1."),
    Step("A blocker slips past its due date",
         (Change("PAY-11", {"fields": {"Due date": "2026-03-13"}},
                 "PAY-11 Payout statement export (blocks WEB-20 in WEB-2): due 2026-03-27 -> 2026-03-13"),),
         "WEB-2 now waits on work overdue in another Jira project: its overdue dependencies go to 1, "
         "with a comment on WEB-2, and the initiative counts it too."),
    Step("Costs are booked beyond the budget",
         (Change("PAY-12", {"fields": {"Cost": 40000}}, "PAY-12 Ledger audit trail: Cost 40,000 booked"),),
         "PAY-2 has spent 66,000 of its 60,000 budget at 60 % progress: a budget overrun and a low "
         "cost performance on PAY-2, and the initiative's cost performance drops.",
         explain=("PAY-2", "budget_used_pct")),
    Step("A blocker lands",
         (Change("WEB-8", {"status": "Done"}, "WEB-8 (blocks PAY-15 in PAY-3) -> Done"),),
         "PAY-3's overdue dependency is gone, so its warning and label clear, without a comment: it was "
         "there before pmrollup came, so its start was never announced; WEB-8 is WEB-1's own story, so "
         "WEB-1's progress rises and its behind-schedule warning clears too."),
)
