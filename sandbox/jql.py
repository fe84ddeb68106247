"""Parse and evaluate the subset of JQL pmrollup uses, with Jira's semantics and error wordings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sandbox import jql_values as values
from sandbox.jql_tokens import JqlError, Token, syntax_error, tokenize

__all__ = ["ALIASES", "JqlError", "Query", "parse_jql"]

# Other names Jira accepts for the same clause; Query.fields holds the name on the right.
ALIASES = {
    "issue": "key", "issuekey": "key", "type": "issuetype", "due": "duedate",
    "createddate": "created", "updateddate": "updated",
}  # fmt: skip
DATE_FIELDS = frozenset({"duedate", "created", "updated", "resolved", "resolutiondate", "lastviewed"})
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"})
UNSUPPORTED_OPERATORS = frozenset({"was", "changed"})
FUNCTIONS = frozenset({"now", "startofday", "endofday"})
VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
)
MAX_DEPTH = 64


# --- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Func:
    """A function operand such as now() or startOfDay(-1d)."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Value:
    """A literal operand: a bare word, number or quoted string, unescaped."""

    text: str


class Empty:
    """The EMPTY / NULL operand."""


EMPTY = Empty()
Item = Value | Func | Empty


@dataclass(frozen=True)
class Clause:
    """One `field op operand` comparison."""

    field: str  # canonical lowercased name
    op: str  # = != < <= > >= in "not in" is "is not"
    operand: tuple[Item, ...]  # one item, or a list's items


@dataclass(frozen=True)
class Not:
    """NOT applied to a clause or a parenthesised query."""

    node: Node


@dataclass(frozen=True)
class Bool:
    """Operands joined by AND or by OR."""

    op: str  # and | or
    nodes: tuple[Node, ...]


Node = Clause | Not | Bool


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY field and its direction."""

    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    """A parsed query: what it names, whether an issue matches, and its ORDER BY."""

    where: Node | None
    order: tuple[SortKey, ...]
    fields: frozenset[str]
    keys_named: frozenset[str]
    now: datetime | None = field(default=None, compare=False)

    @property
    def bounded(self) -> bool:
        """Say whether the query restricts anything (Cloud refuses unbounded searches)."""
        return self.where is not None

    def matches(self, issue: Mapping[str, object], now: datetime | None = None) -> bool:
        """Say whether an issue (a dict keyed by lowercased field name) satisfies the query."""
        if self.where is None:
            return True
        return _evaluate(self.where, issue, now or self.now or values.utc_now())

    def sort(self, issues: list[Mapping[str, object]]) -> list[Mapping[str, object]]:
        """Order issues by ORDER BY (EMPTY last ascending), ties and default by natural key."""
        ordered = sorted(issues, key=lambda issue: values.sort_value("key", issue.get("key")))
        for sort_key in reversed(self.order):
            ordered.sort(
                key=lambda issue, f=sort_key.field: values.sort_value(f, issue.get(f)),  # type: ignore[misc]
                reverse=sort_key.descending,
            )
        return ordered


def parse_jql(text: str, *, now: datetime | None = None) -> Query:
    """Parse JQL into a Query, raising JqlError with Jira's wording for anything outside the subset."""
    return _Parser(text).parse(now)


