"""The worker: coalesced recomputes, one at a time per target, retries, dead targets, skips."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from rules.config import AppConfig
from tests.conftest import LogCapture
from tests.webhooks.conftest import FakeClock, issue_event, make_config, signed_headers
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.loop import RecomputeResult, SkipDelivery, Worker, backoff_seconds


def program_of(payload: dict[str, Any]) -> list[Target]:
    """Every issue PAY-n belongs to epic EPIC-(n % 4) under initiative INIT-1."""
    key = payload["issue"]["key"]
    if not key.startswith("PAY-"):
        raise SkipDelivery(f"{key} is not in a configured project")
    epic = f"EPIC-{int(key.split('-')[1]) % 4}"
    return [Target("program", "INIT-1", frozenset({epic}), frozenset({payload["issue"]["id"]}))]


def post(client: FlaskClient, key: str, **extra: Any) -> None:
    body = issue_event(key, **extra)
    assert client.post("/webhooks/jira", data=body, headers=signed_headers(body)).status_code == 202


class Recorder:
    """A recompute that records what it was asked, and when."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[tuple[float, Target]] = []

    def __call__(self, target: Target) -> RecomputeResult:
        self.calls.append((self.clock(), target))
        return RecomputeResult(findings={"warning": 1})


def test_burst_of_200_events_on_one_program_causes_at_most_3_recomputes(
        client: FlaskClient, store: SqliteInbox, config: AppConfig) -> None:
    clock = FakeClock()
    recompute = Recorder(clock)
    worker = Worker(store, program_of, recompute, config, clock=clock)
    start = clock()
    for i in range(200):
        post(client, f"PAY-{i}", seq=i)
        worker.run_once()
        clock.advance(0.05)
    last_event = clock() - 0.05
    clock.advance(config.worker.debounce_seconds)
    worker.run_once()
    assert 1 <= len(recompute.calls) <= 3
    assert recompute.calls[-1][0] >= last_event  # the last news was seen by a recompute
    assert set().union(*(t.projects for _, t in recompute.calls)) == {f"EPIC-{n}" for n in range(4)}
    assert all(at - start <= 10.0 + 2.1 for at, _ in recompute.calls[:1])
    assert store.depth() == 0


def test_steady_stream_is_recomputed_within_max_delay_of_each_event(
        client: FlaskClient, store: SqliteInbox, config: AppConfig) -> None:
    clock = FakeClock()
    recompute = Recorder(clock)
    worker = Worker(store, program_of, recompute, config, clock=clock)
    events: list[float] = []
    for i in range(60):  # one event a second: never quiet for debounce_seconds
        post(client, f"PAY-{i}", seq=i)
        events.append(clock())
        worker.run_once()
        clock.advance(1.0)
    for _ in range(int(config.worker.max_delay_seconds)):  # the worker keeps polling once a second
        worker.run_once()
        clock.advance(1.0)
    times = [at for at, _ in recompute.calls]
    assert len(times) >= 5
    for at in events:
        assert any(at <= done <= at + config.worker.max_delay_seconds for done in times), at


def test_news_during_a_recompute_brings_the_target_back(
        client: FlaskClient, store: SqliteInbox, config: AppConfig) -> None:
    clock = FakeClock()
    seen: list[Target] = []

    def recompute(target: Target) -> None:
        seen.append(target)
        if len(seen) == 1:
            post(client, "PAY-2")  # a change lands while pmrollup reads Jira
            worker.run_once()  # routed now; the target is leased, so it is not run twice at once

    worker = Worker(store, program_of, recompute, config, clock=clock)
    post(client, "PAY-1")
    worker.run_once()
    clock.advance(config.worker.debounce_seconds)
    worker.run_once()
    assert len(seen) == 1  # the news waits its debounce, like any other
    clock.advance(config.worker.debounce_seconds)
    worker.run_once()
    assert len(seen) == 2
    assert "EPIC-2" in seen[1].projects
    assert store.depth() == 0


