"""Jira's offset paging (`startAt`, `maxResults`) and its PageBean answer shape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from flask import request

from sandbox.store import StoreError


def as_int(value: Any, name: str, default: int) -> int:
    """Read an integer parameter, refusing one that is not, as Jira's 400 does."""
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StoreError(f"The value '{value}' is invalid for the {name} parameter.") from None


def query_list(name: str) -> list[str]:
    """Read a query parameter given repeated, comma-separated, or both."""
    return [part.strip() for value in request.args.getlist(name) for part in value.split(",") if part.strip()]


def page_bean(items: Sequence[Any], default_size: int, limit: int) -> dict[str, Any]:
    """Return one page of `items` for this request's startAt and maxResults, as a PageBean."""
    start = max(0, as_int(request.args.get("startAt"), "startAt", 0))
    size = max(0, min(as_int(request.args.get("maxResults"), "maxResults", default_size), limit))
    values = list(items[start:start + size])
    here, query = request.base_url, request.args.to_dict()
    body: dict[str, Any] = {"self": f"{here}?{urlencode({**query, 'startAt': start})}",
                            "maxResults": size, "startAt": start, "total": len(items),
                            "isLast": start + size >= len(items), "values": values}
    if not body["isLast"]:
        body["nextPage"] = f"{here}?{urlencode({**query, 'startAt': start + size, 'maxResults': size})}"
    return body
