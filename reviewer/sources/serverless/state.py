"""What ``serverless package`` records about the service in ``serverless-state.json``.

The Serverless Framework (v3) writes the whole resolved service next to the template:
``service.service`` (the service name), ``service.provider.stage`` and, when set,
``service.provider.stackName``; ``service.serviceFilename`` (the configuration file the
package came from, e.g. ``serverless.yml``); ``service.functions`` keyed by the function key
of the configuration; and the absolute path of every zip artifact it built, which names the
folder the service was packaged from.

The state only helps to name the stack and to find the configuration file again; a missing or
unreadable state file leaves those to the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

STATE_FILE = "serverless-state.json"


@dataclass(frozen=True)
class PackageState:
    """The parts of ``serverless-state.json`` latest-guard uses; empty fields when unknown."""

    service: str | None = None
    stage: str | None = None
    provider_stack_name: str | None = None
    service_filename: str | None = None
    function_keys: tuple[str, ...] = ()
    artifact_paths: tuple[PurePath, ...] = ()

    @property
    def stack_name(self) -> str | None:
        """The CloudFormation stack: ``provider.stackName``, else ``<service>-<stage>``."""
        if self.provider_stack_name:
            return self.provider_stack_name
        if self.service and self.stage:
            return f"{self.service}-{self.stage}"
        return None


def read_state(package_dir: Path) -> PackageState:
    """The state recorded in a package folder; an empty state when there is none to read."""
    try:
        document = json.loads((package_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return PackageState()
    service = document.get("service") if isinstance(document, Mapping) else None
    if not isinstance(service, Mapping):
        return PackageState()
    provider = service.get("provider")
    provider = provider if isinstance(provider, Mapping) else {}
    functions = service.get("functions")
    return PackageState(
        service=_text(service.get("service")),
        stage=_text(provider.get("stage")),
        provider_stack_name=_text(provider.get("stackName")),
        service_filename=_file_name(service.get("serviceFilename")),
        function_keys=tuple(str(k) for k in functions) if isinstance(functions, Mapping) else (),
        artifact_paths=tuple(dict.fromkeys(_artifacts(service))),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _file_name(value: Any) -> str | None:
    """A bare file name: the state names the file inside the service folder, nothing else."""
    if not isinstance(value, str) or not value:
        return None
    name = PurePath(value).name
    return name if name == value and name not in (".", "..") else None


def _artifacts(service: Mapping[str, Any]) -> Iterator[PurePath]:
    """Absolute artifact paths of the functions and layers (``package.artifact``)."""
    for section in ("functions", "layers"):
        entries = service.get(section)
        if not isinstance(entries, Mapping):
            continue
        for entry in entries.values():
            package = entry.get("package") if isinstance(entry, Mapping) else None
            artifact = package.get("artifact") if isinstance(package, Mapping) else None
            if isinstance(artifact, str) and PurePath(artifact).is_absolute():
                yield PurePath(artifact)
