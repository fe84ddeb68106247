"""app.yaml is validated at load, with errors naming file, line and key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rules.config import ConfigError, parse_config
from webhooks.settings.appyaml import config_path, load_config
from webhooks.settings.clock import clock_from_environ

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
    assert clock_from_environ("UTC", {"PMROLLUP_TODAY": "2026-03-01"}).today() == date(2026, 3, 1)
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        clock_from_environ("UTC", {"PMROLLUP_TODAY": "March 1st"})


def test_projects_are_upper_cased_and_store_path_is_relative_to_the_file(tmp_path: Path) -> None:
    f = tmp_path / "app.yaml"
    f.write_text("jira:\n  projects: [pay, WEB]\nstore:\n  path: data/inbox.db\n")
    config = load_config(f)
    assert config.jira.projects == ("PAY", "WEB")
    assert config.store_path == str(tmp_path / "data" / "inbox.db")


@pytest.mark.parametrize(("text", "message"), [
    ("cost:\n  hourly_rate: .nan\n",
     "app.yaml:2: key 'cost.hourly_rate': expected a number of at least 0, got .nan"),
    ("worker:\n  debounce_seconds: .inf\n",
     "app.yaml:2: key 'worker.debounce_seconds': expected a number of at least 0, got .inf"),
    ("jira:\n  timeout_seconds: -.inf\n",
     "app.yaml:2: key 'jira.timeout_seconds': expected a number of at least 1, got -.inf"),
    ("comments:\n  quiet_hours: 1.0e+300\n",
     "app.yaml:2: key 'comments.quiet_hours': expected a number from 0 to 8784, got 1e+300"),
])
def test_numbers_that_are_not_finite_or_out_of_bounds_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert str(err.value) == message


@pytest.mark.parametrize(("expression", "why"), [
    ("61 * * * *", "Error validating expression '61': the last value (61) is higher than the maximum "
                   "value (59)"),
    ("every day", "use 5 fields (minute hour day month day-of-week) or 6 with seconds first"),
    ("0 8 * * funday", 'Invalid weekday name "funday"'),
])
def test_a_bad_cron_string_is_refused_at_load(expression: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(f"timezone: UTC\nschedule:\n  sweep: '0 2 * * *'\n  digest: '{expression}'\n")
    assert str(err.value) == (f"app.yaml:4: key 'schedule.digest': expected a cron expression such as "
                              f"'0 2 * * *', got {expression!r}: {why}")


def test_cron_strings_the_schedules_read_load() -> None:
    config = parse_config("schedule:\n  sweep: '30 1 * * 1-5'\n  digest: '0 0 8 * * mon'\n")
    assert (config.schedule.sweep, config.schedule.digest) == ("30 1 * * 1-5", "0 0 8 * * mon")


def test_an_app_yaml_that_is_not_utf8_names_the_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes("timezone: UTC\nfields:\n  budget: Co\xfbt\n".encode("latin-1"))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == \
        f"{path}:3: not valid UTF-8: byte 34 (0xfb) cannot be read; save the file as UTF-8"


def test_a_control_character_in_app_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("timezone: UTC\nfields:\n  budget: \x1b[1mBudget\n")
    assert str(err.value) == \
        "app.yaml:3: not valid YAML: character U+001B cannot appear in a YAML file; remove it"


@pytest.mark.parametrize(("text", "message"), [
    ("timezone: UTC\nstarted: 2024-02-30\n",
     "app.yaml:2: not valid YAML: a value cannot be read: day is out of range for month"),
    ("timezone: !!python/name:os.system UTC\n", "app.yaml:1: not valid YAML: a value cannot be read: "
     "could not determine a constructor for the tag 'tag:yaml.org,2002:python/name:os.system'"),
    ("jira: " + "[" * 3000 + "]" * 3000 + "\n", "app.yaml: not valid YAML: nested too deeply to read"),
])
def test_yaml_values_that_cannot_be_built_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert str(err.value) == message
