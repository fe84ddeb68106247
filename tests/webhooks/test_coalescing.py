"""Bursts coalesce: deliveries routed in batches with few searches, the epic map, one recompute."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.delivery import Capture
from connector.client import Credentials, JiraGateway
from connector.events import ACTED_EVENTS
from rules.config import AppConfig, JiraSettings
from rules.engine import RuleSet
from sandbox.server import RunningSandbox
from tests.conftest import LogCapture, SandboxFactory
from tests.webhooks.conftest import FakeClock, make_config
from webhooks.recompute.services import rules_for
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.loop import RecomputeResult, Worker
from webhooks.worker.recomputing import TargetRecompute
from webhooks.worker.routing import Router

EPICS = ("PAY-2", "PAY-3", "PAY-4", "PAY-5")
STORIES = 30  # per epic


def seed() -> dict[str, Any]:
    """Two initiatives: PAY-1 with four epics of 30 stories each, PAY-6 with none yet."""
    issues: list[dict[str, Any]] = [
        {"key": "PAY-1", "type": "Initiative", "summary": "Instant payouts", "status": "In Progress"},
        *({"key": e, "type": "Epic", "summary": f"Epic {e}", "status": "In Progress", "parent": "PAY-1"}
          for e in EPICS),
        {"key": "PAY-6", "type": "Initiative", "summary": "Payout reports", "status": "To Do"},
    ]
    number = 10
    for epic in EPICS:
        for _ in range(STORIES):
            issues.append({"key": f"PAY-{number}", "type": "Story", "summary": f"Story {number}",
                           "status": "To Do", "parent": epic, "fields": {"Story Points": 1}})
            number += 1
    return {"projects": [{"key": "PAY", "name": "Payments"}],
            "fields": [{"name": "Story Points", "type": "number"}], "issues": issues}


def stories_of(epic: str) -> list[str]:
    first = 10 + EPICS.index(epic) * STORIES
    return [f"PAY-{n}" for n in range(first, first + STORIES)]


class Recorder:
    """The service's own recompute, keeping the targets it was asked to recompute."""

    def __init__(self, recompute: TargetRecompute) -> None:
        self.recompute = recompute
        self.targets: list[Target] = []

    def __call__(self, target: Target) -> RecomputeResult:
        self.targets.append(target)
        return self.recompute(target)


class Service:
    """A worker with the service's Router and recompute on one gateway, over a real SQLite store."""

    def __init__(self, sandbox: RunningSandbox, config: AppConfig, clock: FakeClock, rules: RuleSet) -> None:
        email, token = sandbox.admin_auth
        self.sandbox = sandbox
        self.config = config
        self.store = SqliteInbox(config.store_path)
        self.gateway = JiraGateway(config, Credentials(sandbox.url, email, token))
        self.gateway.field_ids()  # a running worker has its field catalog
        self.recorder = Recorder(TargetRecompute(config, self.gateway, rules, self.store))
        self.worker = Worker(self.store, Router(config, self.gateway), self.recorder, config, clock=clock)

    def receive(self, bodies: Sequence[bytes]) -> None:
        """Store deliveries as the web side does."""
        for body in bodies:
            payload = json.loads(body)
            self.store.store_delivery(uuid.uuid4().hex, payload["webhookEvent"], body)

    def searches(self) -> int:
        """Return the search pages the sandbox served since its log was cleared."""
        served = self.sandbox.requests("/rest/")
        return sum(1 for r in served if r["path"].endswith(("/search/jql", "/search")))


def config_for(tmp_path: Path, flavor: str = "cloud") -> AppConfig:
    config = make_config(tmp_path, debounce=2.0, max_delay=10.0)
    return replace(config, jira=JiraSettings(flavor=flavor))


