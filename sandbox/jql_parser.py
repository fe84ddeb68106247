"""Parse the subset of JQL pmrollup uses into a syntax tree, refusing the rest in Jira's wording."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import jql_values as values
from sandbox.jql_tokens import JqlError, Token, syntax_error, tokenize
from sandbox.jql_tree import EMPTY, Bool, Clause, Func, Item, Node, Not, SortKey, Value

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


@dataclass(frozen=True)
class Parsed:
    """What a query says: its condition, its ORDER BY, and the fields and issue keys it names."""

    where: Node | None
    order: tuple[SortKey, ...]
    fields: frozenset[str]
    keys_named: frozenset[str]


class Parser:
    """Read JQL tokens into a syntax tree, noting the fields and issue keys it names."""

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

    def parse(self) -> Parsed:
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
        return Parsed(where, tuple(order), frozenset(self.fields), frozenset(self.keys))

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
