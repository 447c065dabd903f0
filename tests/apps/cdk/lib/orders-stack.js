// One stack: the orders service and its three consumers (API Gateway, SQS, EventBridge).
const { Stack, Duration } = require('aws-cdk-lib');
const apigateway = require('aws-cdk-lib/aws-apigateway');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');
const sqs = require('aws-cdk-lib/aws-sqs');
const { SqsEventSource } = require('aws-cdk-lib/aws-lambda-event-sources');
const { OrdersService } = require('./orders-service');

class OrdersStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const orders = new OrdersService(this, 'Orders', { variant: props.variant });

    new apigateway.LambdaRestApi(this, 'OrdersApi', { handler: orders.target });

    const queue = new sqs.Queue(this, 'OrdersQueue', { visibilityTimeout: Duration.seconds(30) });
    orders.target.addEventSource(new SqsEventSource(queue, { batchSize: 5 }));

    new events.Rule(this, 'Nightly', {
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      targets: [new targets.LambdaFunction(orders.target)],
    });
  }
}

module.exports = { OrdersStack };
