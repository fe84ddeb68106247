"""Compile and run the `when` expressions of rules with `rule-engine`, typed against the metrics.

Dates are rule-engine DATETIMEs at midnight UTC, so admins compare them with each other, with
`today` (pmrollup's today, never the machine clock) or with literals: `due_date < today`,
`today - due_date > t'P14D'`, `due_date < d'2024-06-30'`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import rule_engine
from rule_engine import DataType

KIND_TYPES = {"number": DataType.FLOAT, "flag": DataType.BOOLEAN, "text": DataType.STRING,
              "date": DataType.DATETIME}
KIND_WORDS = {"number": "a number", "flag": "true or false", "text": "text", "date": "a date"}
# `health` and its reason follow from the findings of the rules, so rules cannot read them.
NOT_IN_RULES = frozenset({"health", "health_reason"})
_REGEX_OPERATORS = ("=~~", "!~~", "=~", "!~")
# rule-engine parses and evaluates by recursion, about one level per operator, so an expression
# of some hundreds of chained terms exhausts Python's stack. A rule stays well within these.
MAX_OPERATORS = 100
MAX_NESTING = 16
_OPERATOR = re.compile(r"\*\*|//|==|!=|<=|>=|<<|>>|&\.|[-+*/%<>&|^?~]|\b(?:and|or|not|in|if)\b"
                       r"|(?<=[A-Za-z0-9_\])])\.(?=[A-Za-z_])|\[")
_RANGE_HINT = ("dates run from 0001-01-01 to 9999-12-31 and durations up to "
               "t'P999999999D' (999,999,999 days)")
_STRING = re.compile(r"""[rsbdt]?("|')(?:[^\\\n]|\\.)*?\1""")
_SYMBOL = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*")


# What evaluating a compiled expression can raise besides rule-engine's own errors: a date pushed
# past 9999-12-31 by a metric's value (OverflowError), decimal arithmetic out of range.
EVALUATION_ERRORS = (rule_engine.EngineError, ArithmeticError, RecursionError)


class ExpressionError(ValueError):
    """An expression refused at compile time; the message is written for an admin."""


@dataclass(frozen=True)
class Expression:
    """A compiled `when` expression and the metric names it reads."""

    text: str
    rule: rule_engine.Rule
    symbols: frozenset[str]

    def matches(self, values: Mapping[str, Any], today: date) -> bool:
        """Say whether the expression is true; raise rule_engine.EvaluationError on a null, and
        EVALUATION_ERRORS on arithmetic that goes out of range."""
        return self.rule.evaluate(rule_context(values, today, self.symbols)) is True


def _to_rule_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float):
        return float(value)
    return value


def rule_context(values: Mapping[str, Any], today: date, symbols: frozenset[str]) -> dict[str, Any]:
    """Turn metric values into what rule-engine evaluates: dates as UTC datetimes, numbers as floats."""
    thing = {name: _to_rule_value(values.get(name)) for name in symbols}
    thing["today"] = _to_rule_value(today)
    return thing


def _outside_strings(text: str) -> str:
    """Blank out string literals and comments, so operators inside quotes are not mistaken."""
    text = _STRING.sub(lambda m: " " * len(m.group(0)), text)
    return re.sub(r"#.*", "", text)


def _refuse_unsafe(text: str) -> None:
    code = _outside_strings(text)
    for op in _REGEX_OPERATORS:
        if op in code:
            raise ExpressionError(
                f"regular-expression operator '{op}' is not allowed (a slow pattern could stall "
                f"pmrollup); compare with '==', 'in' or '.starts_with' instead")
    for match in _SYMBOL.finditer(code):
        symbol = match.group(0)
        if symbol.startswith("$"):
            hint = (" ($today reads the machine clock; use `today`, pmrollup's today)"
                    if symbol in ("$today", "$now") else "")
            raise ExpressionError(f"built-in symbol '{symbol}' is not allowed{hint}")
        if symbol in NOT_IN_RULES:
            raise ExpressionError(f"'{symbol}' is computed from the findings of the rules, "
                                  f"so a rule cannot use it")


def _refuse_too_large(text: str) -> None:
    code = _outside_strings(text)
    operators = len(_OPERATOR.findall(code))
    if operators > MAX_OPERATORS:
        raise ExpressionError(f"too long: {operators:,} operators where a rule may have at most "
                              f"{MAX_OPERATORS}; split it into several rules")
    depth = deepest = 0
    for char in code:
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise ExpressionError(f"nested too deeply: {deepest:,} levels of brackets where a rule may "
                              f"have at most {MAX_NESTING}")


def _type_hint(text: str, kinds: Mapping[str, str]) -> str:
    used = sorted({m.group(0) for m in _SYMBOL.finditer(_outside_strings(text))} & set(kinds))
    shown = [f"{name} is {KIND_WORDS[kinds[name]]}" for name in used]
    return f" ({', '.join(shown)})" if shown else ""


def compile_expression(text: str, kinds: Mapping[str, str]) -> Expression:
    """Compile a `when` expression against metric kinds; raise ExpressionError saying what is wrong."""
    _refuse_unsafe(text)
    _refuse_too_large(text)
    types = {name: KIND_TYPES[kind] for name, kind in kinds.items() if name not in NOT_IN_RULES}
    types["today"] = DataType.DATETIME
    context = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(types),
                                  default_timezone="utc")
    try:
        rule = rule_engine.Rule(text, context=context)
    except rule_engine.SymbolResolutionError as exc:
        hint = f" (did you mean '{exc.suggestion}'?)" if exc.suggestion else ""
        raise ExpressionError(f"unknown metric '{exc.symbol_name}'{hint}") from exc
    except rule_engine.RuleSyntaxError as exc:
        where = f" at column {exc.token.lexpos + 1}" if exc.token is not None else " at the end"
        reason = exc.message.split(" at: ")[0]
        raise ExpressionError(f"{reason}{where}") from exc
    except rule_engine.EngineError as exc:
        if "mismatch" in exc.message:
            detail = exc.message.replace("data type mismatch", "").strip(" ()")
            detail = f": {detail}" if detail else ""
            raise ExpressionError(f"type mismatch{detail}{_type_hint(text, kinds)}") from exc
        raise ExpressionError(exc.message) from exc
    except OverflowError as exc:  # rule-engine works out constant parts, such as d'...' + t'...', here
        raise ExpressionError(f"a date or duration is out of range: {_RANGE_HINT}") from exc
    except RecursionError as exc:
        raise ExpressionError("too long or nested too deeply to read; split it into several "
                              "rules") from exc
    result = rule.statement.expression.result_type
    if result not in (DataType.BOOLEAN, DataType.UNDEFINED):
        raise ExpressionError(f"must be true or false, but gives {result.name.lower()}")
    symbols = frozenset(context.symbols) - {"today"}
    return Expression(text=text, rule=rule, symbols=symbols)
