#!/usr/bin/env bash
# Check a cached environment (kept in the runner's tool cache, or restored by actions/cache)
# against the lock before any of its code runs: verify.py, run by the runner's own Python in
# isolated mode. Writes the step output trusted ("true" or "false"); a mismatch is said, and
# install.sh then rebuilds the environment from the lock.
set -euo pipefail

: "${LATEST_GUARD_VENV:?}" "${LATEST_GUARD_BASE_PYTHON:?}"
lock="${GITHUB_ACTION_PATH:?}/requirements.lock"
started=$(date +%s)
if said=$("$LATEST_GUARD_BASE_PYTHON" -I "$GITHUB_ACTION_PATH/action/verify.py" \
  "$LATEST_GUARD_VENV" "$lock" 2>&1); then
  echo "latest-guard: the cached environment matches the lock: $said (checked in $(($(date +%s) - started)) s)"
  echo "trusted=true" >>"$GITHUB_OUTPUT"
else
  said=${said//$'\n'/ }
  echo "::warning title=latest-guard::the cached environment does not match requirements.lock ($said): it is rebuilt from the lock"
  echo "trusted=false" >>"$GITHUB_OUTPUT"
fi
