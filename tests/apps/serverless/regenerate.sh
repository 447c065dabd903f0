#!/usr/bin/env bash
# Package every revision of the orders and checkout services with the real Serverless Framework
# v3, offline, into out/<variant>/. Run it after changing a serverless*.yml file, the code or the
# layers.
#
#   tests/apps/serverless/regenerate.sh                        # npm ci, then every variant
#   SKIP_INSTALL=1 tests/apps/serverless/regenerate.sh VARIANT...   # only these, reuse node_modules
#
# It installs the pinned tools with `npm ci` (node_modules/ is not committed), then runs
# `serverless package --config <file> --package out/<variant>` once per variant; baseline is
# packaged twice (baseline and baseline-repackaged) to show what a re-package changes. Every
# package has new S3 keys and deployment ids, so naming the variants to package keeps the
# others' out/ folders as they are.
# No AWS account is used: the credentials are placeholders, and plugins/offline-package.js
# answers the one CloudFormation call that packaging a layer makes.
#
# Kept from each package: cloudformation-template-update-stack.json and serverless-state.json.
# The zip artifacts (their hashes are in the template) and the create-stack template are
# deleted. serverless-state.json records the artifacts' absolute paths; they are rewritten
# relative to this folder, so the committed files do not depend on where the repository was.
set -euo pipefail
cd "$(dirname "$0")"
service_dir=$(pwd -P)

only=("$@")

if [[ -z "${SKIP_INSTALL:-}" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

export AWS_ACCESS_KEY_ID=AKIAFAKE AWS_SECRET_ACCESS_KEY=fake
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
# serverless-plugin-datadog copies DATADOG_API_KEY into the functions when it is set; the
# datadog-* variants name a placeholder secret ARN instead.
unset DATADOG_API_KEY DATADOG_APP_KEY

package() {
  local variant=$1 config=$2 out="out/$1"
  if (( ${#only[@]} )) && [[ " ${only[*]} " != *" $variant "* ]]; then
    return 0
  fi
  rm -rf "$out"
  echo "== $variant ($config)"
  npx --no-install serverless package --config "$config" --package "$out"
  rm -f "$out"/*.zip "$out/cloudformation-template-create-stack.json"
  node scripts/scrub-state.js "$out/serverless-state.json" "$service_dir"
}

package baseline serverless.yml
package baseline-repackaged serverless.yml
for variant in arm64-layer code-env code-only config-only aliased-baseline aliased; do
  package "$variant" "serverless.$variant.yml"
done
# The checkout service (src/checkout.py), instrumented by serverless-plugin-datadog.
for variant in datadog-arm64 datadog-arm64-extensions datadog-pinned datadog-python37; do
  package "$variant" "serverless.$variant.yml"
done
