'use strict';

// Orders: one handler behind an API Gateway route, an SQS queue and an EventBridge rule.
// The code revision is whatever the package ships: revision 2 adds ./receipts.js (see
// package.patterns in the serverless.*.yml files), which this handler picks up when present.
const pricing = require('pricing');

let receipts = null;
try {
  receipts = require('./receipts');
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
}

exports.main = async (event) => {
  const records = event.Records || [event];
  const orders = records.map((record) => ({
    id: record.messageId || record.id || 'request',
    total: pricing.total([1, 2, 3]),
    receipt: receipts ? receipts.describe(record) : undefined,
  }));
  return { statusCode: 200, body: JSON.stringify({ orders }) };
};
