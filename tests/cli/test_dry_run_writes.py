"""What `pmrollup evaluate --dry-run` says it would write is what `pmrollup evaluate` then writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, Run
from tests.conftest import SandboxFactory
from webhooks.store.inbox import SqliteInbox


def test_a_dry_run_lists_exactly_the_writes_the_real_run_makes(
        sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run], tmp_path: Path) -> None:
    sandbox = sandbox_factory(DEMO_SEED, "cloud")
    run = pmrollup(sandbox)
    assert run("evaluate", "PAY-1").code == 0
    progress = {p["key"]: p["metrics"]["progress_pct"]
                for p in run("evaluate", "PAY-1", "--dry-run", "--json").json()["projects"]}
    # Two hundredths off is another figure; under half a hundredth off is the same one.
    sandbox.edit("PAY-3", {"fields": {"Progress %": progress["PAY-3"] + 0.02}})
    sandbox.edit("WEB-1", {"fields": {"Progress %": progress["WEB-1"] + 0.004}})

    dry = run("evaluate", "PAY-1", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    planned = {(w["key"], metric): value for w in dry.json()["writes"]
               for metric, value in w["fields"].items()}
    assert planned == {("PAY-3", "progress_pct"): progress["PAY-3"]}

    audit = SqliteInbox(tmp_path / "pmrollup.sqlite3", create=False)
    before = len(audit.audit())
    real = run("evaluate", "PAY-1")
    assert real.code == 0, real.err
    made = {(e.issue_key, e.field): float(e.new or "nan") for e in audit.audit()[before:]}
    assert made == {("PAY-3", "Progress %"): progress["PAY-3"]}
    assert run("evaluate", "PAY-1", "--dry-run", "--json").json()["writes"] == []
