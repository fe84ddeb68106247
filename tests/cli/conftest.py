"""Run `pmrollup` commands in-process against a sandbox Jira, as an admin would from a shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from webhooks.cli.main import main
from webhooks.cli.trialconfig import trial_app_yaml

ROOT = Path(__file__).resolve().parents[2]
DEMO_SEED = ROOT / "sandbox" / "seeds" / "demo.yaml"
DEMO_TODAY = "2026-03-16"

# FLAVOR is filled in with the sandbox's flavor by `pmrollup`.
DEMO_APP_YAML = trial_app_yaml("FLAVOR", comments={"on_first_run": True}, allow_unsigned=True)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def pmrollup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Callable[[RunningSandbox], Run]:
    """Point `pmrollup` at a sandbox with a demo-like app.yaml; return a runner of its commands."""

    def bind(sandbox: RunningSandbox, app_yaml: str = DEMO_APP_YAML) -> Run:
        config = tmp_path / "app.yaml"
        config.write_text(app_yaml.replace("FLAVOR", sandbox.flavor))
        email, token = sandbox.admin_auth
        monkeypatch.setenv("PMROLLUP_CONFIG", str(config))
        monkeypatch.setenv("JIRA_URL", sandbox.url)
        monkeypatch.setenv("JIRA_USER", email)
        monkeypatch.setenv("JIRA_TOKEN", token)
        monkeypatch.setenv("PMROLLUP_TODAY", DEMO_TODAY)

        def run(*argv: str) -> Result:
            capsys.readouterr()
            code = main(list(argv))
            captured = capsys.readouterr()
            return Result(code, captured.out, captured.err)

        return run

    return bind


def jira_get(sandbox: RunningSandbox, path: str) -> Any:
    """Read one REST resource from the sandbox as the admin."""
    import requests

    response = requests.get(sandbox.url + path, auth=sandbox.admin_auth, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture
def demo_site(sandbox_factory: SandboxFactory,
              pmrollup: Callable[[RunningSandbox], Run]) -> tuple[RunningSandbox, Run]:
    """A sandbox with the demo seed, and a runner of pmrollup's commands pointed at it."""
    sandbox = sandbox_factory(DEMO_SEED)
    return sandbox, pmrollup(sandbox)


@pytest.fixture
def run(demo_site: tuple[RunningSandbox, Run]) -> Run:
    """pmrollup's commands against the demo site (a test file may point `run` elsewhere)."""
    return demo_site[1]
