// One stack of Python 3.12 functions instrumented by Datadog's CDK construct (DatadogLambda):
// the construct adds its Python library layer (Datadog-Python312) and its extension layer
// (Datadog-Extension), choosing the -ARM builds of both when the function is arm64.
const { Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const { DatadogLambda } = require('datadog-cdk-constructs-v2');

// Fixed layer versions, so that a newer construct release does not change the fixtures.
const PYTHON_LAYER_VERSION = 109;
const EXTENSION_LAYER_VERSION = 77;
// A placeholder: no Datadog API key is used; the construct writes the ARN into the
// functions' environment.
const API_KEY_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-api-key-AbCdEf';

const handlerCode = (name) => lambda.Code.fromInline(
  `def handler(event, context):\n    return {"statusCode": 200, "body": "${name}"}\n`,
);

class DatadogStack extends Stack {
  /**
   * @param {import('constructs').Construct} scope
   * @param {string} id
   * @param {{variant: object} & import('aws-cdk-lib').StackProps} props
   */
  constructor(scope, id, props) {
    super(scope, id, props);
    const { variant } = props;

    // Checkout: the function whose architecture the variant sets.
    const checkout = new lambda.Function(this, 'Checkout', {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'index.handler',
      code: handlerCode('checkout'),
      // Without `architecture` (datadog-arm64-override) the function is x86_64 for CDK and for
      // the Datadog construct, and the template has no Architectures.
      ...(variant.architecture && {
        architecture: variant.architecture === 'arm64'
          ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      }),
    });
    if (variant.architectureOverride) {
      // The L1 escape hatch: the template says arm64, the L2 function (which the Datadog
      // construct reads) still says x86_64.
      checkout.node.defaultChild.addPropertyOverride('Architectures', [variant.architectureOverride]);
    }

    // Receipts: the same in every variant, without `architecture` (x86_64).
    const receipts = new lambda.Function(this, 'Receipts', {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'index.handler',
      code: handlerCode('receipts'),
    });

    const datadog = new DatadogLambda(this, 'Datadog', {
      pythonLayerVersion: PYTHON_LAYER_VERSION,
      extensionLayerVersion: EXTENSION_LAYER_VERSION,
      apiKeySecretArn: API_KEY_SECRET_ARN,
      site: 'datadoghq.com',
      // Source code integration runs `git` and writes this repository's commit into DD_TAGS,
      // which would change the fixtures on every commit.
      sourceCodeIntegration: false,
    });
    // Without the second argument (a scope) the construct grants no read access to the secret:
    // with it, 5.1.0 makes one DatadogApiKeySecret per function in that scope and fails on
    // the second function ("There is already a Construct with name 'DatadogApiKeySecret'").
    datadog.addLambdaFunctions([checkout, receipts]);
  }
}

module.exports = { DatadogStack };
