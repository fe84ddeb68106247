"""Safe by default: no files served from the working directory, no blank secret, no unsigned
deliveries in the shipped app.yaml, and a warning for a webhook URL Jira Cloud will not deliver to."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.config import AppConfig, ConfigError
from tests.conftest import SMALL_SEED, SandboxFactory
from tests.webhooks.conftest import issue_event, signed_headers
from webhooks.cli.main import main
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox
from webhooks.web.app import create_app
from webhooks.web.signature import SECRET_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_files_in_the_working_directory_are_not_served(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: AppConfig, store: SqliteInbox) -> None:
    (tmp_path / "static").mkdir()
    for path in (tmp_path / "app.yaml", tmp_path / "static" / "app.yaml"):
        path.write_text("jira: {projects: [SECRETPROJECT]}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    client = create_app(config, store=store, environ={SECRET_ENV: "s3cret"}, jira_check=lambda: None
                        ).test_client()
    for url in ("/static/app.yaml", "/app.yaml"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert answer.get_json()["error"] == "not found"
        assert b"SECRETPROJECT" not in answer.data


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_webhook_secret_is_refused_at_start_like_a_missing_one(config: AppConfig, blank: str) -> None:
    with pytest.raises(ConfigError, match=f"{SECRET_ENV} is not set"):
        create_app(config, environ={SECRET_ENV: blank})


def test_the_secret_is_read_trimmed_as_webhook_register_sends_it_to_jira(
        config: AppConfig, store: SqliteInbox) -> None:
    client = create_app(config, store=store, environ={SECRET_ENV: "  s3cret\n"}, jira_check=lambda: None
                        ).test_client()
    body = issue_event("PAY-7")
    assert client.post("/webhooks/jira", data=body, headers=signed_headers(body, "s3cret")).status_code == 202


def test_the_shipped_app_yaml_refuses_unsigned_deliveries() -> None:
    assert load_config(ROOT / "app.yaml").webhooks.allow_unsigned is False


@pytest.mark.parametrize(("flavor", "url", "warned"), [
    ("cloud", "http://pmrollup.example.com", True),
    ("cloud", "https://pmrollup.example.com", False),
    ("datacenter", "http://pmrollup.internal:8080", False),
])
def test_webhook_register_warns_when_jira_cloud_would_not_deliver_to_the_url(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        sandbox_factory: SandboxFactory, flavor: str, url: str, warned: bool) -> None:
    sandbox = sandbox_factory(SMALL_SEED, flavor)
    app_yaml = tmp_path / "app.yaml"
    app_yaml.write_text(f"jira: {{flavor: {flavor}}}\n", encoding="utf-8")
    user, token = sandbox.admin_auth
    for name, value in {"JIRA_URL": sandbox.url, "JIRA_USER": user, "JIRA_TOKEN": token,
                        SECRET_ENV: "s3cret"}.items():
        monkeypatch.setenv(name, value)
    assert main(["--config", str(app_yaml), "webhook", "register", "--url", url]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("registered: webhook ")
    if warned:
        [line] = err.strip().splitlines()
        assert line.startswith("pmrollup: warning: Jira Cloud delivers webhooks only to https:// URLs")
        assert "HTTPS reverse proxy" in line
    else:
        assert err == ""
    registered = [r for r in sandbox.requests() if r["method"] == "POST" and "webhook" in r["path"]]
    assert [r["status"] for r in registered] == [201]
