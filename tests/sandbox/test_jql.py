"""The sandbox's JQL parser: Jira's semantics for the subset pmrollup uses, and Jira's error wordings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.jql import JqlError, parse_jql

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


def story(key: str, **fields: object) -> dict[str, object]:
    """Build an issue dict the way the sandbox hands it to the parser."""
    project, number = key.split("-")
    issue: dict[str, object] = {
        "key": key, "id": 10000 + int(number), "project": project, "issuetype": "Story",
        "status": "To Do", "statuscategory": "To Do", "labels": [],
    }  # fmt: skip
    issue.update({name.lower(): value for name, value in fields.items()})
    return issue


ISSUES = [
    story(
        "PAY-2",
        issuetype="Epic",
        status="In Progress",
        statuscategory="In Progress",
        duedate=date(2026, 3, 1),
    ),
    story("PAY-9", parent="PAY-2", status="Done", statuscategory="Done", story_points=3),
    story("PAY-10", parent="PAY-2", status="In Review", statuscategory="In Progress", labels=["payments"]),
    story("WEB-3", duedate=date(2026, 3, 6), updated=datetime(2026, 3, 16, 8, 0, tzinfo=UTC)),
    story("WEB-11", parent="WEB-1", duedate=date(2026, 3, 20), updated=datetime(2026, 3, 1, tzinfo=UTC)),
]
for _issue in ISSUES:
    if "story_points" in _issue:
        _issue["story points"] = _issue["cf[10016]"] = _issue.pop("story_points")


def keys(jql: str, issues: list[dict[str, object]] = ISSUES) -> list[str]:
    """Answer a query over issues the way a search does: filter, then order."""
    query = parse_jql(jql, now=NOW)
    found: list[Mapping[str, object]] = [issue for issue in issues if query.matches(issue)]
    return [str(issue["key"]) for issue in query.sort(found)]


def error(jql: str) -> str:
    with pytest.raises(JqlError) as caught:
        parse_jql(jql, now=NOW)
    return str(caught.value)


def test_and_binds_tighter_than_or() -> None:
    assert keys("project = WEB OR project = PAY AND status = Done") == ["PAY-9", "WEB-3", "WEB-11"]
    assert keys("(project = WEB OR project = PAY) AND status = Done") == ["PAY-9"]


def test_not_binds_tighter_than_and() -> None:
    assert keys("NOT project = PAY AND duedate < 2026-03-10") == ["WEB-3"]
    assert keys("NOT (project = PAY AND status = Done)") == ["PAY-2", "PAY-10", "WEB-3", "WEB-11"]


def test_keywords_are_case_insensitive_and_symbols_alias_them() -> None:
    assert keys("project = pay and NOT status = done order by KEY desc") == ["PAY-10", "PAY-2"]
    assert keys("project = PAY && !(status = Done) || key = WEB-3") == ["PAY-2", "PAY-10", "WEB-3"]


def test_is_empty_and_is_not_empty() -> None:
    assert keys("parent is EMPTY") == ["PAY-2", "WEB-3"]
    assert keys("parent IS NOT null") == ["PAY-9", "PAY-10", "WEB-11"]
    assert keys("duedate = EMPTY") == ["PAY-9", "PAY-10"]
    assert keys("duedate != EMPTY") == ["PAY-2", "WEB-3", "WEB-11"]


def test_not_equal_never_matches_an_empty_field() -> None:
    assert keys("parent != PAY-2") == ["WEB-11"]


def test_not_in_never_matches_an_empty_field() -> None:
    assert keys("parent not in (PAY-2, PAY-3)") == ["WEB-11"]


def test_in_list_may_include_empty() -> None:
    assert keys("parent in (WEB-1, EMPTY)") == ["PAY-2", "WEB-3", "WEB-11"]


def test_quoted_field_names_and_cf_ids_reach_custom_fields() -> None:
    assert keys('"Story Points" >= 3') == ["PAY-9"]
    assert keys("'story points' = 3") == ["PAY-9"]
    assert keys("cf[10016] < 3.5") == ["PAY-9"]
    assert parse_jql('"Epic Link" = PAY-2 AND cf[10010] is EMPTY').fields == {"epic link", "cf[10010]"}


def test_epic_link_and_parent_link_match_like_parent() -> None:
    issues = [story("PAY-20", **{"Epic Link": "PAY-2"}), story("PAY-2", **{"Parent Link": "PAY-1"})]
    assert keys('"Epic Link" in (PAY-2)', issues) == ["PAY-20"]
    assert keys('"parent link" = pay-1', issues) == ["PAY-2"]


def test_equals_on_labels_means_contains() -> None:
    assert keys("labels = payments") == ["PAY-10"]
    assert keys("labels != payments") == []


def test_status_issuetype_and_project_compare_case_insensitively() -> None:
    assert keys('status = "in review" AND issuetype = STORY AND project = pay') == ["PAY-10"]


def test_status_category_matches_by_name_key_or_id() -> None:
    assert keys('statusCategory = "In Progress"') == ["PAY-2", "PAY-10"]
    assert keys("statusCategory = indeterminate") == ["PAY-2", "PAY-10"]
    assert keys("statusCategory in (done, new)") == ["PAY-9", "WEB-3", "WEB-11"]
    assert keys("statusCategory = 3") == ["PAY-9"]


def test_issue_is_an_alias_of_key_and_keys_are_named() -> None:
    query = parse_jql("issue = pay-9 OR key in (PAY-10, WEB-3) OR issuekey != WEB-11")
    assert query.fields == {"key"}
    assert query.keys_named == {"PAY-9", "PAY-10", "WEB-3", "WEB-11"}
    assert keys("issue in (pay-9, WEB-3)") == ["PAY-9", "WEB-3"]


def test_key_given_as_a_number_matches_the_id() -> None:
    assert keys("key = 10009") == ["PAY-9"]


def test_id_compares_numerically() -> None:
    assert keys("id > 10009 AND project = PAY") == ["PAY-10"]
    assert keys("id in (10002, 10003)") == ["PAY-2", "WEB-3"]


def test_key_ranges_compare_naturally_within_one_project() -> None:
    assert keys("key > PAY-9") == ["PAY-10"]
    assert keys("key <= PAY-9") == ["PAY-2", "PAY-9"]


def test_default_order_is_natural_key_order_project_first() -> None:
    assert keys("labels is EMPTY OR labels is not EMPTY") == ["PAY-2", "PAY-9", "PAY-10", "WEB-3", "WEB-11"]


def test_order_by_desc_puts_empty_first_and_asc_puts_it_last() -> None:
    assert keys("project in (PAY, WEB) ORDER BY duedate") == ["PAY-2", "WEB-3", "WEB-11", "PAY-9", "PAY-10"]
    descending = ["PAY-9", "PAY-10", "WEB-11", "WEB-3", "PAY-2"]
    assert keys("project in (PAY, WEB) ORDER BY duedate DESC") == descending


def test_order_by_several_keys() -> None:
    assert keys("ORDER BY project DESC, key DESC") == ["WEB-11", "WEB-3", "PAY-10", "PAY-9", "PAY-2"]
    assert keys("ORDER BY statusCategory ASC, key DESC") == ["PAY-9", "PAY-10", "PAY-2", "WEB-11", "WEB-3"]


def test_empty_query_matches_everything_and_is_unbounded() -> None:
    assert not parse_jql("").bounded
    assert not parse_jql("  ORDER BY key").bounded
    assert parse_jql("project = PAY").bounded
    assert len(keys("")) == len(ISSUES)


def test_order_by_fields_are_reported_with_clause_fields() -> None:
    assert parse_jql("project = PAY ORDER BY Rank, due DESC").fields == {"project", "rank", "duedate"}


def test_absolute_dates_in_every_jira_format() -> None:
    assert keys('duedate = "2026/03/06"') == ["WEB-3"]
    assert keys("duedate <= 2026-03-06 AND duedate > '2026-03-01'") == ["WEB-3"]
    assert keys('updated >= "2026-03-16 08:00"') == ["WEB-3"]
    assert keys('updated > "2026-03-16 08:00"') == []


def test_relative_dates_count_back_from_the_given_now() -> None:
    assert keys("updated >= -5h") == ["WEB-3"]
    assert keys("updated >= -1w") == ["WEB-3"]
    assert keys("updated >= -15d") == ["WEB-3"]
    assert keys("updated >= -16d") == ["WEB-3", "WEB-11"]
    assert keys("updated >= -120m") == ["WEB-3"]
    assert keys("duedate < -11d") == ["PAY-2"]
    assert keys('duedate < "-1w 2d"') == ["PAY-2", "WEB-3"]


def test_relative_dates_follow_the_now_given_to_matches() -> None:
    query = parse_jql("updated >= -1d")
    assert query.matches(ISSUES[3], now=NOW)
    assert not query.matches(ISSUES[3], now=datetime(2026, 3, 20, tzinfo=UTC))


def test_overdue_means_due_before_start_of_today() -> None:
    assert keys("duedate < startOfDay() AND statusCategory != Done") == ["PAY-2", "WEB-3"]
    assert keys("duedate < now()") == ["PAY-2", "WEB-3"]
    assert keys("duedate >= startOfDay(-10d) AND duedate <= endOfDay()") == ["WEB-3"]


SYNTAX = "Error in the JQL Query: "
OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
)
AS_VALUE = "You must surround '=' in quotation marks to use it as a value."
AS_FIELD = "You must surround ')' in quotation marks to use it as a field name."
ESCAPES = "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX."
FORMATS = (
    "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
    "or a period format e.g. '-5d', '4w 2d'."
)


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project ENG", f"{SYNTAX}Expecting operator but got 'ENG'. {OPERATORS} (line 1, character 9)"),
        ("project =", f"{SYNTAX}Expecting either a value, list or function before the end of the query."),
        (
            "project = PAY AND status = = Done",
            f"{SYNTAX}Expecting either a value, list or function but got '='. {AS_VALUE} "
            "(line 1, character 28)",
        ),
        (
            "project = PAY status = Done",
            f"{SYNTAX}Expecting either 'OR' or 'AND' but got 'status'. (line 1, character 15)",
        ),
        ("project = PAY AND", f"{SYNTAX}Expecting a field name at the end of the query."),
        ("(project = PAY", f"{SYNTAX}Expecting ')' before the end of the query."),
        (
            'status = "In Review',
            f"{SYNTAX}The quoted string 'In Review' has not been completed. (line 1, character 10)",
        ),
        (
            "reporter=a/",
            f"{SYNTAX}The character '/' is a reserved JQL character. You must enclose it in a string "
            "or use the escape '\\u002f' instead. (line 1, character 11)",
        ),
        (
            "project = PAY\nAND ) ",
            f"{SYNTAX}Expecting a field name but got ')'. {AS_FIELD} (line 2, character 5)",
        ),
        (
            "status = 'a\\qb'",
            f"{SYNTAX}'\\q' is an illegal JQL escape sequence. {ESCAPES} (line 1, character 12)",
        ),
        (
            "duedate < yesterday",
            f"Date value 'yesterday' for field 'duedate' is invalid. Valid formats include: {FORMATS}",
        ),
        ("key = banana", "The issue key 'banana' for field 'key' is invalid."),
        ("statusCategory = Blocked", "The value 'Blocked' does not exist for the field 'statusCategory'."),
        ("status in Done", "Operator 'in' does not support the non-list value 'Done' for field 'status'."),
        ("status is Done", f"{SYNTAX}Expecting 'EMPTY' but got 'Done'. (line 1, character 11)"),
        ("project = PAY ORDER key", f"{SYNTAX}Expecting 'BY' but got 'key'. (line 1, character 21)"),
    ],
)
def test_malformed_queries_are_refused_in_jiras_words(jql: str, message: str) -> None:
    assert error(jql) == message


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ('issueFunction in linkedIssuesOf("project = X")', "Unable to find JQL function 'linkedIssuesOf()'."),
        ('summary ~ "payouts"', "The operator '~' is not supported by the 'summary' field."),
        ('summary !~ "payouts"', "The operator '!~' is not supported by the 'summary' field."),
        ("status WAS Done", "The operator 'was' is not supported by the 'status' field."),
        ("status was not in (Done)", "The operator 'was' is not supported by the 'status' field."),
        ("status CHANGED", "The operator 'changed' is not supported by the 'status' field."),
        ("status not changed", "The operator 'not changed' is not supported by the 'status' field."),
        ("assignee = currentUser()", "Unable to find JQL function 'currentUser()'."),
    ],
)
def test_syntax_outside_the_subset_is_refused_never_matching_everything(jql: str, message: str) -> None:
    assert error(jql) == message


def test_escapes_in_quoted_values_are_decoded() -> None:
    issues = [story("PAY-1", summary='say "hi"', status="Won't do")]
    assert keys('status = "Won\\u0027t do"', issues) == ["PAY-1"]
    assert keys("status = 'Won\\'t do'", issues) == ["PAY-1"]


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert "nested too deeply" in error("(" * 500 + "project = PAY" + ")" * 500)
    assert "nested too deeply" in error("NOT " * 500 + "project = PAY")


JQL_ALPHABET = st.sampled_from(
    ["project", "key", "issue", "status", "parent", '"Epic Link"', "cf[10016]", "duedate", "updated",
     "labels", "statusCategory", "id", "=", "!=", "<", ">=", "in", "not", "is", "EMPTY", "AND", "OR", "NOT",
     "(", ")", ",", "ORDER BY", "DESC", "PAY-9", "WEB-3", "Done", "-1d", "2026-03-01", "now()",
     "startOfDay(-2w)", '"', "'", "\\", "~", "/", "5", "3.5", "x", "\n", "99999999999999d"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_raises_nothing_but_jql_error(text: str) -> None:
    try:
        query = parse_jql(text, now=NOW)
    except JqlError:
        return
    query.sort([issue for issue in ISSUES if query.matches(issue)])


@settings(max_examples=400, deadline=None)
@given(st.lists(JQL_ALPHABET, max_size=14).map(" ".join))
def test_jql_shaped_text_raises_nothing_but_jql_error(text: str) -> None:
    try:
        query = parse_jql(text, now=NOW)
    except JqlError:
        return
    query.sort([issue for issue in ISSUES if query.matches(issue)])
