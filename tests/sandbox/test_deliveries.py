"""Webhook deliveries reach a real receiver: signed, filtered, retried, and shaped like Jira's."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.sandbox.conftest import ALL_EVENTS, SECRET, Receiver, register


def test_an_edit_is_delivered_signed_with_jira_headers(sandbox_factory: SandboxFactory,
                                                        receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    created = register(sandbox, receiver.url)
    assert created.status_code == 201 and created.json()["self"].startswith(sandbox.url)
    sandbox.edit("PAY-4", {"status": "Done", "fields": {"Story Points": 5}})
    assert sandbox.wait_deliveries_idle(10)
    [(headers, body)] = receiver.received
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Hub-Signature"], f"sha256={expected}")
    assert headers["X-Atlassian-Webhook-Flow"] == "Primary"
    assert headers["X-Atlassian-Webhook-Identifier"]
    payload = json.loads(body)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["key"] == "PAY-4"
    assert payload["user"]["emailAddress"] == "admin@example.com"
    changed = {i["field"]: (i["fromString"], i["toString"]) for i in payload["changelog"]["items"]}
    # Entering Done resolves the issue: Jira lists the resolution first, then the status.
    assert changed == {"resolution": (None, "Done"), "status": ("In Review", "Done"),
                       "Story Points": ("3", "5")}
    assert payload["issue"]["fields"]["resolution"]["name"] == "Done"


def test_a_hook_without_a_secret_is_not_signed(sandbox_factory: SandboxFactory, receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    register(sandbox, receiver.url, secret=None)
    sandbox.edit("PAY-4", {"summary": "Renamed"})
    sandbox.wait_deliveries_idle(10)
    assert "X-Hub-Signature" not in receiver.received[0][0]


def test_only_events_matching_the_jql_filter_are_delivered(sandbox_factory: SandboxFactory,
                                                            receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    register(sandbox, receiver.url, events=["jira:issue_updated"], jql="project = WEB")
    sandbox.edit("PAY-4", {"summary": "Not for this hook"})
    sandbox.edit("WEB-2", {"summary": "For this hook"})
    requests.post(f"{sandbox.url}/rest/api/2/issue/WEB-2/comment", json={"body": "not subscribed"},
                  auth=sandbox.admin_auth, timeout=10)
    sandbox.wait_deliveries_idle(10)
    assert [p["issue"]["key"] for p in receiver.payloads()] == ["WEB-2"]


def test_a_failed_delivery_is_retried_with_retry_headers(sandbox_factory: SandboxFactory) -> None:
    failing = Receiver(fail_first=2)
    try:
        sandbox = sandbox_factory()
        register(sandbox, failing.url)
        sandbox.edit("PAY-4", {"summary": "Retried"})
        assert sandbox.wait_deliveries_idle(10)
        flows = [(h["X-Atlassian-Webhook-Flow"], h.get("X-Atlassian-Webhook-Retry"))
                 for h, _ in failing.received]
        assert flows == [("Primary", None), ("Retry", "1"), ("Retry", "2")]
        assert len({h["X-Atlassian-Webhook-Identifier"] for h, _ in failing.received}) == 1
        assert sandbox.deliveries()["delivered"] == 1
    finally:
        failing.stop()


def test_an_unreachable_receiver_is_given_up_after_retries(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    register(sandbox, "http://127.0.0.1:9/nothing-listens-here")
    sandbox.edit("PAY-4", {"summary": "Nobody hears"})
    assert sandbox.wait_deliveries_idle(10)
    assert sandbox.deliveries()["failed"] == 1


def test_only_a_site_admin_may_register_a_webhook(sandbox_factory: SandboxFactory,
                                                  receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    refused = register(sandbox, receiver.url, auth=("dev@example.com", "devtoken"))
    assert refused.status_code == 403
    listed = requests.get(f"{sandbox.url}/rest/webhooks/1.0/webhook", auth=sandbox.admin_auth, timeout=10)
    assert listed.json() == []


def test_a_webhook_is_refused_without_an_absolute_url_or_with_mistyped_parts(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    url = f"{sandbox.url}/rest/webhooks/1.0/webhook"
    answers = [requests.post(url, json=body, auth=sandbox.admin_auth, timeout=10) for body in (
        {"name": "pmrollup", "url": "/webhooks/jira"}, {"name": "pmrollup", "url": "ftp://example.com/x"},
        {"name": "pmrollup", "url": "https://example.com/x", "events": "jira:issue_updated"},
        {"url": "https://example.com/x"})]
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert [a.json()["errors"] for a in answers] == [
        {"url": "The URL must be an absolute http or https URL."},
        {"url": "The URL must be an absolute http or https URL."}, {},
        {"name": "This field is required."}]
    assert answers[2].json()["errorMessages"] == [
        "Can not deserialize instance of java.util.ArrayList out of VALUE_STRING token"]
    assert requests.get(url, auth=sandbox.admin_auth, timeout=10).json() == []


def test_a_deleted_webhook_gets_nothing(sandbox_factory: SandboxFactory, receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    hook_url = register(sandbox, receiver.url).json()["self"]
    assert requests.delete(hook_url, auth=sandbox.admin_auth, timeout=10).status_code == 204
    sandbox.edit("PAY-4", {"summary": "Unheard"})
    sandbox.wait_deliveries_idle(10)
    assert receiver.received == []


def test_duplicate_fault_delivers_the_same_identifier_twice(sandbox_factory: SandboxFactory,
                                                            receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    register(sandbox, receiver.url)
    sandbox.faults(duplicate_rate=1.0)
    sandbox.edit("PAY-4", {"summary": "Twice"})
    sandbox.wait_deliveries_idle(10)
    identifiers = [h["X-Atlassian-Webhook-Identifier"] for h, _ in receiver.received]
    assert len(identifiers) == 2 and identifiers[0] == identifiers[1]


def test_reorder_fault_delivers_everything_out_of_order(sandbox_factory: SandboxFactory,
                                                        receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    register(sandbox, receiver.url, events=["jira:issue_updated"])
    sandbox.faults(reorder=True, delay_ms=300, random_seed=7)
    sent = [f"Summary {n}" for n in range(8)]
    # The edits are made in process, within a few milliseconds, so every delivery is queued before
    # the first is due: the seeded delays alone decide the order, however slow the machine.
    inside = sandbox.app.test_client()
    for summary in sent:
        assert inside.post("/sandbox/issues/PAY-4", json={"summary": summary}).status_code == 200
    assert sandbox.wait_deliveries_idle(10)
    got = [p["issue"]["fields"]["summary"] for p in receiver.payloads()]
    assert sorted(got) == sorted(sent)
    assert got != sent


def test_links_and_comments_are_announced(sandbox_factory: SandboxFactory, receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    register(sandbox, receiver.url)
    auth = sandbox.admin_auth
    api = f"{sandbox.url}/rest/api/2"
    requests.post(f"{api}/issueLink", json={"type": {"name": "Blocks"}, "inwardIssue": {"key": "PAY-5"},
                                            "outwardIssue": {"key": "WEB-2"}}, auth=auth, timeout=10)
    requests.post(f"{api}/issue/PAY-5/comment", json={"body": "Blocked on web"}, auth=auth, timeout=10)
    sandbox.wait_deliveries_idle(10)
    link, comment = receiver.payloads()
    assert link["webhookEvent"] == "issuelink_created"
    issue_link = link["issueLink"]
    assert (issue_link["sourceIssueId"], issue_link["issueLinkType"]["name"]) == (10004, "Blocks")
    assert comment["webhookEvent"] == "comment_created"
    assert (comment["issue"]["key"], comment["comment"]["body"]) == ("PAY-5", "Blocked on web")


def every_event(sandbox: RunningSandbox) -> None:
    """Cause one event of each kind pmrollup subscribes to."""
    auth, api = sandbox.admin_auth, f"{sandbox.url}/rest/api/2"
    sandbox.create({"key": "PAY-7", "type": "Story", "summary": "New", "parent": "PAY-2",
                    "fields": {"Story Points": 2}})
    sandbox.edit("PAY-7", {"status": "In Progress", "parent": "PAY-2", "fields": {"Story Points": 3}})
    requests.post(f"{api}/issueLink", json={"type": {"name": "Blocks"}, "inwardIssue": {"key": "PAY-7"},
                                            "outwardIssue": {"key": "WEB-2"}}, auth=auth, timeout=10)
    link_id = next(link["id"] for link in sandbox.issue_json("PAY-7")["fields"]["issuelinks"])
    requests.delete(f"{api}/issueLink/{link_id}", auth=auth, timeout=10)
    comment = requests.post(f"{api}/issue/PAY-7/comment", json={"body": "hi"}, auth=auth, timeout=10).json()
    requests.put(f"{api}/issue/PAY-7/comment/{comment['id']}", json={"body": "hello"}, auth=auth, timeout=10)
    sandbox.delete("PAY-7")


def captures_by_event(shared: Path) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((shared / "jira-payloads" / "webhooks").rglob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, dict) and payload.get("webhookEvent"):
            found.setdefault(payload["webhookEvent"], []).append(payload)
    return found


def key_sets(objects: list[Any]) -> tuple[set[str], set[str]]:
    """Return (keys every object has, keys any object has)."""
    sets = [set(o) for o in objects if isinstance(o, dict)]
    return (set.intersection(*sets), set.union(*sets)) if sets else (set(), set())


def mismatches(ours: dict[str, Any], real: list[dict[str, Any]]) -> list[str]:
    """Compare our payload's keys with real ones: nothing invented, nothing they always carry missing."""
    problems = []
    levels: list[tuple[str, Any, list[Any], bool]] = [("top", ours, real, True)]
    for name in ("issue", "comment", "changelog", "issueLink", "user"):
        if name in ours:
            levels.append((name, ours[name], [r.get(name) for r in real], name != "user"))
    for owner in ("author", "updateAuthor"):
        if "comment" in ours:
            levels.append((f"comment.{owner}", ours["comment"][owner],
                           [(r.get("comment") or {}).get(owner) for r in real], False))
    if "changelog" in ours:
        real_items = [i for r in real for i in (r.get("changelog") or {}).get("items", [])]
        for item in ours["changelog"]["items"]:
            levels.append(("changelog.items", item, real_items, True))
    for where, mine, theirs, must_cover in levels:
        always, ever = key_sets(theirs)
        if invented := set(mine) - ever:
            problems.append(f"{where}: keys no real payload has: {sorted(invented)}")
        if must_cover and (missing := always - set(mine)):
            problems.append(f"{where}: keys every real payload has are missing: {sorted(missing)}")
    return problems


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_payload_keys_match_real_captures_for_every_event_type(
    sandbox_factory: SandboxFactory, receiver: Receiver, shared_dir: Path, flavor: str
) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    register(sandbox, receiver.url)
    every_event(sandbox)
    assert sandbox.wait_deliveries_idle(10)
    captures = captures_by_event(shared_dir)
    ours = {p["webhookEvent"]: p for p in receiver.payloads()}
    assert set(ours) == set(ALL_EVENTS)
    checked = [event for event in ours if event in captures]
    assert len(checked) == len(ALL_EVENTS)
    problems = {event: mismatches(ours[event], captures[event]) for event in checked}
    assert {event: p for event, p in problems.items() if p} == {}


@pytest.mark.parametrize("flavor, field", [("cloud", "IssueParentAssociation"), ("datacenter", "Epic Link")])
def test_moving_a_story_to_another_epic_is_logged_as_the_flavor_does(
    sandbox_factory: SandboxFactory, receiver: Receiver, flavor: str, field: str
) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    register(sandbox, receiver.url, events=["jira:issue_updated"])
    sandbox.edit("PAY-5", {"parent": "WEB-1"})
    sandbox.wait_deliveries_idle(10)
    [item] = receiver.payloads()[0]["changelog"]["items"]
    ids = {key: sandbox.issue_json(key)["id"] for key in ("PAY-2", "WEB-1")}
    assert (item["field"], item["from"], item["fromString"], item["to"], item["toString"]) == (
        field, ids["PAY-2"], "PAY-2", ids["WEB-1"], "WEB-1")
