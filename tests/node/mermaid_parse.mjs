// Check Mermaid diagrams with mermaid's own parser (the npm package), offline.
// Usage: node mermaid_parse.mjs < diagrams.json
//   stdin:  a JSON array of diagram texts, without the ``` fences.
//   stdout: a JSON array, one entry per diagram, in order:
//           {"ok": true, "actors": [...], "messages": [...]}  or
//           {"ok": false, "error": "<the parser's message>"}.
//           For a sequence diagram, "actors" are [id, label] pairs and "messages" are
//           [from, to, text] triples (notes too), as the diagram's database holds them, with
//           entity codes (#59;) decoded: what the reader sees, and where.
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

// mermaid writes the entity code #N; as a private marker while it parses.
const decode = (value) =>
  String(value ?? "").replace(/\uFB02\u00B0\u00B0(\d+)\u00B6\u00DF/g, (_, code) =>
    String.fromCodePoint(Number(code)),
  );

async function shape(text) {
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const db = diagram.db;
  if (typeof db.getActors !== "function") {
    return {};
  }
  return {
    actors: [...db.getActors().values()].map((a) => [a.name, decode(a.description)]),
    messages: db.getMessages().map((m) => [m.from ?? null, m.to ?? null, decode(m.message)]),
  };
}

const results = [];
for (const text of diagrams) {
  try {
    await mermaid.parse(text); // one at a time: mermaid keeps the diagram state globally
    results.push({ ok: true, ...(await shape(text)) });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
