// A CDK Stage holding a stack whose worker function sits in a nested stack.
const { Stage, Stack, NestedStack } = require('aws-cdk-lib');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');
const sqs = require('aws-cdk-lib/aws-sqs');
const { OrdersService } = require('./orders-service');

class WorkersNestedStack extends NestedStack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const workers = new OrdersService(this, 'Workers', { variant: props.variant });
    new events.Rule(this, 'Hourly', {
      schedule: events.Schedule.cron({ minute: '15' }),
      targets: [new targets.LambdaFunction(workers.target)],
    });
  }
}

class BackendStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    new sqs.Queue(this, 'Inbox');
    new WorkersNestedStack(this, 'Jobs', { variant: props.variant });
  }
}

class ProdStage extends Stage {
  constructor(scope, id, props) {
    super(scope, id, props);
    new BackendStack(this, 'Backend', { variant: props.variant });
  }
}

module.exports = { ProdStage };
