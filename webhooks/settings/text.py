"""Read the text of a file admins edit (app.yaml, a rule file): bytes from disk, checked as UTF-8."""

from __future__ import annotations

from pathlib import Path

from rules.yamltext import TextProblem, UnreadableText


def read_text(path: Path) -> str:
    """Return a file's text; raise OSError, or UnreadableText where it is not UTF-8."""
    return decode(path.read_bytes())


def decode(data: bytes) -> str:
    """Decode UTF-8, or raise UnreadableText naming the first bad byte's offset (from 0) and line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableText(TextProblem(
            f"not valid UTF-8: byte {exc.start} (0x{data[exc.start]:02x}) cannot be read; "
            f"save the file as UTF-8", line)) from exc
