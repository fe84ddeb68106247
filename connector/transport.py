"""The `jira.JIRA` client of one gateway, and the few REST calls pmrollup makes beside its public API.

The gateway talks to Jira through the library's public methods wherever they cost no extra request.
This module is the one place it reaches past them, each reach saying why: an endpoint the library
has no method for, a method that costs another request, and two things the library offers no public
way to do (count its responses, take the field names it would otherwise fetch). Every call here
goes through the library's own session, so authentication, timeouts and its error type (JIRAError,
which connector.retry reads) are the same as for its public methods."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
from jira import JIRA

# The REST API version the library is told to use, so that the URLs built here are its URLs.
REST_API_VERSION = "2"

ResponseHook = Callable[[requests.Response], None]


class JiraConnection:
    """One lazily created `jira.JIRA` and the raw calls beside it; no retries here (the gateway's)."""

    def __init__(self, url: str, auth: Mapping[str, Any], *, cloud: bool, verify_ssl: bool,
                 timeout: float, on_response: ResponseHook) -> None:
        self.url = url
        self._auth = dict(auth)
        self._cloud = cloud
        self._verify_ssl = verify_ssl
        self._timeout = timeout
        self._on_response = on_response
        self._client: JIRA | None = None
        self._lock = threading.Lock()

    def library(self) -> JIRA:
        """Return the `jira.JIRA`, created on first use (creating it makes no request)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> JIRA:
        # max_retries=0: the library's own retries can wait less than Retry-After; ours cannot.
        options: dict[str, Any] = {"verify": self._verify_ssl, "check_update": False,
                                   "rest_api_version": REST_API_VERSION}
        client = JIRA(server=self.url, options=options, max_retries=0, get_server_info=False,
                      timeout=self._timeout, **self._auth)
        # The flavor is configured, so serverInfo need not be fetched to learn it.
        client.deploymentType = "Cloud" if self._cloud else "Server"
        # The library has no public hook on its responses; its session is a requests.Session.
        _session(client).hooks["response"].append(self._count)
        return client

    def _count(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self._on_response(response)

    def name_fields(self, clause_names: Mapping[str, str]) -> None:
        """Hand the library the JQL name -> field id map it keeps for translating search fields.

        Before each search it reads that map, and fetches GET /rest/api/2/field when it is empty;
        it has no public setter, and the gateway has read /field already for its own catalog."""
        self.library()._fields_cache_value = dict(clause_names) or {"key": "key"}

    # -- endpoints whose library method costs another request

    def edit_issue(self, key: str, body: Mapping[str, Any], notify: bool) -> None:
        """PUT /rest/api/2/issue/{key}: Issue.update() GETs the whole issue again after the edit."""
        params = {} if notify else {"notifyUsers": "false"}
        self._session().put(self._rest(f"issue/{key}"), params=params, data=json.dumps(body))

    def edit_comment(self, key: str, comment_id: str, body: str) -> None:
        """PUT /rest/api/2/issue/{key}/comment/{id}: Comment.update() needs the comment GET first."""
        self._session().put(self._rest(f"issue/{key}/comment/{comment_id}"), data=json.dumps({"body": body}))

    def delete_issue_property(self, key: str, name: str) -> None:
        """DELETE /rest/api/2/issue/{key}/properties/{name}: the library deletes a property only
        through an IssueProperty, which costs a GET."""
        self._session().delete(self._rest(f"issue/{key}/properties/{name}"))

    # -- endpoints the library has no method for

    def changelog_page(self, key: str, start_at: int, max_results: int) -> dict[str, Any]:
        """GET /rest/api/2/issue/{key}/changelog (Cloud): one page of an issue's whole changelog."""
        params = {"startAt": start_at, "maxResults": max_results}
        return _object(self._session().get(self._rest(f"issue/{key}/changelog"), params=params))

    def field_contexts(self, field_id: str) -> dict[str, Any]:
        """GET /rest/api/2/field/{id}/context (Cloud): a custom field's contexts, one page."""
        return _object(self._session().get(self._rest(f"field/{field_id}/context")))

    def context_options(self, field_id: str, context_id: str) -> dict[str, Any]:
        """GET /rest/api/2/field/{id}/context/{context}/option (Cloud): a select's options, one page."""
        return _object(self._session().get(self._rest(f"field/{field_id}/context/{context_id}/option")))

    def add_context_options(self, field_id: str, context_id: str, options: Sequence[str]) -> None:
        """POST /rest/api/2/field/{id}/context/{context}/option (Cloud): add options to a select."""
        body = json.dumps({"options": [{"value": o} for o in options]})
        self._session().post(self._rest(f"field/{field_id}/context/{context_id}/option"), data=body)

    def create_field(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /rest/api/2/field: create a custom field."""
        return _object(self._session().post(self._rest("field"), data=json.dumps(body)))

    def webhooks(self) -> list[Any]:
        """GET /rest/webhooks/1.0/webhook: the admin webhook API, outside /rest/api."""
        found = self._session().get(self._webhooks()).json()
        return found if isinstance(found, list) else []

    def register_webhook(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /rest/webhooks/1.0/webhook."""
        return _object(self._session().post(self._webhooks(), data=json.dumps(body)))

    def delete_webhook(self, hook_id: object) -> None:
        """DELETE /rest/webhooks/1.0/webhook/{id}."""
        self._session().delete(f"{self._webhooks()}/{hook_id}")

    def _rest(self, path: str) -> str:
        return f"{self.url}/rest/api/{REST_API_VERSION}/{path}"

    def _webhooks(self) -> str:
        return f"{self.url}/rest/webhooks/1.0/webhook"

    def _session(self) -> requests.Session:
        return _session(self.library())


def _session(client: JIRA) -> requests.Session:
    """Return the library's authenticated session, which it has no public accessor for."""
    session: requests.Session = client._session
    return session


def _object(response: requests.Response) -> dict[str, Any]:
    found = response.json()
    return found if isinstance(found, dict) else {}
