// Evaluate GitHub Actions expressions with GitHub's own library (@actions/expressions), for
// the workflow runner emulation in tests/actions_runner.py.
//
// Why a separate process: the expression language (coercion, case-insensitive lookups,
// `format`, `fromJSON`, object filters, number formatting) is subtle, and GitHub publishes the
// implementation its own tooling uses. The Python harness keeps one of these processes alive
// and talks to it in JSON lines, so every `${{ }}` the tests run is evaluated by that code.
//
// Protocol: one JSON object a line on stdin, one JSON object a line on stdout, in order.
//   request:  {"expression": "inputs.name", "context": {"inputs": {...}, ...},
//              "status": "success" | "failure" | "cancelled"   (optional, see below),
//              "condition": true                               (optional, see below),
//              "workspace": "/abs/path"                        (optional, for hashFiles)}
//   response: {"value": <plain JSON>, "text": "<the value as ${{ }} inserts it>",
//              "truthy": true | false}   or   {"error": "message"}
//
// The library knows the functions every expression may call (format, contains, fromJSON...).
// The runner adds the others itself, and so does this script, as extension functions:
//   - success(), failure(), always(), cancelled(): only when the request carries "status"
//     (the job's or composite action's status), as GitHub only allows them in `if`.
//   - hashFiles(patterns...): only when the request carries "workspace".
// With "condition": true the expression is a step's `if`: when it calls no status function,
// it is evaluated as `success() && (expression)`, GitHub's documented rule.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, sep } from "node:path";
import { createInterface } from "node:readline";

import { data, Evaluator, Lexer, Parser } from "@actions/expressions";
import { truthy } from "@actions/expressions/result";

const STATUS_FUNCTIONS = ["success", "failure", "always", "cancelled"];

// --- plain JSON <-> the library's data types --------------------------------------------------

function toData(value) {
  if (value === null || value === undefined) {
    return new data.Null();
  }
  if (typeof value === "string") {
    return new data.StringData(value);
  }
  if (typeof value === "number") {
    return new data.NumberData(value);
  }
  if (typeof value === "boolean") {
    return new data.BooleanData(value);
  }
  if (Array.isArray(value)) {
    return new data.Array(...value.map(toData));
  }
  return new data.Dictionary(
    ...Object.entries(value).map(([key, item]) => ({ key, value: toData(item) })),
  );
}

function fromData(value) {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return value.value;
    case data.Kind.Number:
      return value.number();
    case data.Kind.String:
      return value.coerceString();
    case data.Kind.Array:
      return value.values().map(fromData);
    default: {
      const result = {};
      for (const pair of value.pairs()) {
        result[pair.key] = fromData(pair.value);
      }
      return result;
    }
  }
}

// --- functions the runner adds ----------------------------------------------------------------

function statusFunctions(status) {
  const answers = {
    success: status === "success",
    failure: status === "failure",
    always: true,
    cancelled: status === "cancelled",
  };
  return STATUS_FUNCTIONS.map((name) => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(answers[name]),
  }));
}

// A glob of @actions/glob's dialect (`**`, `*`, `?`, `[...]`) as a regular expression over
// workspace-relative paths with forward slashes.
function globPattern(glob) {
  let source = "";
  let rest = glob.replace(/^\.\//, "");
  while (rest.length > 0) {
    if (rest.startsWith("**/")) {
      source += "(?:.*/)?";
      rest = rest.slice(3);
    } else if (rest.startsWith("**")) {
      source += ".*";
      rest = rest.slice(2);
    } else if (rest[0] === "*") {
      source += "[^/]*";
      rest = rest.slice(1);
    } else if (rest[0] === "?") {
      source += "[^/]";
      rest = rest.slice(1);
    } else if (rest[0] === "[" && rest.indexOf("]") > 1) {
      const end = rest.indexOf("]");
      source += rest.slice(0, end + 1);
      rest = rest.slice(end + 1);
    } else {
      source += rest[0].replace(/[.+^${}()|\\]/g, "\\$&");
      rest = rest.slice(1);
    }
  }
  // A pattern naming a folder matches everything below it, as @actions/glob does.
  return new RegExp(`^${source}(?:/.*)?$`);
}

function workspaceFiles(workspace) {
  return readdirSync(workspace, { recursive: true })
    .map((name) => name.split(sep).join("/"))
    .filter((name) => statSync(join(workspace, name), { throwIfNoEntry: false })?.isFile())
    .sort();
}

// hashFiles as the runner computes it: the SHA-256 of each matching file, fed in order into
// one outer SHA-256; an empty string when nothing matches.
function hashFilesFunction(workspace) {
  return {
    name: "hashFiles",
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => {
      const patterns = args.flatMap((arg) => arg.coerceString().split("\n"))
        .map((line) => line.trim())
        .filter((line) => line.length > 0);
      const include = patterns.filter((p) => !p.startsWith("!")).map(globPattern);
      const exclude = patterns.filter((p) => p.startsWith("!")).map((p) => globPattern(p.slice(1)));
      const outer = createHash("sha256");
      let count = 0;
      for (const name of workspaceFiles(workspace)) {
        if (include.some((re) => re.test(name)) && !exclude.some((re) => re.test(name))) {
          outer.update(createHash("sha256").update(readFileSync(join(workspace, name))).digest());
          count += 1;
        }
      }
      return new data.StringData(count > 0 ? outer.digest("hex") : "");
    },
  };
}

// --- evaluation -------------------------------------------------------------------------------

function callsStatusFunction(tokens) {
  return tokens.some(
    (token, index) =>
      STATUS_FUNCTIONS.includes(token.lexeme.toLowerCase()) &&
      tokens[index + 1] !== undefined &&
      tokens[index + 1].lexeme === "(",
  );
}

function evaluate(request) {
  const functions = [];
  if (request.status !== undefined) {
    functions.push(...statusFunctions(request.status));
  }
  if (request.workspace !== undefined) {
    functions.push(hashFilesFunction(request.workspace));
  }
  const context = request.context ?? {};
  const { tokens } = new Lexer(request.expression).lex();
  const expression = new Parser(tokens, Object.keys(context), functions).parse();
  const implementations = new Map(functions.map((f) => [f.name.toLowerCase(), f]));
  if (request.condition && !callsStatusFunction(tokens) && request.status !== "success") {
    return { value: false, text: "false", truthy: false }; // success() && (...) is false
  }
  const result = new Evaluator(expression, toData(context), implementations).evaluate();
  return { value: fromData(result), text: result.coerceString(), truthy: truthy(result) };
}

function answer(line) {
  try {
    return evaluate(JSON.parse(line));
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim().length > 0) {
    process.stdout.write(JSON.stringify(answer(line)) + "\n");
  }
});
