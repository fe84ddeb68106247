"""Broken rule files fail at load with file, line, rule id and a message an admin can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.engine import RuleError
from webhooks.settings.rulefiles import check_rule_files, load_rules


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


@pytest.mark.parametrize("text", ["", "\n  \n"], ids=["empty", "blank lines"])
def test_an_empty_rule_file_is_refused_rather_than_taken_as_no_rules(tmp_path: Path, text: str) -> None:
    path = tmp_path / "scope.yaml"
    path.write_text(text, encoding="utf-8")
    assert error_of(path) == (f"{path}: the file is empty: a rule file holds 'rules:' and a list of rules "
                              "(write 'rules: []' for none)")
    path.write_text("rules: []\n", encoding="utf-8")
    assert load_rules([path]).rules == ()


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


def test_a_format_that_fails_at_render_is_refused_at_load_with_file_line_and_rule(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "is_overdue", message="{days_overdue:.1d} days late")
    assert error_of(path) == (f"{path}:6:14: rule 'my-rule': '{{days_overdue:.1d}}' cannot show "
                              f"days_overdue, which is a number: 'd' shows a whole number, so it takes "
                              f"no decimals: write 'd', or '.1f' for 1 decimal")


def test_a_number_format_on_a_date_is_refused_at_load(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "is_overdue", message="due {due_date:,.0f}")
    assert "rule 'my-rule': '{due_date:,.0f}' cannot show due_date, which is a date" in error_of(path)


@pytest.mark.parametrize("when", ["t'P99999999999D' > t'P1D'", "d'9999-12-31' + t'P1D' > today",
                                  "d'0001-01-01' - t'P1D' < today"])
def test_a_date_or_duration_out_of_range_is_refused_at_load(tmp_path: Path, when: str) -> None:
    path = rule_file(tmp_path, f'"{when}"')
    assert error_of(path) == (f"{path}:4:11: rule 'my-rule': a date or duration is out of range: dates "
                              f"run from 0001-01-01 to 9999-12-31 and durations up to t'P999999999D' "
                              f"(999,999,999 days) — in `{when}`")


def test_an_expression_of_5000_chained_terms_is_refused_at_load(tmp_path: Path) -> None:
    path = rule_file(tmp_path, " + ".join(["1"] * 5000) + " > 0")
    message = error_of(path)
    assert message.startswith(f"{path}:4:11: rule 'my-rule': too long: 5,000 operators where a rule "
                              f"may have at most 100; split it into several rules — in `1 + 1 + 1")
    assert message.endswith(" ...`") and len(message) < 400  # quoted in part, on one line


def test_an_expression_of_many_nots_is_refused_at_load(tmp_path: Path) -> None:
    assert "too long: 2,000 operators" in error_of(rule_file(tmp_path, "not " * 2000 + "is_done"))


def test_deeply_nested_parentheses_are_refused_at_load(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "(" * 500 + "progress_pct" + ")" * 500 + " > 1")
    assert error_of(path).startswith(f"{path}:4:11: rule 'my-rule': nested too deeply: 500 levels of "
                                     f"brackets where a rule may have at most 16")


def test_a_rule_of_ordinary_length_and_nesting_loads(tmp_path: Path) -> None:
    when = "((progress_pct > 1 and (spi != null and spi < 0.8)) or (" + " + ".join(["1"] * 40) + " > 0))"
    assert len(load_rules([rule_file(tmp_path, f'"{when}"')]).rules) == 1


def test_a_rule_file_that_is_not_utf8_names_the_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("rules:\n  - id: caf\xe9\n".encode("latin-1"))
    errors = check_rule_files([path])
    assert [str(e) for e in errors] == [
        f"{path}:2: not valid UTF-8: byte 18 (0xe9) cannot be read; save the file as UTF-8"]


def test_a_control_character_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bell.yaml"
    path.write_text("rules:\n  - id: a\x07\n", encoding="utf-8")
    assert error_of(path) == (f"{path}:2:10: not valid YAML: character U+0007 cannot appear in a YAML "
                              f"file; remove it")


def test_a_yaml_value_that_cannot_be_built_names_its_line(tmp_path: Path) -> None:
    path = rule_file(tmp_path, "2024-02-30")
    assert error_of(path) == \
        f"{path}:4:11: not valid YAML: a value cannot be read: day is out of range for month"
