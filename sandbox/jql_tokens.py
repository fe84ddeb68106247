"""Split JQL into tokens and word Jira's syntax errors, for the sandbox's JQL parser."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import jql_values as values

RESERVED = frozenset("+.;?*/%^$#@[]")
SPECIALS = frozenset("=!<>~(),\"'&|")
ESCAPES = {"'": "'", '"': '"', "t": "\t", "n": "\n", "r": "\r", "\\": "\\", " ": " "}


class JqlError(Exception):
    """A query Jira would refuse; str(e) is the message Jira puts in errorMessages."""


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | op | ( | ) | , | cf | eof
    value: str
    at: int
    text: str  # as written, for messages

    def word(self, *names: str) -> bool:
        """Say whether this is an unquoted word equal (case-insensitively) to one of names."""
        return self.kind == "word" and self.value.lower() in names


def _where(source: str, at: int) -> str:
    """Render Jira's '(line L, character C)' for an offset."""
    line = source.count("\n", 0, at) + 1
    return f"(line {line}, character {at - (source.rfind(chr(10), 0, at) + 1) + 1})"


def syntax_error(source: str, message: str, at: int | None = None) -> JqlError:
    """Word a syntax error as Jira does, with its position when there is one."""
    suffix = "" if at is None else f" {_where(source, at)}"
    return JqlError(f"Error in the JQL Query: {message}{suffix}")


def _escape(source: str, i: int) -> tuple[str, int]:
    """Read the escape sequence starting at the backslash at i."""
    nxt = source[i + 1 : i + 2]
    if nxt in ESCAPES:
        return ESCAPES[nxt], i + 2
    digits = source[i + 2 : i + 6]
    if nxt == "u" and len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
        return chr(int(digits, 16)), i + 6
    raise syntax_error(
        source,
        f"'\\{nxt}' is an illegal JQL escape sequence. The valid escape sequences are \\', \\\", \\t, \\n, "
        "\\r, \\\\, '\\ ' and \\uXXXX.",
        i,
    )


def tokenize(source: str) -> list[Token]:
    """Split JQL into tokens, refusing reserved characters and unfinished strings as Jira does."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c.isspace():
            i += 1
        elif c in "\"'":
            start, i, chars = i, i + 1, []
            while i < n and source[i] != c:
                if source[i] == "\\" and i + 1 < n:
                    ch, i = _escape(source, i)
                    chars.append(ch)
                else:
                    chars.append(source[i])
                    i += 1
            if i >= n:
                raise syntax_error(
                    source, f"The quoted string '{source[start + 1 :]}' has not been completed.", start
                )
            tokens.append(Token("string", "".join(chars), start, source[start : i + 1]))
            i += 1
        elif source.startswith(("!=", "<=", ">=", "!~"), i):
            tokens.append(Token("op", source[i : i + 2], i, source[i : i + 2]))
            i += 2
        elif source.startswith(("&&", "||"), i) or c in "&|!":
            width = 2 if source.startswith(("&&", "||"), i) else 1
            word = {"&": "and", "|": "or", "!": "not"}[c]
            tokens.append(Token("word", word, i, source[i : i + width]))
            i += width
        elif c in "=<>~":
            tokens.append(Token("op", c, i, c))
            i += 1
        elif c in "(),":
            tokens.append(Token(c, c, i, c))
            i += 1
        else:
            i = _read_word(source, i, tokens)
    tokens.append(Token("eof", "", n, ""))
    return tokens


def _read_word(source: str, start: int, tokens: list[Token]) -> int:
    """Read a bare word (or cf[NNNNN]) at start, append it and return the next offset."""
    lowered = source[start : start + 3].lower()
    if lowered == "cf[":
        end = source.find("]", start)
        digits = source[start + 3 : end] if end > 0 else ""
        if digits.isdigit() and digits.isascii():
            tokens.append(Token("cf", f"cf[{digits}]", start, source[start : end + 1]))
            return end + 1
    i, chars = start, []
    while i < len(source) and not source[i].isspace() and source[i] not in SPECIALS:
        if source[i] == "\\":
            ch, i = _escape(source, i)
            chars.append(ch)
            continue
        chars.append(source[i])
        i += 1
    word = "".join(chars)
    if not values.is_number(word):
        for offset, ch in enumerate(source[start:i]):
            if ch in RESERVED:
                raise syntax_error(
                    source,
                    f"The character '{ch}' is a reserved JQL character. You must enclose it in a string "
                    f"or use the escape '\\u{ord(ch):04x}' instead.",
                    start + offset,
                )
    tokens.append(Token("word", word, start, source[start:i]))
    return i