# --- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.fields: set[str] = set()
        self.keys: set[str] = set()

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, expected: str, token: Token, hint: str = "") -> JqlError:
        if token.kind == "eof":
            return syntax_error(self.source, f"Expecting {expected} before the end of the query.{hint}")
        return syntax_error(self.source, f"Expecting {expected} but got '{token.text}'.{hint}", token.at)

    def parse(self, now: datetime | None) -> Query:
        where = None if self.peek().kind == "eof" or self.peek().word("order") else self.or_expr(0)
        order: list[SortKey] = []
        token = self.peek()
        if token.word("order"):
            self.take()
            if not self.take().word("by"):
                raise self.fail("'BY'", self.tokens[self.i - 1])
            order.append(self.sort_key())
            while self.peek().kind == ",":
                self.take()
                order.append(self.sort_key())
            token = self.peek()
        if token.kind != "eof":
            raise self.fail("either 'OR' or 'AND'", token)
        return Query(where, tuple(order), frozenset(self.fields), frozenset(self.keys), now)

    def sort_key(self) -> SortKey:
        name = self.field_name()
        descending = self.peek().word("desc")
        if self.peek().word("asc", "desc"):
            self.take()
        return SortKey(name, descending)

    def or_expr(self, depth: int) -> Node:
        return self.chain("or", depth)

    def chain(self, op: str, depth: int) -> Node:
        """Read operands joined by op; AND binds tighter than OR."""
        nodes = [self.chain("and", depth) if op == "or" else self.unary(depth)]
        while self.peek().word(op):
            self.take()
            nodes.append(self.chain("and", depth) if op == "or" else self.unary(depth))
        return nodes[0] if len(nodes) == 1 else Bool(op, tuple(nodes))

    def unary(self, depth: int) -> Node:
        """Read NOT, a parenthesised query or a clause; NOT binds tighter than AND."""
        token = self.peek()
        if token.word("not") or token.kind == "(":
            if depth >= MAX_DEPTH:
                raise syntax_error(self.source, "The query is nested too deeply.", token.at)
            self.take()
            if token.kind != "(":
                return Not(self.unary(depth + 1))
            node = self.or_expr(depth + 1)
            closing = self.take()
            if closing.kind == "eof":
                raise self.fail("')'", closing)
            if closing.kind != ")":
                raise self.fail("either 'OR' or 'AND'", closing)
            return node
        return self.clause()

    def field_name(self) -> str:
        token = self.take()
        if token.kind == "eof":
            raise syntax_error(self.source, "Expecting a field name at the end of the query.")
        if token.kind in ("string", "cf") or (token.kind == "word" and token.value.lower() not in KEYWORDS):
            name = token.value.strip().lower()
            name = ALIASES.get(name, name)
            self.fields.add(name)
            return name
        hint = f" You must surround '{token.text}' in quotation marks to use it as a field name."
        raise self.fail("a field name", token, hint)

    def operator(self, written: str) -> str:
        token = self.take()
        if token.kind == "op":
            if token.value in ("~", "!~"):
                raise JqlError(f"The operator '{token.value}' is not supported by the '{written}' field.")
            return token.value
        if token.word(*UNSUPPORTED_OPERATORS):
            raise JqlError(f"The operator '{token.value.lower()}' is not supported by the '{written}' field.")
        if token.word("in"):
            return "in"
        if token.word("is"):
            if self.peek().word("not"):
                self.take()
                return "is not"
            return "is"
        if token.word("not") and self.peek().word("in"):
            self.take()
            return "not in"
        if token.word("not") and self.peek().word(*UNSUPPORTED_OPERATORS):
            unsupported = f"not {self.peek().value.lower()}"
            raise JqlError(f"The operator '{unsupported}' is not supported by the '{written}' field.")
        raise self.fail("operator", token, f" {VALID_OPERATORS}")

    def clause(self) -> Clause:
        written = self.peek().value
        name = self.field_name()
        op = self.operator(written)
        value_token = self.peek()
        operand = self.operand()
        is_list = value_token.kind == "("
        if op in ("is", "is not") and operand != (EMPTY,):
            raise self.fail("'EMPTY'", value_token)
        if op in ("in", "not in") and not is_list and not isinstance(operand[0], Func):
            refused = f"Operator '{op}' does not support the non-list value '{value_token.text}'"
            raise JqlError(f"{refused} for field '{written}'.")
        if is_list and op not in ("in", "not in"):
            raise JqlError(f"Operator '{op}' does not support the list value for field '{written}'.")
        self.check_values(name, written, op, operand)
        return Clause(name, op, operand)

    def check_values(self, name: str, written: str, op: str, operand: tuple[Item, ...]) -> None:
        for item in operand:
            if isinstance(item, Value) and name in DATE_FIELDS and not values.is_date_text(item.text):
                message = f"Date value '{item.text}' for field '{written}' is invalid."
                raise JqlError(f"{message} {values.DATE_FORMATS_HELP}")
            if (
                isinstance(item, Value)
                and name == "statuscategory"
                and not values.is_status_category(item.text)
            ):
                raise JqlError(f"The value '{item.text}' does not exist for the field '{written}'.")
            if isinstance(item, Value) and name == "key" and op in ("=", "!=", "in", "not in"):
                if not (values.is_issue_key(item.text) or item.text.strip().isdigit()):
                    raise JqlError(f"The issue key '{item.text}' for field '{written}' is invalid.")
                if values.is_issue_key(item.text):
                    self.keys.add(item.text.strip().upper())

    def operand(self) -> tuple[Item, ...]:
        if self.peek().kind != "(":
            return (self.item(),)
        self.take()
        items = [self.item()]
        while self.peek().kind == ",":
            self.take()
            items.append(self.item())
        closing = self.take()
        if closing.kind != ")":
            raise self.fail("')'", closing)
        return tuple(items)

    def item(self) -> Item:
        token = self.take()
        hint = f" You must surround '{token.text}' in quotation marks to use it as a value."
        if token.kind == "string":
            return Value(token.value)
        if token.kind != "word" or token.value.lower() in KEYWORDS - {"empty", "null"}:
            raise self.fail("either a value, list or function", token, hint if token.kind != "eof" else "")
        if token.word("empty", "null"):
            return EMPTY
        if self.peek().kind != "(":
            return Value(token.value)
        return self.function(token)

    def function(self, name: Token) -> Func:
        self.take()
        args: list[str] = []
        while self.peek().kind in ("word", "string"):
            args.append(self.take().value)
            if self.peek().kind != ",":
                break
            self.take()
        closing = self.take()
        if closing.kind != ")":
            raise self.fail("')'", closing)
        if name.value.lower() not in FUNCTIONS:
            raise JqlError(f"Unable to find JQL function '{name.value}()'.")
        most = 0 if name.value.lower() == "now" else 1
        if len(args) > most or not all(values.is_date_text(arg) for arg in args):
            raise JqlError(f"Function '{name.value}' does not accept the arguments ({', '.join(args)}).")
        return Func(name.value.lower(), tuple(args))


