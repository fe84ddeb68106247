"""`pmrollup check`, `rules check` and `baseline`, as an admin runs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_APP_YAML, DEMO_SEED, Run, jira_get
from tests.conftest import SandboxFactory
from webhooks.cli.main import main


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_check_resolves_every_configured_field(flavor: str, sandbox_factory: SandboxFactory,
                                               pmrollup: Callable[..., Run]) -> None:
    sandbox = sandbox_factory(DEMO_SEED, flavor)
    result = pmrollup(sandbox)("check")
    assert result.code == 0, result.out
    for name in ("Story Points", "Budget", "Cost", "Start date", "Due date", "Progress %", "Health"):
        assert any(name in line and line.rstrip().endswith("ok") for line in result.out.splitlines()), name
    if flavor == "datacenter":
        assert "Epic Link" in result.out and "Parent Link" in result.out
    assert "All checks passed." in result.out


def test_check_names_a_missing_field_and_exits_1(sandbox_factory: SandboxFactory,
                                                pmrollup: Callable[..., Run]) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    run = pmrollup(sandbox, DEMO_APP_YAML + "fields: {story_points: Story point estimate}\n")
    result = run("check")
    assert result.code == 1
    assert "MISSING" in result.out
    assert "fields.story_points: no field named 'Story point estimate' in Jira" in result.out


def test_check_reports_wrong_credentials_in_one_line(sandbox_factory: SandboxFactory,
                                                     pmrollup: Callable[..., Run],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    run = pmrollup(sandbox_factory(DEMO_SEED))
    monkeypatch.setenv("JIRA_TOKEN", "s3cr3t-Zq9")
    result = run("check")
    assert result.code == 1
    assert "jira:" in result.out and "JIRA_TOKEN" in result.out
    assert "s3cr3t-Zq9" not in result.out + result.err


def test_rules_check_accepts_the_shipped_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(Path(__file__).parents[2] / "app.yaml"), "rules", "check"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_rules_check_names_file_line_and_rule_of_a_typo(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text("rules:\n  - id: creep\n    level: project\n    severity: warning\n"
                   "    when: scope_growht_pct > 10\n    message: grew\n")
    assert main(["rules", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:5" in err and "creep" in err and "scope_growth_pct" in err


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("jira:\n  flavor: server\n")
    assert main(["--config", str(config), "check"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "app.yaml:2: key 'jira.flavor'" in err


def baseline_of(sandbox: RunningSandbox, key: str) -> dict[str, object]:
    prop = jira_get(sandbox, f"/rest/api/2/issue/{key}/properties/pmrollup.baseline")
    return dict(prop["value"])


def test_baseline_is_kept_unless_reset(sandbox_factory: SandboxFactory,
                                       pmrollup: Callable[..., Run]) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    run = pmrollup(sandbox)
    kept = run("baseline", "PAY-3")
    assert kept.code == 0 and "already has a baseline from 2026-02-02" in kept.out
    assert baseline_of(sandbox, "PAY-3")["points"] == 40
    reset = run("baseline", "PAY-3", "--reset")
    assert reset.code == 0 and "Replaced the baseline of PAY-3 as of 2026-03-16: 52 points" in reset.out
    assert baseline_of(sandbox, "PAY-3")["points"] == 52


def test_baseline_as_of_rebuilds_from_changelogs(sandbox_factory: SandboxFactory,
                                                 pmrollup: Callable[..., Run]) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    run = pmrollup(sandbox)
    designed = baseline_of(sandbox, "PAY-3")  # the seed's baseline, as the epic stood on 2026-02-02
    result = run("baseline", "PAY-3", "--reset", "--as-of", "2026-02-02")
    assert result.code == 0, result.err
    rebuilt = baseline_of(sandbox, "PAY-3")
    assert rebuilt["date"] == "2026-02-02"
    assert (rebuilt["points"], rebuilt["items"]) == (designed["points"], designed["items"])
    assert sorted(rebuilt["keys"]) == sorted(designed["keys"])
