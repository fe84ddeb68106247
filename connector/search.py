"""Run one JQL search to its last page, on Cloud's enhanced search or Data Center's classic one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from jira import JIRA

from connector.errors import ConnectorError

PAGE_SIZE = 100
MAX_PAGES = 10_000
MAX_RECONCILE = 50  # Jira Cloud reconciles at most 50 issues per search

T = TypeVar("T")
Runner = Callable[[Callable[[], T], str], T]


def reconcile_ids(values: Sequence[str | int]) -> list[int]:
    """Return the first 50 issue ids among `values` (Cloud's reconcileIssues takes ids, not keys)."""
    found: list[int] = []
    for value in values:
        text = str(value).strip()
        if text.isdigit():
            found.append(int(text))
    return list(dict.fromkeys(found))[:MAX_RECONCILE]


def search_all(client: JIRA, run: Runner[Any], cloud: bool, jql: str, fields: Sequence[str], *,
               properties: Sequence[str] = (), reconcile: Sequence[str | int] = (),
               expand: str | None = None) -> list[dict[str, Any]]:
    """Return every issue matching `jql`, page by page, each page retried on its own."""
    props = ",".join(properties) or None
    issues: list[dict[str, Any]] = []
    what = f"search {jql[:120]}"
    if cloud:
        ids = reconcile_ids(reconcile) or None
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = run(lambda token=token: client.enhanced_search_issues(  # type: ignore[misc]
                jql, nextPageToken=token, maxResults=PAGE_SIZE, fields=list(fields), expand=expand,
                reconcileIssues=ids, properties=props, json_result=True), what)
            issues.extend(_issues(page))
            token = page.get("nextPageToken") if isinstance(page, dict) else None
            if not token or page.get("isLast") is True or token in seen:
                return issues
            seen.add(token)
        raise ConnectorError(f"{what}: more than {MAX_PAGES} pages")
    start = 0
    for _ in range(MAX_PAGES):
        page = run(lambda start=start: client.search_issues(  # type: ignore[misc]
            jql, startAt=start, maxResults=PAGE_SIZE, fields=list(fields), expand=expand,
            properties=props, json_result=True), what)
        batch = _issues(page)
        issues.extend(batch)
        start += len(batch)
        total = page.get("total") if isinstance(page, dict) else None
        if not batch or not isinstance(total, int) or start >= total:
            return issues
    raise ConnectorError(f"{what}: more than {MAX_PAGES} pages")


def search_page(client: JIRA, cloud: bool, jql: str, fields: Sequence[str],
                size: int) -> list[dict[str, Any]]:
    """Return the first page of `size` issues matching `jql` (one request, not retried here)."""
    search = client.enhanced_search_issues if cloud else client.search_issues
    return _issues(search(jql, maxResults=size, fields=list(fields), json_result=True))


def _issues(page: object) -> list[dict[str, Any]]:
    raw = page.get("issues") if isinstance(page, dict) else None
    return [i for i in raw if isinstance(i, dict)] if isinstance(raw, list) else []
