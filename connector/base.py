"""The gateway's base: its connection to Jira, and the plumbing every gateway call goes through."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from jira import JIRA

from connector.errors import ConnectorError
from connector.fieldmap import FieldCatalog, FieldIds
from connector.hierarchy import Jql, check_key
from connector.retry import RetryPolicy
from connector.search import search_all, search_page
from connector.sightings import EpicSightings
from connector.transport import JiraConnection
from rules.config import AppConfig
from rules.properties import BASELINE_KEY, STATE_KEY

T = TypeVar("T")
STATE_PROPERTIES = (STATE_KEY, BASELINE_KEY)  # the issue properties every read of an issue asks for


@dataclass(frozen=True)
class Credentials:
    """Where Jira is and who pmrollup is there; read from the environment only."""

    url: str
    user: str | None
    token: str

    def __repr__(self) -> str:
        return f"Credentials(url={self.url!r}, user={self.user!r}, token=<hidden>)"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Credentials:
        """Read JIRA_URL, JIRA_USER and JIRA_TOKEN; no JIRA_USER means a Data Center personal access token."""
        url = environ.get("JIRA_URL", "").strip()
        token = environ.get("JIRA_TOKEN", "").strip()
        for name, value in (("JIRA_URL", url), ("JIRA_TOKEN", token)):
            if not value:
                raise ConnectorError(f"{name} is not set: export it before running pmrollup "
                                     "(JIRA_URL, JIRA_USER and JIRA_TOKEN come from the environment)")
        if not url.startswith(("http://", "https://")):
            raise ConnectorError(f"JIRA_URL must start with http:// or https://, got {url!r}")
        return cls(url=url.rstrip("/"), user=environ.get("JIRA_USER", "").strip() or None, token=token)


class GatewayBase:
    """The connection, the retry policy, request counts, the field catalog and the searches."""

    def __init__(self, config: AppConfig, credentials: Credentials, retry: RetryPolicy | None = None) -> None:
        self.config = config
        self.credentials = credentials
        self.retry = retry or RetryPolicy(attempts=config.jira.retry_attempts,
                                          base=config.jira.retry_base_seconds)
        self.cloud = config.jira.flavor == "cloud"
        self.jql = Jql(config)
        self._answers: Counter[tuple[str, int]] = Counter()
        self._answers_lock = threading.Lock()  # the worker's threads share a gateway
        auth: dict[str, Any] = ({"basic_auth": (credentials.user, credentials.token)} if credentials.user
                                else {"token_auth": credentials.token})
        self._jira = JiraConnection(credentials.url, auth, cloud=self.cloud,
                                    verify_ssl=config.jira.verify_ssl,
                                    timeout=config.jira.timeout_seconds, on_response=self._count)
        self._catalog: FieldCatalog | None = None
        self._ids: FieldIds | None = None
        self._options_known: dict[str, float] = {}  # select field id -> when its options were read
        self._notify_off_allowed = True
        self._id_of_key: dict[str, str] = {}
        self.sightings = EpicSightings()  # every epic's initiative, as the searches last saw it

    # -- the plumbing every call goes through

    def _count(self, response: requests.Response) -> None:
        with self._answers_lock:
            self._answers[(str(response.request.method), response.status_code)] += 1

    @property
    def answers(self) -> Counter[tuple[str, int]]:
        """Return how many of Jira's answers this gateway has had, by (method, status)."""
        with self._answers_lock:
            return Counter(self._answers)

    @property
    def request_count(self) -> int:
        """Return how many requests this gateway has made."""
        return sum(self.answers.values())

    @property
    def status_counts(self) -> Counter[int]:
        """Return how many of Jira's answers had each status."""
        counts: Counter[int] = Counter()
        for (_, status), count in self.answers.items():
            counts[status] += count
        return counts

    def _call(self, what: str, call: Callable[[], T]) -> T:
        return self.retry.run(call, what)

    def _library(self) -> JIRA:
        """Return the `jira` library's client, for its public methods."""
        return self._jira.library()

    def search(self, jql: str, fields: Sequence[str], properties: Sequence[str] = (),
               reconcile: Sequence[str | int] = (), expand: str | None = None) -> list[dict[str, Any]]:
        """Return every issue `jql` matches, all pages, as Jira's JSON with only `fields` and
        `properties`; `reconcile` (keys or ids seen before) makes Cloud's search show fresh edits."""
        self.field_catalog()  # hands the library its name map, which would otherwise cost a request
        ids = self._reconcile_ids(reconcile) if self.cloud else []
        found = search_all(self._library(), self.retry.run, self.cloud, jql, fields, properties=properties,
                           reconcile=ids, expand=expand)
        self._remember_ids(found)
        if self._ids is not None:
            self.sightings.record(found, fields, self._ids, self.config)
        return found

    def first_of(self, jql: str, fields: Sequence[str]) -> dict[str, Any] | None:
        """Return the first issue `jql` matches (one page of one), None when it matches none."""
        self.field_catalog()  # hands the library its name map, which would otherwise cost a request
        found = self._call(f"search {jql[:120]}",
                           lambda: search_page(self._library(), self.cloud, jql, fields, 1))
        return found[0] if found else None

    def _remember_ids(self, issues: Sequence[Mapping[str, Any]]) -> None:
        for raw in issues:
            key, issue_id = raw.get("key"), raw.get("id")
            if isinstance(key, str) and isinstance(issue_id, str | int):
                self._id_of_key[key] = str(issue_id)

    def _reconcile_ids(self, values: Sequence[str | int]) -> list[str]:
        """Map keys to the ids seen so far; Cloud's reconcileIssues takes ids only."""
        ids = []
        for value in values:
            text = str(value).strip().upper()
            found = text if text.isdigit() else self._id_of_key.get(text)
            if found:
                ids.append(found)
        return ids

    def _issue(self, key_or_id: str, fields: Sequence[str], properties: Sequence[str] = ()) -> dict[str, Any]:
        ref = key_or_id.strip()
        if not ref.isdigit():
            ref = check_key(ref)
        props = ",".join(properties) or None
        issue = self._call(f"GET issue {ref}", lambda: self._library().issue(
            ref, fields=",".join(fields), properties=props))
        self._remember_ids([issue.raw])
        return dict(issue.raw)

    # -- site

    def server_info(self) -> dict[str, Any]:
        """Return Jira's serverInfo (version, deploymentType)."""
        return dict(self._call("GET serverInfo", lambda: self._library().server_info()))

    def field_catalog(self) -> FieldCatalog:
        """Return every field of the site, fetched once per gateway."""
        if self._catalog is None:
            raw = self._call("GET field", lambda: self._library().fields())
            catalog = FieldCatalog.from_json(raw)
            self._jira.name_fields(catalog.clause_map())
            self._catalog = catalog
        return self._catalog

    def field_ids(self) -> FieldIds:
        """Return the ids behind the field names configured in app.yaml."""
        if self._ids is None:
            self._ids = FieldIds.resolve(self.config, self.field_catalog())
        return self._ids

    def refresh_fields(self) -> None:
        """Forget the cached catalog (after fields are created)."""
        self._catalog, self._ids = None, None

    def edit_meta(self, key: str) -> dict[str, Any]:
        """Return the issue's editmeta: the fields on its edit screen, with a select's allowed values."""
        key = check_key(key)
        meta = self._call(f"GET editmeta {key}", lambda: self._library().editmeta(key))
        return dict(meta) if isinstance(meta, dict) else {}

