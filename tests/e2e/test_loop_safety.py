"""Which updates are pmrollup's own writes coming back, read from real Jira deliveries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from webhooks.worker.ownwrites import changelog_items, is_own_write

OWN = frozenset({"progress %", "health", "customfield_10100"})
MATTERMOST = "jira-payloads/webhooks/mattermost__mattermost-plugin-jira"


def capture(shared_dir: Path, name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((shared_dir / name).read_text())
    return found


def own(payload: dict[str, Any], rule_labels: frozenset[str] = frozenset()) -> bool:
    return is_own_write(changelog_items(payload), payload, OWN, rule_labels)


def test_comment_only_updates_are_not_recomputed(shared_dir: Path) -> None:
    assert own(capture(shared_dir, f"{MATTERMOST}/webhook-server-issue-updated-commented-1.json"))
    assert own(capture(shared_dir, "jira-payloads/webhooks/jenkinsci__jira-trigger-plugin/"
                                   "integration_addComment.json"))


def test_a_person_changing_labels_or_other_fields_is_recomputed(shared_dir: Path) -> None:
    assert not own(capture(shared_dir, f"{MATTERMOST}/webhook-issue-updated-labels.json"))
    assert not own(capture(shared_dir, f"{MATTERMOST}/webhook-cloud-issue-updated-custom-field.json"))


def test_only_pmrollups_fields_and_labels_changing_is_its_own_write() -> None:
    def update(*items: dict[str, Any]) -> dict[str, Any]:
        return {"webhookEvent": "jira:issue_updated", "changelog": {"items": list(items)}}

    output = {"field": "Progress %", "fieldId": "customfield_10050", "fromString": "50", "toString": "60"}
    by_id = {"field": "Renamed by admin", "fieldId": "customfield_10100", "fromString": "", "toString": "1"}
    labels = {"field": "labels", "fromString": "payments", "toString": "payments pmrollup-blocked"}
    rule_label = {"field": "labels", "fromString": "payments", "toString": "payments late"}
    status = {"field": "status", "fromString": "To Do", "toString": "Done"}
    assert own(update(output, by_id, labels))
    assert own(update(rule_label), frozenset({"late"}))
    assert not own(update(rule_label))
    assert not own(update(output, status))
    assert not own({"webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_generic"})
