// Orders handler, second release: reads its mode from the environment and uses the codec layer.
const codec = require('orders-codec');
exports.handler = async (event) => ({
  statusCode: 200,
  body: codec.encode({ orders: [], release: 2, mode: process.env.PAYMENTS_MODE || 'default' }),
});
