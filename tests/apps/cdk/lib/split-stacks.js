// Two stacks: the function lives in OrdersCore; OrdersSchedule's rule invokes it through a
// cross-stack reference (an Export of OrdersCore read with Fn::ImportValue).
const { Stack } = require('aws-cdk-lib');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');
const { OrdersService } = require('./orders-service');

class OrdersCoreStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    this.orders = new OrdersService(this, 'Orders', { variant: props.variant });
  }
}

class OrdersScheduleStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    new events.Rule(this, 'Nightly', {
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      targets: [new targets.LambdaFunction(props.target)],
    });
  }
}

module.exports = { OrdersCoreStack, OrdersScheduleStack };
