"""Parameter values of the new side: overrides as the deploy commands take them, and the rule
by which a deployment keeps the values it had.

Overrides come in the forms ``aws cloudformation deploy --parameter-overrides`` and
``sam deploy --parameter-overrides`` accept:

- ``Key=Value`` items (the value may hold ``=``), one per command-line argument, or several in
  one string as ``samconfig.toml`` stores them: ``'A=1 B="two words"'`` (quotes as in a shell);
  SAM's older ``ParameterKey=A,ParameterValue=1`` spelling too;
- a JSON file, ``file://params.json`` or a path ending in ``.json``: a list of ``"Key=Value"``
  strings, CloudFormation's ``[{"ParameterKey": ..., "ParameterValue": ...}]`` (an entry with
  ``UsePreviousValue: true`` keeps the deployed value) or CodePipeline's
  ``{"Parameters": {"Key": "Value"}}``;
- ``samconfig.toml`` (or ``.yaml``/``.yml``) next to a SAM template:
  ``[default.deploy.parameters] parameter_overrides`` as a string or a list of items, falling
  back to ``[default.global.parameters]``.

``apply_parameter_values`` then settles each parameter of the new side as a deployment would:
an override wins; a parameter not overridden keeps its deployed value (``aws cloudformation
deploy``, ``sam deploy`` and ``cdk deploy`` all pass ``UsePreviousValue`` for it); a parameter
the deployed stack does not have takes its ``Default``. Where a value cannot be known the
stack gets a note naming the parameter. Values never appear in a note or an error.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.aws.deployed import MASKED

OPTION = "--parameter-overrides"
SAMCONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
_KEY = re.compile(r"[A-Za-z0-9]+")
_PAIR = re.compile(r"(?:ParameterKey=[A-Za-z0-9]+,ParameterValue=|[A-Za-z0-9]+=)")
_SSM_TYPE = "AWS::SSM::Parameter::Value<"


@dataclass(frozen=True)
class SamConfig:
    """The deploy settings of one ``samconfig`` environment that matter for a baseline."""

    path: Path
    env: str
    parameter_overrides: Mapping[str, str] = field(default_factory=dict, repr=False)
    stack_name: str | None = None
    region: str | None = None
    profile: str | None = None


def parse_overrides(tokens: Sequence[str], *, base: Path | None = None) -> dict[str, str]:
    """Parameter values from ``--parameter-overrides`` arguments; later items win.

    ``base`` is the folder relative JSON file paths are read from (default: the current one).
    """
    values: dict[str, str] = {}
    for position, token in enumerate(tokens, start=1):
        if token.startswith("file://") or ("=" not in token and token.lower().endswith(".json")):
            values.update(load_json_file((base or Path()) / token.removeprefix("file://")))
        else:
            values.update(_items(token, OPTION, position))
    return values


def load_json_file(path: Path) -> dict[str, str]:
    """Parameter values from a JSON file in any of the three forms the AWS CLI reads."""
    document = _read_json(path)
    if isinstance(document, Mapping) and isinstance(document.get("Parameters"), Mapping):
        return {
            _key(str(k), path, i): parameter_text(v, path, str(k))
            for i, (k, v) in enumerate(document["Parameters"].items(), start=1)
        }
    if isinstance(document, list):
        values: dict[str, str] = {}
        for position, entry in enumerate(document, start=1):
            if isinstance(entry, str):
                values.update(_items(entry, path, position, several=False))
            elif isinstance(entry, Mapping) and "ParameterKey" in entry:
                key = _key(str(entry["ParameterKey"]), path, position)
                if entry.get("UsePreviousValue") is True:
                    values.pop(key, None)  # keeps the deployed value: not an override
                elif "ParameterValue" in entry:
                    values[key] = parameter_text(entry["ParameterValue"], path, key)
                else:
                    raise InputError(path, f"entry {position} ({key}) has no ParameterValue")
            else:
                raise InputError(path, f"entry {position} is neither \"Key=Value\" nor "
                                       "{\"ParameterKey\": ..., \"ParameterValue\": ...}")
        return values
    raise InputError(
        path,
        'not a parameter file: expected ["Key=Value", ...], [{"ParameterKey": ..., '
        '"ParameterValue": ...}] or {"Parameters": {...}}',
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError(path, "no such parameter file") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, f"malformed JSON: {exc.msg}", exc.lineno) from None


def find_samconfig(template: Path) -> Path | None:
    """The ``samconfig`` file of a SAM project, next to its template.

    A template built by ``sam build`` (``.aws-sam/build/template.yaml``) belongs to the
    project that holds ``.aws-sam``.
    """
    folders = [template.parent]
    parts = template.resolve().parts
    if ".aws-sam" in parts:
        folders.append(Path(*parts[: parts.index(".aws-sam")]))
    for folder in folders:
        for name in SAMCONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def samconfig_overrides(templates: Sequence[Path]) -> dict[str, str]:
    """The parameter overrides of the SAM project of one template file (its ``samconfig``);
    none for several templates, a folder, or a template without one."""
    if len(templates) == 1 and templates[0].is_file():
        samconfig = find_samconfig(templates[0])
        if samconfig is not None:
            return dict(load_samconfig(samconfig).parameter_overrides)
    return {}


def load_samconfig(path: Path, env: str | None = None) -> SamConfig:
    """The deploy settings of environment ``env`` (default ``default``) of a samconfig file.

    The ``deploy`` command's section wins over the ``global`` one, as in ``sam deploy``. A
    named environment the file does not have is an error; a file without ``default`` gives
    empty settings.
    """
    document = _read_config(path)
    name = env or "default"
    environment = document.get(name)
    if not isinstance(environment, Mapping):
        if env is not None:
            raise InputError(path, f"has no config environment {env!r}")
        return SamConfig(path, name)
    settings: dict[str, Any] = {}
    for command in ("global", "deploy"):
        section = environment.get(command)
        parameters = section.get("parameters") if isinstance(section, Mapping) else None
        if isinstance(parameters, Mapping):
            settings.update(parameters)
    overrides = settings.get("parameter_overrides")
    where = f"{path} [{name}] parameter_overrides"
    if overrides is None:
        values: dict[str, str] = {}
    elif isinstance(overrides, str):
        values = _items(overrides, where, 1)
    elif isinstance(overrides, list) and all(isinstance(item, str) for item in overrides):
        values = {}
        for position, item in enumerate(overrides, start=1):
            values.update(_items(item, where, position))
    else:
        raise InputError(path, f"[{name}] parameter_overrides is neither a string nor a list "
                               "of strings")
    return SamConfig(
        path,
        name,
        values,
        _setting(settings, "stack_name"),
        _setting(settings, "region"),
        _setting(settings, "profile"),
    )


def _read_config(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None
    try:
        document = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise InputError(path, f"malformed TOML: {str(exc).split(' (at ')[0]}", line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(path, "malformed YAML", line) from None
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise InputError(path, "is not a samconfig file: the document is not a mapping")
    return document


def _setting(settings: Mapping[str, Any], name: str) -> str | None:
    value = settings.get(name)
    return value if isinstance(value, str) and value else None


def _items(text: str, origin: Path | str, position: int, several: bool = True) -> dict[str, str]:
    """``Key=Value`` items of one argument: several when every shell word is one, else one.

    ``A=1 B="two words"`` is two items (as samconfig stores them); ``Key=a b``, one argument
    whose value holds a space (the shell already split the command line), is one.
    """
    if not text.strip():
        return {}
    if several:
        try:
            words = shlex.split(text)
        except ValueError:  # an unbalanced quote: a value, not several items
            words = [text]
        if len(words) == 1 or (len(words) > 1 and all(_PAIR.match(w) for w in words)):
            pairs = [_pair(word, origin, position) for word in words]
            return dict(pairs)
    key, value = _pair(text, origin, position)
    return {key: value}


def _pair(item: str, origin: Path | str, position: int) -> tuple[str, str]:
    if item.startswith("ParameterKey=") and ",ParameterValue=" in item:
        key, value = item.removeprefix("ParameterKey=").split(",ParameterValue=", 1)
        return _key(key, origin, position), value
    key, separator, value = item.partition("=")
    if not separator:
        raise InputError(origin, f"item {position} is not Key=Value (a parameter name, '=' "
                                 "and its value)")
    return _key(key.strip(), origin, position), value


def _key(key: str, origin: Path | str, position: int) -> str:
    if not _KEY.fullmatch(key):
        shown = key if len(key) <= 40 else key[:40] + "..."
        raise InputError(origin, f"item {position}: {shown!r} is not a parameter name (letters "
                                 "and digits only)")
    return key


def parameter_text(value: Any, origin: Path | str, key: str) -> str:
    """A parameter value as CloudFormation takes it: text (lists joined with commas)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(str(v) for v in value)
    raise InputError(origin, f"the value of {key} is neither text, a number nor a list")


