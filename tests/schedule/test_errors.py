"""Every schedule and admin subcommand fails with one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.forked import run_forked
from tests.schedule.conftest import ROOT, SiteFactory, app_yaml
from webhooks.cli.main import main

COMMANDS = [
    ("sweep",), ("sweep", "--dry-run", "--json"), ("digest",), ("digest", "PAY-1"), ("fields", "create"),
    ("webhook", "register", "--url", "https://pmrollup.example.com"), ("webhook", "list"),
    ("webhook", "delete", "7"), ("scheduler",),
]


# One retry, at once: a process still logs the connector's retry notice, which must not reach stderr.
QUICK_RETRY = {"jira": {"flavor": "cloud", "retry_attempts": 2, "retry_base_seconds": 0.01}}


def test_without_jira_each_command_says_so_in_one_line(tmp_path: Path, closed_port: int) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(app_yaml(extra=QUICK_RETRY))  # `extra` replaces the builder's jira section
    env = {**os.environ, "PMROLLUP_CONFIG": str(config), "JIRA_URL": f"http://127.0.0.1:{closed_port}",
           "JIRA_USER": "admin@example.com", "JIRA_TOKEN": "token", "PYTHONPATH": str(ROOT)}
    folders = [tmp_path / f"command-{n}" for n in range(len(COMMANDS))]
    for folder in folders:
        folder.mkdir()
    for argv, ran in zip(COMMANDS, run_forked(list(zip(folders, COMMANDS, strict=True)), env, tmp_path),
                         strict=True):
        assert ran.returncode == 1, (argv, ran.stdout, ran.stderr)
        assert len(ran.stderr.splitlines()) == 1, (argv, ran.stderr)
        [line] = ran.stderr.splitlines()
        assert line.startswith("pmrollup: Jira: cannot connect to Jira ("), (argv, line)
        assert line.endswith("check JIRA_URL and that Jira is up"), (argv, line)


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: " ".join(argv))
def test_a_bad_config_is_named_with_file_line_and_key(argv: tuple[str, ...], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("timezone: UTC\njira:\n  flavour: cloud\n")
    monkeypatch.setenv("PMROLLUP_CONFIG", str(config))
    assert main(list(argv)) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"pmrollup: configuration error: {config}:3: key 'jira.flavour'")
    assert "did you mean 'flavor'?" in line


def test_the_scheduler_refuses_a_schedule_that_is_not_cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(app_yaml(schedule={"sweep": "0 25 * * *"}))
    monkeypatch.setenv("PMROLLUP_CONFIG", str(config))
    monkeypatch.setenv("JIRA_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("JIRA_TOKEN", "token")
    assert main(["scheduler"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"pmrollup: configuration error: {config}:")
    assert "key 'schedule.sweep'" in line and "'0 25 * * *'" in line


@pytest.mark.parametrize(("argv", "message"), [
    (("digest", "PAY-999"), "pmrollup: Jira: not found in Jira (GET issue PAY-999)"),
    (("digest", "not-a-key"), "pmrollup: Jira: 'not-a-key' is not a Jira issue key such as PAY-12"),
    (("webhook", "delete", "999"), "pmrollup: no webhook 999 in Jira"),
    (("webhook", "delete", "abc"), "pmrollup: 'abc' is not a webhook id"),
])
def test_an_unknown_key_is_one_line(site: SiteFactory, argv: tuple[str, ...], message: str) -> None:
    here = site()
    result = here.run(*argv)
    assert result.code == 1
    [line] = result.err.splitlines()
    assert line.startswith(message)
