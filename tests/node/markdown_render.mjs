// Render Markdown as GitHub Flavored Markdown with marked (the npm package), offline.
// Usage: node markdown_render.mjs < bodies.json
//   stdin:  a JSON array of Markdown texts.
//   stdout: a JSON array of the HTML each renders to, in order.
// Raw HTML passes through unchanged, as it does in GFM before GitHub's sanitizer: a test
// that finds no element of its own making here finds none on GitHub either.

import { readFileSync } from "node:fs";

import { marked } from "marked";

const bodies = JSON.parse(readFileSync(0, "utf8"));
if (!Array.isArray(bodies) || !bodies.every((text) => typeof text === "string")) {
  throw new TypeError("stdin must be a JSON array of strings");
}
const html = bodies.map((text) => marked.parse(text, { gfm: true, async: false }));
process.stdout.write(JSON.stringify(html) + "\n");
