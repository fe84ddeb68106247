"""The names of Jira's webhook events: the ones pmrollup acts on and the ones it ignores.

https://developer.atlassian.com/cloud/jira/platform/webhooks/
"""

from __future__ import annotations

ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
LINK_EVENTS = ("issuelink_created", "issuelink_deleted")
WORKLOG_EVENTS = ("worklog_created", "worklog_updated", "worklog_deleted")
# The name older Jira versions send for a worklog's change, with the whole issue in the body;
# no webhook is registered for it, but a delivery of it is acted on.
OLD_WORKLOG_EVENT = "jira:worklog_updated"

# The events `pmrollup webhook` registers, by their admin-webhook names.
WEBHOOK_EVENTS = (*ISSUE_EVENTS, *LINK_EVENTS, *WORKLOG_EVENTS)
# The events the worker turns into recomputes.
ACTED_EVENTS = frozenset({*WEBHOOK_EVENTS, OLD_WORKLOG_EVENT})

# Well-formed events pmrollup does not act on: answered 200 with one log line.
IGNORED_EVENT_PREFIXES = (
    "comment_", "sprint_", "board_", "user_", "project_", "version_", "attachment_", "option_",
    "issuetype_", "issue_property_", "jira:version_", "filter_", "component_", "webhook_",
)
