"""A Serverless Framework package: the folder ``serverless package`` writes.

The folder (``.serverless/`` by default, any name with ``--package DIR``) holds
``cloudformation-template-update-stack.json``, the template that is deployed, and
``serverless-state.json``, the resolved service. The template is analysed as one stack named
like the framework names it: ``provider.stackName``, else ``<service>-<stage>``; a
``--stack-name`` given on the command line wins, and without a state file the stack is named
after the folder (the service folder for ``.serverless``).

Findings point at the service configuration rather than at the generated template (see
:mod:`reviewer.sources.serverless.locator`). The configuration is the file the state names
(``serviceFilename``; else ``serverless.yml`` and the other names the framework reads), looked
for in the folder that holds the package and then in each folder above it, up to the root of
the repository: that finds ``<service>/.serverless/`` as well as ``--package`` folders
anywhere inside the service (``<service>/out/<variant>/``). When the package was moved out of
the service, the service folder recorded in the artifact paths of the state is tried last. A
configuration is used only when it names the same service and defines a function of the
template; otherwise findings point at the template.

Content over location: every package writes a new timestamped ``Code.S3Key`` (and layer
``Content.S3Key``) and a new ``ApiGatewayDeployment<epoch>`` even when nothing changed. The
template is kept as written; the diff identifies function code by the ``CodeSha256`` of the
function's ``AWS::Lambda::Version`` and layer content by the ``<Layer>Hash`` output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from reviewer.contract.enums import Framework
from reviewer.model.template import FUNCTION, StackTemplate
from reviewer.sources.serverless.config import CONFIG_NAMES, ServiceConfig, load_service_config
from reviewer.sources.serverless.locator import ServerlessLocator, function_logical_id
from reviewer.sources.serverless.state import PackageState, read_state
from reviewer.sources.text.files import load_template_file

PACKAGE_TEMPLATE = "cloudformation-template-update-stack.json"
DEFAULT_PACKAGE_DIR = ".serverless"


def load_package(path: Path, stack_name: str | None) -> list[StackTemplate]:
    """The one stack of a Serverless Framework package folder, mapped to its configuration."""
    state = read_state(path)
    loaded = load_template_file(path / PACKAGE_TEMPLATE)
    name = stack_name or state.stack_name or _folder_name(path)
    stack = replace(loaded, name=name, framework=Framework.SERVERLESS)
    config = find_config(path, state, stack)
    if config is not None:
        stack.source_locator = ServerlessLocator(config, stack.resources)
    return [stack]


def find_config(
    package_dir: Path, state: PackageState, stack: StackTemplate
) -> ServiceConfig | None:
    """The service configuration the package was built from, if it can be found."""
    names = (state.service_filename,) if state.service_filename else CONFIG_NAMES
    for folder in _candidate_folders(package_dir, state):
        for name in names:
            candidate = folder / name
            if not candidate.is_file():
                continue
            config = load_service_config(candidate, state.function_keys)
            if config is not None and _belongs(config, state, stack):
                return config
    return None


def _candidate_folders(package_dir: Path, state: PackageState) -> Iterator[Path]:
    seen: set[Path] = set()
    starts = [package_dir.absolute().parent]
    starts += [Path(artifact).parent for artifact in state.artifact_paths]
    for start in starts:
        for folder in _upwards(start):
            if folder not in seen:
                seen.add(folder)
                yield folder


def _upwards(start: Path) -> Iterator[Path]:
    """``start`` and the folders above it, up to the first that is a repository root."""
    for folder in (start, *start.parents):
        if not folder.is_dir():
            continue
        yield folder
        if (folder / ".git").exists():
            return


def _belongs(config: ServiceConfig, state: PackageState, stack: StackTemplate) -> bool:
    """Whether a configuration is the one the package came from, as far as can be told."""
    literal = config.service is not None and "${" not in config.service
    if literal and state.service is not None and config.service != state.service:
        return False
    functions = stack.of_type(FUNCTION)
    return not functions or any(function_logical_id(k) in functions for k in config.functions)


def _folder_name(path: Path) -> str:
    folder = path.resolve()
    return folder.parent.name if folder.name == DEFAULT_PACKAGE_DIR else folder.name