def test_two_workers_on_one_store_never_recompute_one_target_at_once(tmp_path: Path) -> None:
    config = make_config(tmp_path, debounce=0, max_delay=0)
    first, second = SqliteInbox(config.store_path), SqliteInbox(config.store_path)
    for n in range(5):
        first.upsert_target(Target("project", f"PAY-{n}"), 0.0, 0, 0)
    clock = FakeClock(10.0)
    runs: list[tuple[str, str]] = []

    def by(name: str) -> Any:
        def recompute(target: Target) -> None:
            runs.append((name, target.key))
            if name == "a" and len(runs) == 1:
                b.run_once()  # while a holds its target, b drains the rest

        return recompute

    a = Worker(first, program_of, by("a"), config, clock=clock, owner="a")
    b = Worker(second, program_of, by("b"), config, clock=clock, owner="b")
    a.run_once()
    keys = [key for _, key in runs]
    assert sorted(keys) == [f"PAY-{n}" for n in range(5)]
    assert runs[0][0] == "a" and all(name == "b" for name, _ in runs[1:])


def test_two_worker_threads_share_the_queue_without_overlap(tmp_path: Path) -> None:
    config = make_config(tmp_path, debounce=0, max_delay=0)
    seed = SqliteInbox(config.store_path)
    for n in range(40):
        seed.upsert_target(Target("project", f"PAY-{n % 20}"), 0.0, 0, 0)
    lock = threading.Lock()
    in_flight: set[str] = set()
    done: list[str] = []
    overlaps: list[str] = []

    def recompute(target: Target) -> None:
        with lock:
            if target.key in in_flight:
                overlaps.append(target.key)
            in_flight.add(target.key)
        threading.Event().wait(0.002)
        with lock:
            in_flight.discard(target.key)
            done.append(target.key)

    workers = [Worker(SqliteInbox(config.store_path), program_of, recompute, config, owner=f"w{i}")
               for i in range(2)]

    def drain(worker: Worker) -> None:
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert overlaps == []
    assert sorted(done) == sorted(f"PAY-{n}" for n in range(20))
    assert seed.depth() == 0


def test_crashed_workers_lease_expires_and_another_worker_takes_the_target(
        store: SqliteInbox, config: AppConfig) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    assert store.lease_due_target("crashed", 0.0, 300) is not None  # and then the process died
    clock = FakeClock(299.0)
    done: list[str] = []
    worker = Worker(store, program_of, lambda t: done.append(t.key), config, clock=clock)
    worker.run_once()
    assert done == []
    clock.advance(1.0)
    worker.run_once()
    assert done == ["PAY-1"]


def test_failing_target_is_retried_with_backoff_then_parked_dead_then_requeued(
        store: SqliteInbox, config: AppConfig, logs: LogCapture) -> None:
    clock = FakeClock(0.0)
    jira_up = False
    attempts: list[float] = []

    def recompute(target: Target) -> None:
        attempts.append(clock())
        if not jira_up:
            raise ConnectionError("Jira answered 503")

    worker = Worker(store, program_of, recompute, config, clock=clock)
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    for _ in range(200):  # 200 polls, one a second
        worker.run_once()
        clock.advance(1.0)
    assert attempts == [0.0, backoff_seconds(1), backoff_seconds(1) + backoff_seconds(2)]
    [dead] = store.dead_targets()
    assert dead.attempts == config.worker.max_attempts == 3
    assert dead.last_error == "ConnectionError: Jira answered 503"
    assert logs.events().count("recompute.failed") == 3 and logs.events().count("target.dead") == 1
    jira_up = True
    assert store.retry_dead(now=clock()) == 1
    worker.run_once()
    assert len(attempts) == 4 and store.depth() == 0 and store.dead_targets() == []


def test_backoff_grows_and_is_capped() -> None:
    waits = [backoff_seconds(n) for n in range(1, 10)]
    assert waits == sorted(waits) and waits[0] > 0 and waits[-1] == 600.0


