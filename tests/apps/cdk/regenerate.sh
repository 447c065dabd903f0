#!/usr/bin/env bash
# Regenerate the committed cloud assemblies under out/ with the real CDK toolkit.
#
#   bash tests/apps/cdk/regenerate.sh            # npm ci, then synthesize every variant
#   SKIP_INSTALL=1 bash tests/apps/cdk/regenerate.sh   # reuse node_modules
#
# Each out/<name>/ is `cdk synth` of one variant (lib/variants.js) and layout, made smaller
# for the repository: the asset.* staging folders (copies of lambda/ and layers/), tree.json
# (the construct tree, which latest-guard does not read) and the timing report are removed;
# manifest.json and the templates stay as synthesized. The metadata files keep CDK's
# synth-time stack traces, with this folder's absolute path replaced by a fixed one
# ($TRACE_ROOT) so that every checkout regenerates the same bytes; latest-guard finds the
# files again under the folder of cdk.json, as it does for an assembly made on another
# machine. baseline is synthesized twice (baseline, baseline-resynth) to show that an
# unchanged app synthesizes to the same assembly.
set -euo pipefail
cd "$(dirname "$0")"

if [[ -z "${SKIP_INSTALL:-}" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

export CDK_DEFAULT_ACCOUNT=123456789012
export CDK_DEFAULT_REGION=us-east-1
export CDK_DISABLE_VERSION_CHECK=1
# The toolkit's built-in template validation changes nothing in the output and takes most of
# the synth time.
export CDK_VALIDATION=false
TRACE_ROOT=/home/dev/orders-app

synth() {  # synth OUTDIR VARIANT [LAYOUT [EXTRA CDK ARGS...]]
  local out="out/$1" variant="$2" layout="${3:-single}" started
  shift $(( $# < 3 ? $# : 3 ))
  started=$(date +%s)
  rm -rf "$out"
  npx --no-install cdk synth --no-notices -q -o "$out" \
    -c "variant=$variant" -c "layout=$layout" "$@" >/dev/null
  rm -rf "$out"/asset.* "$out/tree.json" "$out/performance-counters.json"
  find "$out" -name '*.metadata.json' -exec sed -i "s#$PWD/#$TRACE_ROOT/#g" {} +
  echo "synthesized $out ($(( $(date +%s) - started )) s)"
}

synth baseline baseline
synth baseline-resynth baseline
synth arm64-layer arm64-layer
synth code-env code-env
synth code-only code-only
synth config-only config-only
synth aliased-baseline aliased-baseline
synth aliased aliased
# Cross-stack references: CDK's recommended flags make them "weak" (Fn::GetStackOutput); the
# classic "strong" form is an Export read with Fn::ImportValue.
STRONG=(-c "@aws-cdk/core:defaultCrossStackReferences=strong")
synth two-stack-baseline baseline two-stack "${STRONG[@]}"
synth two-stack-arm64-layer arm64-layer two-stack "${STRONG[@]}"
synth two-stack-weak-baseline baseline two-stack
synth two-stack-weak-arm64-layer arm64-layer two-stack
synth nested-baseline baseline nested
synth nested-code-env code-env nested
# Python functions instrumented by datadog-cdk-constructs-v2 (lib/datadog-stack.js), which picks
# the Datadog layers from the architecture the L2 function was created with.
synth datadog-x86 datadog-x86 datadog
synth datadog-arm64 datadog-arm64 datadog
synth datadog-arm64-override datadog-arm64-override datadog
