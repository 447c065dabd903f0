// Check Mermaid diagrams with mermaid's own parser (the npm package), offline.
// Usage: node mermaid_parse.mjs < diagrams.json
//   stdin:  a JSON array of diagram texts, without the ``` fences.
//   stdout: a JSON array, one entry per diagram, in order:
//           {"ok": true}  or  {"ok": false, "error": "<the parser's message>"}.
// Exits 0 whenever it ran, even if some diagrams fail; non-zero only if it could not run
// (bad input, mermaid missing).
//
// mermaid.parse() runs the same path as rendering (front matter and directives, the
// `#59;` entity encoding, diagram type detection, the diagram's grammar and database)
// and throws on any error. No DOM is set up: parsing needs none, except the sequence
// diagram statements `box` (which checks its colour via window.CSS) and
// `links`/`link`/`properties`/`details`. Those fail here with "window is not defined" or
// "document is not defined" instead of passing silently. Without a DOM, DOMPurify only
// skips sanitizing the label text, which does not change whether a diagram parses.

import { readFileSync } from "node:fs";

import mermaid from "mermaid";

const diagrams = JSON.parse(readFileSync(0, "utf8"));
if (!Array.isArray(diagrams) || !diagrams.every((text) => typeof text === "string")) {
  throw new TypeError("stdin must be a JSON array of strings");
}

const results = [];
for (const text of diagrams) {
  try {
    await mermaid.parse(text); // one at a time: mermaid keeps the diagram state globally
    results.push({ ok: true });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
