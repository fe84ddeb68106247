"""What `pmrollup check` asks Jira about the site: edit screens, the account's permissions, samples."""

from __future__ import annotations

from collections.abc import Sequence

from connector.base import GatewayBase
from connector.hierarchy import check_key
from connector.payload import dig, text

# The project permissions pmrollup's writes need: fields and labels, then comments.
WRITE_PERMISSIONS = ("EDIT_ISSUES", "ADD_COMMENTS")


def edit_screen_fields(gateway: GatewayBase, key: str) -> set[str]:
    """Return the ids of the fields on the issue's edit screen (what `editmeta` lists)."""
    key = check_key(key)
    meta = gateway._call(f"GET editmeta {key}", lambda: gateway.client().editmeta(key))
    fields = meta.get("fields") if isinstance(meta, dict) else None
    return set(fields) if isinstance(fields, dict) else set()


def my_permissions(gateway: GatewayBase, key: str,
                   names: Sequence[str] = WRITE_PERMISSIONS) -> dict[str, bool]:
    """Return, for each permission, whether pmrollup's account holds it on the issue."""
    key = check_key(key)
    wanted = ",".join(names)
    answer = gateway._call(f"GET mypermissions {key}", lambda: gateway.client().my_permissions(
        issueKey=key, permissions=wanted))
    return {name: dig(answer, "permissions", name, "havePermission") is True for name in names}


def first_of_each_level(gateway: GatewayBase) -> dict[str, str]:
    """Return one issue key per level pmrollup writes to (program, project), where the site has one."""
    gateway.field_catalog()  # fills the library's JQL name map, which would otherwise cost a request
    found: dict[str, str] = {}
    for level, jql in (("program", gateway.jql.programs()), ("project", gateway.jql.all_projects())):
        page = gateway._call(f"search one {level}", lambda jql=jql: _first_page(gateway, jql))  # type: ignore[misc]
        issues = page.get("issues") if isinstance(page, dict) else None
        key = text(dig(issues[0], "key")) if isinstance(issues, list) and issues else None
        if key:
            found[level] = key
    return found


def _first_page(gateway: GatewayBase, jql: str) -> object:
    client = gateway.client()
    if gateway.cloud:
        return client.enhanced_search_issues(jql, maxResults=1, fields=["issuetype"], json_result=True)
    return client.search_issues(jql, maxResults=1, fields=["issuetype"], json_result=True)
