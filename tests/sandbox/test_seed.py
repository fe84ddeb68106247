"""Seeds load into a believable site, and a bad seed says which issue and field is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.seed import SeedError, build_store, read_seed
from tests.conftest import ROOT, SandboxFactory


def seed(*issues: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"issues": list(issues), **extra}


@pytest.mark.parametrize("bad, message", [
    (seed({"key": "PAY-1", "type": "Story", "summary": "x", "fields": {"Story Points": "five"}},
          fields=[{"name": "Story Points", "type": "number"}]),
     "issue PAY-1, field 'Story Points': expected a number"),
    (seed({"key": "PAY-1", "type": "Story", "summary": "x", "status": "Blocked"}),
     "issue PAY-1: status 'Blocked' is not a known status"),
    (seed({"key": "PAY-2", "type": "Story", "summary": "x", "parent": "PAY-9"}),
     "issue PAY-2, field 'parent': 'PAY-9' is not in the seed"),
    (seed({"key": "pay one", "type": "Story", "summary": "x"}), "issue 'pay one': key must look like PAY-12"),
    (seed({"key": "PAY-1", "type": "Story", "summary": "x", "fields": {"Due date": "soon"}}),
     "issue PAY-1, field 'Due date': expected a date"),
    (seed({"key": "PAY-1", "type": "Story", "summary": "x", "fields": {"Health": "great"}},
          fields=[{"name": "Health", "type": "select", "options": ["on-track"]}]),
     "issue PAY-1, field 'Health': expected one of ['on-track']"),
    (seed({"key": "PAY-1", "type": "Story", "summary": "x"},
          links=[{"type": "Blocks", "from": "PAY-1", "to": "X-1"}]),
     "links[0]: to issue 'X-1' is not in the seed"),
])
def test_a_bad_seed_names_the_issue_and_field(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedError, match="^" + message.replace("[", r"\[").replace("]", r"\]")):
        build_store(bad, "cloud")


def test_custom_field_ids_follow_declaration_then_first_use() -> None:
    store = build_store(seed({"key": "PAY-1", "type": "Epic", "summary": "x", "fields": {"Risk": "low"}},
                             fields=[{"name": "Budget", "type": "number"}]), "datacenter")
    ids = {d.name: d.id for d in store.fields.values() if d.custom}
    assert ids == {"Budget": "customfield_10000", "Risk": "customfield_10001",
                   "Epic Link": "customfield_10002", "Parent Link": "customfield_10003"}


def test_without_users_the_default_admin_can_log_in(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(seed({"key": "PAY-1", "type": "Epic", "summary": "x"}))
    me = requests.get(f"{sandbox.url}/rest/api/2/myself", auth=("admin@example.com", "token"), timeout=10)
    assert me.status_code == 200


def test_a_seed_can_be_yaml_text() -> None:
    data = read_seed("issues:\n  - {key: OPS-1, type: Task, summary: Patch servers}\n")
    assert build_store(data, "cloud").issues["OPS-1"].summary == "Patch servers"


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_demo_seed_loads_on_both_flavors(flavor: str) -> None:
    demo = ROOT / "sandbox" / "seeds" / "demo.yaml"
    store = build_store(read_seed(Path(demo)), flavor)
    assert len(store.issues) >= 40
    assert any(issue.type == "Initiative" for issue in store.issues.values())


def test_seed_history_shows_in_the_changelog(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    response = requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-3", params={"expand": "changelog"},
                            auth=sandbox.admin_auth, timeout=10)
    histories = response.json()["changelog"]["histories"]
    assert [(h["created"][:10], h["items"][0]["toString"]) for h in histories] == [
        ("2026-02-15", "Done"), ("2026-02-01", "In Progress")]


def test_sandbox_create_edit_and_delete_show_through_the_api(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    sandbox.create({"key": "PAY-7", "type": "Story", "summary": "Refunds", "parent": "PAY-2",
                    "status": "In Progress", "fields": {"Story Points": 3, "Labels": ["refunds"]}})
    sandbox.edit("PAY-7", {"parent": "WEB-1", "fields": {"Story Points": 5}})
    fields = sandbox.issue_json("PAY-7")["fields"]
    assert (fields["customfield_10000"], fields["labels"], fields["status"]["name"]) == (5, ["refunds"],
                                                                                         "In Progress")
    epic_link = next(f["id"] for f in requests.get(f"{sandbox.url}/rest/api/2/field", auth=sandbox.admin_auth,
                                                   timeout=10).json() if f["name"] == "Epic Link")
    assert fields[epic_link] == "WEB-1"
    sandbox.delete("PAY-7")
    gone = requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-7", auth=sandbox.admin_auth, timeout=10)
    assert gone.status_code == 404


def test_a_sandbox_edit_with_an_unknown_status_is_refused(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    response = requests.post(f"{sandbox.url}/sandbox/issues/PAY-4", json={"status": "Blocked"}, timeout=10)
    assert response.status_code == 400
    assert response.json()["errorMessages"] == ["Status 'Blocked' does not exist."]
