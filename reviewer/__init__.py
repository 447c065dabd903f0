"""latest-guard: find Lambda deployments that race on $LATEST."""

__version__ = "0.1.0"
