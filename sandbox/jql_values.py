"""Value semantics for the sandbox's JQL: dates, periods, natural key order and comparisons."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

KEY_FIELDS = frozenset({"key", "parent", "epic link", "parent link"})
CASELESS_FIELDS = frozenset({"project", "issuetype", "status", "statuscategory"})
# Jira's statusCategory clause accepts the category's name, key or id.
STATUS_CATEGORY_NAMES = {
    "new": "to do", "2": "to do", "indeterminate": "in progress", "4": "in progress", "3": "done",
}  # fmt: skip
DATE_FORMATS_HELP = (
    "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
    "or a period format e.g. '-5d', '4w 2d'."
)

_PERIOD = re.compile(r"([+-]?)\s*((?:\d+\s*[yMwdhm]\s*)+)")
_PERIOD_PART = re.compile(r"(\d+)\s*([yMwdhm])")
_ABSOLUTE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?")
_ISSUE_KEY = re.compile(r"([A-Za-z][A-Za-z0-9_]*)-(\d+)")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)

Comparable = float | datetime | str | tuple[str, int]


def utc_now() -> datetime:
    """Return the real current time in UTC."""
    return datetime.now(UTC)


def _add_months(moment: datetime, months: int) -> datetime:
    """Shift a datetime by calendar months, clamping the day as Jira does."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def shift_by_period(text: str, now: datetime) -> datetime | None:
    """Apply a Jira period such as '-5d' or '4w 2d' to now; None when text is no period."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    moment, delta = now, timedelta()
    try:
        for amount, unit in _PERIOD_PART.findall(match.group(2)):
            count = sign * int(amount)
            if unit in "yM":
                moment = _add_months(moment, count * (12 if unit == "y" else 1))
            else:
                delta += timedelta(**{_UNITS[unit]: count})
        return moment + delta
    except (OverflowError, ValueError):
        return None


def absolute_date(text: str) -> datetime | None:
    """Read 'yyyy-MM-dd', 'yyyy/MM/dd' with optional ' HH:mm' as a UTC datetime; None if it is not one."""
    match = _ABSOLUTE.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None


def is_date_text(text: str) -> bool:
    """Say whether text is a date or a period Jira accepts for a date field."""
    return absolute_date(text) is not None or shift_by_period(text, _REFERENCE) is not None


def date_of(text: str, now: datetime) -> datetime | None:
    """Turn a date or period operand into a UTC datetime relative to now."""
    return absolute_date(text) or shift_by_period(text, now)


def as_utc(value: date | datetime) -> datetime:
    """Make a date (midnight, as Jira reads a date field) or datetime comparable in UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def key_order(text: str) -> tuple[str, int]:
    """Return the natural order of an issue key: project first, then the number (PAY-9 < PAY-10)."""
    match = _ISSUE_KEY.fullmatch(text.strip())
    if match is None:
        return (text.strip().upper(), -1)
    return (match.group(1).upper(), int(match.group(2)))


def is_status_category(text: str) -> bool:
    """Say whether text names a status category by name, key or id."""
    folded = text.strip().casefold()
    return folded in STATUS_CATEGORY_NAMES or folded in STATUS_CATEGORY_NAMES.values()


def is_number(text: str) -> bool:
    """Say whether text is a plain number such as 5, -2 or 3.5."""
    return _NUMBER.fullmatch(text) is not None


def is_issue_key(text: str) -> bool:
    """Say whether text has the shape of an issue key."""
    return _ISSUE_KEY.fullmatch(text.strip()) is not None


def is_empty(value: object) -> bool:
    """Say whether a field value counts as EMPTY in JQL."""
    return value is None or value == "" or (isinstance(value, list | tuple | set | frozenset) and not value)


def present_values(value: object) -> list[object]:
    """Return a field's values as a list: none when EMPTY, each element of a multi-value field."""
    if is_empty(value):
        return []
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def comparable(field: str, value: object) -> Comparable | None:
    """Turn one issue value into something ordered consistently with Jira, or None when empty."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return str(value).casefold()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, date):
        return as_utc(value)
    if field in KEY_FIELDS:
        return key_order(str(value))
    return str(value).casefold()


def coerce_operand(field: str, text: str, like: Comparable, now: datetime) -> Comparable | None:
    """Read an operand's text as the same kind as an issue value; None when it cannot be compared."""
    if isinstance(like, float):
        return float(text) if _NUMBER.fullmatch(text.strip()) else None
    if isinstance(like, datetime):
        return date_of(text, now)
    if isinstance(like, tuple):
        return key_order(text)
    if field == "statuscategory":
        return STATUS_CATEGORY_NAMES.get(text.casefold(), text.casefold())
    return text.casefold()


COMPARATORS: dict[str, Callable[[Comparable, Comparable], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}


def compare(op: str, left: Comparable, right: Comparable) -> bool:
    """Compare two values of one kind; keys of different projects never satisfy a range."""
    if type(left) is not type(right):
        return False
    if op != "=" and isinstance(left, tuple) and isinstance(right, tuple) and left[0] != right[0]:
        return False
    return COMPARATORS[op](left, right)


def sort_value(field: str, value: object) -> tuple[int, Comparable]:
    """Give a sort key where each kind sorts within itself and EMPTY sorts last (ascending)."""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(str(v).casefold() for v in value)
        value = items[0] if items else None
    found = comparable(field, value)
    if found is None:
        return (9, "")
    rank = {float: 0, datetime: 1, tuple: 2, str: 3}[type(found)]
    return (rank, found)
