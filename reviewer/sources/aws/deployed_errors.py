"""One-line explanations of what can go wrong when reading deployed stacks from CloudFormation.

Every AWS failure a user can fix becomes an ``InputError`` that says what to do: credentials
that are missing or rejected, a missing IAM permission (naming the action and, when AWS says
it, the principal), throttling that outlasted the retries, an endpoint that cannot be reached.
botocore is imported inside the functions: this module is only loaded with a deployed baseline.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

from reviewer.errors import InputError

#: Error codes AWS uses when it rate-limits a caller (botocore retries these first).
THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
REJECTED_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidSignatureException",
        "AuthFailure",
        "RequestExpired",
    }
)
CONFIG = "--baseline-stack"
POLICY_HINT = "see the README's read-only policy for --baseline-stack"
CREDENTIALS_HINT = (
    "set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run "
    "'aws sso login'; in GitHub Actions use aws-actions/configure-aws-credentials"
)
_PRINCIPAL = re.compile(r"\b(?:User|Principal):\s*(arn:\S+?)\s+is not authorized")
_ACTION = re.compile(r"to perform:\s*([A-Za-z0-9-]+:[A-Za-z0-9]+)")
_BECAUSE = re.compile(r"\bbecause\s+(.+?)\s*\.?$")


def untyped(module: str) -> Any:
    """Import a module that ships no type information (boto3, botocore): Any at this boundary."""
    return import_module(module)


def _botocore() -> Any:
    """botocore's exception classes."""
    return untyped("botocore.exceptions")


def is_botocore_error(exc: BaseException) -> bool:
    """Whether botocore raised ``exc`` (an AWS answer or a client-side failure)."""
    bce = _botocore()
    return isinstance(exc, bce.ClientError | bce.BotoCoreError)


def does_not_exist(exc: BaseException) -> bool:
    """CloudFormation's answer for a stack that does not exist (a ``ValidationError``)."""
    if not isinstance(exc, _botocore().ClientError):
        return False
    error = exc.response.get("Error", {})
    return error.get("Code") == "ValidationError" and "does not exist" in str(
        error.get("Message", "")
    )


def explain(
    exc: BaseException, operation: str, stack: str, endpoint: str, attempts: int
) -> InputError:
    """The one line a user needs for an error of ``operation`` on ``stack``."""
    if isinstance(exc, _botocore().ClientError):
        return _client_error(exc, operation, stack, attempts)
    return _botocore_error(exc, stack, endpoint)


def _client_error(exc: BaseException, operation: str, stack: str, attempts: int) -> InputError:
    response = getattr(exc, "response", {})
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(error.get("Code", "")) or "error"
    message = _one_line(str(error.get("Message", "")))
    where = f"stack:{stack}"
    if code in THROTTLING:
        retries = response.get("ResponseMetadata", {}).get("RetryAttempts")
        tries = retries + 1 if isinstance(retries, int) else attempts
        return InputError(
            where,
            f"CloudFormation throttled the requests ({code}) and {operation} still failed "
            f"after {tries} attempt{'' if tries == 1 else 's'}; try again later or lower the "
            "concurrency",
        )
    if code in ACCESS_DENIED:
        return InputError(where, _access_denied(code, message, operation))
    if code in REJECTED_CREDENTIALS:
        return InputError(
            CONFIG,
            f"AWS rejected the credentials ({code}: {message}); refresh them: {CREDENTIALS_HINT}",
        )
    detail = f"{code}: {message}" if message else code
    return InputError(where, f"CloudFormation {operation} failed: {detail}")


def _access_denied(code: str, message: str, operation: str) -> str:
    action = _ACTION.search(message)
    name = action.group(1) if action else f"cloudformation:{operation}"
    principal = _PRINCIPAL.search(message)
    who = principal.group(1) if principal else "these credentials"
    because = _BECAUSE.search(message)
    reason = f" ({code}: {because.group(1)})" if because else f" ({code})"
    return f"{name} is not allowed for {who}{reason}; {POLICY_HINT}"


def _botocore_error(exc: BaseException, stack: str, endpoint: str) -> InputError:
    bce = _botocore()
    detail = _one_line(str(exc))
    config_errors: list[tuple[tuple[type[BaseException], ...], str]] = [
        ((bce.NoCredentialsError,), f"no AWS credentials found: {CREDENTIALS_HINT}"),
        (
            (bce.UnauthorizedSSOTokenError, bce.SSOTokenLoadError),
            "the AWS SSO session has expired: run 'aws sso login'",
        ),
        (
            (bce.PartialCredentialsError, bce.CredentialRetrievalError, bce.TokenRetrievalError),
            f"AWS credentials cannot be obtained: {detail}",
        ),
        (
            (bce.ConnectTimeoutError, bce.ReadTimeoutError),
            f"CloudFormation at {endpoint} did not answer in time; check the network",
        ),
        (
            (bce.EndpointConnectionError, bce.ConnectionClosedError),
            f"cannot reach CloudFormation at {endpoint}; check the region and the network",
        ),
    ]
    for kinds, message in config_errors:
        if isinstance(exc, kinds):
            return InputError(CONFIG, message)
    if isinstance(exc, bce.ParamValidationError):
        return InputError(f"stack:{stack}", "is not a valid stack name or stack ARN")
    return InputError(f"stack:{stack}", f"AWS error: {detail}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
