"""Read the rule files in force from disk (those app.yaml names, else the shipped defaults)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import rules
from rules.config import AppConfig
from rules.engine import RuleSet, RuleSource, compile_rules, rule_set
from rules.rulefile import RuleError
from rules.yamltext import UnreadableText
from webhooks.settings.text import read_text

DEFAULT_RULES_DIR = Path(rules.__file__).parent / "defaults"


def default_rule_files() -> tuple[str, ...]:
    """Return the rule files that ship with pmrollup."""
    return tuple(str(p) for p in sorted(DEFAULT_RULES_DIR.glob("*.yaml")))


def rule_paths(config: AppConfig) -> tuple[str, ...]:
    """Return the rule files in force: those configured, else the shipped defaults."""
    return config.rule_files or default_rule_files()


def expand(paths: Sequence[str | Path]) -> list[Path]:
    """Return the files named, a folder standing for its *.yaml and *.yml files."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path])
    return found


def read_rule_files(paths: Sequence[str | Path]) -> list[RuleSource]:
    """Read each rule file (or folder of them): its text, or why it cannot be read."""
    sources: list[RuleSource] = []
    for path in expand(paths):
        file = str(path)
        try:
            sources.append(RuleSource(file, read_text(path)))
        except OSError as exc:
            sources.append(RuleSource(file, error=RuleError(f"cannot be read: {exc.strerror}", file=file)))
        except UnreadableText as exc:
            sources.append(RuleSource(file, error=RuleError(
                exc.problem.message, file=file, line=exc.problem.line, column=exc.problem.column)))
    return sources


def check_rule_files(paths: Sequence[str | Path]) -> list[RuleError]:
    """Validate rule files (or folders of them) and return every problem found, for `rules check`."""
    return compile_rules(read_rule_files(paths))[1]


def load_rules(paths: Sequence[str | Path]) -> RuleSet:
    """Load and compile rule files (or folders of them); raise the first RuleError found."""
    return rule_set(read_rule_files(paths))
