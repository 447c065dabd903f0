// The fixture variants: each is one state of the same app, synthesized into out/<name>/.
//
// A variant is chosen with `-c variant=NAME` (or the FIXTURE_VARIANT environment variable) and
// the app layout with `-c layout=single|two-stack|nested` (or FIXTURE_LAYOUT).

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

function selectVariant(node) {
  const name = node.tryGetContext('variant') || process.env.FIXTURE_VARIANT || 'baseline';
  const variant = VARIANTS[name];
  if (!variant) {
    throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
  }
  return { name, ...variant };
}

function selectLayout(node) {
  return node.tryGetContext('layout') || process.env.FIXTURE_LAYOUT || 'single';
}

module.exports = { VARIANTS, selectVariant, selectLayout };
