"""What every sandbox view needs: the site serving the request, its user, Jira's error shape and
the request's JSON body."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response, g, jsonify, request

from sandbox.deliveries import Deliveries
from sandbox.events import Announcer
from sandbox.faults import FaultInjector
from sandbox.model import User
from sandbox.search import Searcher
from sandbox.store import Store, StoreError, wrong_shape

ANONYMOUS_PATHS = ("/rest/api/2/serverInfo", "/rest/api/3/serverInfo", "/rest/api/latest/serverInfo")
NOT_AUTHENTICATED = "Client must be authenticated to access this resource."
NO_CONTENT = "No content to map to Object due to end of input"
SITE_KEY = "sandbox.site"  # the WSGI environ key that carries the site a request is served by


@dataclass
class Site:
    """Everything one sandbox serves: data, search, webhooks, faults and the request log."""

    store: Store
    searcher: Searcher
    deliveries: Deliveries
    announcer: Announcer
    faults: FaultInjector
    requests: list[dict[str, Any]] = field(default_factory=list)
    requests_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def flavor(self) -> str:
        return self.store.flavor


def site() -> Site:
    """Return the site the current request is served by."""
    found: Site = request.environ[SITE_KEY]
    return found


def actor() -> User:
    """Return the authenticated user of the current request."""
    user: User = g.user
    return user


def error(status: int, messages: list[str], errors: Mapping[str, str] | None = None) -> Response:
    """Answer in Jira's ErrorCollection shape."""
    response = jsonify({"errorMessages": messages, "errors": dict(errors or {})})
    response.status_code = status
    return response


def json_object() -> dict[str, Any]:
    """Return the request's JSON object body, or raise Jira's 400 for any other body."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        raise StoreError(NO_CONTENT)
    try:
        body = json.loads(raw)
    except ValueError:
        raise StoreError("Unexpected character in the request body: it is not valid JSON.") from None
    if body is None:
        raise StoreError(NO_CONTENT)
    if not isinstance(body, dict):
        raise wrong_shape(body)
    return body
