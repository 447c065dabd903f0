// The orders function, its codec layer and (in the aliased variants) its alias.
const path = require('node:path');
const { Construct } = require('constructs');
const lambda = require('aws-cdk-lib/aws-lambda');

const ROOT = path.join(__dirname, '..');

class OrdersService extends Construct {
  /**
   * @param {Construct} scope
   * @param {string} id
   * @param {{variant: object}} props
   */
  constructor(scope, id, props) {
    super(scope, id);
    const { variant } = props;
    const architecture =
      variant.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;

    const codec = new lambda.LayerVersion(this, 'Codec', {
      code: lambda.Code.fromAsset(path.join(ROOT, 'layers', variant.layer)),
      compatibleArchitectures: [architecture],
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      description: `orders codec (${variant.layer})`,
    });

    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(ROOT, 'lambda', variant.code)),
      layers: [codec],
      environment: variant.environment,
    });

    // What the consumers invoke: the function itself, or an alias on its current version.
    this.target = variant.alias
      ? new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.handler.currentVersion })
      : this.handler;
  }
}

module.exports = { OrdersService };
