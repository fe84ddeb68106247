"""`pmrollup baseline` queues the epic's program (or the lone epic) for recompute, so a running worker
brings the scope fields up to date without waiting for an edit or the nightly sweep, and clears an
announced scope warning with its comment."""

from __future__ import annotations

import re

from tests.conftest import LogCapture
from tests.schedule.conftest import NO_SCHEDULED_RUNS, SiteFactory, drain_targets, running_worker, wait_for
from webhooks.store.inbox import SqliteInbox, Target

SCOPE_MARKER = re.compile(r"\[pmrollup:scope-creep-\w+:(start|clear):PAY-2:\d+\]")
SCOPE_LABEL = "pmrollup-scope-creep"


def test_a_baseline_reset_is_queued_and_a_running_worker_updates_the_scope_fields(site: SiteFactory,
                                                                                logs: LogCapture) -> None:
    here = site(schedule=NO_SCHEDULED_RUNS)
    swept = here.run("sweep")
    assert swept.code == 0, swept.err
    assert here.field_value("PAY-3", "Scope growth %") == 30.0  # 52 points against 40
    swept_recomputes = len(logs.named("recompute.done"))  # the sweep's, in the foreground
    with running_worker(here):
        taken = here.run("baseline", "PAY-3", "--reset")
        assert taken.code == 0, taken.err
        assert "Replaced the baseline of PAY-3 as of 2026-03-16: 52 points" in taken.out
        assert "queued PAY-1 for recompute; a running worker updates its fields within 1 s" in taken.out
        wait_for("the worker to write the new scope growth",
                 lambda: here.field_value("PAY-3", "Scope growth %") == 0.0, timeout=60)
        wait_for("the recompute to end", lambda: len(logs.named("recompute.done")) > swept_recomputes)
    [done] = logs.named("recompute.done")[swept_recomputes:]
    assert done["key"] == "PAY-1"
    assert done["projects"] == ["PAY-3"], "only the re-baselined epic is read from its items"


def scope_said(comments: list[str]) -> list[str]:
    """Return PAY-2's scope-creep comments by their markers' kind: start or clear."""
    return [found.group(1) for body in comments if (found := SCOPE_MARKER.search(body))]


def test_a_baseline_reset_clears_an_announced_scope_warning_with_its_comment(site: SiteFactory,
                                                                            logs: LogCapture) -> None:
    here = site(schedule=NO_SCHEDULED_RUNS, comments={"on_first_run": False})
    assert here.run("sweep").code == 0  # the first evaluation records PAY-2 (38 points), silent by design
    for key, points in (("PAY-27", 8), ("PAY-28", 5)):
        here.sandbox.create({"key": key, "type": "Story", "summary": f"Added {key}", "parent": "PAY-2",
                             "fields": {"Story Points": points}})
    swept = here.run("sweep")
    assert swept.code == 0, swept.err
    assert here.field_value("PAY-2", "Scope growth %") == 39.5  # 53 points against 38
    assert scope_said(here.comments("PAY-2")) == ["start"], "the scope warning is announced"
    assert SCOPE_LABEL in here.sandbox.issue_json("PAY-2")["fields"]["labels"]
    swept_recomputes = len(logs.named("recompute.done"))
    with running_worker(here):
        taken = here.run("baseline", "PAY-2", "--reset")
        assert taken.code == 0, taken.err
        assert "queued PAY-1 for recompute" in taken.out
        wait_for("the worker to write the new scope growth",
                 lambda: here.field_value("PAY-2", "Scope growth %") == 0.0, timeout=60)
        wait_for("the recompute to end", lambda: len(logs.named("recompute.done")) > swept_recomputes)
    assert scope_said(here.comments("PAY-2")) == ["start", "clear"]
    [cleared] = [body for body in here.comments("PAY-2") if ":clear:PAY-2:" in body]
    assert cleared.startswith("Cleared by pmrollup (scope-creep-critical): this no longer holds")
    assert "Scope growth %: 39.5 then, 0 now." in cleared, "the figure by the name of its field"
    assert SCOPE_LABEL not in here.sandbox.issue_json("PAY-2")["fields"]["labels"]
    assert here.run("sweep").code == 0
    assert scope_said(here.comments("PAY-2")) == ["start", "clear"], "the clear is said once"


def test_a_baseline_kept_as_it_is_queues_nothing(site: SiteFactory) -> None:
    here = site()
    store = SqliteInbox(here.store_path)
    kept = here.run("baseline", "PAY-3")
    assert kept.code == 0 and "Left as it is" in kept.out and "queued" not in kept.out
    assert drain_targets(store) == []


def test_a_new_baseline_of_a_lone_epic_queues_that_epic(site: SiteFactory) -> None:
    here = site()
    store = SqliteInbox(here.store_path)
    taken = here.run("baseline", "OPS-1", "--reset")
    assert taken.code == 0, taken.err
    assert "queued OPS-1 for recompute; a running worker updates its fields within 1 s" in taken.out
    assert drain_targets(store) == [Target("project", "OPS-1")]


def test_a_baseline_taken_before_any_service_ran_says_nothing_was_queued(site: SiteFactory) -> None:
    here = site()
    taken = here.run("baseline", "PAY-3", "--reset")
    assert taken.code == 0, taken.err
    assert f"nothing queued: there is no inbox at {here.store_path} yet" in taken.out
    assert "the first start of `pmrollup serve` (or `pmrollup scheduler`) sweeps" in taken.out
    assert not here.store_path.exists(), "a one-shot command creates no inbox"
