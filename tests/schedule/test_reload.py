"""Rule files and app.yaml's evaluation keys take effect in a running worker without a restart; a bad
edit is refused with file and line while the last good rules keep running."""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import requests

from rules.config import AppConfig
from tests.conftest import LogCapture, SandboxFactory
from tests.schedule.conftest import (
    DEMO_SEED,
    NO_SCHEDULED_RUNS,
    PMROLLUP,
    SETTINGS,
    Site,
    SiteFactory,
    app_yaml,
    field_value,
    running_worker,
    wait_for,
)
from tests.schedule.test_first_sweep import EVERY_PROJECT
from tests.webhooks.processes import clean_environ, gunicorn
from webhooks.cli.main import main
from webhooks.cli.serving import Service
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox
from webhooks.worker.reload import HOT_SECTIONS, RESTART_SECTIONS, SETTLE_SECONDS, LiveRules

RULES: dict[str, Any] = {"rules": {"files": ["rules.yaml"]}}
SLOW_PROGRESS = """\
rules:
  - id: slow-progress
    level: project
    when: progress_pct < THRESHOLD
    severity: warning
    message: Progress is {progress_pct:.1f}%, under THRESHOLD%.
"""
# A second rule with a misspelt metric on line 9: the whole edit is refused.
MISSPELT = """\
  - id: misspelt
    level: project
    when: progres_pct > 0
    severity: info
    message: never used
"""
# The demo's progress: PAY-2 60.0 %, PAY-3 36.5 %, WEB-1 50.0 %, WEB-2 53.3 %, OPS-1 38.5 %.


def slow_progress(threshold: int) -> str:
    return SLOW_PROGRESS.replace("THRESHOLD", str(threshold))


def worker_site(site: SiteFactory, rules: str) -> tuple[Site, Path]:
    """Start a site whose app.yaml names one rule file, holding `rules`; return it and the rule file."""
    here = site(DEMO_SEED, schedule=NO_SCHEDULED_RUNS, extra=RULES)
    rule_file = here.config_path.parent / "rules.yaml"
    rule_file.write_text(rules)
    return here, rule_file


def queue_every_project(store: Path) -> None:
    """Queue the program with all its projects, as a webhook or the sweep would."""
    SqliteInbox(store).upsert_target(EVERY_PROJECT, time.time(), 0, 0)


def first_recompute(here: Site) -> None:
    """Queue every project and wait until the running worker has judged them by the first rules."""
    queue_every_project(here.store_path)
    wait_for("the first recompute", lambda: field_value(here.sandbox, "PAY-3", "Health") == "at-risk",
             timeout=60)


def test_a_running_worker_judges_with_an_edited_rule_from_its_next_recompute(site: SiteFactory,
                                                                             logs: LogCapture) -> None:
    here, rule_file = worker_site(site, slow_progress(50))
    sandbox = here.sandbox
    with running_worker(here):
        first_recompute(here)
        assert field_value(sandbox, "PAY-2", "Health") == "on-track"

        rule_file.write_text(slow_progress(65))
        queue_every_project(here.store_path)
        wait_for("PAY-2 judged by the edited rule",
                 lambda: field_value(sandbox, "PAY-2", "Health") == "at-risk", timeout=60)
    [reloaded] = logs.named("rules.reloaded")
    assert reloaded["files"] == [str(rule_file)] and reloaded["rules"] == 1
    assert logs.named("rules.reload_refused") == []


def test_a_bad_rule_edit_is_refused_with_file_and_line_and_the_last_good_rules_keep_writing(
        site: SiteFactory, logs: LogCapture) -> None:
    here, rule_file = worker_site(site, slow_progress(50))
    sandbox = here.sandbox
    with running_worker(here):
        first_recompute(here)

        rule_file.write_text(slow_progress(65) + MISSPELT)  # taken whole, it would put PAY-2 at risk
        for key in ("PAY-2", "PAY-3"):
            sandbox.edit(key, {"fields": {"Health": None}})  # someone clears the field by hand
        queue_every_project(here.store_path)
        wait_for("the next recompute", lambda: None not in (field_value(sandbox, "PAY-2", "Health"),
                                                            field_value(sandbox, "PAY-3", "Health")),
                 timeout=60)
    assert field_value(sandbox, "PAY-3", "Health") == "at-risk"
    assert field_value(sandbox, "PAY-2", "Health") == "on-track", "judged by the last good rule (< 50)"
    [refused] = logs.named("rules.reload_refused")
    assert refused["error"].startswith(f"{rule_file}:9:") and "progress_pct" in refused["error"]
    assert refused["level"] == "error" and logs.named("rules.reloaded") == []


