"""The gateway the service and the CLI hold: one lazily created `jira.JIRA` behind short methods."""

from __future__ import annotations

from connector.base import STATE_PROPERTIES, Credentials
from connector.fieldmap import FieldCatalog, FieldIds, FieldInfo
from connector.hierarchy import Location
from connector.history import Change, Comment
from connector.reads import HierarchyReads
from connector.retry import RetryPolicy
from connector.site import SiteCalls
from connector.writer import IssueWrites

__all__ = ["STATE_PROPERTIES", "Change", "Comment", "Credentials", "FieldCatalog", "FieldIds",
           "FieldInfo", "JiraGateway", "Location", "RetryPolicy"]


class JiraGateway(HierarchyReads, IssueWrites, SiteCalls):
    """Every Jira call pmrollup makes, retried by one policy and answered as dataclasses: its public
    methods are the only way the rest of pmrollup talks to Jira."""
