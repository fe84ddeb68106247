"""Find and read `app.yaml`, and place the paths it names beside it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from rules.config import AppConfig, ConfigError, parse_config
from rules.yamltext import UnreadableText
from webhooks.settings.text import read_text

CONFIG_ENV = "PMROLLUP_CONFIG"


def config_path(cli_value: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Pick the file: `--config`, then `PMROLLUP_CONFIG`, then `./app.yaml`."""
    env = os.environ if environ is None else environ
    return Path(cli_value or env.get(CONFIG_ENV) or "app.yaml")


def load_config(path: str | Path) -> AppConfig:
    """Read and validate one `app.yaml`; raise ConfigError naming file, line and key."""
    path = Path(path)
    try:
        text = read_text(path)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such file; pass --config FILE or set {CONFIG_ENV}"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    except UnreadableText as exc:
        raise ConfigError(f"{path}:{exc.problem.line}: {exc.problem.message}") from exc
    return beside(parse_config(text, str(path)), path.resolve().parent)


def beside(config: AppConfig, folder: Path) -> AppConfig:
    """Return the settings with the rule files and the store that app.yaml names relative to
    itself placed in `folder`, the file's own."""
    def placed(name: str) -> str:
        return name if Path(name).is_absolute() else str(folder / name)

    return replace(config, rule_files=tuple(placed(p) for p in config.rule_files),
                   store_path=placed(config.store_path))