def apply_parameter_values(
    stacks: Sequence[StackTemplate],
    values: Mapping[str, str],
    previous: Sequence[StackTemplate] = (),
    *,
    which: str = "the template",
) -> list[StackTemplate]:
    """The stacks with each parameter's value settled as a deployment would settle it.

    ``values`` are the overrides; ``previous`` the deployed stacks (``fetch_deployed``), paired
    as the pipeline pairs stacks (one top-level stack on each side, else by name). For each
    parameter of a top-level stack: the override; else the value the deployed stack holds;
    else whatever the source already knew, or the ``Default`` (left to ``parameter_value``).
    Nested stacks are returned as they are: their parent passes their values. Each stack gets
    a note for every parameter whose value cannot be known, naming the parameter only, and
    the first top-level stack a note for overrides no stack declares (``which`` names the
    side: an override for a parameter the change adds is used on the new side only).
    """
    tops = [s for s in stacks if s.parent is None]
    before = _pair_with(tops, [s for s in previous if s.parent is None])
    declared = {name for stack in tops for name in stack.parameters}
    unused = sorted(set(values) - declared)
    out: list[StackTemplate] = []
    for stack in stacks:
        if stack.parent is not None:
            out.append(stack)
            continue
        resolved, notes = _settle(stack, values, before.get(stack.name))
        if unused and stack is tops[0]:
            notes.append(
                f"override(s) for {', '.join(unused)}: no such parameter in {which}"
            )
        out.append(replace(stack, parameter_values=resolved, notes=(*stack.notes, *notes)))
    return out


