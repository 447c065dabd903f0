#!/usr/bin/env node
// latest-guard's CDK fixture app. `-c variant=NAME` picks the state of the orders function
// (lib/variants.js); `-c layout=...` picks how the app is split into stacks.
const cdk = require('aws-cdk-lib');
const { selectLayout, selectVariant } = require('../lib/variants');
const { OrdersStack } = require('../lib/orders-stack');
const { OrdersCoreStack, OrdersScheduleStack } = require('../lib/split-stacks');
const { ProdStage } = require('../lib/staged');

const app = new cdk.App();
const variant = selectVariant(app.node);
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

switch (selectLayout(app.node)) {
  case 'single':
    new OrdersStack(app, 'OrdersStack', { env, variant });
    break;
  case 'two-stack': {
    const core = new OrdersCoreStack(app, 'OrdersCore', { env, variant });
    new OrdersScheduleStack(app, 'OrdersSchedule', { env, target: core.orders.target });
    break;
  }
  case 'nested':
    new cdk.Stack(app, 'Edge', { env }).templateOptions.description = 'a top-level stack';
    new ProdStage(app, 'Prod', { env, variant });
    break;
  case 'datadog': {
    // Required here, so that the other layouts do not load datadog-cdk-constructs-v2.
    const { DatadogStack } = require('../lib/datadog-stack');
    new DatadogStack(app, 'CheckoutStack', { env, variant });
    break;
  }
  default:
    throw new Error(`unknown layout ${selectLayout(app.node)}`);
}
