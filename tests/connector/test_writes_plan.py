"""Only values Jira does not already hold are written, encoded for the field's kind."""

from __future__ import annotations

import pytest

from connector.base import Credentials
from connector.errors import ConnectorError
from connector.fieldmap import FieldInfo
from connector.writes import check_property_size, plan_update
from rules.plan import changed_fields

PROGRESS = FieldInfo("customfield_1", "Progress %", "number")
HEALTH_SELECT = FieldInfo("customfield_2", "Health", "option", options=("on-track", "at-risk", "off-track"))
HEALTH_TEXT = FieldInfo("customfield_3", "Health", "string")


def test_numbers_within_tolerance_are_not_rewritten() -> None:
    plan = plan_update({"progress_pct": 50.004}, {"progress_pct": 50.0}, {"progress_pct": PROGRESS})
    assert plan.empty and plan.changed == {}


def test_a_figure_two_hundredths_off_is_rewritten() -> None:
    cpi = FieldInfo("customfield_4", "CPI", "number")
    plan = plan_update({"progress_pct": 67.52, "cpi": 0.94}, {"progress_pct": 67.5, "cpi": 0.90},
                       {"progress_pct": PROGRESS, "cpi": cpi})
    assert plan.body() == {"fields": {"customfield_1": 67.52, "customfield_4": 0.94}}
    assert plan.changed == {"progress_pct": (67.5, 67.52), "cpi": (0.90, 0.94)}


@pytest.mark.parametrize(("new", "held"), [
    (67.52, 67.5), (67.504, 67.5), (0.94, 0.9), (70.0, "70.0"), (70.0, "70.5"),
    ("at-risk", {"value": "at-risk"}), ("at-risk ", "at-risk"), ("on-track", "at-risk"),
    (None, ""), ("", None), (None, 3.0), (0, None),
    ("2026-03-06", "2026-03-06"), ("2026-03-06", "2026-03-07"), (True, "True")])
def test_the_write_plan_and_the_edit_agree_on_what_jira_already_holds(new: object, held: object) -> None:
    planned = changed_fields({"health_reason": new}, {"health_reason": held}, {"health_reason": "Why"})
    text = FieldInfo("customfield_5", "Why", "string")
    edited = plan_update({"health_reason": new}, {"health_reason": held}, {"health_reason": text})
    assert bool(planned) == bool(edited.changed)


def test_changed_number_is_written_with_old_and_new() -> None:
    plan = plan_update({"progress_pct": 62.5}, {"progress_pct": 50.0}, {"progress_pct": PROGRESS})
    assert plan.body() == {"fields": {"customfield_1": 62.5}}
    assert plan.changed == {"progress_pct": (50.0, 62.5)}


def test_health_goes_to_a_select_as_an_option_and_to_text_as_text() -> None:
    select = plan_update({"health": "at-risk"}, {"health": "on-track"}, {"health": HEALTH_SELECT})
    text = plan_update({"health": "at-risk"}, {"health": None}, {"health": HEALTH_TEXT})
    assert select.body() == {"fields": {"customfield_2": {"value": "at-risk"}}}
    assert text.body() == {"fields": {"customfield_3": "at-risk"}}


def test_a_figure_for_a_text_field_is_left_out_as_a_refusal_naming_the_type_it_needs() -> None:
    text = FieldInfo("customfield_5", "Progress %", "string")
    plan = plan_update({"progress_pct": 62.5, "health": "at-risk"}, {},
                       {"progress_pct": text, "health": HEALTH_TEXT})
    assert plan.body() == {"fields": {"customfield_3": "at-risk"}}
    [refused] = plan.refused
    assert (refused.field_id, refused.reason) == (
        "customfield_5", "'Progress %' holds string: point outputs.progress_pct at a field of type number")


def test_select_without_the_option_is_left_out_as_a_refusal_before_any_request() -> None:
    plan = plan_update({"health": "doomed", "progress_pct": 10}, {},
                       {"health": HEALTH_SELECT, "progress_pct": PROGRESS})
    assert plan.body() == {"fields": {"customfield_1": 10.0}}
    [refused] = plan.refused
    assert refused.metric == "health" and "no option 'doomed'" in refused.reason


def test_labels_are_added_and_removed_in_the_same_body() -> None:
    plan = plan_update({"progress_pct": 10}, {}, {"progress_pct": PROGRESS}, ["pmrollup-scope"], ["old"])
    assert plan.body() == {"fields": {"customfield_1": 10.0},
                           "update": {"labels": [{"add": "pmrollup-scope"}, {"remove": "old"}]}}


def test_labels_already_in_place_are_not_sent_again() -> None:
    plan = plan_update({}, {}, {}, ["a", "b"], ["c", "d"], current_labels=["a", "c"])
    assert plan.labels_add == ("b",) and plan.labels_remove == ("c",)


def test_an_output_whose_field_the_site_lacks_is_left_out_as_a_refusal() -> None:
    plan = plan_update({"cpi": 1.0}, {}, {}, names={"cpi": "CPI"})
    assert plan.empty
    [refused] = plan.refused
    assert refused.field_name == "CPI" and "no field named 'CPI'" in refused.reason


def test_a_field_known_to_be_refused_is_left_out_of_the_edit() -> None:
    plan = plan_update({"progress_pct": 10}, {}, {"progress_pct": PROGRESS}, leave_out={"customfield_1"})
    assert plan.empty and plan.refused == ()


def test_property_over_32_kb_is_refused() -> None:
    check_property_size("pmrollup.state", b"x" * 32768)
    with pytest.raises(ConnectorError, match="32 KB"):
        check_property_size("pmrollup.state", b"x" * 32769)


def test_credentials_come_from_the_environment() -> None:
    cloud = Credentials.from_env({"JIRA_URL": "https://x.atlassian.net/", "JIRA_USER": "a@b.c",
                                  "JIRA_TOKEN": "t0k"})
    assert cloud == Credentials("https://x.atlassian.net", "a@b.c", "t0k")
    assert "t0k" not in repr(cloud)
    pat = Credentials.from_env({"JIRA_URL": "https://jira.corp", "JIRA_TOKEN": "pat"})
    assert pat.user is None


def test_missing_environment_variable_is_named() -> None:
    with pytest.raises(ConnectorError, match="JIRA_TOKEN is not set"):
        Credentials.from_env({"JIRA_URL": "https://jira.corp"})
    with pytest.raises(ConnectorError, match="JIRA_URL is not set"):
        Credentials.from_env({})
