"""app.yaml is validated at load, with errors naming file, line and key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rules.config import ConfigError, config_path, load_config, parse_config, resolve_today

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_app_yaml_is_valid() -> None:
    config = load_config(ROOT / "app.yaml")
    assert config.jira.flavor == "cloud"
    assert config.hierarchy.program_types == ("Initiative",)
    assert config.outputs["progress_pct"] == "Progress %"
    assert config.dependency_link_types == ("Blocks",)


def test_empty_file_gives_documented_defaults() -> None:
    config = parse_config("")
    assert config.hierarchy.project_types == ("Epic",)
    assert config.fields.story_points == "Story Points"
    assert config.comments.quiet_hours == 24
    assert config.worker.debounce_seconds == 2
    assert config.jira.projects == ()


def test_bad_flavor_names_file_line_and_choices() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("timezone: UTC\njira:\n  flavor: clod\n", "site.yaml")
    assert str(err.value) == "site.yaml:3: key 'jira.flavor': expected one of cloud, datacenter, got 'clod'"


def test_misspelt_key_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("comments:\n  quiet_hour: 3\n")
    assert "app.yaml:2: key 'comments.quiet_hour'" in str(err.value)
    assert "did you mean 'quiet_hours'" in str(err.value)


def test_wrong_type_is_named() -> None:
    with pytest.raises(ConfigError, match=r"worker.max_attempts': expected a whole number"):
        parse_config("worker:\n  max_attempts: three\n")


def test_unknown_output_metric_is_refused() -> None:
    with pytest.raises(ConfigError, match="outputs.progres_pct.*did you mean 'progress_pct'"):
        parse_config("outputs:\n  progres_pct: Progress\n")


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"app.yaml:2: not valid YAML"):
        parse_config("jira:\n\tflavor: cloud\n")


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ConfigError, match="timezone"):
        parse_config("timezone: Mars/Olympus\n")


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file; pass --config FILE or set PMROLLUP_CONFIG"):
        load_config(tmp_path / "absent.yaml")


def test_config_file_order_is_flag_then_env_then_cwd() -> None:
    assert config_path("a.yaml", {"PMROLLUP_CONFIG": "b.yaml"}) == Path("a.yaml")
    assert config_path(None, {"PMROLLUP_CONFIG": "b.yaml"}) == Path("b.yaml")
    assert config_path(None, {}) == Path("app.yaml")


def test_pmrollup_today_freezes_the_date() -> None:
    assert resolve_today("UTC", {"PMROLLUP_TODAY": "2026-03-01"}) == date(2026, 3, 1)
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        resolve_today("UTC", {"PMROLLUP_TODAY": "March 1st"})


def test_projects_are_upper_cased_and_store_path_is_relative_to_the_file(tmp_path: Path) -> None:
    f = tmp_path / "app.yaml"
    f.write_text("jira:\n  projects: [pay, WEB]\nstore:\n  path: data/inbox.db\n")
    config = load_config(f)
    assert config.jira.projects == ("PAY", "WEB")
    assert config.store_path == str(tmp_path / "data" / "inbox.db")