# --- evaluation --------------------------------------------------------------------------------


def _evaluate(node: Node, issue: Mapping[str, object], now: datetime) -> bool:
    if isinstance(node, Bool):
        results = (_evaluate(child, issue, now) for child in node.nodes)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not _evaluate(node.node, issue, now)
    return _clause_matches(node, issue, now)


def _function_time(func: Func, now: datetime) -> datetime:
    """Evaluate now(), startOfDay([period]) or endOfDay([period]) in UTC."""
    if func.name == "now":
        return now
    moment = values.shift_by_period(func.args[0], now) if func.args else now
    start = (moment or now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start if func.name == "startofday" else start + timedelta(days=1) - timedelta(microseconds=1)


def _clause_matches(clause: Clause, issue: Mapping[str, object], now: datetime) -> bool:
    present = values.present_values(issue.get(clause.field))
    if clause.op in ("is", "is not"):
        return (clause.op == "is") == (not present)
    wants_empty = any(isinstance(item, Empty) for item in clause.operand)
    real = [item for item in clause.operand if not isinstance(item, Empty)]
    op = "=" if clause.op in ("in", "not in", "!=") else clause.op
    if op == "=" and present and _settable(clause):
        hit = any(_equals_any(clause, value, issue, now) for value in present)
    else:
        hit = any(_item_matches(clause.field, op, value, item, issue, now)
                  for value in present for item in real)
    if clause.op in ("!=", "not in"):
        # Jira: != and NOT IN never match an empty field; "!= EMPTY" means "is not empty".
        return bool(present) and not hit
    return hit or (wants_empty and not present)


def _settable(clause: Clause) -> bool:
    """Say whether equality can be a set lookup: plain values, no numeric keys standing for ids."""
    numeric = any(isinstance(i, Value) and i.text.strip().isdigit() for i in clause.operand)
    plain = all(isinstance(i, Value | Empty) for i in clause.operand)
    return plain and not (clause.field == "key" and numeric)


def _equals_any(clause: Clause, value: object, issue: Mapping[str, object], now: datetime) -> bool:
    """Say whether `value` equals one of the clause's values; a set lookup for all but dates."""
    left = values.comparable(clause.field, value)
    if left is None:
        return False
    if isinstance(left, datetime):  # relative dates depend on `now`: compare one by one
        return any(_item_matches(clause.field, "=", value, item, issue, now) for item in clause.operand
                   if not isinstance(item, Empty))
    return left in _operand_set(clause, type(left).__name__)


_SAMPLES: dict[str, values.Comparable] = {"float": 0.0, "tuple": values.key_order("A-1"), "str": ""}


@lru_cache(maxsize=1024)
def _operand_set(clause: Clause, kind: str) -> frozenset[object]:
    """Read the clause's values once as one kind of issue value (numbers, keys or text)."""
    like = _SAMPLES[kind]
    found = (values.coerce_operand(clause.field, i.text, like, datetime.now(UTC))
             for i in clause.operand if isinstance(i, Value))
    return frozenset(v for v in found if v is not None)


def _item_matches(
    field_name: str, op: str, value: object, item: Item, issue: Mapping[str, object], now: datetime
) -> bool:
    if field_name == "key" and isinstance(item, Value) and item.text.strip().isdigit():
        field_name, value = "id", issue.get("id")
    left = values.comparable(field_name, value)
    if left is None:
        return False
    if isinstance(item, Func):
        right: values.Comparable | None = _function_time(item, now) if isinstance(left, datetime) else None
    else:
        assert isinstance(item, Value)
        right = values.coerce_operand(field_name, item.text, left, now)
    return right is not None and values.compare(op, left, right)