def points(edits: int, epics: Sequence[str] = EPICS) -> list[tuple[str, Mapping[str, Any]]]:
    """Return `edits` story-point changes spread over the epics' stories."""
    keys = [s for n in range(STORIES) for e in epics for s in [stories_of(e)[n]]]
    return [(keys[n % len(keys)], {"fields": {"Story Points": 2 + n // len(keys)}}) for n in range(edits)]


def capture_edits(sandbox: RunningSandbox, edits: Sequence[tuple[str, Mapping[str, Any]]]) -> list[bytes]:
    """Make edits inside the sandbox (its Flask app, no socket: the edits are not what is measured) and
    return the webhook deliveries they caused, as Jira sent them."""
    capture = Capture(sandbox)
    client = sandbox.app.test_client()
    try:
        for key, body in edits:
            answer = client.post(f"/sandbox/issues/{key}", json=dict(body))
            assert answer.status_code < 400, answer.get_data(as_text=True)
        return capture.taken()
    finally:
        capture.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    """The shipped rules, loaded once for the module (a RuleSet is frozen)."""
    return rules_for(AppConfig())


def test_burst_about_stories_of_several_epics_is_one_program_target_and_one_recompute(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet) -> None:
    sandbox = sandbox_factory(seed())
    service = Service(sandbox, config_for(tmp_path), clock, rules)
    service.receive(capture_edits(sandbox, points(150)))
    service.worker.run_once()
    counts = service.store.counts()
    assert counts.deliveries_pending == 0 and counts.targets_pending == 1
    assert service.recorder.targets == []  # nothing recomputed while the burst is being routed
    clock.advance(service.config.worker.debounce_seconds)
    service.worker.run_once()
    [target] = service.recorder.targets
    assert (target.kind, target.key, target.projects) == ("program", "PAY-1", frozenset(EPICS))
    assert service.store.depth() == 0


@pytest.mark.parametrize("deliveries", [1, 100, 250])
def test_routing_n_deliveries_costs_at_most_one_search_per_hundred(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet,
        deliveries: int) -> None:
    sandbox = sandbox_factory(seed())
    service = Service(sandbox, config_for(tmp_path), clock, rules)
    edits = points(deliveries)
    edits[0] = (edits[0][0], {"parent": "PAY-5"})  # a story moved: placed itself, in the same search
    bodies = capture_edits(sandbox, edits)
    service.receive(bodies)
    sandbox.clear_requests()
    assert service.worker.route_pending() == len(bodies) >= deliveries
    assert 1 <= service.searches() <= math.ceil(deliveries / 100)
    assert service.store.counts().targets_pending == 1


def test_story_delivery_under_a_known_epic_costs_no_jira_request_to_route(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet) -> None:
    sandbox = sandbox_factory(seed())
    config = config_for(tmp_path)
    first = Service(sandbox, config, clock, rules)
    first.recorder(Target("program", "PAY-1"))  # the program was computed before: its epics were read
    first.receive(capture_edits(sandbox, [(stories_of("PAY-3")[0], {"fields": {"Story Points": 8}})]))
    sandbox.clear_requests()
    first.worker.route_pending()
    assert sandbox.requests("/rest/") == []
    # The map is durable: a worker started afterwards (a restart) routes from it too.
    again = Service(sandbox, config, clock, rules)
    again.receive(capture_edits(sandbox, [(stories_of("PAY-4")[0], {"status": "In Progress"})]))
    sandbox.clear_requests()
    again.worker.route_pending()
    assert sandbox.requests("/rest/") == []
    clock.advance(config.worker.max_delay_seconds)
    again.worker.run_once()
    [target] = again.recorder.targets
    assert (target.key, target.projects) == ("PAY-1", frozenset({"PAY-3", "PAY-4"}))


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_epic_moved_to_another_initiative_is_routed_to_the_new_one(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet,
        flavor: str) -> None:
    sandbox = sandbox_factory(seed(), flavor)
    service = Service(sandbox, config_for(tmp_path, flavor), clock, rules)
    service.recorder(Target("program", "PAY-1"))  # PAY-2 is known under PAY-1
    story = stories_of("PAY-2")[0]
    service.receive(capture_edits(sandbox, [("PAY-2", {"parent": "PAY-6"}),
                                            (story, {"fields": {"Story Points": 5}})]))
    service.worker.run_once()
    clock.advance(service.config.worker.max_delay_seconds)
    service.worker.run_once()
    programs = {t.key: t.projects for t in service.recorder.targets[1:]}
    assert programs == {"PAY-6": frozenset({"PAY-2"}), "PAY-1": frozenset()}
    assert service.store.programs_of(["PAY-2"]) == {"PAY-2": "PAY-6"}
    # The next change under the moved epic goes to its new initiative with no Jira read.
    service.receive(capture_edits(sandbox, [(story, {"fields": {"Story Points": 3}})]))
    sandbox.clear_requests()
    service.worker.route_pending()
    assert service.searches() == 0
    clock.advance(service.config.worker.max_delay_seconds)
    service.worker.run_once()
    assert [(t.key, t.projects) for t in service.recorder.targets[3:]] == [("PAY-6", frozenset({"PAY-2"}))]


def test_a_move_whose_delivery_was_lost_is_found_by_the_recompute_and_routed_again(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet,
        logs: LogCapture) -> None:
    sandbox = sandbox_factory(seed())
    service = Service(sandbox, config_for(tmp_path), clock, rules)
    service.recorder(Target("program", "PAY-1"))  # PAY-3 is known under PAY-1
    sandbox.edit("PAY-3", {"parent": "PAY-6"})  # and its delivery never arrives
    service.receive(capture_edits(sandbox, [(stories_of("PAY-3")[0], {"fields": {"Story Points": 4}})]))
    for _ in range(3):
        service.worker.run_once()
        clock.advance(service.config.worker.max_delay_seconds)
    assert [(t.key, t.projects) for t in service.recorder.targets[1:]] == [
        ("PAY-1", frozenset({"PAY-3"})), ("PAY-6", frozenset({"PAY-3"}))]
    assert "epicmap.stale" in logs.events()
    assert service.store.programs_of(["PAY-3"]) == {"PAY-3": "PAY-6"}
    assert service.store.depth() == 0


def test_one_bad_delivery_in_a_batch_does_not_hold_up_the_others(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet,
        logs: LogCapture) -> None:
    sandbox = sandbox_factory(seed())
    service = Service(sandbox, config_for(tmp_path), clock, rules)
    bodies = capture_edits(sandbox, [(s, {"status": "In Progress"}) for s in stories_of("PAY-5")[:5]])
    bad = json.loads(bodies[2])
    bad["issue"]["fields"]["parent"]["key"] = "PAY-5 OR project = X"
    bodies[2] = json.dumps(bad).encode()
    service.receive(bodies)
    service.worker.route_pending()
    counts = service.store.counts()
    assert counts.deliveries_pending == 1 and counts.targets_pending == 1
    assert logs.events().count("delivery.failed") == 1


def naming_the_initiative_as_parent(bodies: list[bytes]) -> list[bytes]:
    """Return the deliveries with each issue's parent set to the initiative PAY-1, which is no epic."""
    changed = []
    for body in bodies:
        payload = json.loads(body)
        payload["issue"]["fields"]["parent"]["key"] = "PAY-1"
        changed.append(json.dumps(payload).encode())
    return changed


def test_stories_whose_delivery_names_no_epic_are_placed_together_not_one_search_each(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet) -> None:
    sandbox = sandbox_factory(seed())
    service = Service(sandbox, config_for(tmp_path), clock, rules)
    stories = stories_of("PAY-3")[:5]
    bodies = capture_edits(sandbox, [(s, {"fields": {"Story Points": 3}}) for s in stories])
    bodies = naming_the_initiative_as_parent(bodies)
    service.receive(bodies)
    sandbox.clear_requests()
    assert service.worker.route_pending() == len(bodies) == len(stories)
    # The named parent, then the stories with it, then the stories' epic: three searches for all five.
    assert service.searches() == 3
    clock.advance(service.config.worker.max_delay_seconds)
    service.worker.run_once()
    [target] = service.recorder.targets
    assert (target.kind, target.key, target.projects) == ("program", "PAY-1", frozenset({"PAY-3"}))


def test_deleted_stories_naming_no_epic_are_routed_from_the_search_their_batch_made(
        sandbox_factory: SandboxFactory, tmp_path: Path, clock: FakeClock, rules: RuleSet) -> None:
    sandbox = sandbox_factory(seed())
    service = Service(sandbox, config_for(tmp_path), clock, rules)
    capture = Capture(sandbox)
    try:
        for story in stories_of("PAY-4")[:3]:
            sandbox.delete(story)
        bodies = capture.taken()
    finally:
        capture.close()
    bodies = naming_the_initiative_as_parent(bodies)
    service.receive(bodies)
    sandbox.clear_requests()
    assert service.worker.route_pending() == len(bodies) == 3
    assert service.searches() == 1  # the named parent, once: a deleted issue is not searched for
    clock.advance(service.config.worker.max_delay_seconds)
    service.worker.run_once()
    assert [(t.kind, t.key) for t in service.recorder.targets] == [("program", "PAY-1")]


def test_every_event_pmrollup_acts_on_has_one_handler(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    router = Router(config, JiraGateway(config, Credentials("http://127.0.0.1:9", None, "unused")))
    assert set(router.handlers) == ACTED_EVENTS
