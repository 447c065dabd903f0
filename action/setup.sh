#!/usr/bin/env bash
# Find the runner's Python and name the virtual environment that holds latest-guard's locked
# dependencies. Writes the step outputs python (the environment's interpreter), venv, key and
# ready ("true" when a complete environment is already there, as on a self-hosted runner that
# keeps its tool cache). Needs Python 3.11 or newer on PATH (python3, else python).
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this as a step of the action}
lock="$action_path/requirements.lock"

if [ "${RUNNER_OS:-}" = "Windows" ]; then
  echo "::error title=latest-guard::latest-guard runs on Linux and macOS runners (runs-on: ubuntu-latest or macos-latest): the synth command's process handling is POSIX-only"
  exit 1
fi

python=""
for candidate in python3 python; do
  if command -v "$candidate" >/dev/null 2>&1 \
    && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$(command -v "$candidate")
    break
  fi
done
if [ -z "$python" ]; then
  echo "::error title=latest-guard::latest-guard needs Python 3.11 or newer on the runner: add actions/setup-python (python-version: '3.12') before it"
  exit 1
fi

version=$("$python" -c 'import platform, sys; print(f"{platform.python_implementation()}-{sys.version.split()[0]}")')
# The interpreter's own location is part of the key: an environment made from another Python
# of the same version (setup-python's, the system's) would point at an interpreter not there.
origin=$("$python" -c 'import hashlib, sys; print(hashlib.sha256(sys.base_prefix.encode()).hexdigest()[:8])')
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
digest=$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:20])' "$lock")
key="latest-guard-venv-$os-$arch-$version-$origin-$digest"
root=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}
venv="$root/latest-guard/$key"
interpreter="$venv/bin/python"

ready=false
if [ -f "$venv/.latest-guard-complete" ] && [ -x "$interpreter" ]; then
  ready=true
fi
echo "latest-guard: Python $version at $python; environment $venv (ready: $ready)"
{
  echo "python=$interpreter"
  echo "base-python=$python"
  echo "venv=$venv"
  echo "key=$key"
  echo "ready=$ready"
} >>"$GITHUB_OUTPUT"
