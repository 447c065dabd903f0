#!/usr/bin/env bash
# Package every revision of the orders service with the real Serverless Framework v3, offline,
# into out/<variant>/. Run it after changing a serverless*.yml file, the code or the layers.
#
#   tests/apps/serverless/regenerate.sh
#
# It installs the pinned tools with `npm ci` (node_modules/ is not committed), then runs
# `serverless package --config <file> --package out/<variant>` once per variant; baseline is
# packaged twice (baseline and baseline-repackaged) to show what a re-package changes.
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

npm ci --no-audit --no-fund --loglevel=error

export AWS_ACCESS_KEY_ID=AKIAFAKE AWS_SECRET_ACCESS_KEY=fake
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off

package() {
  local variant=$1 config=$2 out="out/$1"
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
