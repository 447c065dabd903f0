'use strict';

// Rewrite the absolute paths that `serverless package` records in serverless-state.json
// (the artifacts' locations) relative to the service folder, keeping the file's layout.
//   node scripts/scrub-state.js <serverless-state.json> <service folder>
const fs = require('fs');
const path = require('path');

const [file, serviceDir] = process.argv.slice(2);
const prefix = path.resolve(serviceDir) + path.sep;
const state = JSON.parse(fs.readFileSync(file, 'utf8'));

const scrub = (value) => {
  if (typeof value === 'string') {
    return value.startsWith(prefix) ? value.slice(prefix.length) : value;
  }
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)]));
  }
  return value;
};

const scrubbed = JSON.stringify(scrub(state), null, 2);
if (scrubbed.includes(path.resolve(serviceDir))) {
  throw new Error(`${file} still holds ${serviceDir}`);
}
fs.writeFileSync(file, `${scrubbed}\n`);
