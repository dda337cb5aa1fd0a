// The reference MJML implementation, timed in-process and warm on the MJML files given.
//
//   node bench/node/render.mjs --repeat 30 --validation skip,soft FILE.mjml...
//
// mjml is loaded once. Each file is rendered once per validation level to warm up, then
// `--repeat` times in rounds that interleave the files; the result is one JSON document on
// stdout: per file and validation level, every run in ms, the median and the best, and the
// size of the HTML. Run by bench/render_bench.py, which writes the files.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { basename } from "node:path";

const args = process.argv.slice(2);
let repeat = 30;
let levels = ["skip"];
const files = [];
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === "--repeat") {
    repeat = Number(args[(i += 1)]);
  } else if (args[i] === "--validation") {
    levels = args[(i += 1)].split(",");
  } else {
    files.push(args[i]);
  }
}
if (!files.length || !(repeat > 0)) {
  console.error("usage: render.mjs [--repeat N] [--validation skip,soft] FILE.mjml...");
  process.exit(2);
}

const loadStart = performance.now();
const require = createRequire(import.meta.url);
const mjml2html = require("mjml");
const loadMs = performance.now() - loadStart;
const version = require("mjml/package.json").version;

// mjml-python is called with disable_comments=True: the same here (keepComments: false).
const render = (source, level) => {
  const out = mjml2html(source, { keepComments: false, validationLevel: level });
  if (typeof out.then === "function") {
    throw new Error("this mjml renders asynchronously (5.x); the benchmark expects mjml 4");
  }
  return out;
};

const sources = files.map((path) => readFileSync(path, "utf8"));
const results = [];
for (const level of levels) {
  const cases = sources.map((source, index) => {
    const first = performance.now();
    const out = render(source, level); // warm-up, also the output we report
    return {
      file: basename(files[index]),
      validation: level,
      first_ms: performance.now() - first,
      html_bytes: Buffer.byteLength(out.html, "utf8"),
      errors: out.errors.length,
      runs_ms: [],
    };
  });
  for (let round = 0; round < repeat; round += 1) {
    sources.forEach((source, index) => {
      const start = performance.now();
      render(source, level);
      cases[index].runs_ms.push(performance.now() - start);
    });
  }
  for (const item of cases) {
    const sorted = [...item.runs_ms].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    item.median_ms =
      sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    item.best_ms = sorted[0];
    results.push(item);
  }
}

process.stdout.write(
  JSON.stringify({ mjml: version, node: process.version, load_ms: loadMs, repeat, results }),
);
