"""/readyz: 200 while deliveries can be stored, even with Jira down (a load balancer would otherwise
drop Jira's deliveries); 503 only when the store cannot write; Jira asked at most every 30 seconds."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from rules.config import AppConfig
from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED, SandboxFactory
from tests.webhooks.conftest import SECRET, FakeClock, make_config
from tests.webhooks.processes import clean_environ, gunicorn, write_app_yaml
from webhooks.store.inbox import SiteProblem, SqliteInbox
from webhooks.web.app import create_app
from webhooks.web.readiness import JIRA_PROBE_SECONDS, CachedProbe, JiraCheck, SiteProblems, jira_probe
from webhooks.web.signature import SECRET_ENV

REFUSED_HEALTH = SiteProblem("Health", "customfield_10050", "PAY", "Epic", "PAY-2",
                             "the select field 'Health' has no option 'at-risk'", 1.0, 1.0)
REFUSED_HEALTH_SAID = "field 'Health' (customfield_10050) is not written on PAY Epic issues (last PAY-2)"
REFUSED_FIELDS_METRIC = 'pmrollup_site_problems{kind="fields"} 1'


def jira_environ(url: str, user: str = "admin@example.com", token: str = "token") -> dict[str, str]:
    return {"JIRA_URL": url, "JIRA_USER": user, "JIRA_TOKEN": token, SECRET_ENV: SECRET}


def sandbox_environ(sandbox: RunningSandbox) -> dict[str, str]:
    user, token = sandbox.admin_auth
    return jira_environ(sandbox.url, user, token)


def nothing_listening() -> str:
    """Return a loopback URL where no server listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def client_for(config: AppConfig, store: SqliteInbox, environ: Mapping[str, str],
               jira_check: JiraCheck | CachedProbe | None = None,
               site_problems: SiteProblems | None = None) -> FlaskClient:
    return create_app(config, store=store, environ=environ, jira_check=jira_check,
                      site_problems=site_problems).test_client()


def server_info_requests(sandbox: RunningSandbox) -> int:
    return len([r for r in sandbox.requests() if r["path"].endswith("/serverInfo")])


def test_readyz_is_ready_when_the_store_writes_and_jira_answers(
        config: AppConfig, store: SqliteInbox, sandbox_factory: SandboxFactory) -> None:
    client = client_for(config, store, sandbox_environ(sandbox_factory(SMALL_SEED)))
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ready", "store": "ok", "jira": "ok",
                                 "jira_checked_seconds_ago": 0.0, "site": []}


def test_readyz_names_a_field_the_site_refuses_and_stays_200(
        config: AppConfig, store: SqliteInbox, sandbox_factory: SandboxFactory) -> None:
    store.record_site_problems([REFUSED_HEALTH])
    client = client_for(config, store, sandbox_environ(sandbox_factory(SMALL_SEED)))
    answer = client.get("/readyz")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "degraded"
    [site] = body["site"]
    assert REFUSED_HEALTH_SAID in site
    assert REFUSED_FIELDS_METRIC in client.get("/metrics").get_data(as_text=True)


@pytest.mark.parametrize("trouble", ["nothing listening", "wrong token"])
def test_readyz_stays_200_and_says_degraded_naming_jira_when_jira_cannot_be_used(
        config: AppConfig, store: SqliteInbox, sandbox_factory: SandboxFactory, trouble: str) -> None:
    if trouble == "nothing listening":
        environ = jira_environ(nothing_listening())
    else:
        environ = jira_environ(sandbox_factory(SMALL_SEED).url, token="not-the-token")
    answer = client_for(config, store, environ).get("/readyz")
    assert answer.status_code == 200
    detail = answer.get_json()
    assert (detail["status"], detail["store"]) == ("degraded", "ok")
    assert detail["jira"] != "ok" and detail["jira"].strip()


def test_readyz_without_jira_settings_names_the_missing_variable(
        config: AppConfig, store: SqliteInbox) -> None:
    answer = client_for(config, store, {SECRET_ENV: SECRET}).get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "degraded"
    assert answer.get_json()["jira"].startswith("JIRA_URL is not set")


