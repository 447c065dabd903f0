"""Which Lambda API call applies each property of ``AWS::Lambda::Function`` (facts §1.5)."""

from __future__ import annotations

from typing import Any

from reviewer.contract.enums import Side

PROPERTY_SIDE: dict[str, Side] = {
    "Code": Side.CODE,
    "Architectures": Side.CODE,
    "PublishToLatestPublished": Side.CODE,
    "CapacityProviderConfig": Side.CONFIG,
    "DeadLetterConfig": Side.CONFIG,
    "Description": Side.CONFIG,
    "DurableConfig": Side.CONFIG,
    "Environment": Side.CONFIG,
    "EphemeralStorage": Side.CONFIG,
    "FileSystemConfigs": Side.CONFIG,
    "Handler": Side.CONFIG,
    "ImageConfig": Side.CONFIG,
    "KmsKeyArn": Side.CONFIG,
    "Layers": Side.CONFIG,
    "LoggingConfig": Side.CONFIG,
    "MemorySize": Side.CONFIG,
    "Role": Side.CONFIG,
    "Runtime": Side.CONFIG,
    "SnapStart": Side.CONFIG,
    "Timeout": Side.CONFIG,
    "TracingConfig": Side.CONFIG,
    "VpcConfig": Side.CONFIG,
    "Tags": Side.TAGS,
    "CodeSigningConfigArn": Side.FUNCTION_LEVEL,
    "FunctionScalingConfig": Side.FUNCTION_LEVEL,
    "RecursiveLoop": Side.FUNCTION_LEVEL,
    "ReservedConcurrentExecutions": Side.FUNCTION_LEVEL,
    "RuntimeManagementConfig": Side.FUNCTION_LEVEL,
    "FunctionName": Side.REPLACEMENT,
    "PackageType": Side.REPLACEMENT,
    "TenancyConfig": Side.REPLACEMENT,
}

#: Configuration the code needs to start or run: a mismatch with the code breaks invocations.
RUNTIME_CRITICAL = frozenset(
    {
        "Layers",
        "Runtime",
        "Handler",
        "Environment",
        "ImageConfig",
        "Role",
        "VpcConfig",
        "FileSystemConfigs",
        "KmsKeyArn",
        "SnapStart",
    }
)

#: Values CloudFormation assumes when a property is left out.
DEFAULTS: dict[str, Any] = {
    "Architectures": ["x86_64"],
    "PackageType": "Zip",
    "MemorySize": 128,
    "Timeout": 3,
}

#: Properties whose literal values are never secret and help to read a change.
SHOW_VALUES = frozenset(
    {"Architectures", "Runtime", "Handler", "MemorySize", "Timeout", "PackageType"}
)


def side_of(name: str) -> Side:
    """The call that applies a property; an unknown (newer) property counts as configuration."""
    return PROPERTY_SIDE.get(name, Side.CONFIG)
