"""`pmrollup fields create`, `webhook register|list|delete` and `check`, as a Jira admin runs them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import SMALL_SEED
from tests.schedule.conftest import Site, SiteFactory
from webhooks.cli.admin import WEBHOOK_EVENTS
from webhooks.cli.trialconfig import OUTPUTS

SCOPED = ["PAY", "WEB"]


def small_seed(**changes: Any) -> dict[str, Any]:
    seed: dict[str, Any] = yaml.safe_load(SMALL_SEED.read_text())
    seed.update(changes)
    return seed


def hooks(here: Site) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = here.get("/rest/webhooks/1.0/webhook")
    return found


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_fields_create_makes_every_missing_output_field_then_check_passes(site: SiteFactory,
                                                                          flavor: str) -> None:
    here = site(SMALL_SEED, flavor, projects=SCOPED)
    before = here.run("check")
    assert before.code == 1
    assert "outputs.scope_growth_pct: no field named 'Scope growth %' in Jira: run `pmrollup fields create`" \
        in before.out

    created = here.run("fields", "create")
    assert created.code == 0, created.err
    fields = {f["name"]: f for f in here.get("/rest/api/2/field")}
    for name in ("Scope growth %", "Budget used %", "Overdue dependencies"):
        assert fields[name]["schema"]["type"] == "number"
        lines = created.out.splitlines()
        assert any(line.startswith(name) and line.rstrip().endswith("created") for line in lines)
    assert any(line.startswith("Health") and "exists" in line for line in created.out.splitlines())
    assert "edit screens of Initiative and Epic issues in projects PAY, WEB" in created.out

    assert here.run("fields", "create").out.count("created") == 0, "a second run creates nothing"
    assert here.run("webhook", "register", "--url", "https://pmrollup.example.com").code == 0
    after = here.run("check")
    assert after.code == 0, after.out
    assert "All checks passed." in after.out and "warning" not in after.out


def test_fields_create_says_how_to_add_health_options_where_jira_takes_none(site: SiteFactory) -> None:
    seed = small_seed(fields=[f for f in small_seed()["fields"] if f["name"] != "Health"])
    here = site(seed)
    result = here.run("fields", "create")
    fields = {f["name"]: f for f in here.get("/rest/api/2/field")}
    assert fields["Health"]["schema"]["type"] == "option"
    meta = here.get("/rest/api/2/issue/PAY-2/editmeta")["fields"][fields["Health"]["id"]]
    options = [o["value"] for o in meta.get("allowedValues", [])]
    if options:  # a Jira with field contexts (Cloud's /field/{id}/context) took the options
        assert (result.code, options) == (0, ["on-track", "at-risk", "off-track"])
    else:  # the sandbox, like Data Center, has no such endpoint: the admin is told what to add
        assert result.code == 1
        assert "on-track, at-risk, off-track" in result.err and "edit options" in result.err


def test_check_names_an_output_field_missing_from_the_epic_edit_screen(site: SiteFactory) -> None:
    here = site(small_seed(screens={"Epic": ["Progress %"]}), "cloud",
                outputs={metric: OUTPUTS[metric] for metric in ("progress_pct", "health")})
    result = here.run("check")
    assert result.code == 1
    [problem] = [line for line in result.out.splitlines() if "screens:" in line and "not on" in line]
    assert "Progress % not on the edit screen of Epic issues (seen on PAY-2)" in problem
    assert "add them to the Epic edit screen of project PAY" in problem
    assert "every output field is on the Initiative edit screen (PAY-1)" in result.out


def test_registering_the_webhook_twice_leaves_one(site: SiteFactory) -> None:
    here = site(SMALL_SEED, "cloud", projects=SCOPED)
    first = here.run("webhook", "register", "--url", "https://pmrollup.example.com/")
    assert first.code == 0, first.err
    assert first.out.startswith("registered: webhook ")
    second = here.run("webhook", "register", "--url", "https://pmrollup.example.com")
    assert second.out.startswith("kept: webhook ")
    [hook] = hooks(here)
    assert hook["url"] == "https://pmrollup.example.com/webhooks/jira"
    assert set(hook["events"]) == set(WEBHOOK_EVENTS)
    assert hook["filters"]["issue-related-events-section"] == 'project in ("PAY", "WEB")'

    moved = here.run("webhook", "register", "--url", "https://rollups.example.com/webhooks/jira")
    assert moved.out.startswith("replaced: webhook ")
    [hook] = hooks(here)
    assert hook["url"] == "https://rollups.example.com/webhooks/jira"


def test_webhook_list_and_delete(site: SiteFactory) -> None:
    here = site(SMALL_SEED)
    here.run("webhook", "register", "--url", "https://pmrollup.example.com")
    listed = here.run("webhook", "list")
    assert listed.code == 0
    [row] = [line for line in listed.out.splitlines() if "pmrollup.example.com" in line]
    hook_id = row.split()[0]
    deleted = here.run("webhook", "delete", hook_id)
    assert deleted.code == 0 and hooks(here) == []
    assert here.run("webhook", "list").out.strip() == "no webhooks registered"
    missing = here.run("webhook", "delete", hook_id)
    assert missing.code == 1
    assert missing.err.strip() == (f"pmrollup: no webhook {hook_id} in Jira: "
                                   "`pmrollup webhook list` shows the ids")


def test_register_refuses_to_go_unsigned_unless_allowed(site: SiteFactory) -> None:
    here = site(SMALL_SEED, "cloud", allow_unsigned=False)
    result = here.run("webhook", "register", "--url", "https://pmrollup.example.com")
    assert result.code == 1
    assert result.err.startswith("pmrollup: PMROLLUP_WEBHOOK_SECRET is not set")
    assert hooks(here) == []


def test_register_signs_with_the_secret_from_the_environment(site: SiteFactory,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    here = site(SMALL_SEED, "cloud", allow_unsigned=False)
    monkeypatch.setenv("PMROLLUP_WEBHOOK_SECRET", "s3cret-value")
    result = here.run("webhook", "register", "--url", "https://pmrollup.example.com")
    assert result.code == 0, result.err
    assert "UNSIGNED" not in result.out and "s3cret-value" not in result.out + result.err
    [posted] = [r for r in here.sandbox.requests() if r["method"] == "POST" and "webhook" in r["path"]]
    assert posted["status"] == 201
