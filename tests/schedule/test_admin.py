"""`pmrollup fields create`, `webhook register|list|delete` and `check`, as a Jira admin runs them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from rules.metrics import HEALTH_VALUES
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


def without_health(flavor: str, site: SiteFactory) -> Site:
    """Start a site whose Jira has every output field but Health."""
    return site(small_seed(fields=[f for f in small_seed()["fields"] if f["name"] != "Health"]), flavor)


def health_row(created: str) -> str:
    """Return the Health row of the table `fields create` prints."""
    [row] = [line for line in created.splitlines() if line.startswith("Health ")]
    return row


def test_fields_create_gives_health_its_options_through_the_field_context_on_cloud(site: SiteFactory) -> None:
    here = without_health("cloud", site)
    created = here.run("fields", "create")
    assert created.code == 0, created.err
    assert health_row(created.out).endswith("created with options on-track, at-risk, off-track")

    health = {f["name"]: f for f in here.get("/rest/api/2/field")}["Health"]
    assert health["schema"]["type"] == "option"
    [context] = here.get(f"/rest/api/3/field/{health['id']}/context")["values"]
    options = here.get(f"/rest/api/3/field/{health['id']}/context/{context['id']}/option")["values"]
    assert [o["value"] for o in options] == list(HEALTH_VALUES)
    meta = here.get("/rest/api/2/issue/PAY-2/editmeta")["fields"][health["id"]]
    assert [o["value"] for o in meta["allowedValues"]] == list(HEALTH_VALUES)
    checked = here.run("check")
    assert checked.code == 0, checked.out
    assert "options: 'Health' offers every value pmrollup writes" in checked.out


def test_fields_create_on_data_center_says_where_to_add_the_health_options_and_check_fails_until_they_are(
        site: SiteFactory) -> None:
    here = without_health("datacenter", site)
    created = here.run("fields", "create")
    assert created.code == 1, "the admin has a step left to do"
    assert health_row(created.out).endswith("created, no options")
    health = {f["name"]: f for f in here.get("/rest/api/2/field")}["Health"]
    assert health["schema"]["type"] == "option"
    where = "Administration > Issues > Custom fields > Health > Configure > Edit Options"
    assert created.err.strip() == (
        f"pmrollup: outputs.health: 'Health' ({health['id']}) was created without options (this Jira's REST "
        f"API cannot add them); by hand, add the options on-track, at-risk, off-track ({where}), then run "
        "`pmrollup check`")

    checked = here.run("check")
    assert checked.code == 1
    assert (f"outputs.health: the select field 'Health' ({health['id']}) lacks what pmrollup writes (seen on "
            f"PAY-1): add the options on-track, at-risk, off-track ({where})") in checked.out

    here.sandbox.edit_field("Health", options=list(HEALTH_VALUES))  # the admin follows the steps
    after = here.run("check")
    assert after.code == 0, after.out
    assert "options: 'Health' offers every value pmrollup writes" in after.out


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
