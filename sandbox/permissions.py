"""Jira's built-in permissions, and which of them a sandbox user holds.

A site admin holds every permission. Other users hold the project permissions of Jira's default
"Developers" role unless their seed entry lists their own (`permissions: [BROWSE_PROJECTS]`).
See https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-permission-schemes/#built-in-permissions
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.model import User


@dataclass(frozen=True)
class Permission:
    id: str
    key: str
    name: str
    type: str  # GLOBAL | PROJECT
    description: str


PERMISSIONS: tuple[Permission, ...] = (
    Permission("0", "ADMINISTER", "Administer Jira", "GLOBAL",
               "Create and administer projects, issue types, fields, workflows and schemes."),
    Permission("44", "SYSTEM_ADMIN", "Administer Jira system", "GLOBAL", "Configure the Jira system."),
    Permission("27", "USER_PICKER", "Browse users and groups", "GLOBAL",
               "View and select users or groups from the user picker."),
    Permission("22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", "GLOBAL",
               "Share dashboards and filters with other users."),
    Permission("33", "BULK_CHANGE", "Make bulk changes", "GLOBAL", "Modify collections of issues at once."),
    Permission("23", "ADMINISTER_PROJECTS", "Administer Projects", "PROJECT",
               "Ability to administer a project in Jira."),
    Permission("10", "BROWSE_PROJECTS", "Browse Projects", "PROJECT",
               "Ability to browse projects and the issues within them."),
    Permission("11", "CREATE_ISSUES", "Create Issues", "PROJECT", "Ability to create issues."),
    Permission("12", "EDIT_ISSUES", "Edit Issues", "PROJECT", "Ability to edit issues."),
    Permission("13", "ASSIGN_ISSUES", "Assign Issues", "PROJECT",
               "Ability to assign issues to other people."),
    Permission("14", "RESOLVE_ISSUES", "Resolve Issues", "PROJECT",
               "Ability to resolve and reopen issues, and to set a fix version."),
    Permission("46", "TRANSITION_ISSUES", "Transition Issues", "PROJECT", "Ability to transition issues."),
    Permission("16", "DELETE_ISSUES", "Delete Issues", "PROJECT", "Ability to delete issues."),
    Permission("21", "LINK_ISSUES", "Link Issues", "PROJECT", "Ability to link issues together."),
    Permission("15", "ADD_COMMENTS", "Add Comments", "PROJECT", "Ability to comment on issues."),
    Permission("34", "EDIT_ALL_COMMENTS", "Edit All Comments", "PROJECT", "Ability to edit all comments."),
    Permission("35", "EDIT_OWN_COMMENTS", "Edit Own Comments", "PROJECT", "Ability to edit own comments."),
    Permission("36", "DELETE_ALL_COMMENTS", "Delete All Comments", "PROJECT",
               "Ability to delete all comments."),
    Permission("37", "DELETE_OWN_COMMENTS", "Delete Own Comments", "PROJECT",
               "Ability to delete own comments."),
)
BY_KEY = {p.key: p for p in PERMISSIONS}
DEVELOPER = frozenset({"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ASSIGN_ISSUES", "RESOLVE_ISSUES",
                       "TRANSITION_ISSUES", "LINK_ISSUES", "ADD_COMMENTS", "EDIT_OWN_COMMENTS",
                       "DELETE_OWN_COMMENTS", "USER_PICKER", "CREATE_SHARED_OBJECTS"})


def holds(user: User, key: str) -> bool:
    """Say whether a user holds a permission."""
    if user.admin:
        return True
    return key in (DEVELOPER if user.permissions is None else user.permissions)


def unknown_keys(keys: list[str]) -> list[str]:
    return [k for k in keys if k not in BY_KEY]
