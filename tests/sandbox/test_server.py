"""The sandbox as an admin meets it: served from the command line, with fields to create."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT, SMALL_SEED, SandboxFactory


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_prints_how_to_connect_and_stops_cleanly_on_ctrl_c_or_sigterm(stop: signal.Signals) -> None:
    # Started as a shell's background job is (SIGINT ignored), where Ctrl-C used to do nothing.
    code = f"from sandbox.server import serve; serve({str(SMALL_SEED)!r}, 'datacenter', '127.0.0.1', 0)"
    command = f"trap '' INT; exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    process = subprocess.Popen(["bash", "-c", command], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" at ")[1].strip()
        lines = [process.stdout.readline() for _ in range(3)]
        assert "admin@example.com / token token" in "".join(lines)
        info = requests.get(f"{url}/rest/api/2/serverInfo", timeout=10).json()
        assert info["deploymentType"] == "Server"
    finally:
        process.send_signal(stop)
        try:
            status = process.wait(timeout=30)
        finally:
            process.kill()
    _, err = process.communicate()
    assert status == 0, err
    assert "Traceback" not in err


def test_an_admin_creates_a_select_field_that_issues_then_use(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    body = {"name": "Confidence", "type": "com.atlassian.jira.plugin.system.customfieldtypes:select"}
    created = requests.post(f"{sandbox.url}/rest/api/2/field", json=body, auth=sandbox.admin_auth, timeout=10)
    assert created.status_code == 201
    field = created.json()
    assert (field["schema"]["type"], field["clauseNames"][1]) == ("option", "Confidence")
    contexts = f"{sandbox.url}/rest/api/2/field/{field['id']}/context"
    [context] = requests.get(contexts, auth=sandbox.admin_auth, timeout=10).json()["values"]
    options = {"options": [{"value": "low"}, {"value": "high"}]}
    added = requests.post(f"{contexts}/{context['id']}/option", json=options, auth=sandbox.admin_auth,
                          timeout=10)
    assert added.status_code == 200
    edit = {"fields": {field["id"]: {"value": "high"}}}
    put = requests.put(f"{sandbox.url}/rest/api/2/issue/PAY-2", json=edit, auth=sandbox.admin_auth,
                       timeout=10)
    assert put.status_code == 204
    assert sandbox.issue_json("PAY-2")["fields"][field["id"]]["value"] == "high"


def test_only_an_admin_creates_fields(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    body = {"name": "Mood", "type": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"}
    developer = ("dev@example.com", "devtoken")
    refused = requests.post(f"{sandbox.url}/rest/api/2/field", json=body, auth=developer, timeout=10)
    assert refused.status_code == 403


def test_missing_credentials_are_refused_except_for_server_info(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    assert requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-2", timeout=10).status_code == 401
    assert requests.get(f"{sandbox.url}/rest/api/2/serverInfo", timeout=10).status_code == 200


def test_an_issue_is_found_by_numeric_id_as_well_as_key(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    by_key = sandbox.issue_json("PAY-2")
    assert sandbox.issue_json(by_key["id"])["key"] == "PAY-2"


def test_v3_renders_descriptions_and_comments_as_documents(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    auth = sandbox.admin_auth
    requests.put(f"{sandbox.url}/rest/api/2/issue/PAY-2", json={"fields": {"description": "Line one"}},
                 auth=auth, timeout=10)
    comment = {"body": "Plain"}
    requests.post(f"{sandbox.url}/rest/api/2/issue/PAY-2/comment", json=comment, auth=auth, timeout=10)
    v3 = sandbox.issue_json("PAY-2", version="3")["fields"]
    assert v3["description"]["type"] == "doc"
    assert v3["comment"]["comments"][0]["body"]["content"][0]["content"][0]["text"] == "Plain"
    assert sandbox.issue_json("PAY-2")["fields"]["description"] == "Line one"
