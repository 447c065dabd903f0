"""Wording said the same way everywhere: how the consumers of a finding are named in a
sentence, by kind, counted the same way in a rule's message, a report's table and a diagram
("3 API Gateway methods and an SQS event source mapping"); how anything is counted ("1 error",
"3 stacks": :func:`numbered`); and why a fix comes in two phases (:data:`NOT_SAFE_ALONE`).
Only consumers that invoke are counted; references that hand the function on (a stack output)
are listed apart, as "referenced by"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from reviewer.contract.findings import Consumer

#: Why a fix is deployed in two phases, in a rule's fix, a fix builder's summary and the
#: command line's advice alike.
NOT_SAFE_ALONE = "this change cannot be made safe on its own"

_METHOD = re.compile(r"\s+(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY)$")
#: Letters whose name starts with a vowel sound when an initialism is spelled out (an SQS).
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")


def kind_of(consumer: Consumer) -> str:
    """The kind of a consumer: its label without an HTTP method (``API Gateway method``)."""
    return _METHOD.sub("", consumer.label)


def invokers(consumers: Iterable[Consumer]) -> list[Consumer]:
    return [c for c in consumers if c.invokes]


def kinds(consumers: Iterable[Consumer]) -> list[tuple[str, int]]:
    """Each kind of invoking consumer with how many there are, in order of appearance."""
    counted: dict[str, int] = {}
    for consumer in invokers(consumers):
        kind = kind_of(consumer)
        counted[kind] = counted.get(kind, 0) + 1
    return list(counted.items())


def counted(kind: str, count: int) -> str:
    """``an SQS event source mapping``, ``3 API Gateway methods``."""
    return f"{count} {plural(kind)}" if count != 1 else f"{article(kind)} {kind}"


def numbered(count: int, noun: str) -> str:
    """``1 error``, ``3 stacks``, ``0 changed functions``: the count and the noun it takes."""
    return f"{count} {noun if count == 1 else plural(noun)}"


def joined(items: Iterable[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: each item once, in order."""
    unique = list(dict.fromkeys(items))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def kinds_phrase(consumers: Sequence[Consumer], limit: int = 3) -> str:
    """``3 API Gateway methods, an SQS event source mapping and 2 more callers``."""
    found = kinds(consumers)
    parts = [counted(kind, n) for kind, n in found[:limit]]
    rest = sum(n for _, n in found[limit:])
    if rest:
        parts.append(numbered(rest, "more caller"))
    return joined(parts)


def article(noun: str) -> str:
    first = noun.split(" ", 1)[0]
    if first[:1].lower() in "aeiou":
        return "an"
    spelled = first.isupper() or any(ch.isdigit() for ch in first)
    return "an" if spelled and first[:1] in _VOWEL_SOUND_LETTERS else "a"


def plural(noun: str) -> str:
    """The plural of a kind: its head noun (the last word before any parenthesis) gets an s."""
    head, paren, rest = noun.partition(" (")
    words = head.split(" ")
    last = words[-1]
    if last.endswith(("s", "x", "ch", "sh")):
        words[-1] = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        words[-1] = last[:-1] + "ies"
    else:
        words[-1] = last + "s"
    return " ".join(words) + (paren + rest if paren else "")
