"""Broken rule files fail at load with file, line, rule id and a message an admin can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.engine import RuleError, check_rule_files, load_rules


def rule_file(tmp_path: Path, when: str, *, severity: str = "warning", message: str = "hi",
              extra: str = "", name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        "rules:\n"
        "  - id: my-rule\n"
        "    level: project\n"
        f"    when: {when}\n"
        f"    severity: {severity}\n"
        f"    message: {message!r}\n" + extra,
        encoding="utf-8",
    )
    return path


def error_of(path: Path) -> str:
    with pytest.raises(RuleError) as err:
        load_rules([path])
    return str(err.value)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - id: a\n    when: [unclosed\n    level: project\n", encoding="utf-8")
    message = error_of(path)
    assert message.startswith(f"{path}:4:")
    assert "not valid YAML" in message


def test_misspelt_metric_suggests_the_right_one(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "scope_grwth_pct > 10")
    assert error_of(path) == (f"{path}:4:11: rule 'my-rule': unknown metric 'scope_grwth_pct' "
                              f"(did you mean 'scope_growth_pct'?) — in `scope_grwth_pct > 10`")


def test_type_mismatch_says_what_each_metric_is(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "progress_pct > 'half'")
    assert error_of(path) == (f"{path}:4:11: rule 'my-rule': type mismatch (progress_pct is a number)"
                              f" — in `progress_pct > 'half'`")


def test_syntax_error_gives_column(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "progress_pct > 10 @ 3")
    assert "rule 'my-rule': syntax error (illegal character '@') at column 19" in error_of(path)


def test_expression_that_is_not_a_condition_is_refused(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "progress_pct + 1")
    assert "must be true or false, but gives float" in error_of(path)


def test_regex_operator_is_refused(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "\"has_program and 'PAY' =~ 'P.*'\"")
    assert "rule 'my-rule': regular-expression operator '=~' is not allowed" in error_of(path)


def test_regex_operator_text_inside_a_string_is_fine(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "\"has_program or '=~ $today' == 'x'\"")
    assert len(load_rules([path]).rules) == 1


def test_dollar_today_is_refused_because_it_reads_the_machine_clock(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "due_date != null and due_date < $today")
    assert error_of(path) == (
        f"{path}:4:11: rule 'my-rule': built-in symbol '$today' is not allowed ($today reads the "
        f"machine clock; use `today`, pmrollup's today) — in `due_date != null and due_date < $today`")


def test_any_builtin_symbol_is_refused(tmp_path: Path) -> None:
    assert "built-in symbol '$e' is not allowed" in error_of(rule_file(tmp_path, "progress_pct > $e"))


def test_health_cannot_be_used_by_rules(tmp_path: Path) -> None:
    assert "computed from the findings" in error_of(rule_file(tmp_path, "health == 'at-risk'"))


def test_duplicate_id_points_at_the_first_definition(tmp_path: Path) -> None:
    first = rule_file(tmp_path, "is_overdue", name="a.yaml")
    second = rule_file(tmp_path, "is_overdue", name="b.yaml")
    with pytest.raises(RuleError) as err:
        load_rules([first, second])
    assert str(err.value) == f"{second}:2: rule 'my-rule': duplicate id: already defined at {first}:2"


def test_unknown_severity_lists_the_choices(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "is_overdue", severity="urgent")
    assert error_of(path) == \
        f"{path}:5:15: rule 'my-rule': unknown severity 'urgent': use info, warning or critical"


def test_template_reaching_for_an_attribute_is_refused(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "is_overdue", message="{due_date.__class__}")
    assert error_of(path) == (f"{path}:6:14: rule 'my-rule': attribute access is not allowed in a "
                              f"template: '{{due_date.__class__}}'")


def test_template_indexing_and_unknown_names_are_refused(tmp_path: Path) -> None:
    assert "indexing is not allowed" in error_of(rule_file(tmp_path, "is_overdue", message="{due_date[0]}"))
    assert "unknown metric 'progres_pct' in template (did you mean 'progress_pct'?)" in \
        error_of(rule_file(tmp_path, "is_overdue", message="{progres_pct}"))


def test_misspelt_rule_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "is_overdue", extra="    labls: [late]\n")
    assert error_of(path) == f"{path}:7:12: rule 'my-rule': unknown key 'labls' (did you mean 'labels'?)"


def test_program_metric_in_a_project_rule_is_unknown(tmp_path: Path) -> None:
    assert "unknown metric 'projects_at_risk'" in error_of(rule_file(tmp_path, "projects_at_risk > 0"))


def test_check_collects_every_problem_across_files(tmp_path: Path) -> None:
    bad = rule_file(tmp_path, "scope_grwth_pct > 10", severity="urgent", name="bad.yaml")
    good = rule_file(tmp_path, "is_overdue", name="good.yaml")
    errors = check_rule_files([tmp_path])
    assert [(e.file, e.line, e.rule_id) for e in errors] == [
        (str(bad), 4, "my-rule"), (str(bad), 5, "my-rule"), (str(good), 2, "my-rule")]
    assert check_rule_files([good]) == []


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    errors = check_rule_files([tmp_path / "nope.yaml"])
    assert len(errors) == 1 and "cannot be read" in str(errors[0])
