"""The sandbox app: a stand-in Jira with auth, faults and a request log around its views."""

from __future__ import annotations

import base64
import binascii
import functools
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.test import Client, TestResponse

from sandbox import (
    views_comments,
    views_create,
    views_issue,
    views_links,
    views_meta,
    views_options,
    views_projects,
    views_sandbox,
    views_search,
    views_transitions,
)
from sandbox.context import ANONYMOUS_PATHS, NOT_AUTHENTICATED, SITE_KEY, Site, error, site
from sandbox.deliveries import Deliveries
from sandbox.events import Announcer
from sandbox.faults import FaultInjector
from sandbox.jql import JqlError
from sandbox.model import User
from sandbox.search import Searcher
from sandbox.seed import build_store, read_seed
from sandbox.store import Store, StoreError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse


class SandboxApp:
    """One sandbox site as a WSGI app.

    Every site in a process is served by one Flask app, built once: compiling its routes is most of
    what starting a sandbox costs, and the tests start hundreds. The site rides in the WSGI environ,
    where `sandbox.context.site()` finds it.
    """

    def __init__(self, site: Site) -> None:
        self.site = site
        self.flask = _jira()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ[SITE_KEY] = self.site
        return self.flask.wsgi_app(environ, start_response)

    @property
    def url_map(self) -> Map:
        return self.flask.url_map

    def test_client(self) -> Client:
        """Call the site in-process, without HTTP (as Flask's test client does)."""
        return Client(self, TestResponse)


def create_app(seed: Mapping[str, Any] | str | Path, flavor: str = "cloud") -> SandboxApp:
    """Build the sandbox for a seed (mapping, YAML text or file) and flavor (cloud or datacenter)."""
    store = build_store(read_seed(seed), flavor)
    injector = FaultInjector()
    deliveries = Deliveries(injector)
    announcer = Announcer(store, deliveries)
    return SandboxApp(Site(store, Searcher(store), deliveries, announcer, injector))


@functools.cache
def _jira() -> Flask:
    """Return the process's one Flask app: Jira's routes, auth, faults and the request log."""
    app = Flask(__name__, static_folder=None)  # Jira serves no /static
    app.json.sort_keys = False  # type: ignore[attr-defined]
    for module in (views_meta, views_issue, views_create, views_transitions, views_comments, views_links,
                   views_search, views_options, views_projects, views_sandbox):
        app.register_blueprint(module.blueprint)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(JqlError, _jql_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _before() -> Response | None:
    here = site()
    g.started = time.monotonic()
    here.announcer.base = request.host_url.rstrip("/")
    if request.path.startswith("/sandbox/"):
        g.user = here.store.users[next(iter(here.store.users))]
        return None
    if here.faults.hold_if_matched(request.method, request.path):
        return error(503, ["The request was held by the sandbox's hold fault and dropped unserved."])
    faults = here.faults.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    failure = here.faults.request_fault()
    if failure is not None:
        status, body, headers = failure
        response = jsonify(body)
        response.status_code = status
        response.headers.update(headers)
        return response
    user = _authenticate(here.store)
    if user is None and (request.authorization is not None or request.headers.get("Authorization")
                         or request.path not in ANONYMOUS_PATHS):
        response = error(401, [NOT_AUTHENTICATED])
        response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
        return response
    g.user = user
    return None


def _authenticate(store: Store) -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            email, _, token = base64.b64decode(credentials).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return store.user_by_token(email, token)
    if scheme.lower() == "bearer" and store.flavor == "datacenter":
        return store.user_by_token(None, credentials)
    return None


def _after(response: Response) -> Response:
    if not request.path.startswith("/sandbox/"):
        query = {k: (v[0] if len(v) == 1 else v) for k, v in request.args.to_dict(flat=False).items()}
        entry = {"method": request.method, "path": request.path, "query": query,
                 "status": response.status_code, "time": time.time()}
        here = site()
        with here.requests_lock:
            here.requests.append(entry)
    return response


def _store_error(exc: StoreError) -> Response:
    return error(exc.status, [str(exc)] if str(exc) else [], exc.errors)


def _jql_error(exc: JqlError) -> Response:
    return error(400, [str(exc)])


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 404:
        return error(404, ["null for uri: " + request.url])
    return error(status, [exc.description or exc.name])
