'use strict';

// Code revision 2: receipts for every order.
exports.describe = (record) => `receipt for ${record.messageId || record.id || 'request'}`;
