"""What the wiring of one function changes in one file: the edits, and what they do in words."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.fixes.builders.redeploy import Redeployed
from reviewer.fixes.edit.textedit import TextEdits


@dataclass
class Wired:
    """What the wiring of one function changes in one file."""

    edits: TextEdits
    alias_id: str
    alias_name: str
    version_id: str | None = None
    added: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    repointed: list[str] = field(default_factory=list)
    aliases_pointed: list[str] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Permissions left on the unqualified function, each with the copy the alias gets.
    kept: list[tuple[str, str | None]] = field(default_factory=list)
    #: API deployments renamed so that their stages serve the re-pointed integrations.
    redeployed: list[Redeployed] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def settled(self, function: str) -> list[str]:
        """What the wiring does for permissions and API stages, in words (for ``describe``)."""
        parts: list[str] = []
        for permission, copy in self.kept:
            if copy is not None:
                parts.append(
                    f"keeps permission {permission} on {function} for callers it cannot "
                    f"re-point and adds {copy}, the same permission for alias {self.alias_name}"
                )
            else:
                parts.append(f"keeps permission {permission} on {function} unqualified")
        for deployment in self.redeployed:
            stages = (
                f"stage {', '.join(deployment.stages)}" if deployment.stages else "its stage"
            )
            parts.append(
                f"renames API deployment {deployment.old} to {deployment.new} (a hash of what "
                f"it deploys), so that {stages} serves the integrations that call the alias"
            )
        return parts
