#!/usr/bin/env bash
# Hand the token to the review through a file that only this user can read, so that it is in
# no environment of the Review step's processes: the synth command runs below them and could
# read their environments (/proc/<pid>/environ). entry.py reads the file and deletes it before
# it runs anything. printf is a shell builtin: the token is on no command line either.
set -euo pipefail
umask 077
file=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/latest-guard-token.XXXXXXXX")
printf '%s' "${LATEST_GUARD_TOKEN:-}" >"$file"
echo "file=$file" >>"$GITHUB_OUTPUT"
