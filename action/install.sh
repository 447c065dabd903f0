#!/usr/bin/env bash
# Create the virtual environment named by setup.sh and install the locked dependencies into
# it, every file checked against its hash. The package itself is not installed: entry.py
# imports it from the action's own folder, so the code that runs is the commit the workflow
# pinned. The marker file is written last, so a half-made environment is never taken as done.
set -euo pipefail

: "${LATEST_GUARD_VENV:?}" "${LATEST_GUARD_BASE_PYTHON:?}" "${LATEST_GUARD_INTERPRETER:?}"
lock="${GITHUB_ACTION_PATH:?}/requirements.lock"
started=$(date +%s)
rm -rf "$LATEST_GUARD_VENV"
"$LATEST_GUARD_BASE_PYTHON" -m venv "$LATEST_GUARD_VENV"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$LATEST_GUARD_INTERPRETER" -m pip install \
  --quiet --progress-bar off --no-input --require-hashes --no-deps -r "$lock"
touch "$LATEST_GUARD_VENV/.latest-guard-complete"
echo "latest-guard: installed the locked dependencies in $(($(date +%s) - started)) s"
