"""The use cases, one floor above the analysis: each command loads its sides, calls the one
analysis entry point (``reviewer.pipeline``) and does something with the report."""