def test_readyz_asks_jira_once_per_probe_interval_and_says_how_old_its_answer_is(
        config: AppConfig, store: SqliteInbox, sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    clock = FakeClock()
    probe = CachedProbe(jira_probe(config, sandbox_environ(sandbox)), clock=clock)
    client = client_for(config, store, sandbox_environ(sandbox), jira_check=probe)
    sandbox.clear_requests()
    for _ in range(10):
        assert client.get("/readyz").get_json()["jira"] == "ok"
    assert server_info_requests(sandbox) == 1
    clock.advance(JIRA_PROBE_SECONDS - 1)
    assert client.get("/readyz").get_json()["jira_checked_seconds_ago"] == JIRA_PROBE_SECONDS - 1
    assert server_info_requests(sandbox) == 1
    clock.advance(1)
    answer = client.get("/readyz").get_json()
    assert server_info_requests(sandbox) == 2 and answer["jira_checked_seconds_ago"] == 0.0


def test_readyz_built_by_create_app_alone_also_asks_jira_once(
        config: AppConfig, store: SqliteInbox, sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    client = client_for(config, store, sandbox_environ(sandbox))
    sandbox.clear_requests()
    for _ in range(5):
        assert client.get("/readyz").status_code == 200
    assert server_info_requests(sandbox) == 1


def test_readyz_is_503_only_when_the_store_cannot_write(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    store = SqliteInbox(config.store_path, busy_timeout=0.05)
    client = client_for(config, store, {SECRET_ENV: SECRET}, jira_check=lambda: None)
    assert client.get("/readyz").status_code == 200
    holder = sqlite3.connect(config.store_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        answer = client.get("/readyz")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 503
    assert answer.get_json()["status"] == "not ready" and "locked" in answer.get_json()["store"]
    assert answer.get_json()["jira"] == "ok"


def test_site_problems_are_listed_under_site_and_leave_readyz_200(
        config: AppConfig, store: SqliteInbox) -> None:
    problems = ["outputs.health: Jira refuses the option 'at-risk' of Health"]
    env = {SECRET_ENV: SECRET}
    troubled = client_for(config, store, env, jira_check=lambda: None, site_problems=lambda: problems)
    answer = troubled.get("/readyz")
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["site"]) == ("degraded", problems)

    fine = client_for(config, store, env, jira_check=lambda: None, site_problems=lambda: [])
    assert fine.get("/readyz").get_json()["status"] == "ready"
    assert fine.get("/readyz").get_json()["site"] == []

    def broken() -> list[str]:
        raise RuntimeError("field catalog unavailable")

    answer = client_for(config, store, env, jira_check=lambda: None, site_problems=broken).get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "degraded"
    assert "field catalog unavailable" in answer.get_json()["site"][0]


def test_readyz_under_gunicorn_checks_the_jira_the_environment_names(
        tmp_path: Path, sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    write_app_yaml(tmp_path)
    with gunicorn(tmp_path, clean_environ(**sandbox_environ(sandbox))) as url:
        answer = requests.get(url + "/readyz", timeout=30)
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["jira"]) == ("ready", "ok")


def test_readyz_under_gunicorn_names_a_field_the_worker_found_refused_and_stays_200(
        tmp_path: Path, sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    write_app_yaml(tmp_path)
    with gunicorn(tmp_path, clean_environ(**sandbox_environ(sandbox))) as url:
        assert requests.get(url + "/readyz", timeout=30).json()["site"] == []
        worker_side = SqliteInbox(tmp_path / "pmrollup.sqlite3")  # gunicorn's store, as the worker opens it
        worker_side.record_site_problems([REFUSED_HEALTH])
        answer = requests.get(url + "/readyz", timeout=30)
        metrics = requests.get(url + "/metrics", timeout=30).text
    assert answer.status_code == 200
    detail = answer.json()
    assert (detail["status"], detail["store"], detail["jira"]) == ("degraded", "ok", "ok")
    [site] = detail["site"]
    assert REFUSED_HEALTH_SAID in site
    assert REFUSED_FIELDS_METRIC in metrics
