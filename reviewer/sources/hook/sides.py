"""The two sides a hook request describes, loaded as the command line loads templates (SAM
and the macros latest-guard expands, expanded).

- A stack create: the new template alone (no previous template: absent, ``null`` or empty),
  so only the rules that judge a template alone run.
- A stack update: the previous template is the baseline, the new one the new side.
- A change set: the baseline is rebuilt from the new template and the changed resources'
  ``beforeContext`` (:mod:`.change_set`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from reviewer.errors import InputError
from reviewer.model.template import StackTemplate
from reviewer.sources.hook.change_set import rebuilt_baseline
from reviewer.sources.hook.payload import HookPayload
from reviewer.sources.hook.request import Action, HookRequest, Target
from reviewer.sources.local_files import without_files
from reviewer.sources.sides import LoadedSide, SidePair


@dataclass(frozen=True)
class HookChange:
    """A hook request and its payload (read from ``origin``) as a source of both sides of a
    change (:class:`~reviewer.sources.sides.ChangeSource`)."""

    request: HookRequest
    payload: HookPayload
    origin: str

    def load_pair(self, progress: TextIO) -> SidePair:
        """The new side and its baseline (none on a create: the rules that judge a template
        alone run); an ``InputError`` naming the template (``STACK (new template)``,
        ``STACK (previous template)``) that cannot be read."""
        request, payload, origin = self.request, self.payload, self.origin
        if payload.template is None:
            raise InputError(origin, "the payload holds no template")
        name = request.stack_name
        new = _load(Path(f"{name} (new template)"), payload.template, name)
        new_side = LoadedSide((new,), "the new template")
        if request.target is Target.CHANGE_SET:
            if payload.changed is None:
                raise InputError(origin, "a change-set payload without changedResources")
            before = rebuilt_baseline(new, payload.changed)
            return SidePair(new_side, LoadedSide((before,), "the change set's before"))
        if request.action is Action.CREATE:
            # Nothing is deployed yet: the baseline is empty, so every stack is a new one.
            return SidePair(new_side, LoadedSide((), "none (a new stack)"))
        if payload.previous_template is None:
            raise InputError(origin, "a stack update's payload holds no previousTemplate")
        old = _load(Path(f"{name} (previous template)"), payload.previous_template, name)
        return SidePair(new_side, LoadedSide((old,), "the previous template"))


#: Why a hook reads no local path, and what would let a code change be seen.
_NO_FILES = (
    "is a local path, and a hook request holds only the templates' text",
    "deploy the packaged template (sam deploy, cdk deploy and serverless deploy upload each "
    "code build under a name of its own), or replay with latest-guard check in the project",
)


def _load(path: Path, text: str, name: str) -> StackTemplate:
    """The template ``text`` as ``check`` loads one, except that its local paths
    (``CodeUri: src/``, a local ``AWS::Include``, a nested template file) are not read: they
    would name the folder the handler runs in, not the deployer's project."""
    from reviewer.sources.cloudformation.template import load_template_from_text

    with without_files(*_NO_FILES):
        stack = load_template_from_text(path, text)
    return replace(stack, name=name)
