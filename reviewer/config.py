"""Settings from ``.latest-guard.yml`` or ``[tool.latest-guard]`` in ``pyproject.toml``.

```yaml
fail-on: error            # error | warning | notice | never
rules:
  disable: [LG003]        # or  enable: [LG001, LG002]  to run only those
ignore-functions:         # logical ids, or stack/logical-id
  - LegacyFn
code-ignore:              # files of a SAM code folder that no runtime loads, besides the
  - "docs/**"             # default list (README.md, LICENSE, ...: see
  - "*.txt"               # reviewer/sources/cloudformation/not_code.py)
code-ignore-defaults: true  # false: only code-ignore's own patterns are left out
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.contract.enums import FailOn
from reviewer.errors import ConfigError

CONFIG_NAMES = (".latest-guard.yml", ".latest-guard.yaml")
_KEYS = {"fail-on", "rules", "ignore-functions", "code-ignore", "code-ignore-defaults"}


@dataclass(frozen=True)
class Config:
    fail_on: FailOn = FailOn.ERROR
    enabled: frozenset[str] | None = None
    disabled: frozenset[str] = frozenset()
    ignore_functions: tuple[str, ...] = ()
    source: str | None = field(default=None, compare=False)
    #: Glob patterns of files in a code folder that do not count toward its content hash.
    code_ignore: tuple[str, ...] = ()
    #: Whether the default list of such files (Markdown, LICENSE, ...) applies too.
    code_ignore_defaults: bool = True

    def rule_enabled(self, rule_id: str) -> bool:
        if rule_id in self.disabled:
            return False
        return self.enabled is None or rule_id in self.enabled

    def ignores(self, stack: str, function: str) -> bool:
        return function in self.ignore_functions or f"{stack}/{function}" in self.ignore_functions


def find_config(start: Path) -> Path | None:
    """The nearest configuration file in ``start`` or its parents (up to a repository root)."""
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (directory / ".git").exists():
            break
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return "latest-guard" in data.get("tool", {})


def load_config(path: Path | None, known_rules: frozenset[str]) -> Config:
    """Read a configuration file; ``None`` gives the defaults."""
    if path is None:
        return Config()
    raw = _read_pyproject(path) if path.name == "pyproject.toml" else _read_yaml(path)
    return _parse(path, raw, known_rules)


def _read_pyproject(path: Path) -> Any:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, "no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"malformed TOML: {exc}") from None
    return data.get("tool", {}).get("latest-guard", {})


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot be read: {exc}") from None
    try:
        return yaml.safe_load(text) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(path, f"malformed YAML: {exc.problem}", line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, f"malformed YAML: {exc}") from None


def _parse(path: Path, raw: Any, known_rules: frozenset[str]) -> Config:
    if not isinstance(raw, Mapping):
        raise ConfigError(path, "the configuration must be a mapping")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            path, f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})"
        )
    spelled = str(raw.get("fail-on", FailOn.ERROR)).lower()
    if spelled not in FailOn.__members__.values():
        raise ConfigError(path, f"fail-on must be one of {', '.join(FailOn)}")
    fail_on = FailOn(spelled)
    rules = raw.get("rules", {}) or {}
    if not isinstance(rules, Mapping) or set(rules) - {"enable", "disable"}:
        raise ConfigError(path, "rules takes 'enable' and/or 'disable' lists of rule ids")
    enabled = _rule_ids(path, rules.get("enable"), known_rules)
    disabled = _rule_ids(path, rules.get("disable"), known_rules) or frozenset()
    ignore = raw.get("ignore-functions", []) or []
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise ConfigError(path, "ignore-functions must be a list of logical ids")
    code_ignore = raw.get("code-ignore", []) or []
    if isinstance(code_ignore, str):
        code_ignore = [code_ignore]
    if not isinstance(code_ignore, list) or not all(
        isinstance(p, str) and p.strip() for p in code_ignore
    ):
        raise ConfigError(path, "code-ignore must be a list of glob patterns such as 'docs/**'")
    defaults = raw.get("code-ignore-defaults", True)
    if not isinstance(defaults, bool):
        raise ConfigError(path, "code-ignore-defaults must be true or false")
    return Config(
        fail_on, enabled, disabled, tuple(ignore), str(path), tuple(code_ignore), defaults
    )


def _rule_ids(path: Path, value: Any, known: frozenset[str]) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(path, "rule lists must be lists of rule ids such as LG001")
    ids = frozenset(str(v).upper() for v in value)
    bad = sorted(ids - known)
    if bad:
        raise ConfigError(path, f"unknown rule {bad[0]} (known: {', '.join(sorted(known))})")
    return ids
