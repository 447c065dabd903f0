// The fixture variants: each is one state of the same app, synthesized into out/<name>/.
//
// A variant is chosen with `-c variant=NAME` (or the FIXTURE_VARIANT environment variable) and
// the app layout with `-c layout=single|two-stack|nested|datadog` (or FIXTURE_LAYOUT). The
// datadog layout has its own variants (DATADOG_VARIANTS).

const VARIANTS = {
  // x86_64 function with the x86_64 codec layer, invoked unqualified by API, SQS and a rule.
  'baseline': { code: 'v1', architecture: 'x86_64', layer: 'x86_64', environment: {} },
  // The race from the design: arm64 code together with an arm64-only layer.
  'arm64-layer': { code: 'v2', architecture: 'arm64', layer: 'arm64', environment: {} },
  // New code that reads an environment variable added in the same deployment.
  'code-env': {
    code: 'v2', architecture: 'x86_64', layer: 'x86_64', environment: { PAYMENTS_MODE: 'strict' },
  },
  'code-only': { code: 'v2', architecture: 'x86_64', layer: 'x86_64', environment: {} },
  'config-only': {
    code: 'v1', architecture: 'x86_64', layer: 'x86_64', environment: { PAYMENTS_MODE: 'strict' },
  },
  // Every consumer goes through an alias on fn.currentVersion.
  'aliased-baseline': {
    code: 'v1', architecture: 'x86_64', layer: 'x86_64', environment: {}, alias: true,
  },
  // Code and configuration change behind the alias: CDK publishes a new version.
  'aliased': {
    code: 'v2', architecture: 'x86_64', layer: 'x86_64', environment: { PAYMENTS_MODE: 'strict' },
    alias: true,
  },
};

// The variants of the datadog layout (lib/datadog-stack.js): how the Checkout function gets
// its architecture. The Receipts function has no `architecture` (x86_64) in all of them.
const DATADOG_VARIANTS = {
  // `architecture: X86_64`: the construct adds the x86_64 layers.
  'datadog-x86': { architecture: 'x86_64' },
  // `architecture: ARM_64`: the construct adds the -ARM layers.
  'datadog-arm64': { architecture: 'arm64' },
  // No `architecture` (x86_64 for CDK and the construct, which adds the x86_64 layers), then
  // arm64 through the L1 escape hatch: the template has arm64 with the x86_64 layers.
  'datadog-arm64-override': { architectureOverride: 'arm64' },
};

function selectVariant(node) {
  const datadog = selectLayout(node) === 'datadog';
  const table = datadog ? DATADOG_VARIANTS : VARIANTS;
  const name = node.tryGetContext('variant') || process.env.FIXTURE_VARIANT
    || (datadog ? 'datadog-x86' : 'baseline');
  const variant = table[name];
  if (!variant) {
    throw new Error(`unknown variant ${name}; known: ${Object.keys(table).join(', ')}`);
  }
  return { name, ...variant };
}

function selectLayout(node) {
  return node.tryGetContext('layout') || process.env.FIXTURE_LAYOUT || 'single';
}

module.exports = { VARIANTS, DATADOG_VARIANTS, selectVariant, selectLayout };