def live_rules(tmp_path: Path, settle_seconds: float = 0) -> tuple[LiveRules, Path, Path]:
    """Return the live rules of a site with one rule file. Unless `settle_seconds` says otherwise, an
    edit is read at the first look: these tests write each file whole before looking."""
    config = tmp_path / "app.yaml"
    config.write_text(app_yaml(extra=RULES))
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(slow_progress(50))
    return LiveRules(load_config(config), settle_seconds=settle_seconds), config, rule_file


def test_a_rule_file_being_saved_is_read_only_once_it_has_held_still(
        tmp_path: Path, logs: LogCapture) -> None:
    live, _, rule_file = live_rules(tmp_path, settle_seconds=SETTLE_SECONDS)
    rule_file.write_text("")  # an editor saving it: truncated, its new text not yet written
    assert live.refresh().generation == 0, "a file caught mid-save is not read"
    rule_file.write_text(slow_progress(65))
    assert live.refresh().generation == 0, "changed since the last look: perhaps still being written"
    wait_for("the saved file taken", lambda: live.refresh().generation == 1, timeout=30)
    [reloaded] = logs.named("rules.reloaded")
    assert reloaded["rules"] == 1 and live.reload_problem() is None
    assert logs.named("rules.reload_refused") == [], "the emptied file was never read"
    assert [rule.when.text for rule in live.in_force.rules.rules] == ["progress_pct < 65"]


def test_an_edit_of_keys_that_need_a_restart_names_them_and_keeps_their_running_values(
        tmp_path: Path, logs: LogCapture) -> None:
    live, config, _ = live_rules(tmp_path)
    running = live.in_force.config
    config.write_text(app_yaml(worker={**SETTINGS["worker"], "max_delay_seconds": 5},
                               extra={**RULES, "cost": {"hourly_rate": 80}}))
    now = live.refresh()
    [restart] = logs.named("config.restart_needed")
    assert restart["keys"] == ["worker.max_delay_seconds"]
    assert now.config.worker == running.worker, "the running value is kept"
    assert now.config.hourly_rate == 80, "an evaluation key is taken at once"
    assert [r["files"] for r in logs.named("rules.reloaded")] == [[str(config)]]
    live.refresh()
    assert len(logs.named("config.restart_needed")) == 1, "said once per change"


def test_a_bad_app_yaml_edit_is_refused_with_its_line_and_the_last_good_settings_kept(
        tmp_path: Path, logs: LogCapture) -> None:
    live, config, _ = live_rules(tmp_path)
    before = live.in_force
    config.write_text(app_yaml(extra={**RULES, "cost": {"hourly_rate": "lots"}}))
    assert live.refresh() == before
    problem = live.reload_problem()
    assert problem is not None and f"{config}:" in problem and "cost.hourly_rate" in problem
    [refused] = logs.named("rules.reload_refused")
    assert refused["files"] == [str(config)]
    config.write_text(app_yaml(extra={**RULES, "cost": {"hourly_rate": 80}}))
    assert live.reload_problem() is None and live.in_force.config.hourly_rate == 80


def test_pmrollup_inbox_says_a_refused_edit_until_a_good_one_is_saved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(app_yaml(extra=RULES))
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(slow_progress(50))
    live = LiveRules(load_config(config), store=SqliteInbox(load_config(config).store_path), settle_seconds=0)
    rule_file.write_text(slow_progress(65) + MISSPELT)
    live.refresh()

    def inbox() -> str:
        capsys.readouterr()
        assert main(["--config", str(config), "inbox"]) == 0
        return capsys.readouterr().out

    said = inbox()
    assert "said by the worker" in said and f"{rule_file}:9:" in said
    rule_file.write_text(slow_progress(65))
    live.refresh()
    assert "said by the worker" not in inbox() and "rules.yaml" not in inbox()