def test_delivery_about_an_unknown_issue_is_skipped_once(
        client: FlaskClient, store: SqliteInbox, config: AppConfig, logs: LogCapture) -> None:
    post(client, "ELSEWHERE-1")
    clock = FakeClock()
    worker = Worker(store, program_of, Recorder(clock), config, clock=clock)
    assert worker.run_once() == 1
    for _ in range(5):
        clock.advance(600)
        assert worker.run_once() == 0
    assert logs.events().count("delivery.skipped") == 1
    assert store.depth() == 0


def test_delivery_is_kept_while_jira_is_unavailable_and_routed_once_it_is_back(
        client: FlaskClient, store: SqliteInbox, config: AppConfig, logs: LogCapture) -> None:
    post(client, "PAY-1")
    clock = FakeClock()
    up = False

    def targets_for(payload: dict[str, Any]) -> list[Target]:
        if not up:
            raise ConnectionError("Jira unreachable")
        return program_of(payload)

    recompute = Recorder(clock)
    worker = Worker(store, targets_for, recompute, config, clock=clock)
    worker.run_once()
    assert store.counts().deliveries_pending == 1 and "delivery.failed" in logs.events()
    up = True
    clock.advance(backoff_seconds(1) + config.worker.debounce_seconds)
    worker.run_once()
    clock.advance(config.worker.debounce_seconds)
    worker.run_once()
    assert [t.key for _, t in recompute.calls] == ["INIT-1"]
    assert store.depth() == 0


def test_run_forever_stops_when_asked(store: SqliteInbox, config: AppConfig) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    stop = threading.Event()
    done: list[str] = []

    def recompute(target: Target) -> None:
        done.append(target.key)
        stop.set()

    worker = Worker(store, program_of, recompute, config, poll_seconds=0.01)
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and done == ["PAY-1"]


def test_a_bug_in_targets_for_is_retried_then_parked_not_silently_skipped(
        client: FlaskClient, store: SqliteInbox, config: AppConfig, logs: LogCapture) -> None:
    post(client, "PAY-1")
    clock = FakeClock()

    def targets_for(payload: dict[str, Any]) -> list[Target]:
        raise ValueError("unexpected shape")

    worker = Worker(store, targets_for, Recorder(clock), config, clock=clock)
    for _ in range(60):
        worker.run_once()
        clock.advance(10)
    counts = store.counts()
    assert counts.deliveries_dead == 1 and counts.deliveries_pending == 0
    assert logs.events().count("delivery.failed") == 2 and logs.events().count("delivery.dead") == 1
    assert store.retry_dead(now=clock()) == 1
    assert store.counts().deliveries_pending == 1


def test_a_recompute_asking_to_be_woken_is_recomputed_that_long_after_on_the_workers_clock(
        store: SqliteInbox, config: AppConfig) -> None:
    clock = FakeClock(5_000_000.0)  # far from the wall clock: only the worker's own clock may count
    woken: list[float] = []

    def recompute(target: Target) -> RecomputeResult:
        woken.append(clock())
        return RecomputeResult(wake_in=600.0) if len(woken) == 1 else RecomputeResult()

    worker = Worker(store, program_of, recompute, config, clock=clock)
    store.upsert_target(Target("project", "PAY-1"), clock(), 0, 0)
    worker.run_once()
    assert [(t.key, at) for t, at in store.wakeups()] == [("PAY-1", 5_000_600.0)]
    clock.advance(599.0)
    worker.run_once()
    assert woken == [5_000_000.0], "not before its time"
    clock.advance(1.0)
    worker.run_once()  # files the wake-up as news due after the debounce
    clock.advance(config.worker.debounce_seconds)
    worker.run_once()
    assert woken == [5_000_000.0, 5_000_600.0 + config.worker.debounce_seconds]
    assert store.wakeups() == []
