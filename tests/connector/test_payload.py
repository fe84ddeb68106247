"""The webhook reader turns every real Jira delivery into an event or a reason."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.payload import ParentChange, Unusable, WebhookEvent, read_payload
from tests.connector.shared import captures, load

VOCAB = ["webhookEvent", "issue", "fields", "parent", "key", "id", "changelog", "items", "field",
         "from", "to", "fromString", "toString", "issueLink", "sourceIssueId", "destinationIssueId",
         "issueLinkType", "name", "worklog", "issueId", "user", "accountId", "timestamp", "project",
         "issuetype", "comment", "author", "customfield_10014"]
EVENTS = ["jira:issue_updated", "jira:issue_created", "issuelink_created", "worklog_created",
          "comment_created", "sprint_started"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
    | st.sampled_from(EVENTS + ["IssueParentAssociation", "Epic Link", "PAY-12 Ledger"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(VOCAB) | st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


def _find(name: str) -> Path:
    return next(p for p in captures("webhooks") if p.name == name)


def test_every_real_delivery_is_read_without_error() -> None:
    files = captures("webhooks")
    assert len(files) > 50
    for path in files:
        body = load(path)
        result = read_payload(body)
        if isinstance(body, dict) and "webhookEvent" in body:
            assert isinstance(result, WebhookEvent), (path, result)
            assert result.event == body["webhookEvent"]
            issue = body.get("issue")
            if isinstance(issue, dict):
                assert result.issue_key == issue.get("key"), path
                assert result.issue_id == str(issue.get("id")), path
        else:
            assert isinstance(result, Unusable) and "webhookEvent" in result.reason, path


def test_issue_update_gives_key_id_type_project_user_and_changed_fields() -> None:
    body = load(_find("issue_updated__status.json"))
    event = read_payload(body)
    assert isinstance(event, WebhookEvent)
    assert event.event == "jira:issue_updated"
    assert event.issue_key == body["issue"]["key"]
    assert event.issue_id == body["issue"]["id"]
    assert event.issue_type == body["issue"]["fields"]["issuetype"]["name"]
    assert event.project_key == body["issue"]["fields"]["project"]["key"]
    assert event.changed_fields == ("status",)
    assert event.user == body["user"]["accountId"]
    assert event.timestamp == body["timestamp"]
    assert event.event_type == "issue_generic"


def test_issuelink_events_give_both_ends_and_the_link_type() -> None:
    for name in ("issuelink_created.json", "issuelink_deleted.json"):
        body = load(_find(name))
        event = read_payload(body)
        assert isinstance(event, WebhookEvent)
        assert event.link is not None
        assert event.link.source_id == str(body["issueLink"]["sourceIssueId"])
        assert event.link.destination_id == str(body["issueLink"]["destinationIssueId"])
        assert event.link.link_id == str(body["issueLink"]["id"])
        assert event.link.link_type == body["issueLink"]["issueLinkType"]["name"]
        assert event.issue_key is None


def test_worklog_event_names_the_issue_by_id() -> None:
    body = load(_find("worklog_created.json"))
    event = read_payload(body)
    assert isinstance(event, WebhookEvent)
    assert event.worklog_issue_id == body["worklog"]["issueId"]
    assert event.user == body["worklog"]["updateAuthor"]["accountId"]


def test_a_body_without_webhook_event_is_unusable_with_a_reason() -> None:
    result = read_payload(load(_find("example_anomalous_payload.json")))
    assert result == Unusable("no webhookEvent: not a Jira webhook delivery")
    assert isinstance(read_payload([1, 2]), Unusable)
    assert "not a JSON object" in read_payload(None).reason  # type: ignore[union-attr]


def test_issue_event_without_an_issue_is_unusable() -> None:
    result = read_payload({"webhookEvent": "jira:issue_updated", "timestamp": 1})
    assert isinstance(result, Unusable) and "issue" in result.reason


def test_link_event_missing_an_end_is_unusable() -> None:
    result = read_payload({"webhookEvent": "issuelink_created", "issueLink": {"id": 5, "sourceIssueId": 1}})
    assert isinstance(result, Unusable) and "both ends" in result.reason


def test_cloud_parent_move_gives_old_and_new_parent() -> None:
    body = {
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": "10042", "key": "PAY-12", "fields": {"parent": {"id": "10003", "key": "PAY-3"}}},
        "changelog": {"items": [
            {"field": "IssueParentAssociation", "fieldtype": "jira", "from": "10002",
             "fromString": "PAY-2", "to": "10003", "toString": "PAY-3"},
            {"field": "Story Points", "from": None, "fromString": "3", "to": None, "toString": "5"},
        ]},
    }
    event = read_payload(body)
    assert isinstance(event, WebhookEvent)
    assert event.parent_changes == (ParentChange("parent", "PAY-2", "10002", "PAY-3", "10003"),)
    assert event.current_parent == "PAY-3"
    assert event.changed_fields == ("IssueParentAssociation", "Story Points")


def test_datacenter_epic_link_move_reads_keys_and_current_epic_from_the_custom_field() -> None:
    body = {
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": 7, "key": "WEB-9", "fields": {"customfield_10100": "WEB-1"}},
        "changelog": {"items": [{"field": "Epic Link", "from": "10001", "fromString": "PAY-2",
                                 "to": "10005", "toString": "WEB-1"}]},
    }
    event = read_payload(body, epic_link_id="customfield_10100")
    assert isinstance(event, WebhookEvent)
    assert event.parent_changes == (ParentChange("Epic Link", "PAY-2", "10001", "WEB-1", "10005"),)
    assert event.current_parent == "WEB-1"
    assert event.issue_id == "7"


def test_parent_removed_gives_no_new_parent() -> None:
    body = {"webhookEvent": "jira:issue_updated", "issue": {"id": "1", "key": "A-1", "fields": {}},
            "changelog": {"items": [{"field": "Parent Link", "from": "10", "fromString": "A-9 Big bet",
                                     "to": None, "toString": None}]}}
    event = read_payload(body)
    assert isinstance(event, WebhookEvent)
    assert event.parent_changes == (ParentChange("Parent Link", "A-9", "10", None, None),)
    assert event.current_parent is None


@settings(max_examples=200)
@given(json_values)
def test_arbitrary_json_never_raises(body: object) -> None:
    result = read_payload(body, epic_link_id="customfield_10014", parent_link_id="parent")
    assert isinstance(result, WebhookEvent | Unusable)


@settings(max_examples=150)
@given(st.sampled_from(EVENTS), st.dictionaries(st.sampled_from(VOCAB), json_values, max_size=6))
def test_arbitrary_shapes_under_a_real_event_name_never_raise(event: str, rest: dict[str, object]) -> None:
    result = read_payload({**rest, "webhookEvent": event})
    assert isinstance(result, WebhookEvent | Unusable)