def _pair_with(
    new: Sequence[StackTemplate], old: Sequence[StackTemplate]
) -> dict[str, StackTemplate]:
    if len(new) == 1 and len(old) == 1:
        return {new[0].name: old[0]}
    by_name = {stack.name: stack for stack in old}
    return {stack.name: by_name[stack.name] for stack in new if stack.name in by_name}


def _settle(
    stack: StackTemplate, values: Mapping[str, str], before: StackTemplate | None
) -> tuple[dict[str, str], list[str]]:
    resolved = dict(stack.parameter_values)
    notes: list[str] = []
    for name, definition in stack.parameters.items():
        prior = before.parameter_values.get(name) if before is not None else None
        masked = prior == MASKED and before is not None and _no_echo(before.parameters.get(name))
        if name in values:
            if masked:
                resolved[name] = MASKED  # as good as unchanged: the difference cannot be seen
                notes.append(
                    f"parameter {name} is NoEcho and overridden: its deployed value is hidden, "
                    "so whether it changes is not known; changes that arrive only through it "
                    "cannot be seen"
                )
            elif prior is not None and _is_ssm(definition) and values[name] != prior:
                resolved[name] = prior
                notes.append(
                    f"parameter {name} names an SSM parameter, resolved at deploy time: the "
                    "value it will take is not known; changes that arrive only through it "
                    "cannot be seen"
                )
            else:
                resolved[name] = values[name]
        elif prior is not None:
            resolved[name] = prior  # UsePreviousValue
        elif name not in resolved and "Default" not in definition:
            notes.append(
                f"parameter {name} has no value (no override, no deployed value, no Default): "
                "changes that arrive only through it cannot be seen"
            )
    return resolved, notes


def _no_echo(definition: Mapping[str, Any] | None) -> bool:
    return definition is not None and str(definition.get("NoEcho", "")).lower() == "true"


def _is_ssm(definition: Mapping[str, Any]) -> bool:
    return str(definition.get("Type", "")).startswith(_SSM_TYPE)
