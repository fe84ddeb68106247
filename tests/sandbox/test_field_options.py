"""Cloud's field contexts and options: what an admin adds there is what editmeta offers and edits accept."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory

SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
DEVELOPER = ("dev@example.com", "devtoken")


def rest(sandbox: RunningSandbox, method: str, path: str, auth: tuple[str, str] | None = None,
         **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{sandbox.url}/rest/api/3/{path}", auth=auth or sandbox.admin_auth,
                            timeout=10, **kwargs)


def client(sandbox: RunningSandbox) -> JIRA:
    return JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)


def new_select(sandbox: RunningSandbox, name: str = "Confidence") -> tuple[str, str]:
    """Create a select field the way pmrollup does and return (field id, its context id)."""
    field_id = rest(sandbox, "POST", "field", json={"name": name, "type": SELECT}).json()["id"]
    [context] = rest(sandbox, "GET", f"field/{field_id}/context").json()["values"]
    return field_id, context["id"]


def health(sandbox: RunningSandbox) -> tuple[str, str]:
    field = next(f for f in rest(sandbox, "GET", "field").json() if f["name"] == "Health")
    [context] = rest(sandbox, "GET", f"field/{field['id']}/context").json()["values"]
    return field["id"], context["id"]


def allowed(jira: JIRA, key: str, field_id: str) -> list[str]:
    return [o["value"] for o in jira.editmeta(key)["fields"][field_id].get("allowedValues", [])]


def test_a_new_custom_field_has_one_global_context(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id = rest(sandbox, "POST", "field", json={"name": "Confidence", "type": SELECT}).json()["id"]
    page = rest(sandbox, "GET", f"field/{field_id}/context").json()
    assert (page["total"], page["isLast"]) == (1, True)
    [context] = page["values"]
    assert (context["isGlobalContext"], context["isAnyIssueType"]) == (True, True)


def test_options_added_to_the_context_are_offered_by_editmeta_and_accepted_by_edits(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = new_select(sandbox)
    added = rest(sandbox, "POST", f"field/{field_id}/context/{context_id}/option",
                 json={"options": [{"value": "low", "disabled": False}, {"value": "high"}]})
    assert added.status_code == 200
    assert [(o["value"], o["disabled"]) for o in added.json()["options"]] == [("low", False), ("high", False)]
    jira = client(sandbox)
    assert allowed(jira, "PAY-2", field_id) == ["low", "high"]
    jira.issue("PAY-2").update(fields={field_id: {"value": "high"}})
    assert sandbox.issue_json("PAY-2")["fields"][field_id]["value"] == "high"
    listed = rest(sandbox, "GET", f"field/{field_id}/context/{context_id}/option").json()
    assert [o["value"] for o in listed["values"]] == ["low", "high"]


def test_an_option_already_there_is_refused_whatever_its_case_and_nothing_is_added(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = health(sandbox)
    refused = rest(sandbox, "POST", f"field/{field_id}/context/{context_id}/option",
                   json={"options": [{"value": "blocked"}, {"value": "At-Risk"}]})
    assert refused.status_code == 400
    assert refused.json()["errorMessages"] == ["The option 'At-Risk' already exists for this field context."]
    assert allowed(client(sandbox), "PAY-2", field_id) == ["on-track", "at-risk", "off-track"]


def test_a_renamed_option_shows_its_new_name_on_the_issues_holding_it(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = health(sandbox)
    jira = client(sandbox)
    jira.issue("PAY-2").update(fields={field_id: {"value": "at-risk"}})
    at_risk = next(o for o in jira.editmeta("PAY-2")["fields"][field_id]["allowedValues"]
                   if o["value"] == "at-risk")
    renamed = rest(sandbox, "PUT", f"field/{field_id}/context/{context_id}/option",
                   json={"options": [{"id": at_risk["id"], "value": "At risk"}]})
    assert renamed.status_code == 200
    assert sandbox.issue_json("PAY-2")["fields"][field_id] == {**at_risk, "value": "At risk"}


def test_a_disabled_option_is_no_longer_offered_nor_accepted(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = health(sandbox)
    jira = client(sandbox)
    off_track = next(o for o in jira.editmeta("PAY-2")["fields"][field_id]["allowedValues"]
                     if o["value"] == "off-track")
    rest(sandbox, "PUT", f"field/{field_id}/context/{context_id}/option",
         json={"options": [{"id": off_track["id"], "disabled": True}]})
    assert allowed(jira, "PAY-2", field_id) == ["on-track", "at-risk"]
    with pytest.raises(JIRAError) as refused:
        jira.issue("PAY-2").update(fields={field_id: {"value": "off-track"}})
    assert refused.value.response is not None
    assert refused.value.response.json()["errors"] == {field_id: "Specify a valid 'id' or 'name' for Health"}


def test_a_deleted_option_leaves_the_issues_that_held_it_empty(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = health(sandbox)
    jira = client(sandbox)
    jira.issue("PAY-2").update(fields={field_id: {"value": "on-track"}})
    option_id = sandbox.issue_json("PAY-2")["fields"][field_id]["id"]
    deleted = rest(sandbox, "DELETE", f"field/{field_id}/context/{context_id}/option/{option_id}")
    assert deleted.status_code == 204
    assert sandbox.issue_json("PAY-2")["fields"][field_id] is None
    assert allowed(jira, "PAY-2", field_id) == ["at-risk", "off-track"]
    again = rest(sandbox, "DELETE", f"field/{field_id}/context/{context_id}/option/{option_id}")
    assert again.status_code == 404


def test_an_unknown_field_context_or_option_is_a_404(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = health(sandbox)
    answers = [rest(sandbox, "GET", "field/customfield_99999/context"),
               rest(sandbox, "GET", "field/summary/context"),
               rest(sandbox, "GET", f"field/{field_id}/context/1/option"),
               rest(sandbox, "PUT", f"field/{field_id}/context/{context_id}/option",
                    json={"options": [{"id": "1", "value": "x"}]})]
    assert [a.status_code for a in answers] == [404, 404, 404, 404]
    assert all(a.json()["errorMessages"] for a in answers)


def test_options_belong_to_select_fields_only(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    points = next(f for f in rest(sandbox, "GET", "field").json() if f["name"] == "Story Points")
    [context] = rest(sandbox, "GET", f"field/{points['id']}/context").json()["values"]
    refused = rest(sandbox, "POST", f"field/{points['id']}/context/{context['id']}/option",
                   json={"options": [{"value": "big"}]})
    assert refused.status_code == 400
    assert refused.json()["errorMessages"] == ["The custom field doesn't support options."]


def test_only_an_admin_manages_options(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field_id, context_id = health(sandbox)
    refused = rest(sandbox, "POST", f"field/{field_id}/context/{context_id}/option", auth=DEVELOPER,
                   json={"options": [{"value": "blocked"}]})
    assert refused.status_code == 403


def test_datacenter_has_no_field_context_endpoints(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    fields = requests.get(f"{sandbox.url}/rest/api/2/field", auth=sandbox.admin_auth, timeout=10).json()
    field_id = next(f["id"] for f in fields if f["name"] == "Health")
    answer = requests.get(f"{sandbox.url}/rest/api/2/field/{field_id}/context", auth=sandbox.admin_auth,
                          timeout=10)
    assert answer.status_code == 404
    assert answer.json()["errorMessages"][0].startswith("null for uri: ")
