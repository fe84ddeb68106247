"""The `pmrollup` command line: every command and option by its full name, its help, its usage errors."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from webhooks.cli.main import cli, main

# Every command and option admins' scripts may call, by its full name, with a value where it takes one.
COMMANDS: dict[tuple[str, ...], list[str]] = {
    ("config",): [],
    ("check",): [],
    ("rules", "check"): ["rules/defaults", "more.yaml"],
    ("evaluate",): ["PAY-1", "--dry-run", "--json"],
    ("baseline",): ["PAY-2", "--reset", "--as-of", "2026-03-02"],
    ("fields", "create"): [],
    ("webhook", "register"): ["--url", "https://pmrollup.example.com", "--replace"],
    ("webhook", "list"): [],
    ("webhook", "delete"): ["7"],
    ("scheduler",): [],
    ("sweep",): ["--dry-run", "--json"],
    ("digest",): ["PAY-1", "--dry-run"],
    ("forecast",): ["PAY-2", "--json", "--trials", "500"],
    ("explain",): ["PAY-3", "scope_growth_pct", "--json"],
    ("inbox",): ["retry"],
    ("audit",): ["PAY-12", "--limit", "5"],
    ("serve",): ["--host", "0.0.0.0", "--port", "8090", "--workers", "2", "--no-schedules", "--lease", "60"],
    ("worker",): ["--lease", "60"],
    ("sandbox",): ["--seed", "seed.yaml", "--port", "8082", "--host", "127.0.0.2", "--flavor", "datacenter"],
    ("demo",): ["--keep", "--flavor", "datacenter", "--jira-port", "8083", "--port", "8084"],
}
ROOT_OPTIONS = ["--config", "app.yaml"]
# What `pmrollup --help` says of each command.
SAID = {
    "audit": "show the writes pmrollup made to Jira",
    "baseline": "take (or show) an epic's scope baseline",
    "check": "check app.yaml, the rules and the configured Jira",
    "config": "validate app.yaml and say what it resolves to",
    "demo": "play a short program story on the sandbox Jira and show the rollups",
    "digest": "post the status digest on initiatives now (once per date)",
    "evaluate": "evaluate a project (epic) or a program (initiative) now",
    "explain": "show how a figure was computed, down to the issues",
    "fields": "create the output fields app.yaml names",
    "forecast": "when a project or program will be done: dates, odds and basis",
    "inbox": "show what waits in the inbox and the dead targets",
    "rules": "work with rule files",
    "sandbox": "serve the stand-in Jira on loopback",
    "scheduler": "run the schedules (sweep, digest, catchup) as their own process",
    "serve": "run the webhook endpoint, the worker and the schedules in one process",
    "sweep": "recompute every program and lone project now",
    "webhook": "register, list or delete pmrollup's Jira webhook",
    "worker": "run the worker alone (beside gunicorn serving the web side)",
}


def leaves(group: click.Group, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Return every runnable command under `group`, by the words that name it."""
    found: dict[tuple[str, ...], click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(leaves(command, (*path, name)))
        else:
            found[(*path, name)] = command
    return found


def parsed(path: tuple[str, ...], argv: list[str]) -> click.Context:
    """Parse `pmrollup --config app.yaml PATH... ARGV...` as click does, down to the command's context."""
    context = cli.make_context("pmrollup", [*ROOT_OPTIONS, path[0]])
    group: click.Command = cli
    for depth, word in enumerate(path):
        assert isinstance(group, click.Group)
        command = group.commands[word]
        rest = [path[depth + 1]] if depth + 1 < len(path) else list(argv)
        context = command.make_context(word, rest, parent=context)
        group = command
    return context


def long_options(command: click.Command) -> set[str]:
    return {o for p in command.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")}


def test_the_commands_are_those_admins_call() -> None:
    assert sorted(leaves(cli)) == sorted(COMMANDS)


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_each_command_takes_every_option_by_its_full_name(path: tuple[str, ...]) -> None:
    command = leaves(cli)[path]
    argv = COMMANDS[path]
    assert long_options(command) == {a for a in argv if a.startswith("--")}, "the list above is the interface"
    context = parsed(path, argv)
    for param in command.params:  # each option and argument given above took its value
        assert param.name is not None
        assert context.params[param.name] != param.get_default(context), param.name


def test_the_root_takes_config_before_the_command() -> None:
    assert long_options(cli) == {"--config"}
    assert parsed(("config",), []).find_root().params["config"] == "app.yaml"


def test_help_lists_every_command_with_what_it_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name, said in SAID.items():
        assert f"{name} {said}" in out


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_each_command_has_help_that_names_its_options(path: tuple[str, ...],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "-h"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: pmrollup {' '.join(path)} ")
    for option in long_options(leaves(cli)[path]):
        assert option in out


def test_a_shortened_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "PAY-1", "--dry"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: pmrollup evaluate [OPTIONS] KEY")
    assert "No such option '--dry'" in err


@pytest.mark.parametrize(("argv", "said"), [
    (["evalute", "PAY-1"], "No such command 'evalute'"),
    (["webhook", "register"], "Missing option '--url'"),
    (["serve", "--port", "eighty"], "'eighty' is not a valid integer"),
    (["inbox", "retrying"], "'retrying' is not 'retry'"),
    (["sandbox", "--flavor", "server"], "'server' is not one of 'cloud', 'datacenter'"),
])
def test_a_bad_command_line_says_what_is_wrong_and_exits_2(argv: list[str], said: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: pmrollup") and said in err, err


def test_no_command_shows_the_commands_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "Commands:" in capsys.readouterr().err


def test_config_names_the_file_that_config_points_at_over_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    chosen, other = tmp_path / "chosen.yaml", tmp_path / "other.yaml"
    chosen.write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    other.write_text("timezone: UTC\n", encoding="utf-8")
    monkeypatch.setenv("PMROLLUP_CONFIG", str(other))
    assert main(["config"]) == 0
    assert capsys.readouterr().out.startswith(f"{other}: valid (flavor cloud, timezone UTC")
    assert main(["--config", str(chosen), "config"]) == 0
    assert capsys.readouterr().out.startswith(f"{chosen}: valid (flavor cloud, timezone Europe/Berlin")


def test_a_command_error_is_one_line_with_its_exit_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.yaml").write_text("store: {path: pm.sqlite3}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMROLLUP_CONFIG", raising=False)
    assert main(["audit", "--limit", "0"]) == 2
    assert capsys.readouterr().err == "pmrollup: --limit must be at least 1\n"
