"""Re-point the unqualified references to a function inside one value at its alias.

What each form becomes (facts sheet §2: ``Ref`` of a function is its name, ``GetAtt .Arn`` its
unqualified ARN, ``Ref`` of an alias the alias ARN):

- ``!GetAtt Fn.Arn`` / ``{"Fn::GetAtt": ["Fn", "Arn"]}`` and a whole-value ``!Ref Fn``: the
  alias ARN, ``!Ref FnAliasLive`` (SAM: ``!Ref Fn.Alias``);
- ``${Fn.Arn}`` in a ``Fn::Sub`` string: ``${FnAliasLive}``, so an API Gateway URI stays
  ``.../functions/${FnAliasLive}/invocations``;
- ``${Fn}`` in a ``Fn::Sub`` string and ``!Ref Fn`` inside ``Fn::Join``: the name there builds
  an ARN or a name, so the qualifier is appended: ``${Fn}:live``;
- a literal name or ARN of the function (its ``FunctionName``) as a whole value: ``:live``
  appended.

A reference already followed by ``:something`` (a qualifier, or IAM's ``:*``) is left alone;
``:$LATEST`` is replaced with the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewer.fixes.edit.document import Document, Node
from reviewer.fixes.edit.render import Ref, Style, Sub
from reviewer.fixes.edit.textedit import TextEdits


@dataclass(frozen=True)
class AliasTarget:
    """The function, and how the document names its alias."""

    function: str  # logical id of the function
    alias_ref: str  # what ``Ref`` names for the alias ARN: "FnAliasLive" (SAM: "Fn.Alias")
    alias_sub: str  # what a ``Fn::Sub`` names for it: "FnAliasLive" (SAM: "FnAliaslive")
    alias_name: str  # the alias's Name: "live"
    names: frozenset[str] = frozenset()  # literal names the function is deployed under


def repoint(document: Document, edits: TextEdits, node: Node, target: AliasTarget) -> int:
    """Rewrite the unqualified references to ``target.function`` inside ``node``; their count."""
    return _walk(document, edits, node, target, in_string=False)


def _walk(  # noqa: PLR0912, PLR0911
    document: Document, edits: TextEdits, node: Node, target: AliasTarget, *, in_string: bool
) -> int:
    if node.shared:
        return 0
    intrinsic = node.intrinsic()
    if intrinsic is None:
        if node.kind == "map":
            return sum(
                _walk(document, edits, value, target, in_string=in_string)
                for _, value in node.pairs
            )
        if node.kind == "seq":
            return sum(
                _walk(document, edits, item, target, in_string=in_string) for item in node.items
            )
        return 0 if in_string else _literal(document, edits, node, target)
    function, argument = intrinsic
    style = _style_of(document, node)
    if function == "Ref":
        if argument.kind != "scalar" or argument.value != target.function:
            return 0
        if in_string:
            replacement = style.inline(Sub(f"${{{target.function}}}:{target.alias_name}"))
            edits.replace(node.start, document.content_end(node), replacement)
        elif node.tag is not None:
            edits.replace(node.start, document.content_end(node), f"!Ref {target.alias_ref}")
        else:
            edits.replace(argument.start, argument.end, _quoted_like(argument, target.alias_ref))
        return 1
    if function == "Fn::GetAtt":
        if _get_att_target(argument) != (target.function, "Arn"):
            return 0
        if node.tag is not None:
            replacement = f"!Ref {target.alias_ref}"
        elif document.kind == "json" or node.flow:
            replacement = Style("json", False, 2).inline(Ref(target.alias_ref))
        else:
            replacement = f"Ref: {target.alias_ref}"
        edits.replace(node.start, document.content_end(node), replacement)
        return 1
    if function == "Fn::Sub":
        return _sub(document, edits, argument, target)
    if function == "Fn::Join":
        return _walk_arguments(document, edits, argument, target, in_string=True)
    return _walk_arguments(document, edits, argument, target, in_string=in_string)


def _walk_arguments(
    document: Document, edits: TextEdits, argument: Node, target: AliasTarget, *, in_string: bool
) -> int:
    """The arguments of an intrinsic function (the node itself for a short-form tag)."""
    children = argument.items if argument.kind == "seq" else [v for _, v in argument.pairs]
    return sum(_walk(document, edits, child, target, in_string=in_string) for child in children)


def _sub(document: Document, edits: TextEdits, argument: Node, target: AliasTarget) -> int:
    if argument.kind == "scalar":
        return _sub_text(document, edits, argument, target)
    if argument.kind != "seq" or not argument.items:
        return 0
    count = _sub_text(document, edits, argument.items[0], target)
    for variables in argument.items[1:2]:
        for _, value in variables.pairs:
            count += _walk(document, edits, value, target, in_string=True)
    return count


def _sub_text(document: Document, edits: TextEdits, node: Node, target: AliasTarget) -> int:
    if node.kind != "scalar" or node.shared:
        return 0
    span = document.text[node.start : node.end]
    pattern = re.compile(r"\$\{\s*" + re.escape(target.function) + r"(\.Arn)?\s*\}")
    count = 0
    for match in pattern.finditer(span):
        after = span[match.end() :]
        end = match.end()
        if after.startswith(":$LATEST"):
            end += len(":$LATEST")
        elif after.startswith(":"):
            continue  # qualified already, or a wildcard such as IAM's ":*"
        if match.group(1):
            replacement = f"${{{target.alias_sub}}}"
        else:
            replacement = f"${{{target.function}}}:{target.alias_name}"
        edits.replace(node.start + match.start(), node.start + end, replacement)
        count += 1
    return count


def _literal(document: Document, edits: TextEdits, node: Node, target: AliasTarget) -> int:
    """A literal name or ARN of the function as a whole scalar value."""
    value = node.value
    if node.kind != "scalar" or value is None or node.tag is not None or not target.names:
        return 0
    name = value.rsplit(":function:", 1)[-1] if value.startswith("arn:") else value
    if name not in target.names:
        return 0
    if node.style in ("|", ">"):
        return 0
    edits.replace(node.start, node.end, _quoted_like(node, f"{value}:{target.alias_name}"))
    return 1


def _get_att_target(argument: Node) -> tuple[str, str] | None:
    if argument.kind == "scalar" and argument.value and "." in argument.value:
        name, attribute = argument.value.split(".", 1)
        return name, attribute
    if argument.kind == "seq" and len(argument.items) == 2:
        first, second = argument.items
        if first.kind == "scalar" and second.kind == "scalar" and second.tag is None:
            return first.value or "", second.value or ""
    return None


def _quoted_like(node: Node, text: str) -> str:
    if node.style == '"':
        return '"' + text + '"'
    if node.style == "'":
        return "'" + text + "'"
    return text


def _style_of(document: Document, node: Node) -> Style:
    """Write a replacement as the node around it is written (short tag, long form, JSON)."""
    if document.kind == "json":
        return Style("json", False, 2)
    return Style("yaml", node.tag is not None, 2)