def test_a_rule_file_newly_named_by_a_refused_edit_is_taken_once_it_is_fixed(
        tmp_path: Path, logs: LogCapture) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(app_yaml())  # the shipped rules
    live = LiveRules(load_config(config), settle_seconds=0)
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text(slow_progress(50) + MISSPELT)
    config.write_text(app_yaml(extra=RULES))  # the admin points app.yaml at a rule file with a typo
    live.refresh()
    problem = live.reload_problem()
    assert problem is not None and f"{rule_file}:9:" in problem
    rule_file.write_text(slow_progress(50))  # and fixes the typo, leaving app.yaml as it is
    now = live.refresh()
    assert live.reload_problem() is None
    assert [rule.id for rule in now.rules.rules] == ["slow-progress"]
    assert [r["files"] for r in logs.named("rules.reloaded")] == [[str(rule_file)]]


def test_every_app_yaml_section_is_either_taken_on_the_fly_or_named_as_needing_a_restart() -> None:
    sorted_out = set(HOT_SECTIONS.values()) | set(RESTART_SECTIONS.values())
    assert {f.name for f in fields(AppConfig)} - {"path"} == sorted_out
    assert not set(HOT_SECTIONS.values()) & set(RESTART_SECTIONS.values())


def test_readyz_of_pmrollup_serve_shows_a_refused_rule_edit(tmp_path: Path,
                                                             sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    _, config, rule_file = live_rules(tmp_path)
    email, token = sandbox.admin_auth
    env = {"JIRA_URL": sandbox.url, "JIRA_USER": email, "JIRA_TOKEN": token}
    service = Service(load_config(config), port=0, environ=env).start_web()
    try:
        assert requests.get(service.url + "/readyz", timeout=10).json()["status"] == "ready"
        rule_file.write_text(slow_progress(65) + MISSPELT)
        wait_for("the refusal, once the edit has settled", lambda: readyz(service.url)["status"] != "ready")
        detail = readyz(service.url)
        assert detail["status"] == "degraded"
        [problem] = detail["site"]
        assert f"{rule_file}:9:" in problem and "the last good rules keep running" in problem
    finally:
        service.stop(timeout=10)


def readyz(url: str) -> Any:
    answer = requests.get(url + "/readyz", timeout=30)
    assert answer.status_code == 200, "deliveries are still stored"
    return answer.json()


def test_gunicorn_and_pmrollup_worker_take_a_good_rule_edit_and_say_a_bad_one_in_readyz(
        site: SiteFactory) -> None:
    here, rule_file = worker_site(site, slow_progress(50))
    sandbox = here.sandbox
    # Production's processes: gunicorn's web workers never read the rule files, so what their /readyz
    # says of a refused edit comes from the notice `pmrollup worker` leaves in the store.
    with gunicorn(here.config_path.parent, clean_environ(**here.env())) as url:
        worker = here.start("worker", PMROLLUP + ["worker"])
        wait_for("the worker", lambda: worker.events("worker.start") != [], logs=[worker])
        first_recompute(here)
        assert field_value(sandbox, "PAY-2", "Health") == "on-track"
        assert readyz(url)["status"] == "ready"

        rule_file.write_text(slow_progress(65) + MISSPELT)  # taken whole, it would put PAY-2 at risk
        wait_for("the refusal in gunicorn's /readyz", lambda: readyz(url)["site"] != [], logs=[worker])
        detail = readyz(url)
        assert detail["status"] == "degraded"
        [problem] = detail["site"]
        assert f"{rule_file}:9:" in problem and "the last good rules keep running" in problem
        sandbox.edit("PAY-2", {"fields": {"Health": None}})  # someone clears the field by hand
        queue_every_project(here.store_path)
        wait_for("the next recompute", lambda: field_value(sandbox, "PAY-2", "Health") is not None,
                 timeout=60, logs=[worker])
        assert field_value(sandbox, "PAY-2", "Health") == "on-track", "judged by the last good rule"

        rule_file.write_text(slow_progress(65))
        wait_for("the refusal taken back", lambda: readyz(url)["site"] == [], logs=[worker])
        assert readyz(url)["status"] == "ready"
        queue_every_project(here.store_path)
        wait_for("PAY-2 judged by the edited rule",
                 lambda: field_value(sandbox, "PAY-2", "Health") == "at-risk", timeout=60, logs=[worker])
        assert worker.stop() == 0, worker.text()
    [refused] = worker.events("rules.reload_refused")
    assert refused["error"].startswith(f"{rule_file}:9:")
    assert [r["files"] for r in worker.events("rules.reloaded")] == [[str(rule_file)]]
