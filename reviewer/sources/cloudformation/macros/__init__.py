"""A template's ``Transform`` section: the transforms (macros) CloudFormation applies to it
before it deploys anything, applied here in the same order where they can be.

CloudFormation runs the transforms of the ``Transform`` section one after the other, in the
order the section lists them, each on the output of the one before. Here:

- ``AWS::Serverless-2016-10-31`` is expanded by the SAM translator (:mod:`..sam`); a template
  that declares ``AWS::Serverless::*`` resources without naming it is expanded first.
- ``AWS::LanguageExtensions`` adds intrinsic functions; the functions a template writes are
  the functions it deploys, so it is left as it is (``Fn::Length`` is evaluated with the
  other values; a ``Fn::ForEach`` loop makes the SAM translator refuse the template, with a
  hint).
- a macro of :data:`.registry.EXPANDERS` is applied by its expander (``DatadogServerless``:
  :mod:`.datadog`).
- any other macro is **not expanded**: its name is kept in
  :attr:`~reviewer.model.template.StackTemplate.unexpanded_macros`, and a note of the stack
  says so. A macro may add anything to a function (layers, environment variables, another
  handler), so LG001 treats the configuration of every function of such a stack as not
  known: a code change there is a "may race" notice, never "nothing to race with".

Adding an expander
------------------
1. Write a module in this package with a function ``expand(stack, transform)`` that returns
   the :class:`~reviewer.model.template.StackTemplate` the macro makes of ``stack``
   (``dataclasses.replace(stack, body=...)``: the name, path, line lookup and parent stay).
   ``transform.parameters`` holds the ``Parameters`` of the ``Transform`` entry as written
   (intrinsic functions in long form). Write what the macro writes, from what its source
   documents; leave values that come from the template's parameters as the intrinsic
   functions that produce them (``Ref``, ``Fn::Sub``): parameter values are settled after
   loading, and the comparison evaluates them then.
2. Where the macro's output cannot be known here (a setting that comes from a parameter, a
   case the macro refuses), raise :class:`NotExpanded` with the reason in a few words: the
   stack is then treated as for an unknown macro, and the note gives the reason.
3. Name the module in :data:`.registry.EXPANDERS` under the macro's name (the ``Name`` of its
   ``AWS::CloudFormation::Macro``), and test it through ``reviewer.cli.main(["check", ...])``
   with a template that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reviewer.model.template import StackTemplate

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
#: Transforms whose output is what the template writes, as far as functions go.
_AS_WRITTEN = frozenset({LANGUAGE_EXTENSIONS})


@dataclass(frozen=True)
class Transform:
    """One entry of a ``Transform`` section: the macro's name and its ``Parameters``."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


class NotExpanded(Exception):
    """An expander cannot know what the macro makes of this template; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def transforms_of(body: Mapping[str, Any]) -> list[Transform]:
    """The entries of the ``Transform`` section, in order (a name, or ``Name`` and
    ``Parameters``); an entry that is neither is skipped."""
    raw = body.get("Transform")
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    found: list[Transform] = []
    for item in items:
        if isinstance(item, str):
            found.append(Transform(item))
        elif isinstance(item, Mapping) and isinstance(item.get("Name"), str):
            parameters = item.get("Parameters")
            found.append(
                Transform(str(item["Name"]), parameters if isinstance(parameters, Mapping) else {})
            )
    return found


def unexpanded_note(name: str, reason: str | None = None) -> str:
    """The stack note for a macro that is not expanded."""
    why = f" ({reason})" if reason else ""
    return f"macro {name} is not expanded here{why}: what it adds to functions is not known"


def apply_transforms(stack: StackTemplate) -> StackTemplate:
    """``stack`` as its transforms make it, in their order; macros that cannot be expanded
    are named in ``unexpanded_macros`` and in the notes."""
    from reviewer.sources.cloudformation.macros.registry import expander_for
    from reviewer.sources.cloudformation.template import SAM_TRANSFORM, is_sam

    transforms = transforms_of(stack.body)
    if is_sam(stack.body) and all(t.name != SAM_TRANSFORM for t in transforms):
        transforms.insert(0, Transform(SAM_TRANSFORM))
    unexpanded: list[str] = []
    notes: list[str] = []
    for transform in transforms:
        if transform.name == SAM_TRANSFORM:
            from reviewer.sources.cloudformation.sam import expand

            stack = expand(stack)
            continue
        if transform.name in _AS_WRITTEN:
            continue
        expander = expander_for(transform.name)
        if expander is None:
            unexpanded.append(transform.name)
            notes.append(unexpanded_note(transform.name))
            continue
        try:
            stack = expander(stack, transform)
        except NotExpanded as exc:
            unexpanded.append(transform.name)
            notes.append(unexpanded_note(transform.name, exc.reason))
    if not unexpanded:
        return stack
    return replace(
        stack,
        unexpanded_macros=(*stack.unexpanded_macros, *unexpanded),
        notes=(*stack.notes, *notes),
    )
