"""The sandbox Flask app: a stand-in Jira with auth, faults and a request log around its views."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

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
from sandbox.context import ANONYMOUS_PATHS, NOT_AUTHENTICATED, Site, error, site
from sandbox.deliveries import Deliveries
from sandbox.events import Announcer
from sandbox.faults import FaultInjector
from sandbox.jql import JqlError
from sandbox.model import User
from sandbox.search import Searcher
from sandbox.seed import build_store, read_seed
from sandbox.store import Store, StoreError


def create_app(seed: Mapping[str, Any] | str | Path, flavor: str = "cloud") -> Flask:
    """Build the sandbox app for a seed (mapping, YAML text or file) and flavor (cloud or datacenter)."""
    store = build_store(read_seed(seed), flavor)
    injector = FaultInjector()
    deliveries = Deliveries(injector)
    app = Flask(__name__, static_folder=None)  # Jira serves no /static
    app.json.sort_keys = False  # type: ignore[attr-defined]
    announcer = Announcer(store, deliveries)
    app.extensions["sandbox"] = Site(store, Searcher(store), deliveries, announcer, injector)
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
