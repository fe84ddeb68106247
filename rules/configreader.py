"""Read typed values out of parsed `app.yaml`, each refusal naming the file, the line and the key."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

import yaml

from rules.cron import CronError, parse_cron


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


def _shown(value: Any) -> str:
    """Show a value as the admin wrote it in YAML (`.nan`, `.inf`), else as Python reprs it."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return repr(value)


class KeyReader:
    """Walk the parsed YAML with its node tree at hand, so errors carry line numbers."""

    def __init__(self, filename: str, node: yaml.Node | None,
                 sections: Mapping[str, tuple[str, ...]]) -> None:
        self.filename = filename
        self.sections = sections
        self.lines: dict[str, int] = {}
        if node is not None:
            self._index(node, "")

    def _index(self, node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                dotted = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
                self.lines[dotted] = key_node.start_mark.line + 1
                self._index(value_node, dotted)

    def fail(self, key: str, expected: str, got: Any = None, show_got: bool = True,
             why: str = "") -> ConfigError:
        """Return the error for one key: where it is, what was expected, what was found and why
        it does not do."""
        line = self.lines.get(key)
        where = f"{self.filename}:{line}" if line else self.filename
        shown = f", got {_shown(got)}" if show_got else ""
        because = f": {why}" if why else ""
        return ConfigError(f"{where}: key '{key}': expected {expected}{shown}{because}")

    def section(self, data: Any, name: str) -> dict[str, Any]:
        """Return one section's mapping, refusing keys it does not have."""
        value = data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(name or "(top level)", "a mapping of keys", value)
        allowed = self.sections[name]
        for key in value:
            if str(key) not in allowed:
                dotted = f"{name}.{key}" if name else str(key)
                near = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise self.fail(dotted, f"one of: {', '.join(allowed)}{hint}", show_got=False)
        return value

    def string(self, sec: dict[str, Any], name: str, key: str, default: str,
               choices: tuple[str, ...] = ()) -> str:
        """Return a non-empty text, one of `choices` when given."""
        value = sec.get(key, default)
        dotted = f"{name}.{key}" if name else key
        if not isinstance(value, str) or not value.strip():
            raise self.fail(dotted, "a non-empty text", value)
        if choices and value not in choices:
            raise self.fail(dotted, f"one of {', '.join(choices)}", value)
        return value

    def strings(self, sec: dict[str, Any], name: str, key: str,
                default: tuple[str, ...]) -> tuple[str, ...]:
        """Return a list of names (one name alone is a list of one)."""
        value = sec.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{name}.{key}", "a list of names", value)
        return tuple(value)

    def number(self, sec: dict[str, Any], name: str, key: str, default: float | None,
               minimum: float = 0.0, integer: bool = False, maximum: float | None = None) -> Any:
        """Return a finite number within bounds (`.nan` and `.inf` are refused), or None when
        the key is absent and has no default."""
        value: Any = sec.get(key, default)
        if value is None and default is None:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if (isinstance(value, bool) or not ok or not math.isfinite(value) or value < minimum
                or (maximum is not None and value > maximum)):
            kind = "a whole number" if integer else "a number"
            bounds = (f"from {minimum:g} to {maximum:g}" if maximum is not None
                      else f"of at least {minimum:g}")
            raise self.fail(f"{name}.{key}", f"{kind} {bounds}", value)
        return value

    def flag(self, sec: dict[str, Any], name: str, key: str, default: bool) -> bool:
        """Return true or false."""
        value = sec.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{name}.{key}", "true or false", value)
        return value

    def cron(self, sec: dict[str, Any], name: str, key: str, default: str, timezone: str) -> str:
        """Return a cron expression that the schedules' own parser reads."""
        value = self.string(sec, name, key, default)
        try:
            parse_cron(value, timezone)
        except CronError as exc:
            raise self.fail(f"{name}.{key}", "a cron expression such as '0 2 * * *'", value,
                            why=exc.reason) from exc
        return value
